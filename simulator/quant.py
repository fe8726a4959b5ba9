"""Quantization scales and the post-processing unit (PPU) that applies them, per GEMM layer.

GEMM view: ifmap (activations) M x K, filter K x N, ofmap M x N, ``repeat`` copies. Scales per copy:
  filter  tensor 0 (a register constant) | channel N | token N (a dynamic second operand, one per key/value
          token) | group:g  N * ceil(K / g)
  ifmap   tensor 0 | token M (dynamic) | channel K (static, varies along K) | group:g  M * ceil(K / g)
Static scales (weights, static per-channel activations) are read from DRAM once per layer; dynamic ones
(activation tokens/groups, and every scale of a non-weight second operand) once per copy.
scale_dram_bytes = scales read * scale_bits / 8; scale_sram_bytes = 2 * that (filled once, read once).

PPU work per copy (elements):
  requant  M * N              one requantization per output (integer layers; one convert for float ones)
  rescale  M * N * G  if G > 1, G = ceil(K / g_eff) scale segments along K: each group's integer partial sum
           is dequantized and accumulated (g_eff = the smaller group of the two operands; a per-channel
           activation scale changes at every K step, g_eff = 1). Per-group g = 128 on K = 3072: 24 per output.
  absmax   M * K for per-token dynamic activation scales (the max-reduction over each token's K values;
           K * N for a dynamic per-token second operand)
ppu_cycles = repeat * ceil((requant + rescale + absmax) / lanes) with one op per lane per cycle; the PPU
overlaps the array, so the layer waits only ppu_stall_cycles = max(0, ppu_cycles - array cycles).
Per-tensor (and per-channel) scales add no cycles and no bytes beyond the requantization every integer
GEMM already does; a per-channel weight scale costs N * scale_bits / 8 bytes.
"""

from __future__ import annotations

import math

from simulator.model import arith
from workloads.model import group_size

PPU_ARITHMETIC = ("fixed", "float")
# primitive ops per PPU element op (see vector.py for the primitives' energies)
PPU_OPS = {
    "fixed": {"requant": {"int_mult_32x16": 1, "shift": 1, "int_add": 1},   # x * M0 >> n + zero point
              "rescale": {"int_mult_32x16": 1, "int_add": 1}},              # psum * s_g, accumulate
    "float": {"requant": {"convert": 2, "fp_mult": 1},
              "rescale": {"convert": 1, "fp_mult": 1, "fp_add": 1}},
}
ABSMAX_OPS = {"int_add": 1}         # one compare per element
FLOAT_OUTPUT_OPS = {"convert": 1}   # FP32 accumulator -> FP16 output


def k_segments(w_granularity: str, a_granularity: str, k: int) -> int:
    """G = number of scale segments along K (1 when neither operand's scale varies along K)."""
    g = [group_size(x) for x in (w_granularity, a_granularity) if x.startswith("group:")]
    if a_granularity == "channel":
        g.append(1)
    return math.ceil(k / min(g)) if g else 1


def scale_counts(w_granularity: str, a_granularity: str, m: int, n: int, k: int) -> tuple[int, int]:
    """(filter scales, ifmap scales) per copy of the GEMM (module docstring)."""
    w = {"tensor": 0, "channel": n, "token": n}.get(w_granularity)
    if w is None:
        w = n * math.ceil(k / group_size(w_granularity))
    a = {"tensor": 0, "token": m, "channel": k}.get(a_granularity)
    if a is None:
        a = m * math.ceil(k / group_size(a_granularity))
    return w, a


def gemm_quant(m: int, n: int, k: int, repeat: int, w_granularity: str, a_granularity: str, weight_operand: bool,
               dtype: str, scale_bits: int) -> dict:
    """Scale bytes and PPU element ops of one GEMM layer (formulas in the module docstring)."""
    ws, as_ = scale_counts(w_granularity, a_granularity, m, n, k)
    w_reads = ws * (1 if weight_operand else repeat)
    a_reads = as_ * (1 if a_granularity == "channel" else repeat)
    g = k_segments(w_granularity, a_granularity, k) if dtype == "int" else 1
    outputs = m * n * repeat
    absmax = 0
    if a_granularity == "token":
        absmax += m * k * repeat
    if w_granularity == "token" and not weight_operand:
        absmax += k * n * repeat
    w_bytes = w_reads * scale_bits / 8
    a_bytes = a_reads * scale_bits / 8
    return {"k_segments": g, "w_scales": ws * (1 if weight_operand else repeat), "a_scales": as_ * repeat,
            "scale_dram_w_bytes": w_bytes, "scale_dram_a_bytes": a_bytes,
            "requant_ops": outputs, "rescale_ops": outputs * g if g > 1 else 0, "absmax_ops": absmax}


def ppu_cycles(requant: int, rescale: int, absmax: int, repeat: int, lanes: int) -> int:
    """repeat * ceil(per-copy element ops / lanes)."""
    per_copy = (requant + rescale + absmax) / repeat
    return repeat * arith.ceil(per_copy / lanes - 1e-9)
