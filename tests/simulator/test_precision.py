"""PE precision: bit-serial time ~ bits, scalable packing, accumulator width, promotion, TOPS per precision."""

import pytest
from conftest import HWCONFIGS
from test_hardware import make_hw

from simulator import load_hardware, simulate, simulate_totals
from workloads import load_workload
from workloads.model import Layer, Workload

SERIAL = {"type": "bitserial", "serial_operand": "a", "precisions": [{"w_bits": 8, "a_bits": 8}]}


def _row(hw, **kw):
    layer = Layer("g", kw.pop("op", "gemm"), **kw)
    return simulate(Workload("m", (layer,)), hw).layers.iloc[0]


@pytest.mark.parametrize("dataflow, fill", [("os", 4 + 4 - 2), ("ws", 2 * 4 + 4 - 2), ("is", 2 * 4 + 4 - 2)])
@pytest.mark.parametrize("a_bits", [8, 4, 2])
def test_bitserial_takes_bits_times_the_cycles(dataflow, fill, a_bits):
    """4x4 array, M = N = 4, K = 4 (one fold for every dataflow). Bit-parallel: lines = T + fill, compute =
    lines - 1 with T = 4 the temporal dimension; bit-serial in a: T * a_bits + fill. The part that
    scales with the data, compute + 1 - fill, is exactly a_bits times larger (e.g. os, a = 8: 32 vs 4)."""
    arr = {"rows": 4, "cols": 4, "dataflow": dataflow}
    par = _row(make_hw(array=arr), m=4, n=4, k=4, w_bits=8, a_bits=8)
    ser = _row(make_hw(array=arr, pe=SERIAL), m=4, n=4, k=4, w_bits=8, a_bits=a_bits)
    assert par["compute_cycles"] + 1 - fill == 4
    assert ser["compute_cycles"] + 1 - fill == 4 * a_bits
    assert ser["macs_per_pe_cycle"] == pytest.approx(1 / a_bits) and not ser["promoted"]


def test_scalable_packs_k():
    """os 4x4, K = 64: W8A8 lines 64 + 6, W4A8 32 + 6, W4A4 16 + 6 (K' = K / p)."""
    hw = make_hw(pe={"type": "scalable", "precisions": [{"w_bits": 8, "a_bits": 8}, {"w_bits": 4, "a_bits": 8},
                                                          {"w_bits": 4, "a_bits": 4}]})
    cycles = [_row(hw, m=4, n=4, k=64, w_bits=w, a_bits=a)["compute_cycles"] for w, a in ((8, 8), (4, 8), (4, 4))]
    assert cycles == [64 + 6 - 1, 32 + 6 - 1, 16 + 6 - 1]


def test_accumulator_width_sets_partial_sum_traffic():
    """ws 4x4 with K = 64: 16 reduction folds; non-final partial sums are written and read back at the
    accumulator width, so 16-bit accumulators move exactly half the partial-sum bytes of 32-bit ones.
    A layer asking for 32 bits on a 16-bit-accumulator PE uses the PE's 16."""
    hw = make_hw(array={"rows": 4, "cols": 4, "dataflow": "ws"})
    r32 = _row(hw, m=8, n=4, k=64, acc_bits=32)
    r16 = _row(hw, m=8, n=4, k=64, acc_bits=16)
    assert r32["sram_ofmap_read_bytes"] > 0
    assert r16["sram_ofmap_read_bytes"] == pytest.approx(r32["sram_ofmap_read_bytes"] / 2)
    hw16 = make_hw(array={"rows": 4, "cols": 4, "dataflow": "ws"},
                   pe={"type": "fixed", "acc_bits": 16, "precisions": [{"w_bits": 8, "a_bits": 8}]})
    assert _row(hw16, m=8, n=4, k=64, acc_bits=32)["acc_bits_used"] == 16


def test_promotion_uses_the_wider_mode_energy():
    """W4A4 on a fixed INT8 PE runs as W8A8: same cycles and MAC energy as an INT8 layer."""
    hw = make_hw()
    a = _row(hw, m=8, n=8, k=8, w_bits=4, a_bits=4)
    b = _row(hw, m=8, n=8, k=8, w_bits=8, a_bits=8)
    assert a["promoted"] and a["pe_precision"] == "w8a8"
    assert a["mac_pj"] == b["mac_pj"] and a["compute_cycles"] == b["compute_cycles"]


def test_peak_and_effective_tops_per_precision():
    """mixed recipe on the mixed array: W4A8 and W8A8 layers; peak 16.4 / 8.2 TOPS; effective below peak."""
    hw = load_hardware(HWCONFIGS / "mixed.yaml")
    t = simulate_totals(load_workload("deit_small-mixed"), hw)
    assert t["peak_tops_by_precision"] == {"w8a8": pytest.approx(8.192), "w4a8": pytest.approx(16.384)}
    eff = t["effective_tops_by_precision"]
    assert set(eff) == {"w8a8", "w4a8"}
    assert all(eff[k] < t["peak_tops_by_precision"][k] for k in eff)
    assert t["peak_tops"] == pytest.approx(16.384)
