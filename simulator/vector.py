"""Vector unit for the non-GEMM ops (softmax, layernorm, gelu, add, mul, quantize, elementwise, topk).

Each op is priced by the primitive operations it does per element (``element_ops``), counted per
implementation of the non-linear ops (hardware ``nonlinear`` section):
  float    dequantize (convert + FP32 multiply), FP32 math, requantize (FP32 multiply + convert)
  integer  integer-only approximations after I-ViT (Li & Gu, ICCV 2023): Shiftmax, ShiftGELU, I-LayerNorm
  lut      table lookups (exp for softmax; the whole function for GELU; rsqrt once per row for LayerNorm)
A lane issues one primitive op per cycle: cycles_per_element = sum of the op counts; their energy is priced in
simulator/model/price.py (count * primitive energy).
Pipelined lanes (hardware ``vector.pipelined: true``): each lane has a fixed-function pipeline per non-linear op and
one for the elementwise ops, with a functional unit per primitive op (area: simulator/area.py), and issues one
element per lane per cycle in each PASS over the data: cycles_per_element = passes(op) (``PASSES``): softmax 3 (row
max; exp and sum; normalize), layernorm 2 (statistics; normalize), gelu 1, add / mul / quantize / elementwise 1, topk
a_bits + 1 (a radix select: one counting pass per bit of the score, then one pass comparing with the threshold, on
the elementwise pipeline's shifter and adder). The same primitive ops execute, so the energy stays the op counts.
A config's ``vector.cycles_per_element`` overrides either per op.
compute_cycles = ceil(elements * cycles_per_element / lanes)      [cycles; elements, cycles/element, lanes]
Worked: a softmax of 197 x 197 x 6 = 232,854 elements on 64 lanes: pipelined ceil(232,854 * 3 / 64) = 10,916
cycles; I-ViT Shiftmax as sequential primitive ops (12 per element) ceil(232,854 * 12 / 64) = 43,661 cycles.
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
# passes over the data of a pipelined lane (module docstring); topk: a_bits + 1, in ``passes``
PASSES = {"softmax": 3, "layernorm": 2, "gelu": 1, "add": 1, "mul": 1, "quantize": 1, "elementwise": 1}
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


def passes(op: str, a_bits: int) -> int:
    """Passes over the data a pipelined lane makes for ``op`` (one element per lane per cycle in each):
    ``PASSES[op]``; topk a_bits + 1 (radix select: one pass per bit of the a_bits-bit score, one compare pass)."""
    return a_bits + 1 if op == "topk" else PASSES[op]


def layer_impl(hw, op: str, dtype: str) -> str:
    """Implementation a vector op runs as on ``hw``: float for FP tensors, the ``nonlinear`` choice for
    softmax/GELU/LayerNorm, integer for the elementwise ops."""
    if dtype == "fp":
        return "float"
    return getattr(hw.nonlinear, op) if op in NONLINEAR_OPS else "integer"


def vector_op(hw, op: str, dtype: str, a_bits: int) -> tuple[dict[str, int], float, str]:
    """(primitive ops per element, cycles per element per lane, implementation) of a vector op on ``hw``: the op
    counts' sum (one primitive op per lane per cycle), or ``passes`` on pipelined lanes (``vector.pipelined``); the
    config's ``vector.cycles_per_element`` overrides either."""
    impl = layer_impl(hw, op, dtype)
    counts = element_ops(op, impl, dtype, a_bits, hw.nonlinear.post_softmax if op == "softmax" else "uniform")
    override = hw.vector.override(op)
    if override is not None:
        return counts, override, impl
    return counts, float(passes(op, a_bits) if hw.vector.pipelined else sum(counts.values())), impl


def vector_cycles(elements: int, cost: float, lanes: int) -> int:
    """ceil(elements * cost / lanes) cycles."""
    return arith.ceil(elements * cost / lanes - 1e-9)
