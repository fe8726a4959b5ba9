"""Vector unit for the non-GEMM ops (softmax, layernorm, gelu, add, mul, quantize, elementwise, topk).

Each op is priced by the primitive operations it does per element (``element_ops``), counted per
implementation of the non-linear ops (hardware ``nonlinear`` section):
  float    dequantize (convert + FP32 multiply), FP32 math, requantize (FP32 multiply + convert)
  integer  integer-only approximations after I-ViT (Li & Gu, ICCV 2023): Shiftmax, ShiftGELU, I-LayerNorm
  lut      table lookups (exp for softmax; the whole function for GELU; rsqrt once per row for LayerNorm)
A lane issues one primitive op per cycle: cycles_per_element = sum of the op counts (a hardware config may
override it per op); their energy is priced in simulator/model/price.py (count * primitive energy).
compute_cycles = ceil(elements * cycles_per_element / lanes)
DRAM bytes: inputs read at a_bits (``add`` reads two tensors), output written at out_bits;
stall_cycles = max(0, latency + bytes / bytes_per_cycle - compute_cycles).
"""

from __future__ import annotations

from simulator.model import arith

INPUTS = {"add": 2}
NONLINEAR_OPS = ("softmax", "gelu", "layernorm")
IMPLEMENTATIONS = ("float", "integer", "lut")
POST_SOFTMAX_QUANTIZERS = ("uniform", "log2", "twin_uniform")
LUT_INDEX_BITS = 8  # a direct table covers inputs up to 8 bits (256 entries); wider inputs interpolate

# Primitive op counts per element. Float cores in FP32: exp = 4 mult + 4 add (polynomial after range
# reduction); tanh-GELU 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))) with tanh from exp (+2 mult +2 add).
_CORE = {
    ("softmax", "float"): {"fp_add": 7, "fp_mult": 5},        # max, sub, exp(4+4), sum; x 1/sum
    ("softmax", "integer"): {"int_add": 6, "shift": 5, "int_mult": 1},  # max, sub, ShiftExp, sum, IntDiv
    ("softmax", "lut"): {"int_add": 3, "lut": 1, "int_mult": 1, "shift": 1},  # max, sub, exp LUT, sum, div
    ("gelu", "float"): {"fp_mult": 12, "fp_add": 8},
    ("gelu", "integer"): {"int_add": 7, "shift": 9, "int_mult": 2},  # 1.702x by shifts, ShiftExp, IntDiv, x*s
    ("gelu", "lut"): {"lut": 1},
    ("layernorm", "float"): {"fp_add": 4, "fp_mult": 3},     # mean, sub, square, var, normalize, affine
    ("layernorm", "integer"): {"int_add": 4, "int_mult": 3, "shift": 1},  # I-LayerNorm (integer sqrt per row)
    ("layernorm", "lut"): {"int_add": 4, "int_mult": 3, "shift": 1},      # rsqrt by LUT per row: same per element
}
_GELU_LUT_WIDE = {"lut": 2, "int_mult": 1, "int_add": 2}   # linear interpolation between two entries
_FLOAT_WRAP = {"convert": 2, "fp_mult": 2}                  # dequantize in, requantize out
_ELEMENTWISE_INT = {"add": {"int_add": 1}, "mul": {"int_mult": 1, "int_add": 1},
                    "quantize": {"int_mult": 1, "int_add": 1}, "elementwise": {"int_mult": 1, "int_add": 1}}
_ELEMENTWISE_FP = {"add": {"fp_add": 1}, "mul": {"fp_mult": 1}, "quantize": {"fp_mult": 1, "convert": 1},
                   "elementwise": {"fp_mult": 1, "fp_add": 1}}
# extra ops per softmax output element to encode it for the attn@v input (PTQ4ViT / FQ-ViT quantizers)
_POST_SOFTMAX = {"uniform": {}, "log2": {"int_add": 1}, "twin_uniform": {"int_add": 1, "shift": 1}}


def element_ops(op: str, impl: str, dtype: str, a_bits: int, post_softmax: str = "uniform") -> dict[str, int]:
    """Primitive op counts per element of ``op`` run as ``impl`` on ``dtype`` data (module docstring).
    ``topk`` (token selection, workloads/tokens.py) is a radix select over the a_bits-bit scores of a row: one
    pass per bit (shift out the bit, count: 1 shift + 1 int_add per element) and a final compare with the
    threshold (1 int_add): a_bits shifts + (a_bits + 1) int_adds per element (8-bit scores: 17 cycles/element)."""
    if op == "topk":
        return {"shift": a_bits, "int_add": a_bits + 1}
    if op not in NONLINEAR_OPS:
        return dict((_ELEMENTWISE_FP if dtype == "fp" else _ELEMENTWISE_INT)[op])
    if dtype == "fp":          # float tensors: the FP32 core, no (de)quantization
        counts = dict(_CORE[(op, "float")])
    elif impl == "float":
        counts = dict(_CORE[(op, "float")])
        for k, v in _FLOAT_WRAP.items():
            counts[k] = counts.get(k, 0) + v
    elif op == "gelu" and impl == "lut" and a_bits > LUT_INDEX_BITS:
        counts = dict(_GELU_LUT_WIDE)
    else:
        counts = dict(_CORE[(op, impl)])
    if op == "softmax":
        for k, v in _POST_SOFTMAX[post_softmax].items():
            counts[k] = counts.get(k, 0) + v
    return counts


def layer_impl(hw, op: str, dtype: str) -> str:
    """Implementation a vector op runs as on ``hw``: float for FP tensors, the ``nonlinear`` choice for
    softmax/GELU/LayerNorm, integer for the elementwise ops."""
    if dtype == "fp":
        return "float"
    return getattr(hw.nonlinear, op) if op in NONLINEAR_OPS else "integer"


def vector_op(hw, op: str, dtype: str, a_bits: int) -> tuple[dict[str, int], float, str]:
    """(primitive ops per element, cycles per element per lane, implementation) of a vector op on ``hw``; the
    config's ``vector.cycles_per_element`` overrides the op-count cycles (one primitive op per lane per cycle)."""
    impl = layer_impl(hw, op, dtype)
    counts = element_ops(op, impl, dtype, a_bits, hw.nonlinear.post_softmax if op == "softmax" else "uniform")
    override = hw.vector.override(op)
    return counts, (float(sum(counts.values())) if override is None else override), impl


def vector_cycles(elements: int, cost: float, lanes: int) -> int:
    """ceil(elements * cost / lanes) cycles."""
    return arith.ceil(elements * cost / lanes - 1e-9)
