"""Scale granularity: per-tensor costs nothing extra; per-channel, per-group and per-token cost exactly the
documented bytes and post-processing work (simulator/quant.py, docs/energy.md)."""

import math

import pytest
from test_hardware import make_hw

from simulator import simulate
from simulator.model.mapping import compute_cycles, map_gemm
from simulator.model.traffic import gemm_traffic
from simulator.quant import gemm_quant, k_segments, ppu_cycles, scale_counts
from workloads.model import Layer, Workload


def _row(hw, **kw):
    return simulate(Workload("m", (Layer("g", kw.pop("op", "gemm"), **kw),)), hw).layers.iloc[0]


def test_k_segments_documented_example():
    """Per-group g = 128 on K = 3072: 3072 / 128 = 24 rescales per output; both grouped: the finer group;
    a per-channel activation scale changes at every K step."""
    assert k_segments("group:128", "tensor", 3072) == 24
    assert k_segments("group:128", "group:64", 3072) == 48
    assert k_segments("channel", "tensor", 3072) == 1
    assert k_segments("tensor", "channel", 100) == 100
    assert k_segments("group:128", "tensor", 100) == 1


def test_per_tensor_adds_zero_cycles_and_bytes():
    """A per-tensor layer's cycles and DRAM bytes equal the bare mapping + memory model's."""
    hw = make_hw()
    m, n, k = 16, 12, 40
    row = _row(hw, m=m, n=n, k=k, w_granularity="tensor", a_granularity="tensor")
    mp = map_gemm("os", m, n, k, 4, 4, 1.0)
    mem = gemm_traffic("os", m, n, k, 4, 4, 1.0, 8, 8, 8, 32, hw.buffers.bytes, hw.dram_bytes_per_cycle,
                       hw.dram.latency_cycles, 1)
    assert row["total_cycles"] == compute_cycles(mp) + mem["stall_cycles"]
    assert row["dram_read_bytes"] == mem["dram_ifmap_read_bytes"] + mem["dram_filter_read_bytes"] + \
        mem["dram_ofmap_read_bytes"]
    assert row["dram_scale_read_bytes"] == 0 and row["ppu_stall_cycles"] == 0
    assert row["rescale_ops"] == 0 and row["absmax_ops"] == 0 and row["w_scales"] == 0


def test_per_channel_adds_n_scales_and_no_cycles():
    """N = 12 weight scales at 16 bits = 24 bytes; same cycles as per-tensor."""
    hw = make_hw()
    t = _row(hw, m=16, n=12, k=40)
    c = _row(hw, m=16, n=12, k=40, w_granularity="channel")
    assert c["dram_read_bytes"] - t["dram_read_bytes"] == 12 * 16 / 8
    assert c["total_cycles"] == t["total_cycles"] and c["rescale_ops"] == 0


def test_per_group_adds_exactly_the_documented_amount():
    """M = 8, N = 8, K = 3072, g = 128: G = 24; scales N * G = 192 -> 384 bytes at 16 bits;
    rescales M * N * G = 1536; PPU ops per copy 64 + 1536 = 1600 -> ceil(1600 / 4 lanes) = 400 cycles;
    the array (os 4x4: 4 folds x (3072 + 6) - 1 = 12311 cycles) hides them: zero extra cycles."""
    hw = make_hw()
    t = _row(hw, m=8, n=8, k=3072)
    g = _row(hw, m=8, n=8, k=3072, w_granularity="group:128")
    assert g["k_segments"] == 24 and g["rescale_ops"] == 8 * 8 * 24 and g["w_scales"] == 192
    assert g["dram_read_bytes"] - t["dram_read_bytes"] == 384
    assert g["ppu_cycles"] == 400 and t["ppu_cycles"] == 16
    assert g["total_cycles"] == t["total_cycles"] == 12311 + t["stall_cycles"]
    # the energy difference is exactly the extra PPU rescales and the scale bytes through SRAM and DRAM
    from simulator.energy import hw_costs

    c = hw_costs(hw)
    from simulator.model.price import ops_energy_pj
    from simulator.quant import PPU_OPS

    rescale_pj = ops_energy_pj(PPU_OPS["fixed"]["rescale"], c.primitives)    # int_mult_32x16 + int_add per rescale
    assert g["int_mult_32x16_ops"] - t["int_mult_32x16_ops"] == 1536
    assert g["ppu_energy_pj"] - t["ppu_energy_pj"] == pytest.approx(1536 * rescale_pj)


def test_per_group_ppu_bound():
    """One PPU lane, 64x64 os array, M = N = 64, K = 3072, g = 128: array 3072 + 126 - 1 = 3197 cycles;
    PPU 64*64*(1 + 24) = 102400 cycles; the layer takes the PPU's time."""
    hw = make_hw(array={"rows": 64, "cols": 64, "dataflow": "os"}, ppu={"lanes": 1})
    g = _row(hw, m=64, n=64, k=3072, w_granularity="group:128")
    assert g["ppu_cycles"] == 102400
    assert g["total_cycles"] == 102400 and g["stall_buffer"] == "ppu"
    assert g["ppu_stall_cycles"] == 102400 - 3197 - (g["stall_cycles"] - g["ppu_stall_cycles"])


def test_per_token_dynamic_scales():
    """Per-token activations: M = 16 scales per copy, 16 * 40 max-reduction compares; a dynamic second
    operand (matmul, repeat 3, per-token) adds N scales and K * N compares per copy."""
    hw = make_hw()
    r = _row(hw, m=16, n=12, k=40, a_granularity="token")
    assert r["a_scales"] == 16 and r["absmax_ops"] == 16 * 40
    assert r["dram_scale_read_bytes"] == 16 * 2
    q = gemm_quant(16, 12, 40, 3, "token", "token", False, "int", 16)
    assert q["absmax_ops"] == 3 * (16 * 40 + 40 * 12)
    assert q["scale_dram_w_bytes"] == 3 * 12 * 2 and q["scale_dram_a_bytes"] == 3 * 16 * 2


def test_scale_counts_and_ppu_cycles_formula():
    assert scale_counts("group:32", "group:32", 10, 20, 100) == (20 * 4, 10 * 4)
    assert scale_counts("channel", "channel", 10, 20, 100) == (20, 100)
    assert ppu_cycles(100, 0, 0, 1, 8) == math.ceil(100 / 8)
    assert ppu_cycles(300, 0, 0, 3, 8) == 3 * math.ceil(100 / 8)


def test_float_layers_have_no_rescales():
    hw = make_hw(pe={"type": "float", "precisions": [{"w_bits": 16, "a_bits": 16}]}, ppu={"arithmetic": "float"})
    r = _row(hw, m=8, n=8, k=256, w_bits=16, a_bits=16, dtype="fp", w_granularity="group:128")
    assert r["rescale_ops"] == 0 and r["k_segments"] == 1
