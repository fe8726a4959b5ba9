"""Fused attention on the accelerator (``memory.attention: fused``): q@k^T, softmax and @v as one operation tiled
over the keys, FlashAttention-style (Dao et al., NeurIPS 2022), the scores never leaving the chip.

A chain is three consecutive layers: a matmul without weights (q@k^T: M queries x N keys x d, ``repeat`` heads
times batch), a softmax over its output, a matmul without weights (attn@v: M x d x N). Fused, per head:
  key tile Tk = min(N, floor(ofmap_bytes / 2 * 8 / (M * acc_bits)))   (an M x Tk score tile at the accumulator
      width fits half the ofmap buffer, the other half drains; Tk < 1: the chain is not fused);
  tiles = ceil(N / Tk); the array computes the same MACs (q@k^T and attn@v tile by tile), the vector unit the same
      softmax elements (running max, exp, running sum) in the implementation the hardware declares (float,
      integer, LUT);
  the online softmax rescales the running output and sum after every tile but the first:
      (tiles - 1) * M * (d + 1) multiplies per head, a vector ``mul`` layer ``<attn@v name>.online_softmax``
      added after attn@v (none when one tile holds every key);
  the score and probability tiles and the running output stay on chip: the scores' and probabilities' DRAM
      bytes are 0 whatever the activation policy, and they take no room in the activation buffer (they live in
      the ofmap buffer's tiles). Q, K, V and the output follow the memory plan (simulator/model/residency.py): with
      ``memory.activations: dram`` a fused chain moves exactly Q, K and V in and the output out.
The array and the vector unit overlap only with ``vector.overlap: gemm``: then the chain is one two-stage pipeline
over repeat x key tiles (simulator/model/schedule.py); otherwise their cycles add up, as unfused.

Worked example (tests/simulator/test_attention.py): DeiT-S attention, M = N = 197, d = 64, 6 heads, 32-bit
accumulators, a 128 KiB ofmap buffer: Tk = floor(65,536 * 8 / (197 * 32)) = 83, tiles = 3, online rescale
2 * 197 * 65 = 25,610 multiplies per head; the 6 x 197 x 197 scores (232,854 B at 8 bits) never cross DRAM.
"""

from __future__ import annotations

from dataclasses import replace

ONLINE = ".online_softmax"


def key_tile(m: int, keys: int, ofmap_bytes: int, acc_bits: int) -> int:
    """Keys per tile: min(keys, floor(ofmap_bytes / 2 * 8 / (m * acc_bits))); 0 when not even one fits."""
    return min(keys, int(ofmap_bytes * 8 // 2 // (m * acc_bits)))


def is_chain(layers, i) -> bool:
    """q@k^T, softmax, attn@v at i, i+1, i+2: the chain fused attention runs as one operation."""
    if i + 2 >= len(layers):
        return False
    qk, sm, av = layers[i], layers[i + 1], layers[i + 2]
    return (qk.op == "matmul" and not qk.weight_operand and sm.op == "softmax" and av.op == "matmul"
            and not av.weight_operand)


def streamed(layers, ofmap_bytes: int, acc_bits: int) -> set:
    """Indices of the layers whose output stays on chip as tiles in fused chains (q@k^T, softmax, and the online
    rescale layer after attn@v when there is one); a chain whose key tile is 0 is not fused."""
    out = set()
    for i in range(len(layers)):
        if is_chain(layers, i) and key_tile(layers[i].m, layers[i].n, ofmap_bytes,
                                          min(layers[i].acc_bits, acc_bits)) >= 1:
            out.update((i, i + 1))
            if i + 3 < len(layers) and layers[i + 3].name.endswith(ONLINE):
                out.add(i + 3)
    return out


def fuse_workload(workload, ofmap_bytes: int, acc_bits: int):
    """``workload`` with an online-rescale layer after each fused chain that needs more than one key tile (the
    same object when there is none)."""
    layers = workload.layers
    out = []
    i = 0
    while i < len(layers):
        if is_chain(layers, i):
            qk, sm, av = layers[i], layers[i + 1], layers[i + 2]
            tk = key_tile(qk.m, qk.n, ofmap_bytes, min(qk.acc_bits, acc_bits))
            out += [qk, sm, av]
            done = i + 3 < len(layers) and layers[i + 3].name.endswith(ONLINE)   # already fused: idempotent
            if 1 <= tk < qk.n and not done:
                out.append(replace(av, name=av.name + ONLINE, op="mul", m=(-(-qk.n // tk) - 1) * qk.m,
                                   n=av.n + 1, k=0, weight_operand=True, sqnr_db=None))
            i += 3
            continue
        out.append(layers[i])
        i += 1
    return workload if len(out) == len(layers) else replace(workload, layers=tuple(out))


def attention_fusion(hw):
    """(ofmap buffer bytes, accumulator bits) when the hardware fuses attention (``memory.attention: fused``)."""
    return (hw.buffers.bytes[2], hw.pe.acc_bits) if hw.memory.attention == "fused" else None
