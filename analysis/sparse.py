"""Sparse layers on roofline devices (docs/sparsity.md): the ceiling and the bytes of pruned weights.

An accelerator whose PEs skip a layer's pruned weights (``simulator.model.sparsity.plan``: modes nm, skip,
scalesim) runs it at ``<mode>_sparse`` = the mode's dense peak / the executed fraction (dense-equivalent ops, as
vendors print sparse peaks) and streams what the simulator's kernel streams: (K', bits') of
``simulator.model.sparsity.kernel_k`` (compressed weights with their metadata, dense activations); a decompressor
scales the DRAM filter bytes by (values + metadata) / dense. A GPU running a 2:4 layer at a ``*_sparse`` ceiling
(``gpu_peak``; keys in docs/formats.md) reads the compressed weights: (values + metadata) / dense (0.625 at INT8).
"""

from __future__ import annotations

from dataclasses import replace

from workloads.model import Layer

SKIPPING = ("nm", "skip", "scalesim")


def sparse_plan(layer: Layer, hw, mode):
    """``simulator.model.sparsity.plan`` of a GEMM layer on accelerator ``hw`` in PE ``mode`` (None if dense)."""
    if getattr(layer, "w_sparsity", "dense") == "dense" or not layer.weight_operand:
        return None
    from simulator.energy import hw_tech
    from simulator.model import sparsity as SP

    return SP.plan(layer, hw, hw_tech(hw), mode.a_bits)


def accelerator_peak(layer: Layer, hw, mode, dense, note: str):
    """(ceiling, note) of a GEMM on an accelerator: ``dense`` (a Peak) unless the PEs skip its pruned weights."""
    plan = sparse_plan(layer, hw, mode)
    if plan is None or plan.mode not in SKIPPING:
        return dense, note
    what = f"{plan.pattern} weights skipped by the PEs ({plan.mode}): dense-equivalent peak / {plan.executed_frac:g}"
    return type(dense)(f"{mode.label}_sparse", dense.ops_per_s / plan.executed_frac, dense.source), \
        "; ".join(x for x in (note, what) if x)


def gpu_peak(device, layer: Layer, key: str, note: str):
    """(ceiling, note) of a GEMM on a GPU whose chosen dense ceiling is ``key``: a 2:4 layer runs at
    ``<key>_sparse`` when the device lists it (the note says so), else at ``key`` with a note."""
    if getattr(layer, "w_sparsity", "dense") == "2:4" and layer.weight_operand:
        sparse = device._key(key) + "_sparse"
        if device.has(sparse):
            return device.peak(sparse), "; ".join(x for x in (note, f"2:4 sparse tensor cores ({sparse})") if x)
        note = "; ".join(x for x in (note, f"2:4 weights, no {sparse} ceiling on {device.name}: dense") if x)
    return device.peak(key), note


def sparse_view(device, layer: Layer) -> tuple[Layer, float]:
    """(the layer as ``device`` moves it, DRAM filter-byte factor) for the roofline's bytes (module docstring);
    (layer, 1.0) for dense layers and devices that do not exploit the sparsity."""
    if not layer.is_gemm or not layer.weight_operand or getattr(layer, "w_sparsity", "dense") == "dense":
        return layer, 1.0
    from simulator.model import sparsity as SP

    if device.kind == "accelerator":
        hw = device.hardware
        mode, _ = hw.pe.resolve(layer.dtype, layer.w_bits, layer.a_bits)
        plan = None if mode is None else sparse_plan(layer, hw, mode)
        if plan is None or plan.mode == "dense":
            return layer, 1.0
        if plan.mode == "decompress":
            return layer, plan.dram_filter_scale
        k, w_bits, a_bits = SP.kernel_k(layer, plan, hw.array.cols, str(hw.array.dataflow))
        return replace(layer, k=int(k), w_bits=w_bits, a_bits=a_bits), 1.0
    peak, _ = device.gemm_peak(layer)
    if not peak.key.endswith("_sparse"):
        return layer, 1.0
    values, meta = SP.metadata_bits(layer)
    return layer, (values + meta) / (layer.k * layer.n * layer.w_bits)
