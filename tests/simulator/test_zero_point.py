"""Zero points and outlier channels cost exactly the documented work and bytes (simulator/quant.py docstring).

Every case is worked by hand in its docstring on the 4x4 os test array (tests/simulator/test_hardware.py BASE:
8-bit fixed PE, 4 PPU lanes, 16-bit scales), against the same layer without the feature."""

import pytest
from test_hardware import make_hw

from simulator import simulate
from simulator.energy import hw_costs
from simulator.model.price import ops_energy_pj
from simulator.quant import ZERO_POINT_OPS, gemm_quant, split_outliers
from workloads.model import Layer, Workload


def _row(hw, **kw):
    return simulate(Workload("m", (Layer("g", kw.pop("op", "gemm"), **kw),)), hw).layers.iloc[0]


def test_weight_zero_point_per_channel():
    """M = 16, N = 12, K = 40, per-channel 8-bit weight zero points: row sums M * K = 640 adds, corrections
    M * N = 192 multiply-adds, zero points N * 8 / 8 = 12 bytes; PPU (192 requant + 832) / 4 lanes = 256 cycles;
    energy: 640 adds + 192 (mult + add) more, and the 12 bytes through DRAM."""
    hw = make_hw()
    base = _row(hw, m=16, n=12, k=40, w_granularity="channel")
    zp = _row(hw, m=16, n=12, k=40, w_granularity="channel", w_zero_point=True)
    assert zp["zero_point_ops"] == 640 + 192 and base["zero_point_ops"] == 0
    assert zp["zero_point_bytes"] == 12
    assert zp["dram_read_bytes"] - base["dram_read_bytes"] == 12
    assert zp["dram_scale_read_bytes"] - base["dram_scale_read_bytes"] == 12
    assert zp["ppu_cycles"] == 256 and base["ppu_cycles"] == 48
    prims = hw_costs(hw).primitives
    extra = 640 * ops_energy_pj(ZERO_POINT_OPS["sum"], prims) + 192 * ops_energy_pj(ZERO_POINT_OPS["correct"], prims)
    assert zp["ppu_energy_pj"] - base["ppu_energy_pj"] == pytest.approx(extra)
    assert zp["int_add_ops"] - base["int_add_ops"] == 640 + 192


def test_static_activation_zero_point_is_folded():
    """Static per-tensor activation zero point on a weight layer: z_a * colsum(W) is a per-column constant folded
    into the bias offline: no PPU work, N = 12 constants of 32 bits = 48 bytes read once."""
    hw = make_hw()
    base = _row(hw, m=16, n=12, k=40)
    zp = _row(hw, m=16, n=12, k=40, a_zero_point=True)
    assert zp["zero_point_ops"] == 0 and zp["ppu_cycles"] == base["ppu_cycles"]
    assert zp["zero_point_bytes"] == 48 and zp["dram_read_bytes"] - base["dram_read_bytes"] == 48
    unstated = _row(hw, m=16, n=12, k=40, a_zero_point=False)
    assert unstated["zero_point_bytes"] == 0 and unstated["total_cycles"] == base["total_cycles"]


def test_dynamic_token_zero_point():
    """Per-token asymmetric activations: colsum(W) precomputed, N * 32 / 8 = 48 bytes; corrections M * N = 192;
    min as well as max per token: M * K = 640 more compares; zero points M * 8 / 8 = 16 bytes per copy."""
    hw = make_hw()
    zp = _row(hw, m=16, n=12, k=40, a_granularity="token", a_zero_point=True)
    assert zp["zero_point_ops"] == 192 + 640
    assert zp["zero_point_bytes"] == 48 + 16


def test_activation_zero_point_on_activation_operand_and_groups():
    """q @ k^T style (second operand an activation), repeat 3: column sums computed at run time K * N * 3 = 1440
    adds, corrections M * N * 3 = 576; per-group (g = 8, K = 40: G = 5) weight zero points: M * K = 640 sums,
    M * N * 5 = 960 corrections, N * 5 = 60 zero points of 4 bits = 30 bytes."""
    q = gemm_quant(16, 12, 40, 3, "tensor", "tensor", False, "int", 16, a_zero_point=True)
    assert (q["zp_sum_ops"], q["zp_ops"], q["zero_point_bytes"]) == (1440, 576, 0.0)
    g = gemm_quant(16, 12, 40, 1, "group:8", "tensor", True, "int", 16, w_zero_point=True, w_bits=4)
    assert (g["zp_sum_ops"], g["zp_ops"], g["zero_point_bytes"]) == (640, 960, 30.0)
    f = gemm_quant(16, 12, 40, 1, "group:8", "tensor", True, "fp", 16, w_zero_point=True, a_zero_point=True)
    assert (f["zp_sum_ops"], f["zp_ops"], f["zero_point_bytes"]) == (0, 0, 0.0)


