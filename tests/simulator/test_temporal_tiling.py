"""Temporal tiling of ws/is layers: partial sums kept on chip by splitting the streamed dimension."""

from dataclasses import replace

from conftest import HWCONFIGS

from simulator import load_hardware, simulate
from simulator.engine import simulate_layer
from simulator.model.mapping import compute_cycles, map_gemm
from workloads import load_workload
from workloads.model import Layer


def _hw(tiling, ofmap_kib=1.0):
    """4x4 ws array, 1 KiB ofmap buffer: T' = floor(1024*8/2 / (4 cols * 32 acc bits)) = 32 rows."""
    hw = load_hardware(HWCONFIGS / "int8.yaml")
    return replace(hw, array=replace(hw.array, rows=4, cols=4, dataflow="ws", temporal_tiling=tiling),
                   buffers=replace(hw.buffers, ifmap_kib=64, weight_kib=64, ofmap_kib=ofmap_kib))


def test_hand_computed_chunks():
    """ws, M=100 N=8 K=16 on 4x4: K folds 4 > 1, so partial sums of 100 x 4 x 4 B = 1,600 B per column fold
    exceed half the 1 KiB ofmap buffer and spill without tiling. With tiling: T' = 32, chunks 32+32+32+4;
    compute = sum over chunks of (folds x lines) - 1 = 8 x [3 x (32+8+4-2) + (4+8+4-2)] - 1 = 1,119."""
    layer = Layer("x", "gemm", m=100, n=8, k=16)
    off = simulate_layer(layer, _hw("off"))
    auto = simulate_layer(layer, _hw("auto"))
    assert off["dram_psum_write_bytes"] > 0 and off["temporal_chunks"] == 1
    assert auto["dram_psum_write_bytes"] == 0 and auto["temporal_chunks"] == 4
    expected = sum(compute_cycles(map_gemm("ws", m, 8, 16, 4, 4)) + 1 for m in (32, 32, 32, 4)) - 1
    assert auto["compute_cycles"] == expected == 8 * (3 * 42 + 14) - 1
    moved = ("dram_read_bytes", "dram_write_bytes")
    assert sum(auto[x] for x in moved) < sum(off[x] for x in moved)


def test_no_tiling_when_partial_sums_fit():
    """A big ofmap buffer keeps every partial sum on chip: auto and off agree to the cycle."""
    layer = Layer("x", "gemm", m=100, n=8, k=16)
    off, auto = simulate_layer(layer, _hw("off", 64)), simulate_layer(layer, _hw("auto", 64))
    assert auto["temporal_chunks"] == 1 and auto["total_cycles"] == off["total_cycles"]


def test_tpu_v1_throughput_does_not_fall_with_batch():
    """TPU v1 (4 MiB accumulators, double-buffered: 2,048 rows of 256 x 32 bit): at batch 16 the 3,152-row
    GEMMs are split in two instead of spilling partial sums to DRAM, so images/s keeps growing with batch."""
    hw = load_hardware(HWCONFIGS / "tpu_v1.yaml")
    w = load_workload("deit_small-w8a8")
    fps = {b: simulate(w.with_batch(b), hw).totals["throughput_fps"] for b in (8, 16)}
    r16 = simulate(w.with_batch(16), hw).layers
    assert r16["dram_psum_write_bytes"].sum() == 0 and r16["temporal_chunks"].max() == 2
    assert fps[16] >= fps[8] * 0.99
    off = replace(hw, array=replace(hw.array, temporal_tiling="off"))
    assert simulate(w.with_batch(16), off).totals["throughput_fps"] < fps[16]


def test_scalesim_configs_do_not_tile(tmp_path):
    from simulator.scalesim_cfg import load_scalesim_cfg, scalesim_cfg_text

    assert load_hardware(HWCONFIGS / "int8.yaml").array.temporal_tiling == "auto"
    cfg = tmp_path / "x.cfg"
    cfg.write_text(scalesim_cfg_text("x", rows=8, cols=8, ifmap_kb=64, filter_kb=64, ofmap_kb=64, dataflow="ws",
                                     bandwidth=32))
    assert load_scalesim_cfg(cfg).array.temporal_tiling == "off"
