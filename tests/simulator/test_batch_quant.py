"""The batch evaluator equals the one-design path bit for bit on the quantization features of issue 15: zero points
(weights per channel and per group, activations static, per token, on activation operands), outlier channels
(the split GEMM, with and without an exact PE mode for the outlier width), log2 / twin-uniform inputs and binary
or ternary weights on an XNOR-popcount PE. Cases: 6 recipes x 6 structures (one with ppu.zero_point: array) x 4 geometries, every total compared
by its IEEE bits (the same check as tests/simulator/test_batch.py)."""

from __future__ import annotations

import struct
from dataclasses import replace

import pytest

from simulator.engine import simulate_totals
from simulator.hardware import ConfigError
from simulator.loader import load_hardware
from simulator.model.batch import DesignBatch, evaluate
from simulator.schema import TOTAL_NAMES
from workloads import build_model
from workloads.quantize import Recipe

RECIPES = {
    "zp_channel": {"default": {"w_bits": 8, "a_bits": 8, "w_granularity": "channel", "w_zero_point": True,
                               "a_zero_point": True}},
    "zp_group_token": {"default": {"w_bits": 4, "a_bits": 8, "w_granularity": "group:64", "w_zero_point": True,
                                   "a_granularity": "token", "a_zero_point": True}},
    "outliers": {"default": {"w_bits": 4, "a_bits": 4},
                 "rules": [{"match": "*.mlp.fc2", "outlier_channels": 16, "outlier_bits": 8},
                           {"match": "*.attn.proj", "outlier_channels": 3, "outlier_bits": 6, "a_zero_point": True}]},
    "log2_twin": {"default": {"w_bits": 8, "a_bits": 8},
                  "rules": [{"match": "*.mlp.fc2", "a_quantizer": "twin_uniform"},
                            {"match": "*.attn.proj", "a_quantizer": "log2"}]},
    "binary_all": {"default": {"w_bits": 1, "w_quantizer": "binary", "a_bits": 8},
                   "rules": [{"match": "blocks.*.mlp.fc2", "w_bits": 2, "w_quantizer": "ternary"}]},
    "binary": {"default": {"w_bits": 8, "a_bits": 8},
               "rules": [{"match": "blocks.*.mlp.fc*", "w_bits": 1, "w_quantizer": "binary"},
                         {"match": "blocks.*.attn.qkv", "w_bits": 2, "w_quantizer": "ternary"}]},
}
PE = {
    "base": None,
    "scalable": {"type": "scalable", "acc_bits": 32, "precisions": [{"w_bits": 8, "a_bits": 8}, {"w_bits": 4, "a_bits": 8},
                                                                   {"w_bits": 4, "a_bits": 4}]},
    "fixed_w8a8": {"type": "fixed", "acc_bits": 32, "precisions": [{"w_bits": 8, "a_bits": 8}]},
    "xnor": {"type": "xnor", "acc_bits": 24, "precisions": [{"w_bits": 1, "a_bits": 8, "macs_per_cycle": 8},
                                                             {"w_bits": 2, "a_bits": 8, "macs_per_cycle": 4}]},
    "bitserial": {"type": "bitserial", "acc_bits": 24, "serial_operand": "a",
                  "precisions": [{"w_bits": 8, "a_bits": 8}]},
}
GEOMETRIES = [(8, 8, 4.0), (16, 32, 64.0), (48, 20, 0.5), (64, 64, 512.0)]


def _hw_variants():
    from simulator.hardware import hardware_from_dict

    base = load_hardware("int4")
    out = []
    for name, pe in PE.items():
        if pe is None:
            out.append(base)
            continue
        d = base.to_dict()
        d["pe"] = pe
        out.append(hardware_from_dict(d, f"{name}.yaml"))
    d = base.to_dict()
    d["ppu"] = {**d["ppu"], "zero_point": "array"}  # weight-zero-point row sums on the array
    out.append(hardware_from_dict(d, "zp_on_array.yaml"))
    return out


def _designs(hw):
    out = []
    for rows, cols, kib in GEOMETRIES:
        out.append(replace(hw, array=replace(hw.array, rows=rows, cols=cols),
                           buffers=replace(hw.buffers, ifmap_kib=kib, weight_kib=kib, ofmap_kib=kib),
                           ppu=replace(hw.ppu, lanes=max(1, rows // 8))))
    return out


def _bits(x: float) -> bytes:
    return struct.pack("<d", x)


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_batch_equals_single_path_on_quant_features(recipe):
    rec = Recipe.from_dict({"name": recipe, **RECIPES[recipe]}, f"{recipe}.yaml")
    w = rec.apply(build_model("deit_tiny", batch=2))
    designs = [d for hw in _hw_variants() for d in _designs(hw)]
    totals, errors = evaluate(w, DesignBatch.from_hardware(designs))
    ok = 0
    for i, hw in enumerate(designs):
        try:
            ref = simulate_totals(w, hw)
        except ConfigError as e:
            assert errors[i] == f"{e.field}: {e.problem}"
            continue
        assert errors[i] == ""
        for name in TOTAL_NAMES:
            assert _bits(float(totals[name][i])) == _bits(float(getattr(ref, name))), (recipe, i, name)
        ok += 1
    assert ok >= len(GEOMETRIES) * (1 if recipe == "binary_all" else 2)
