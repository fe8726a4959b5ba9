"""The XNOR-popcount PE (``pe.type: xnor``): binary and ternary weights, energy and area from the technology table
by the formulas of simulator/energy.py and simulator/area.py, worked by hand on horowitz45 (int_mult_8x8 0.2 pJ,
282 um^2; int_add_32 0.1 pJ, 137 um^2; flip-flop 4.522 um^2 per bit)."""

import pytest
from test_hardware import make_hw

from simulator import simulate
from simulator.area import pe_um2
from simulator.energy import hw_tech, mac_arith_pj
from simulator.hardware import ConfigError
from workloads.model import Layer, Workload

XNOR = {"type": "xnor", "acc_bits": 24, "precisions": [{"w_bits": 1, "a_bits": 8, "macs_per_cycle": 8}]}


def test_xnor_mac_energy_by_hand():
    """w1a8, p = 8, acc 24: E_mult(1, 8) = 0.2 * 8 / 64 = 0.025; popcount E_add(8) = 0.1 * 8 / 32 = 0.025;
    accumulate E_add(24) / 8 = 0.075 / 8 = 0.009375 -> 0.059375 pJ; ternary (w = 2): 0.05 + 0.05 + 0.009375."""
    tech = hw_tech(make_hw(pe=XNOR))
    assert mac_arith_pj(tech, "xnor", "int", 1, 8, 24, 8.0) == pytest.approx(0.059375)
    assert mac_arith_pj(tech, "xnor", "int", 2, 8, 24, 8.0) == pytest.approx(0.109375)
    assert mac_arith_pj(tech, "xnor", "int", 1, 8, 24, 8.0) < mac_arith_pj(tech, "fixed", "int", 8, 8, 24, 1.0) / 4


def test_xnor_pe_area_by_hand():
    """8 lanes of (A_mult(1, 8) = 282 * 8 / 64 = 35.25 + popcount A_add(8) = 137 * 8 / 32 = 34.25) = 556,
    accumulator A_add(24) = 102.75, registers (1 + 8 + 24) * 4.522 = 149.226: 807.976 um^2."""
    hw = make_hw(pe=XNOR)
    assert pe_um2(hw_tech(hw), hw) == pytest.approx(807.976)


def test_binary_layer_runs_and_uniform_is_refused():
    """A binary w1a8 layer runs at 8 MACs per PE cycle; a uniform-weight layer is a one-line ConfigError, and a
    PE mode wider than 2 weight bits is refused when the config loads."""
    hw = make_hw(pe=XNOR)
    row = simulate(Workload("m", (Layer("b", "gemm", 16, 12, 40, w_bits=1, w_quantizer="binary"),)), hw).layers
    assert row.iloc[0]["macs_per_pe_cycle"] == 8
    assert row.iloc[0]["mac_pj"] == pytest.approx(0.059375 + hw_tech(hw).reg_pj_per_bit * (8 + 1 + 24 / 8))  # os: a + w + acc/p
    with pytest.raises(ConfigError, match="binary or ternary"):
        simulate(Workload("m", (Layer("u", "gemm", 16, 12, 40, w_bits=1, w_zero_point=True),)), hw)
    with pytest.raises(ConfigError, match="xnor"):
        make_hw(pe={"type": "xnor", "acc_bits": 24, "precisions": [{"w_bits": 4, "a_bits": 8}]})
