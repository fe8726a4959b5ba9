"""Area: PE by type and precision, SRAM per KiB, vector and PPU lanes; grows with array and buffers."""

import pytest
from conftest import HWCONFIGS
from test_hardware import make_hw

from simulator import load_hardware
from simulator.area import area_breakdown, pe_um2
from simulator.energy import hw_costs, load_tech

T = load_tech("horowitz45")


def test_fixed_int8_pe_hand_computed():
    """282 (8x8 mult) + 137 (32b add) + (8 + 8 + 32) * 4.522 (flip-flops) = 636.056 um^2."""
    assert pe_um2(T, make_hw()) == pytest.approx(282 + 137 + 48 * 4.522)


def test_pe_area_by_type():
    """scalable 8x8 with p_max 4 adds 3 tree adders of 16 bits (3 * 137/2); float FP16 + FP32 add;
    bit-serial 8-bit parallel operand: 282/8 + 137 + 48 * 4.522."""
    sc = make_hw(pe={"type": "scalable", "precisions": [{"w_bits": 8, "a_bits": 8}, {"w_bits": 4, "a_bits": 4}]})
    assert pe_um2(T, sc) == pytest.approx(282 + 137 + 48 * 4.522 + 3 * 137 * 16 / 32)
    fl = make_hw(pe={"type": "float", "precisions": [{"w_bits": 16, "a_bits": 16}]})
    assert pe_um2(T, fl) == pytest.approx(1640 + 4184 + 64 * 4.522)
    bs = make_hw(pe={"type": "bitserial", "precisions": [{"w_bits": 8, "a_bits": 8}]})
    assert pe_um2(T, bs) == pytest.approx(282 / 8 + 137 + 48 * 4.522)
    assert pe_um2(T, bs) < pe_um2(T, make_hw()) < pe_um2(T, sc) < pe_um2(T, fl)


def test_sram_and_breakdown_sum():
    """SRAM 192 KiB * 0.005669 mm^2/KiB; the parts add up to area_mm2."""
    a = area_breakdown(T, make_hw())
    assert a["area_sram_mm2"] == pytest.approx(192 * 0.005669)
    assert a["area_mm2"] == pytest.approx(a["area_pe_mm2"] + a["area_sram_mm2"] + a["area_vector_mm2"]
                                          + a["area_ppu_mm2"])
    assert a["area_pe_mm2"] == pytest.approx(16 * a["pe_um2"] / 1e6)


def test_area_grows_with_array_and_buffers():
    small = hw_costs(make_hw()).area["area_mm2"]
    wide = hw_costs(make_hw(array={"rows": 8, "cols": 8, "dataflow": "os"})).area["area_mm2"]
    big_buf = hw_costs(make_hw(buffers={"ifmap_kib": 128, "weight_kib": 64, "ofmap_kib": 64})).area["area_mm2"]
    assert wide > small and big_buf > small
    assert big_buf - small == pytest.approx(64 * 0.005669)


def test_vector_lane_area_follows_implementations():
    """A float non-linear op adds an FP32 multiplier and adder per lane; integer-only lanes are smaller."""
    f = hw_costs(make_hw(nonlinear={"softmax": "float"})).area["area_vector_mm2"]
    i = hw_costs(make_hw(nonlinear={"softmax": "integer", "gelu": "integer", "layernorm": "integer"})).area
    assert f - i["area_vector_mm2"] == pytest.approx(4 * (7700 + 4184) / 1e6)


def test_node_scaling_of_area():
    a45 = hw_costs(make_hw()).area["area_mm2"]
    a28 = hw_costs(make_hw(tech={"table": "horowitz45", "node_nm": 28})).area["area_mm2"]
    assert a28 == pytest.approx(a45 * (28 / 45) ** 2)


def test_totals_report_area():
    from simulator import simulate_totals
    from workloads import load_workload

    hw = load_hardware(HWCONFIGS / "int4.yaml")
    t = simulate_totals(load_workload("deit_tiny-w4a4"), hw)
    assert t["area_mm2"] == pytest.approx(hw_costs(hw).area["area_mm2"]) and t["area_mm2"] > 0


def test_lut_tables_cost_sram_area():
    """Each op run as lut adds a 256 x 16-bit table (0.5 KiB at 0.005669 mm^2/KiB) per lane (4 lanes)."""
    i = hw_costs(make_hw(nonlinear={"softmax": "integer", "gelu": "integer", "layernorm": "integer"})).area
    two = hw_costs(make_hw(nonlinear={"softmax": "lut", "gelu": "lut", "layernorm": "integer"})).area
    assert two["area_vector_mm2"] - i["area_vector_mm2"] == pytest.approx(4 * 2 * 0.5 * 0.005669)
