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
    # the array runs the same im2col GEMMs either way: equal compute cycles where neither input mode splits its
    # GEMMs into temporal chunks (the split is chosen by cost, so the two modes may split differently: 16,772,879
    # cycles as tiles, 16,796,453 as im2col, 0.14 % apart)
    off = replace(hw, array=replace(hw.array, temporal_tiling="off"))
    tiles = simulate_totals(w.with_batch(4), off)
    im2col = simulate_totals(w.with_batch(4), replace(off, memory=replace(off.memory, conv="im2col")))
    assert tiles.compute_cycles == im2col.compute_cycles == 16_764_563


def test_me_vit_config_workload_and_table_iii():
    """ME-ViT (arXiv:2402.09709v1; docs/reference/me_vit/README.md): one ME-PE, a 32 x 32 systolic array "designed
    for 300 MHz", DDR at 77 GB/s, parameters loaded once and activations on chip; two MACs per PE per cycle (DERIVED:
    the theoretical 37.86 ms at 300 MHz is 2,042 MACs per cycle on ViT-B/256). ViT-B/16 at 256 px: 257 tokens, per
    block 257 x (768 x 2304 + 768 x 768 + 2 x 768 x 3072) + 2 x 257 x 257 x 768 = 1,920,468,480 MACs; 12 blocks +
    patch embedding 256 x 768 x 768 + head 768 x 1000 = 23,197,384,704. All of them at 2048 per cycle and 300 MHz:
    23,197,384,704 / 2048 / 300e6 = 37.76 ms, the published theoretical 37.86 within 0.3 %. Table III: 41.69 ms at
    300 MHz, 83.38 ms at 150 MHz."""
    hw = load_hardware("me_vit")
    assert hwconfigs.find("me_vit").parent.name == "published"
    assert (hw.array.rows, hw.array.cols, hw.freq_mhz, hw.dram.bandwidth_gbps) == (32, 32, 300, 77)
    assert hw.memory.activations == "on_chip" and hw.pe.precisions[0].macs_per_cycle == 2
    w = load_workload(hw.default_workload)
    assert w.macs == 12 * 1_920_468_480 + 256 * 768 * 768 + 768 * 1000 == 23_197_384_704
    assert abs(w.macs / 2048 / 300e6 / 37.86e-3 - 1) < 0.003
    for f, published_ms in ((300, 41.69), (150, 83.38)):
        t = simulate_totals(w, replace(hw, freq_mhz=f))
        assert 0.75 < published_ms / (t.latency_us / 1e3) < 1.25
        assert t.stall_cycles == 0                                  # compute-bound: weights once, at 77 GB/s


def test_tpu_v1_fc_applications_follow_table_1():
    """tools/tpu_v1_apps.py: each FC layer is square with d = round(sqrt(weights / FC layers)) at M = batch (MLP0:
    sqrt(20e6 / 5) = 2000, 5 x 2000 x 2000 = 20,000,000 weights, M = 200; LSTM1: sqrt(34e6 / 37) = 958.6 -> 959), the
    vector layers one elementwise op over batch x d; the zoo files are what the tool writes."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
    import tpu_v1_apps

    apps = {a["name"]: a for a in tpu_v1_apps.read_apps()}
    assert [apps[n]["tops"] for n in ("MLP0", "MLP1", "LSTM0", "LSTM1")] == [12.3, 9.7, 3.7, 2.8]
    w, d = tpu_v1_apps.app_workload(apps["MLP0"])
    assert d == 2000 and [(x.m, x.k, x.n) for x in w.layers] == [(200, 2000, 2000)] * 5
    w, d = tpu_v1_apps.app_workload(apps["LSTM1"])
    assert d == 959 and sum(x.op == "gemm" for x in w.layers) == 37 and sum(x.op == "elementwise" for x in w.layers) == 19
    assert all(p.read_text() == text for p, text in tpu_v1_apps.zoo_files().items())


def test_validation_design_workloads_follow_their_architectures():
    """tools/published_workloads.py. AlexNet with FC: the conv MACs 665,784,864 + fc6 9216 x 4096 = 37,748,736 +
    fc7 4096 x 4096 = 16,777,216 + fc8 4096 x 1000 = 4,096,000 -> 724,406,816. ResNet-20 v2 (CIFAR, Keras
    resnet_v2): stem 32*32*16*27 = 442,368; stage 1 (32 x 32 = 1024 pixels) block 0: 1024*(16*16 + 16*144 + 64*16 +
    64*16) = 4,718,592, block 1: 1024*(16*64 + 16*144 + 64*16) = 4,456,448; stage 2 (256 pixels) block 0:
    256*(64*64 + 64*576 + 128*64 + 128*64) = 14,680,064, block 1: 256*(64*128 + 64*576 + 128*64) = 13,631,488;
    stage 3 (64 pixels) block 0: 64*(128*128 + 128*1152 + 256*128 + 256*128) = 14,680,064, block 1: 13,631,488;
    fc 256*10 = 2,560; total 66,243,072 MACs. Weights: 432 + 4,608 + 4,352 + 57,344 + 53,248 + 229,376 + 212,992 +
    2,560 = 564,912 (Tensil's compiler: 568,474 "true consts" with the biases). The zoo files are what the tool
    writes."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
    import published_workloads

    assert load_workload("alexnet-w8a8").macs == 665_784_864 + 37_748_736 + 16_777_216 + 4_096_000 == 724_406_816
    assert load_workload("alexnet_conv-w6a6").macs == load_workload("alexnet_conv-w8a8").macs == 665_784_864
    w = load_workload("resnet20v2_cifar-w16a16")
    assert w.macs == 442_368 + 4_718_592 + 4_456_448 + 14_680_064 + 13_631_488 + 14_680_064 + 13_631_488 + 2_560
    assert w.macs == 66_243_072
    assert sum(x.n * x.k * x.repeat for x in w.layers if x.op in ("conv", "gemm")) == 564_912
    assert {(x.w_bits, x.a_bits, x.acc_bits) for x in w.layers} == {(16, 16, 16)}
    assert all(p.read_text() == text for p, text in published_workloads.zoo_files().items())
