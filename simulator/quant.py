"""Quantization scales and the post-processing unit (PPU) that applies them, per GEMM layer.

GEMM view: ifmap (activations) M x K, filter K x N, ofmap M x N, ``repeat`` copies. Scales per copy:
  filter  tensor 0 (a register constant) | channel N | token N (a dynamic second operand, one per key/value
          token) | group:g  N * ceil(K / g)
  ifmap   tensor 0 | token M (dynamic) | channel K (static, varies along K) | group:g  M * ceil(K / g)
Static scales (weights, static per-channel activations) are read from DRAM once per layer; dynamic ones
(activation tokens/groups, and every scale of a non-weight second operand) once per copy.
scale_dram_bytes = scales read * scale_bits / 8; scale_sram_bytes = 2 * that (filled once, read once). scale_bits:
the layer's ``w_scale_bits``/``a_scale_bits`` when set (8 for the shared scales of the block formats MXINT8, MXFP8/6/4,
NVFP4: workloads/block_formats.py), else the hardware's ``ppu.scale_bits``.

PPU work per copy (elements):
  requant  M * N              one requantization per output (integer layers; one convert for float ones)
  rescale  M * N * G  if G > 1, G = ceil(K / g_eff) scale segments along K: each group's integer partial sum
           is dequantized and accumulated (g_eff = the smaller group of the two operands; a per-channel
           activation scale changes at every K step, g_eff = 1). Per-group g = 128 on K = 3072: 24 per output.
           Float layers have none, except block-scaled ones (MXFP8/6/4, NVFP4: a layer with w_scale_bits or
           a_scale_bits): each block's partial sum is scaled by its two shared scales and accumulated here, the
           shared-exponent alignment (an array whose dot-product units align exponents inside would hide it).
  absmax   M * K for per-token dynamic activation scales (the max-reduction over each token's K values;
           K * N for a dynamic per-token second operand)
ppu_cycles = repeat * ceil((requant + rescale + absmax + zero-point ops) / lanes) with one op per lane per cycle; the PPU
overlaps the array, so the layer waits only ppu_stall_cycles = max(0, ppu_cycles - array cycles).
Per-tensor (and per-channel) scales add no cycles and no bytes beyond the requantization every integer
GEMM already does; a per-channel weight scale costs N * scale_bits / 8 bytes.

Zero points (asymmetric quantization; x = s_a (q_a - z_a), w = s_w (q_w - z_w)): per output
  sum_k (q_a - z_a)(q_w - z_w) = sum q_a q_w - z_w * rowsum_a - z_a * colsum_w + K z_a z_w
The array computes sum q_a q_w; the PPU adds the cross terms (per copy; G_w, G_a = the weight's and the
activation's scale segments along K: ceil(K / g) for group:g, else 1):
  weight zero point      zp_sum_ops  += M * K        (row sums of the activations, one add per element; with
                                                     ppu.zero_point: array the array makes them instead, as G_w
                                                     extra filter columns of ones: the kernel runs N + G_w
                                                     columns and each MAC is priced (N + G_w) / N times)
                         zp_ops      += M * N * G_w  (z_w * rowsum: one multiply-add per output and segment)
                         bytes: one zero point per weight scale at w_bits (a per-tensor one is a register
                         constant: 0 bytes, like its scale)
  activation zero point  static (tensor/channel) on a weight operand: z_a * colsum_w (+ K z_a z_w) is a constant
                         per output column, folded offline into the bias: 0 ops, N * acc_bits / 8 bytes read once
                         dynamic (token/group) or a second activation operand: colsum_w per activation segment
                         (K * N adds per copy when the second operand is an activation; read as N * G_a * acc_bits/8
                         bytes once when it is a weight), zp_ops += M * N * G_a; per-token zero points need the
                         min as well as the max: zp_sum_ops += M * K compares; bytes: one zero point per
                         activation scale at a_bits
  unstated (a_zero_point None) and symmetric: nothing.
Outlier channels (``outlier_channels`` o of K at ``outlier_bits``): the simulator runs the split GEMM
(``split_outliers``): the main GEMM (K - o channels at a_bits) and an outlier GEMM ``<name>.outliers``
(K = o at outlier_bits, in whatever PE mode fits: the mixed-precision mode, or promoted) whose integer partial
sums are rescaled and added into the main accumulator before its requantization: requant_ops = 0,
rescale_ops = M * N * max(G, 1) per copy; its one scale is a register constant; the outlier channel list is
o * OUTLIER_INDEX_BITS / 8 bytes read once per layer (ifmap scale traffic).
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
# zero-point corrections: integer sums and multiply-adds before the requantizer, whatever its arithmetic
ZERO_POINT_OPS = {"correct": {"int_mult_32x16": 1, "int_add": 1}, "sum": {"int_add": 1}}
OUTLIER_INDEX_BITS = 16             # one channel index per outlier channel (K < 65536)
ZERO_POINT_UNITS = ("ppu", "array")  # where a weight zero point's activation row sums are made (ppu.zero_point)
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


def layer_quant(layer, scale_bits: int, zero_point_unit: str = "ppu") -> dict:
    """``gemm_quant`` of a GEMM ``Layer`` (its shape, granularities, zero points and outlier role) on hardware whose
    weight-zero-point row sums are made on ``zero_point_unit`` (``ppu.zero_point``)."""
    return gemm_quant(layer.m, layer.n, layer.k, layer.repeat, layer.w_granularity, layer.a_granularity,
                      layer.weight_operand, layer.dtype, layer.w_scale_bits or scale_bits, layer.w_zero_point,
                      layer.a_zero_point, layer.w_bits, layer.a_bits, layer.acc_bits, is_outlier_part(layer),
                      zero_point_unit == "array", layer.a_scale_bits or scale_bits,
                      bool(layer.w_scale_bits or layer.a_scale_bits))


def is_outlier_part(layer) -> bool:
    """The outlier GEMM of a split layer: every channel of its K is an outlier channel."""
    return layer.outlier_channels > 0 and layer.outlier_channels >= layer.k


def split_outliers(workload):
    """``workload`` with each GEMM that keeps 0 < o < K outlier channels split into the main GEMM (K - o channels,
    no outliers) followed by ``<name>.outliers`` (K = o at outlier_bits, one per-tensor range); the same object
    when there is none (module docstring). Every entry of the simulator prepares a workload here first, so its layout
    layers (copies: workloads/layout.py) are dropped here too: absorbed by the accelerator's addressing, zero cost."""
    from dataclasses import replace

    from workloads.layout import without_layout

    workload = without_layout(workload)
    if not any(x.is_gemm and 0 < x.outlier_channels < x.k for x in workload.layers):
        return workload
    layers = []
    for x in workload.layers:
        if x.is_gemm and 0 < x.outlier_channels < x.k:
            o = x.outlier_channels
            layers.append(replace(x, k=x.k - o, outlier_channels=0, outlier_bits=0))
            layers.append(replace(x, name=x.name + ".outliers", k=o, a_bits=x.outlier_bits, a_granularity="tensor",
                                  a_quantizer="uniform", sqnr_db=None))
        else:
            layers.append(x)
    return replace(workload, layers=tuple(layers))


