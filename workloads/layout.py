"""Layout layers: the copies a framework makes with no arithmetic (``op: layout``).

A layout layer moves ``elements = m * n * repeat`` elements: it reads each once at ``a_bits`` and writes it once
at ``out_bits`` (a pure copy: a_bits == out_bits; a cast would differ), no arithmetic (0 ops). Its DRAM bytes are
those of any one-input vector op (``simulator.model.traffic.compulsory_dram_bytes``):

    read_bytes  = elements * a_bits / 8        write_bytes = elements * out_bits / 8

The tracer (``workloads.trace``) records one for every aten op that materialises a new tensor from an activation
without computing on it (``contiguous``/``reshape`` of a non-viewable tensor, ``roll``, ``pad``, ``cat``,
``index``/``gather``, ``repeat`` ...; ``op_name`` of the layer says which), and one named ``<op>.copy_in`` where
PyTorch's kernel copies a strided input first (a linear or matmul input that cannot be viewed as a 2-D/3-D matrix, a
softmax or LayerNorm input that is not contiguous). Copies of parameters only (a relative-position-bias gather) are
weight preprocessing, not recorded. Views (permute, transpose, view, slice, expand) move nothing and are not layers.

Who costs them:
* the accelerator simulator and its roofline: **zero** (``without_layout``): an accelerator's address generators
  read the permuted, rolled, padded or windowed tensor in place (strided DMA descriptors), so a layout layer is
  absorbed by addressing. Every workload simulates exactly as it did before layout layers existed.
* a GPU framework profile (``analysis.framework``): a memory kernel reading and writing those bytes, at the width
  of the tensor the framework holds there (FP32 after an FP32 LayerNorm under autocast).

Worked example: Swin-T's first window partition at batch 1 copies 56 x 56 x 96 = 301,056 elements; as FP32
(autocast's LayerNorm output) it reads 1,204,224 bytes and writes 1,204,224 bytes (2,408,448 in all).
"""

from __future__ import annotations

from dataclasses import replace

LAYOUT = "layout"


def is_layout(layer) -> bool:
    return layer.op == LAYOUT


def without_layout(workload):
    """``workload`` without its layout layers (the same object when it has none): what an accelerator runs."""
    if not any(x.op == LAYOUT for x in workload.layers):
        return workload
    return replace(workload, layers=tuple(x for x in workload.layers if x.op != LAYOUT))