def test_outlier_channels_run_as_a_split_gemm():
    """K = 40 with 8 outlier channels at 8 bits, the rest at 4 (PE modes w8a4 and w8a8): the main GEMM is
    16 x 12 x 32 at w8a4, the outlier GEMM 16 x 12 x 8 at w8a8; the outlier part's partial sums are rescaled into
    the main accumulator: requant 0, rescale M * N = 192; its channel list 8 * 16 / 8 = 16 bytes. Independent
    check: the two layers built by hand give the same cycles and energy, and the ifmap reads
    16 * (32 * 4 + 8 * 8) / 8 = 384 bytes."""
    hw = make_hw(pe={"type": "fixed", "acc_bits": 32, "precisions": [{"w_bits": 8, "a_bits": 4},
                                                                     {"w_bits": 8, "a_bits": 8}]})
    layer = Layer("fc2", "gemm", 16, 12, 40, a_bits=4, outlier_channels=8, outlier_bits=8)
    res = simulate(Workload("m", (layer,)), hw)
    rows = res.layers
    assert list(rows["name"]) == ["fc2", "fc2.outliers"]
    main, out = rows.iloc[0], rows.iloc[1]
    assert (main["k"], main["a_bits"], main["pe_precision"]) == (32, 4, "w8a4")
    assert (out["k"], out["a_bits"], out["pe_precision"]) == (8, 8, "w8a8")
    assert out["requant_ops"] == 0 and out["rescale_ops"] == 192 and main["requant_ops"] == 192
    assert out["dram_scale_read_bytes"] == 16
    assert main["dram_ifmap_read_bytes"] + out["dram_ifmap_read_bytes"] == 384
    assert res.totals.macs == 16 * 12 * 40
    by_hand = Workload("m", (Layer("a", "gemm", 16, 12, 32, a_bits=4),
                             Layer("b", "gemm", 16, 12, 8, a_bits=8, outlier_channels=8, outlier_bits=8)))
    ref = simulate(by_hand, hw).totals
    assert res.totals.total_cycles == ref.total_cycles and res.totals.energy_uj == ref.energy_uj
    assert split_outliers(by_hand) is by_hand  # nothing left to split
    plain = simulate(Workload("m", (Layer("fc2", "gemm", 16, 12, 40, a_bits=4),)), hw).totals
    assert res.totals.dram_scale_read_bytes - plain.dram_scale_read_bytes == 16


def test_weight_zero_point_row_sums_on_the_array():
    """ppu.zero_point: array: the M * K row sums leave the PPU (zero_point_ops = M * N = 192 corrections only) and
    the array runs one extra filter column of ones (G_w = 1): its cycles are those of a 16 x 13 x 40 GEMM; its MACs
    are counted as zero_point_macs = 16 x 1 x 40 = 640 at the layer's own per-MAC price, so the MAC energy is
    (macs + 640) * mac_pj = macs * mac_pj * 13 / 12. Per-group (g = 8, G_w = 5): 5 extra columns, 16 x 17 x 40."""
    base = make_hw()
    arr = make_hw(ppu={"lanes": 4, "scale_bits": 16, "arithmetic": "fixed", "zero_point": "array"})
    on_ppu = _row(base, m=16, n=12, k=40, w_granularity="channel", w_zero_point=True)
    on_arr = _row(arr, m=16, n=12, k=40, w_granularity="channel", w_zero_point=True)
    wide = _row(base, m=16, n=13, k=40, w_granularity="channel")
    assert on_arr["zero_point_ops"] == 192 and on_ppu["zero_point_ops"] == 640 + 192
    assert on_arr["compute_cycles"] == wide["compute_cycles"] > on_ppu["compute_cycles"]
    assert on_arr["mac_pj"] == on_ppu["mac_pj"]
    assert on_arr["zero_point_macs"] == 640 and on_ppu["zero_point_macs"] == 0
    assert on_arr["energy_mac_pj"] == pytest.approx(16 * 12 * 40 * on_ppu["mac_pj"] * 13 / 12, rel=1e-12)
    assert on_arr["macs"] == 16 * 12 * 40 and on_arr["zero_point_bytes"] == on_ppu["zero_point_bytes"]
    grouped = _row(arr, m=16, n=12, k=40, w_granularity="group:8", w_zero_point=True)
    assert grouped["compute_cycles"] == _row(base, m=16, n=17, k=40, w_granularity="group:8")["compute_cycles"]
    with pytest.raises(Exception, match="ppu.zero_point"):
        make_hw(ppu={"lanes": 4, "zero_point": "dsp"})