def zero_point_counts(m: int, n: int, k: int, repeat: int, w_granularity: str, a_granularity: str,
                      weight_operand: bool, w_zero_point: bool, a_zero_point, w_bits: int, a_bits: int,
                      acc_bits: int, on_array: bool = False) -> dict:
    """PPU sums and multiply-adds of the zero-point cross terms, zero-point bytes, and the filter columns of ones
    the array runs for the row sums when ``on_array`` (module docstring)."""
    gw = math.ceil(k / group_size(w_granularity)) if w_granularity.startswith("group:") else 1
    ga = math.ceil(k / group_size(a_granularity)) if a_granularity.startswith("group:") else 1
    ws, as_ = scale_counts(w_granularity, a_granularity, m, n, k)
    sums = ops = cols = 0
    w_bytes = a_bytes = 0.0
    if w_zero_point:
        if on_array:
            cols = gw
        else:
            sums += m * k * repeat
        ops += m * n * gw * repeat
        w_bytes += ws * (1 if weight_operand else repeat) * w_bits / 8
    if a_zero_point:
        static = a_granularity in ("tensor", "channel")
        if static and weight_operand:
            w_bytes += n * acc_bits / 8
        else:
            if weight_operand:
                w_bytes += n * ga * acc_bits / 8
            else:
                sums += k * n * repeat
            ops += m * n * ga * repeat
            if a_granularity == "token":
                sums += m * k * repeat
        a_bytes += as_ * (1 if a_granularity == "channel" else repeat) * a_bits / 8
    return {"zp_sum_ops": sums, "zp_ops": ops, "zp_dram_w_bytes": w_bytes, "zp_dram_a_bytes": a_bytes,
            "zp_array_cols": cols}


