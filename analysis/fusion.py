"""Kernel fusion of the fused runtimes (``torch_compile``, ``tensorrt``): which lowered layers run as one kernel, and
at what width each tensor crosses DRAM.

Input: a profile's lowered layers and skips (``analysis.framework.lower``). Output: the same layers (narrower where
the runtime keeps INT8 tensors) and skips where every layer that runs inside the kernel of an earlier layer (its
head) carries the token ``fused`` and the operands it keeps on chip:

* attention kernel (both runtimes): a fused attention's ``qk`` (its ``ofmap`` kept on chip) heads it; its score ops,
  softmax and ``av`` are members (one kernel: FlashAttention/SDPA, TensorRT/FasterTransformer fused MHA).
* ``inductor`` (torch.compile, default mode): GEMMs stay cuBLAS calls (no epilogue fusion); every maximal run of
  other layers between two GEMM/attention kernels (pointwise ops, casts, copies, LayerNorm, unfused softmax, a
  depthwise conv, which inductor generates) is ONE generated kernel; a copy that ends such a run right before a GEMM
  is not made (the strided view goes to cuBLAS), nor the NCHW copies eager PyTorch makes around a depthwise conv.
* ``tensorrt``: a kernel (a GEMM, a LayerNorm, any other non-GEMM layer) absorbs the elementwise layers after it
  (``EPILOGUE``: GELU, residual add, multiply, quantize, copies): bias/activation/residual/quantize epilogues;
  LayerNorm starts its own kernel. INT8 tensors between kernels (``int8_tensors``): a tensor an INT8 GEMM reads is
  written at the GEMM's activation width by its producer (the quantize in the producer's epilogue).
* weight casts (``*.weight_cast``) stay their own kernels.

Bytes inside a (non-attention) kernel: a member reads its main input from the layer before it (``ifmap`` kept), and
a layer's output is written only when it leaves the kernel (the kernel's last layer) or is the residual stream (an
``add``: the next residual add reads it again); a second input (the residual, a bias table) is read from DRAM.
Time (``kernel_bound``): max(sum tensor-core time, sum CUDA-core time, sum bytes / bandwidth) over the kernel's
layers (the units run concurrently inside one kernel); ``analysis.roofline.analyze`` gives it to the head, 0 to
the members. Worked example (tests/analysis/test_gpu_runtimes.py): fc1 (GEMM) -> GELU -> fc2 under tensorrt is two
kernels, [fc1 + GELU] and [fc2]; fc1 writes nothing, the GELU writes its output at 8 bits (fc2 reads INT8).
"""

from __future__ import annotations

from dataclasses import replace

FUSED = "fused"
HEAVY = ("gemm", "conv", "matmul")
EPILOGUE = ("gelu", "add", "mul", "elementwise", "quantize", "layout")


def _attention_start(layer, skip) -> bool:
    return layer.op == "matmul" and "ofmap" in skip


def _attention_end(layer, skip) -> bool:
    return layer.op == "matmul" and "ifmap" in skip


def _weight_cast(layer) -> bool:
    return layer.name.endswith(".weight_cast")


def _heavy(layer, fusion: str) -> bool:
    """A layer that runs as its own library kernel (cuBLAS/cuDNN); inductor generates a depthwise conv itself."""
    if fusion == "inductor" and layer.op == "conv" and layer.repeat > 1 and layer.n <= 16:
        return False
    return layer.op in HEAVY


def kernel_heads(layers, skips, fusion: str) -> list[int]:
    """For each layer, the index of the layer heading its kernel (module docstring); ``fusion``: inductor or
    tensorrt."""
    n, heads, i = len(layers), [0] * len(layers), 0
    while i < n:
        heads[i] = i
        x = layers[i]
        if _attention_start(x, skips.get(i, ())):
            j = i + 1
            while j < n and not _attention_end(layers[j], skips.get(j, ())):
                heads[j] = i
                j += 1
            if j < n:
                heads[j] = i
            i = j + 1
            continue
        j = i + 1
        if fusion == "tensorrt" and not _weight_cast(x) and x.op != "matmul":
            while j < n and layers[j].op in EPILOGUE and not _weight_cast(layers[j]) \
                    and "all" not in skips.get(j, ()):    # a q scale folded into the attention kernel is not one
                heads[j] = i
                j += 1
        elif fusion == "inductor" and not _heavy(x, fusion) and not _weight_cast(x):
            while j < n and not _heavy(layers[j], fusion) and not _weight_cast(layers[j]) \
                    and not _attention_start(layers[j], skips.get(j, ())):
                heads[j] = i
                j += 1
        i = j
    return heads


def fuse(layers, skips, profile):
    """(layers, skips) with the kernels of ``profile.fusion`` marked (module docstring)."""
    layers = list(layers)
    sk = {i: set(s) for i, s in skips.items()}
    heads = kernel_heads(layers, sk, profile.fusion)
    if profile.int8_tensors:
        for i, x in enumerate(layers):
            if not (x.is_gemm and x.dtype == "int" and x.a_bits <= 8):
                continue
            p = i - 1
            while p >= 0 and "all" in sk.get(p, ()):      # folded layers (a q scale) write nothing
                p -= 1
            if p >= 0 and layers[p].out_bits > x.a_bits and "ofmap" not in sk.get(p, ()):
                layers[p] = replace(layers[p], out_bits=x.a_bits)
    if profile.fusion == "inductor":
        for i in range(1, len(layers)):   # a copy right before a GEMM: inductor passes the strided view to cuBLAS
            if layers[i - 1].op == "layout" and _heavy(layers[i], "inductor") and heads[i - 1] != i - 1:
                sk.setdefault(i - 1, set()).add("all")
        for i, x in enumerate(layers):    # inductor's own depthwise conv reads and writes the token layout
            if x.name.endswith((".to_nchw", ".to_tokens")):
                sk.setdefault(i, set()).add("all")
    for i in range(1, len(layers)):
        h = heads[i]
        if h == i:
            continue
        sk.setdefault(i, set()).add(FUSED)
        if _attention_start(layers[h], sk.get(h, ())):
            continue                                      # the attention's own skips say what stays on chip
        sk[i].add("ifmap")
        if layers[i - 1].op != "add":
            sk.setdefault(i - 1, set()).add("ofmap")
    return layers, {i: frozenset(s) for i, s in sk.items() if s}


def kernel_bound(rows, layers) -> float:
    """Lower bound in s of one kernel made of roofline ``rows`` (of ``layers``): max(tensor-core time, CUDA-core
    time, DRAM time), each summed over the kernel."""
    tensor = sum(r.compute_time_s for r, x in zip(rows, layers) if x.is_gemm)
    vector = sum(r.compute_time_s for r, x in zip(rows, layers) if not x.is_gemm)
    return max(tensor, vector, sum(r.memory_time_s for r in rows))
