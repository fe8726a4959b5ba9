"""Bit widths, scale granularity and zero points read from a quantized ONNX graph.

A ``QInfo`` describes the values a tensor holds:
- element types: ``INT8``/``UINT8`` -> int 8 bits, ``INT4``/``UINT4`` -> int 4, ``FLOAT8E4M3FN`` -> fp 8,
  ``FLOAT16``/``BFLOAT16`` -> fp 16, ``FLOAT`` -> fp 32 (``DOUBLE`` is refused: vitsim's widths stop at 32 bits);
- ``DequantizeLinear(x, scale, zero_point, axis, block_size)``: the output holds ``x``'s integers: bits of ``x``'s
  element type; granularity from ``scale``: one element -> ``tensor``, ``block_size`` > 0 -> ``group:<block_size>``,
  else per axis: ``channel`` for a constant (a weight) or an activation's last axis, ``token`` for another
  activation axis; a zero point is asymmetric unless every value is 0 (signed) or 2^(bits-1) (unsigned: the
  signed range shifted, still symmetric);
- QONNX ``Quant``/``IntQuant(x, scale, zeropt, bitwidth)`` (fake quantization): ``bitwidth`` bits (a constant
  integer), granularity from the scale's broadcast shape (one axis > 1 -> channel/token as above; a scale dim
  smaller than x's -> ``group:<x dim / scale dim>``), ``zeropt`` as a zero point; ``BipolarQuant``: 1 bit
  (``binary`` weights: alpha * sign); ``Trunc``: ``out_bitwidth`` bits;
- ``QuantizeLinear``/``QLinear*``/``*Integer`` operands: their element types, granularity and zero points as above.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from workloads.errors import WorkloadError
from workloads.onnx_import.graph import Graph, node_label

QUANT_OPS = {"QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "Quant", "IntQuant", "BipolarQuant",
             "Trunc"}


@dataclass(frozen=True)
class QInfo:
    bits: int
    dtype: str                   # "int" | "fp"
    granularity: str = "tensor"
    zero_point: bool = False
    quantizer: str = "uniform"   # "binary" for BipolarQuant
    quantized: bool = False      # read from a quantization node or an integer type (not a float activation)
    scale_bits: int = 0          # 8 for an 8-bit scale (FLOAT8E8M0 / FLOAT8E4M3FN: MX, NVFP4); 0: the hardware's


def etype_info(graph: Graph, etype: str, where: str) -> QInfo:
    """QInfo of an element type name (module docstring)."""
    if etype == "DOUBLE":
        raise WorkloadError(graph.source, where, "64-bit floats are unsupported", "at most 32-bit element types")
    if etype == "BOOL":
        return QInfo(1, "int", quantized=True)
    m = re.match(r"(B?FLOAT|U?INT)(\d*)", etype or "")
    if not m:
        raise WorkloadError(graph.source, where, f"element type {etype or 'unknown'} is unsupported",
                            "float, float16, bfloat16, float8/6/4, int/uint 2 to 32")
    kind, digits = m.groups()
    bits = int(digits) if digits else 32
    if bits > 32:
        raise WorkloadError(graph.source, where, f"{etype} is wider than 32 bits", "at most 32-bit element types")
    fp = "FLOAT" in kind
    return QInfo(bits, "fp" if fp else "int", quantized=not fp or bits < 16)


def tensor_info(graph: Graph, name: str, node) -> QInfo:
    return etype_info(graph, graph.etypes.get(name, "FLOAT"), f"node {node_label(node)}: tensor {name!r}")


def granularity(graph: Graph, scale: str, x: str, axis: int | None, block: int, const: bool) -> str:
    """Scale granularity of ``x`` quantized with ``scale`` (module docstring)."""
    s = graph.shapes.get(scale)
    xs = graph.shapes.get(x) or ()
    if s is None or int(np.prod(s)) <= 1:
        return "tensor"
    if block > 0:
        return f"group:{block}"
    rank = len(xs)
    if axis is None:   # a broadcast scale (QONNX): the axes where it has more than one value
        big = [i + rank - len(s) for i, d in enumerate(s) if d > 1]
        if len(big) == 1 and rank and big[0] >= 0 and xs[big[0]] == s[big[0] - rank + len(s)]:
            axis = big[0]
        else:
            for i in big:
                d, full = s[i - rank + len(s)], xs[i] if 0 <= i < rank else 0
                if full and d < full and full % d == 0:
                    return f"group:{full // d}"
            return "channel"
    axis = axis + rank if axis < 0 else axis
    return "channel" if const or axis == rank - 1 else "token"


def zero_point(graph: Graph, zp: str | None, bits: int, signed: bool) -> bool:
    """Whether a zero point makes the quantization asymmetric (module docstring); unreadable -> True."""
    if not zp:
        return False
    v = graph.value(zp)
    if v is None:
        return True
    v = np.asarray(v, dtype=np.float64)
    mid = 0.0 if signed else float(2 ** (bits - 1))
    return bool(np.any(v != mid)) and bool(np.any(v != 0.0))


def _attr(node, name: str, default):
    for a in node.attribute:
        if a.name == name:
            return a.i if a.type == a.INT else a.f if a.type == a.FLOAT else default
    return default


def dq_info(graph: Graph, node, const: bool) -> QInfo:
    """QInfo of a ``DequantizeLinear``'s output (module docstring)."""
    x = node.input[0]
    base = tensor_info(graph, x, node)
    zp = node.input[2] if len(node.input) > 2 else None
    signed = not (graph.etypes.get(x, "") or "").startswith("U")
    gran = granularity(graph, node.input[1], x, _attr(node, "axis", 1), _attr(node, "block_size", 0), const)
    return QInfo(base.bits, base.dtype, gran, base.dtype == "int" and zero_point(graph, zp, base.bits, signed),
                 quantized=True, scale_bits=scale_width(graph, node.input[1]))


