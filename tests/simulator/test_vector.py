"""Non-linear ops by implementation (float / integer / lut), post-softmax quantizers, vector costs."""

import pytest
from test_hardware import make_hw

from simulator import simulate
from simulator.energy import load_tech
from simulator.model.price import ops_energy_pj
from simulator.vector import element_ops, vector_cycles
from workloads import build_model
from workloads.model import Layer, Workload

PRIMS = load_tech("horowitz45").primitives()


def ops_cost(counts, prims):
    """(cycles per element per lane, pJ per element) of an op-count dict."""
    return float(sum(counts.values())), ops_energy_pj(counts, prims)


def _vec(hw, op="softmax", **kw):
    return simulate(Workload("m", (Layer("v", op, m=kw.pop("m", 64), n=kw.pop("n", 64), **kw),)), hw).layers.iloc[0]


def test_softmax_costs_hand_computed():
    """INT8 softmax, float: FP32 core (7 add, 5 mult) + dequant/requant (2 convert, 2 mult):
    16 ops = 16 cycles/element, 7*0.9 + 7*3.7 + 2*0.9 = 34.0 pJ.
    Integer (Shiftmax): 6 add + 5 shift + one 16x16 mult: 12 cycles, 6*0.1 + 5*0.1 + 0.8 = 1.9 pJ."""
    assert ops_cost(element_ops("softmax", "float", "int", 8), PRIMS) == pytest.approx((16, 34.0))
    assert ops_cost(element_ops("softmax", "integer", "int", 8), PRIMS) == pytest.approx((12, 1.9))


def test_integer_softmax_cheaper_than_float_on_the_same_unit():
    lf = _vec(make_hw(nonlinear={"softmax": "float"}))
    li = _vec(make_hw(nonlinear={"softmax": "integer"}))
    assert li["energy_vector_pj"] < lf["energy_vector_pj"] and li["compute_cycles"] < lf["compute_cycles"]
    assert lf["compute_cycles"] == vector_cycles(64 * 64, 16, 4) == 64 * 64 * 16 // 4


@pytest.mark.parametrize("op", ["softmax", "gelu", "layernorm"])
def test_every_nonlinear_op_float_costs_most(op):
    costs = {impl: ops_cost(element_ops(op, impl, "int", 8), PRIMS)[1] for impl in ("float", "integer", "lut")}
    assert costs["float"] > max(costs["integer"], costs["lut"])


def test_gelu_lut_direct_and_interpolated():
    """8-bit input: one 256-entry lookup (0.13 pJ, 1 cycle); 16-bit input: two lookups + interpolation."""
    assert ops_cost(element_ops("gelu", "lut", "int", 8), PRIMS) == pytest.approx((1, 0.13))
    assert element_ops("gelu", "lut", "int", 16) == {"lut": 2, "int_mult": 1, "int_add": 2}


def test_float_tensors_skip_dequantization():
    """FP16 workloads run the FP32 core only, whatever the configured implementation."""
    assert element_ops("softmax", "integer", "fp", 16) == {"fp_add": 7, "fp_mult": 5}
    hw = make_hw(nonlinear={"softmax": "integer"})
    assert _vec(hw, dtype="fp", a_bits=16, out_bits=16)["impl"] == "float"


def test_cycles_override_from_config():
    hw = make_hw(vector={"lanes": 4, "cycles_per_element": {"softmax": 2}})
    assert _vec(hw)["compute_cycles"] == 64 * 64 * 2 // 4


def test_post_softmax_log2_changes_attn_v_bits_and_cost():
    """log2 at 4 bits: softmax writes 4-bit codes, attn@v reads them (a_bits 4) and its multiplier becomes a
    shifter: MAC energy 0.1 * 8/32 (shift of v) + 0.1 (acc) instead of 0.2 * 32/64 + 0.1. q@k^T is untouched."""
    w = build_model("deit_tiny", "w8a8")
    uni = simulate(w, make_hw(pe={"type": "fixed", "precisions": [{"w_bits": 8, "a_bits": 8},
                                                                  {"w_bits": 8, "a_bits": 4}]}))
    log = simulate(w, make_hw(pe={"type": "fixed", "precisions": [{"w_bits": 8, "a_bits": 8},
                                                                  {"w_bits": 8, "a_bits": 4}]},
                              nonlinear={"post_softmax": "log2", "post_softmax_bits": 4}))
    av_u = uni.layers.set_index("name").loc["blocks.0.attn.av"]
    av_l = log.layers.set_index("name").loc["blocks.0.attn.av"]
    assert av_u["a_bits"] == 8 and av_l["a_bits"] == 4
    assert log.layers.set_index("name").loc["blocks.0.attn.softmax", "out_bits"] == 4
    assert log.layers.set_index("name").loc["blocks.0.attn.qk", "a_bits"] == 8
    reg = 0.001125 * (4 + 8 + 32)
    assert av_l["mac_pj"] == pytest.approx(0.1 * 8 / 32 + 0.1 + reg)
    assert av_l["dram_ifmap_read_bytes"] <= av_u["dram_ifmap_read_bytes"] / 2


def test_twin_uniform_costs_a_shift():
    """twin-uniform (PTQ4ViT): +1 compare and +1 shift per softmax element; +1 alignment shift per attn@v MAC."""
    assert element_ops("softmax", "integer", "int", 8, "twin_uniform") == {"int_add": 7, "shift": 6, "int_mult": 1}
    w = build_model("deit_tiny", "w8a8")
    u = simulate(w, make_hw()).layers.set_index("name")
    t = simulate(w, make_hw(nonlinear={"post_softmax": "twin_uniform"})).layers.set_index("name")
    assert t.loc["blocks.0.attn.av", "mac_pj"] == pytest.approx(u.loc["blocks.0.attn.av", "mac_pj"] + 0.1 * 16 / 32)
    assert t.loc["blocks.0.attn.qk", "mac_pj"] == u.loc["blocks.0.attn.qk", "mac_pj"]
