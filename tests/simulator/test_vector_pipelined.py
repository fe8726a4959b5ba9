"""Pipelined vector lanes (``vector.pipelined``, simulator/vector.py): cycles = passes over the data per op, the
energy of the same primitive ops, the area of a functional unit per primitive op (simulator/area.py); the default
(false) unchanged; a ``cycles_per_element`` override still wins."""

import copy
import math

import pytest
from test_hardware import make_hw

import hwconfigs
from simulator import simulate, simulate_totals
from simulator.energy import hw_costs
from simulator.hardware import ConfigError, hardware_from_dict
from simulator.loader import load_hardware
from simulator.vector import element_ops, passes
from workloads import load_workload
from workloads.io import read_structured
from workloads.model import VECTOR_OPS, Layer, Workload

INTEGER = {"softmax": "integer", "gelu": "integer", "layernorm": "integer"}


def _layer(hw, op, m, n):
    return simulate(Workload("m", (Layer("v", op, m=m, n=n),)), hw).layers.iloc[0]


@pytest.mark.parametrize("op, m, n, pipelined_cycles, sequential_cycles", [
    # DeiT-S shapes on 64 lanes: elements x cycles/element / 64, rounded up (hand-computed)
    ("softmax", 197 * 6, 197, 10_916, 43_661),    # 232,854 el.: x 3 passes; Shiftmax 12 ops: 2,794,248 / 64
    ("layernorm", 197, 384, 2_364, 9_456),         # 75,648 el.: x 2 passes = 151,296 / 64; I-LayerNorm 8 ops
    ("gelu", 197, 1536, 4_728, 85_104),            # 302,592 el.: x 1 pass; ShiftGELU 18 ops: 5,446,656 / 64
    ("mul", 197, 384, 1_182, 2_364),               # 75,648 el.: 1 pass; mul = 1 int_mult + 1 int_add, 2 cycles
])
def test_pipelined_cycles_hand_computed(op, m, n, pipelined_cycles, sequential_cycles):
    """compute_cycles = ceil(elements x passes / lanes) pipelined, ceil(elements x op count / lanes) sequential;
    the energy is the same (the same primitive ops execute)."""
    pipe = _layer(make_hw(vector={"lanes": 64, "pipelined": True}, nonlinear=INTEGER), op, m, n)
    seq = _layer(make_hw(vector={"lanes": 64}, nonlinear=INTEGER), op, m, n)
    assert pipe["compute_cycles"] == pipelined_cycles
    assert seq["compute_cycles"] == sequential_cycles
    assert pipe["cycles_per_element"] == {"softmax": 3, "layernorm": 2, "gelu": 1, "mul": 1}[op]
    assert pipe["energy_vector_pj"] == seq["energy_vector_pj"] > 0


def test_topk_passes_radix_select():
    """topk on 8-bit scores: 8 counting passes + 1 compare pass = 9 cycles/element pipelined (17 primitive ops
    sequential: 8 shifts + 9 adds); a row of 196 scores on 64 lanes: ceil(196 x 9 / 64) = 28 cycles."""
    assert passes("topk", 8) == 9 and sum(element_ops("topk", "integer", "int", 8).values()) == 17
    assert passes("topk", 4) == 5
    assert _layer(make_hw(vector={"lanes": 64, "pipelined": True}), "topk", 1, 196)["compute_cycles"] == 28
    assert _layer(make_hw(vector={"lanes": 64}), "topk", 1, 196)["compute_cycles"] == 53   # ceil(3,332 / 64)


def test_override_wins_over_passes():
    """vector.cycles_per_element beats the passes: softmax at 5 cycles on 4 lanes, 64 x 64 elements: 5,120."""
    hw = make_hw(vector={"lanes": 4, "pipelined": True, "cycles_per_element": {"softmax": 5}})
    assert _layer(hw, "softmax", 64, 64)["compute_cycles"] == 64 * 64 * 5 // 4
    assert _layer(hw, "gelu", 64, 64)["compute_cycles"] == 64 * 64 * 1 // 4     # no override: 1 pass


def test_pipelined_lane_area_hand_computed():
    """I-ViT integer ops, horowitz45 (A_add(32) = 137 um^2, A_mult(16, 16) = 4 x 282 = 1,128 um^2): Shiftmax
    6 add + 5 shift + 1 mult, ShiftGELU 7 add + 9 shift + 2 mult, I-LayerNorm 4 add + 1 shift + 3 mult, the
    elementwise pipeline 1 add + 1 shift + 1 mult: 34 x 137 + 7 x 1,128 = 12,554 um^2 per lane; 4 lanes
    0.050216 mm^2, against the shared integer lane's 4 x (1,128 + 2 x 137) = 0.005608 mm^2."""
    pipe = hw_costs(make_hw(vector={"lanes": 4, "pipelined": True}, nonlinear=INTEGER)).area
    seq = hw_costs(make_hw(vector={"lanes": 4}, nonlinear=INTEGER)).area
    assert pipe["area_vector_mm2"] == pytest.approx(4 * 12_554 / 1e6, rel=1e-12)
    assert seq["area_vector_mm2"] == pytest.approx(4 * 1_402 / 1e6, rel=1e-12)
    assert pipe["area_mm2"] - seq["area_mm2"] == pytest.approx(4 * (12_554 - 1_402) / 1e6, rel=1e-9)