def scale_width(graph: Graph, scale: str) -> int:
    """8 for a block format's 8-bit scale (``FLOAT8E8M0``: MX's shared exponent; ``FLOAT8E4M3FN``: NVFP4's), else
    0: a float scale is stored as the hardware stores scales (``ppu.scale_bits``)."""
    return 8 if graph.etypes.get(scale, "") in ("FLOAT8E8M0", "FLOAT8E4M3FN") else 0


def qonnx_info(graph: Graph, node, const: bool) -> QInfo:
    """QInfo of a QONNX ``Quant``/``IntQuant``/``BipolarQuant``/``Trunc`` output (module docstring)."""
    where = f"node {node_label(node)}"
    if node.op_type == "BipolarQuant":
        gran = granularity(graph, node.input[1], node.input[0], None, 0, const) if len(node.input) > 1 else "tensor"
        return QInfo(1, "int", gran, False, "binary", True)
    bw_input = 4 if node.op_type == "Trunc" else 3
    bw = graph.value(node.input[bw_input]) if len(node.input) > bw_input else None
    if bw is None or np.asarray(bw).size != 1:
        raise WorkloadError(graph.source, where, "the bit width is not a constant scalar", "a constant bitwidth input")
    b = float(np.asarray(bw).reshape(()))
    if not b.is_integer() or not 1 <= b <= 32:
        raise WorkloadError(graph.source, f"{where}: bitwidth", f"{b:g} bits is unsupported", "integers 1 to 32")
    bits = int(b)
    gran = granularity(graph, node.input[1], node.input[0], None, 0, const)
    zp = zero_point(graph, node.input[2], bits, bool(_attr(node, "signed", 1))) if node.op_type != "Trunc" else False
    return QInfo(bits, "int", gran, zp, "uniform", True)


def q_output_info(graph: Graph, node) -> QInfo:
    """QInfo of a ``QuantizeLinear``/``DynamicQuantizeLinear`` output: its element type."""
    out = tensor_info(graph, node.output[0], node)
    if node.op_type == "DynamicQuantizeLinear":
        return QInfo(8, "int", "tensor", True, quantized=True)
    zp = node.input[2] if len(node.input) > 2 else None
    signed = not (graph.etypes.get(node.output[0], "") or "").startswith("U")
    gran = granularity(graph, node.input[1], node.input[0], _attr(node, "axis", 1), _attr(node, "block_size", 0),
                       False)
    return QInfo(out.bits, out.dtype, gran, out.dtype == "int" and zero_point(graph, zp, out.bits, signed),
                 quantized=True)


def qlinear_operand(graph: Graph, node, x: str, scale: str, zp: str | None, const: bool) -> QInfo:
    """QInfo of an integer operand of ``QLinearMatMul``/``QLinearConv``/``MatMulInteger``/``ConvInteger``."""
    base = tensor_info(graph, x, node)
    signed = not (graph.etypes.get(x, "") or "").startswith("U")
    axis = 0 if node.op_type in ("QLinearConv", "ConvInteger") else -1
    gran = granularity(graph, scale, x, axis, 0, const) if scale else \
        ("channel" if zp and const and int(np.prod(graph.shapes.get(zp) or (1,))) > 1 else "tensor")
    return QInfo(base.bits, base.dtype, gran, zero_point(graph, zp, base.bits, signed), quantized=True)
