"""Sparse workloads on sparse designs: the batch evaluator equals the one-design path bit for bit.

Designs: int4 and int8 bases x sparsity sections (2:4 PEs, 2:4 + 4:8 PEs, unstructured skipping, a decompressor,
zero-skipping, SCALE-Sim's convention, none) x dataflow (os, ws, is) x geometries (rows/cols not powers of two, so
the load imbalance differs per design). Workloads: DeiT-Tiny at 2:4 (w4a4 and w8a8), 1:4 and 4:8 patterns,
unstructured weights in each storage format with declared densities and one with a measured mask (``w_col_nnz``),
block sparsity, activation densities, and EViT token pruning. Every total of ``simulator.schema.TOTAL_NAMES`` is
compared by its IEEE bits.
"""

from __future__ import annotations

import random
import struct
from dataclasses import replace

from simulator.engine import simulate_totals
from simulator.hardware import hardware_from_dict
from simulator.loader import load_hardware
from simulator.model.batch import DesignBatch, evaluate
from simulator.schema import TOTAL_NAMES
from workloads import load_recipe, load_workload

SECTIONS = ({"structured": ["2:4"]}, {"structured": ["2:4", "4:8"], "zero_skip": True}, {"unstructured": True},
            {"decompress": True}, {"structured": ["2:4"], "convention": "scalesim"}, {})
GEOMETRIES = ((16, 24), (64, 64), (7, 33))


def _designs(base: str) -> list:
    d0 = load_hardware(base).to_dict()
    out = []
    for section in SECTIONS:
        for df in ("os", "ws", "is"):
            for rows, cols in GEOMETRIES:
                d = dict(d0, sparsity=section, array=dict(d0["array"], dataflow=df, rows=rows, cols=cols))
                out.append(hardware_from_dict(d, "test"))
    return out


def _workloads() -> list:
    tiny4, tiny8 = load_workload("deit_tiny-w4a4"), load_workload("deit_tiny-w8a8")
    rng = random.Random(3)
    fmts = ("bitmask", "csr", "csc", "rle", "rle:3")
    unst, pats = [], []
    for i, layer in enumerate(tiny8.layers):
        if layer.op == "gemm" and layer.name.startswith("blocks."):
            if i % 3 == 0:
                nnz = tuple(rng.randint(0, layer.k // 2) for _ in range(layer.n))
                unst.append(replace(layer, w_sparsity="unstructured", w_density=sum(nnz) / (layer.k * layer.n),
                                    w_col_nnz=nnz))
            elif i % 3 == 1:
                unst.append(replace(layer, w_sparsity="block:8", w_density=0.4, a_density=0.6))
            else:
                unst.append(replace(layer, w_sparsity="unstructured", w_density=0.1 + 0.1 * (i % 7),
                                    w_format=fmts[i % len(fmts)]))
            pats.append(replace(layer, w_sparsity=("1:4", "4:8", "2:8")[i % 3], a_density=0.5))
        else:
            unst.append(layer)
            pats.append(layer)
    return [load_recipe("w4a4_2of4").apply(tiny4), load_recipe("w8a8_2of4").apply(tiny8),
            replace(tiny8, layers=tuple(unst)), replace(tiny8, layers=tuple(pats)),
            load_recipe("w8a8_tokens70").apply(tiny8).with_batch(2)]


def test_sparse_batch_equals_single_path():
    compared = 0
    for base in ("int4", "int8"):
        designs = _designs(base)
        batch = DesignBatch.from_hardware(designs)
        for w in _workloads():
            out, errors = evaluate(w, batch)
            for i, hw in enumerate(designs):
                t = simulate_totals(w, hw)
                assert errors[i] == ""
                for name in TOTAL_NAMES:
                    assert struct.pack("<d", float(t[name])) == struct.pack("<d", float(out[name][i])), (i, name)
                compared += 1
    assert compared == 2 * len(SECTIONS) * 3 * len(GEOMETRIES) * 5