def gemm_quant(m: int, n: int, k: int, repeat: int, w_granularity: str, a_granularity: str, weight_operand: bool,
               dtype: str, scale_bits: int, w_zero_point: bool = False, a_zero_point=None, w_bits: int = 8,
               a_bits: int = 8, acc_bits: int = 32, outlier_part: bool = False, zp_on_array: bool = False,
               a_scale_bits: int | None = None, block_scaled: bool = False) -> dict:
    """Scale and zero-point bytes and PPU element ops of one GEMM layer (formulas in the module docstring);
    ``scale_bits`` the weight scales' width, ``a_scale_bits`` the activation scales' (default: the same);
    ``block_scaled``: a block format's shared scales (a float layer's blocks are rescaled too)."""
    ws, as_ = scale_counts(w_granularity, a_granularity, m, n, k)
    w_reads = ws * (1 if weight_operand else repeat)
    a_reads = as_ * (1 if a_granularity == "channel" else repeat)
    g = k_segments(w_granularity, a_granularity, k) if dtype == "int" or block_scaled else 1
    outputs = m * n * repeat
    absmax = 0
    if a_granularity == "token":
        absmax += m * k * repeat
    if w_granularity == "token" and not weight_operand:
        absmax += k * n * repeat
    zp = {"zp_sum_ops": 0, "zp_ops": 0, "zp_dram_w_bytes": 0.0, "zp_dram_a_bytes": 0.0, "zp_array_cols": 0}
    if dtype == "int":
        zp = zero_point_counts(m, n, k, repeat, w_granularity, a_granularity, weight_operand, w_zero_point,
                               a_zero_point, w_bits, a_bits, acc_bits, zp_on_array)
    w_bytes = w_reads * scale_bits / 8 + zp["zp_dram_w_bytes"]
    a_bytes = a_reads * (a_scale_bits or scale_bits) / 8 + zp["zp_dram_a_bytes"]
    requant, rescale = outputs, outputs * g if g > 1 else 0
    if outlier_part:
        requant, rescale = 0, outputs * g
        a_bytes += k * OUTLIER_INDEX_BITS / 8
    return {"k_segments": g, "w_scales": ws * (1 if weight_operand else repeat), "a_scales": as_ * repeat,
            "scale_dram_w_bytes": w_bytes, "scale_dram_a_bytes": a_bytes,
            "zero_point_bytes": zp["zp_dram_w_bytes"] + zp["zp_dram_a_bytes"],
            "requant_ops": requant, "rescale_ops": rescale, "absmax_ops": absmax,
            "zp_sum_ops": zp["zp_sum_ops"], "zp_ops": zp["zp_ops"], "zp_array_cols": zp["zp_array_cols"]}


def ppu_cycles(requant: int, rescale: int, absmax: int, repeat: int, lanes: int, zero_point: int = 0) -> int:
    """repeat * ceil(per-copy element ops / lanes); ``zero_point``: the zero-point sums and multiply-adds."""
    per_copy = (requant + rescale + absmax + zero_point) / repeat
    return repeat * arith.ceil(per_copy / lanes - 1e-9)
