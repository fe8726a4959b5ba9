"""Published accelerators shipped in hwconfigs/published/ and their workloads (docs/validation-designs.md)."""

from dataclasses import replace

import hwconfigs
from simulator import load_hardware, simulate_totals
from workloads import load_workload


def test_eyeriss_v1_config_and_alexnet_workload():
    """Eyeriss v1 (JSSC 2017): 12 x 14 = 168 PEs at 200 MHz, 16-bit: peak 2 x 168 x 200e6 = 67.2 GOPS. AlexNet
    CONV1-5 per image: 3025*96*363 + 2*729*128*1200 + 169*384*2304 + 2*169*192*1728 + 2*169*128*1728 =
    665,784,864 MACs; at batch 4 every layer's M is 4x."""
    assert hwconfigs.find("eyeriss_v1").parent.name == "published"
    hw = load_hardware("eyeriss_v1")
    assert (hw.array.rows, hw.array.cols, hw.freq_mhz) == (12, 14, 200)
    w = load_workload("alexnet_conv-w16a16")
    assert w.macs == 665_784_864
    t = simulate_totals(w.with_batch(4), hw)
    assert t.macs == 4 * 665_784_864
    assert t.peak_tops == 2 * 168 * 200e6 / 1e12
    # convolutions as convolutions (docs/validation-designs.md): 52.9 MB against the published 15.4 MB (filters
    # re-read per input tile), 42.2 frames/s against 34.7; read as im2col (memory.conv: im2col) it was 424 MB
    dram = t.dram_read_bytes + t.dram_write_bytes
    assert 15.4e6 < dram < 4 * 15.4e6
    assert 0.75 * 34.7 < t.throughput_fps < 1.25 * 34.7
    old = simulate_totals(w.with_batch(4), replace(hw, memory=replace(hw.memory, conv="im2col")))
    assert old.dram_read_bytes + old.dram_write_bytes > 10 * 15.4e6
    assert old.compute_cycles == t.compute_cycles