def test_pipelined_lane_area_lut_and_float():
    """softmax lut (3 add, 1 shift, 1 mult, 1 table), GELU lut at 8 bits (1 table), LayerNorm float on integer
    tensors (FP32 core 4 fp_add + 3 fp_mult, wrap 2 converts + 2 fp_mult; a convert is an FP32 adder), elementwise
    1 add + 1 shift + 1 mult: (3 + 1 + 1 + 1) x 137 + 2 x 1,128 + 2 x 0.5 KiB x 5,669 um^2/KiB + (4 + 2) x 4,184
    + 5 x 7,700 = 822 + 2,256 + 5,669 + 25,104 + 38,500 = 72,351 um^2 per lane."""
    hw = make_hw(vector={"lanes": 1, "pipelined": True},
                 nonlinear={"softmax": "lut", "gelu": "lut", "layernorm": "float"})
    assert hw_costs(hw).area["area_vector_mm2"] == pytest.approx(72_351 / 1e6, rel=1e-12)


def test_pipelined_must_be_a_bool():
    with pytest.raises(ConfigError) as e:
        make_hw(vector={"lanes": 4, "pipelined": "yes"})
    assert "\n" not in str(e.value) and "vector.pipelined" in str(e.value) and "'yes'" in str(e.value)
    assert "true, false" in str(e.value)


WORKLOADS = ("deit_small-w4a4", "deit_tiny-w8a8", "deit_small-w8a8_tokens70")


PIPELINED_CONFIGS = {"int4_sparse", "me_vit", "zcu102_int8"}   # the shipped configs that declare vector.pipelined: true


def test_only_the_named_configs_declare_pipelined_lanes():
    declared = {n for n in hwconfigs.names() if "pipelined" in read_structured(hwconfigs.find(n)).get("vector", {})}
    assert declared == PIPELINED_CONFIGS


@pytest.mark.parametrize("name", [n for n in hwconfigs.names() if n not in PIPELINED_CONFIGS
                                  and not hasattr(load_hardware(n), "engines")])   # chips: test_engines.py
def test_default_is_sequential_op_counts(name):
    """Every shipped config that leaves vector.pipelined out (all but PIPELINED_CONFIGS): each vector layer costs the
    sum of its op counts (or the config's override), and writing ``pipelined: false`` changes no total."""
    base = read_structured(hwconfigs.find(name))
    hw = load_hardware(name)
    d = copy.deepcopy(base)
    d["vector"]["pipelined"] = False
    explicit = hardware_from_dict(d, "explicit.yaml")
    for wn in WORKLOADS:
        w = load_workload(wn)
        r = simulate(w, hw).layers.set_index("name")
        vec = [layer for layer in w.layers if layer.op in VECTOR_OPS]
        assert len(vec) > 0
        for layer in vec:
            over = hw.vector.override(layer.op)
            post = hw.nonlinear.post_softmax if layer.op == "softmax" else "uniform"
            counts = element_ops(layer.op, r.loc[layer.name, "impl"], layer.dtype, layer.a_bits, post)
            expect = over if over is not None else sum(counts.values())
            assert r.loc[layer.name, "cycles_per_element"] == expect, (name, wn, layer.name)
        assert simulate_totals(w, explicit).to_dict() == simulate_totals(w, hw).to_dict()


def test_int4_numbers_as_before():
    """Pinned before pipelined lanes existed (docs/sparsity.md's first row), each layer alone (vector.overlap none,
    memory.prefetch layer, the default then) and with DRAM at its full rate (``dram.efficiency`` 1.0, as then):
    DeiT-S W4A4 on int4.yaml 2,957,962 cycles; DeiT-S W4A4 2:4 on int4.yaml + 2:4 PEs (int4_sparse.yaml as first
    shipped) 2,686,054. As shipped now (the overlap derived from int4.yaml's buffers: the vector unit beside the
    GEMMs, weights prefetched across layers; the LPDDR4 at its sourced achievable 0.685): 2,414,059 (each alone:
    2,266,307 with the derived overlap at DRAM's full rate, 3,164,067 at 0.685 with each layer alone)."""
    w = load_workload("deit_small-w4a4")
    assert math.floor(simulate_totals(w, load_hardware("int4")).total_cycles) == 2_414_059
    d = copy.deepcopy(read_structured(hwconfigs.find("int4")))
    d["vector"]["overlap"] = "none"
    d["memory"] = {"prefetch": "layer"}
    d["dram"]["efficiency"] = 1.0
    assert math.floor(simulate_totals(w, hardware_from_dict(d, "int4_alone.yaml")).total_cycles) == 2_957_962
    d["sparsity"] = {"structured": ["2:4"]}
    old = hardware_from_dict(d, "int4_sparse_as_first_shipped.yaml")
    assert math.floor(simulate_totals(load_workload("deit_small-w4a4_2of4"), old).total_cycles) == 2_686_054
