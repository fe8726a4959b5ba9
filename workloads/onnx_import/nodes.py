"""ONNX nodes -> traced-op ``Event``s (``workloads.trace.ops.Event``), named like the timm tracer's layers.

Node -> layer (GEMM view: ifmap M x K, filter K x N, ``repeat`` copies; vector ops: m rows of n elements):
- ``MatMul``/``MatMulInteger``/``QLinearMatMul``: A [..., M, K] @ B [..., K, N]. B a constant (a weight, also
  through ``DequantizeLinear``/``Transpose``): ``gemm``, M = A's elements / K; B an activation: ``matmul``
  (``weight_operand`` false), repeat = product of the broadcast batch dims (q @ k^T, attn @ v).
- ``Gemm``/``QGemm``: M x K @ K x N (``transA``/``transB``); a constant bias ``Add`` right after a GEMM is its bias
  (no layer, as in the timm trace where ``linear`` adds its bias).
- ``Conv``/``ConvInteger``/``QLinearConv``: ``conv``, M = N * output pixels, N = out channels / groups,
  K = in channels / groups * kernel pixels, repeat = groups; a 2-D conv with one stride, equal padding on every side
  and dilation 1 carries its geometry (``conv_*``: workloads/conv.py).
- ``Softmax`` (n = the axis' size; before opset 13 the axes from ``axis`` on), ``LayerNormalization`` (n = the
  axes from ``axis``), ``RMSNormalization``, ``GroupNormalization``, ``InstanceNormalization`` -> ``softmax`` /
  ``layernorm``; the decomposed LayerNorm and erf-GELU patterns (``workloads.onnx_import.fuse``); ``Gelu`` ->
  ``gelu``; ``Add``/``Sum`` -> ``add``; ``Mul`` -> ``mul`` (com.microsoft ``QLinear*``, ``Gelu``, ``FastGelu``,
  ``QuickGelu`` likewise).
- other arithmetic (``ELEMENTWISE``: Relu, Sigmoid, Sub, Div, Pow, pooling, reductions ...) -> ``elementwise``
  named ``<path>.<op>``; reductions and pooling count their input elements.
- no arithmetic (``LAYOUT``: Reshape, Transpose, Concat, Gather, Slice, Cast ...) and quantization nodes
  (``workloads.onnx_import.quant``): no layer (counted in ``Workload.meta['onnx']``); nodes computing only on
  constants and shapes are folded.
Anything else is an error naming the node.
"""

from __future__ import annotations

from workloads.conv import geometry
from workloads.errors import WorkloadError
from workloads.onnx_import.fuse import find_patterns
from workloads.onnx_import.graph import Graph, node_label, scope_path
from workloads.onnx_import.quant import (
    QUANT_OPS,
    QInfo,
    dq_info,
    q_output_info,
    qlinear_operand,
    qonnx_info,
    tensor_info,
)
from workloads.trace.ops import Event

LAYOUT = {"Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Identity", "Cast", "CastLike", "Split",
          "Concat", "Slice", "Gather", "GatherElements", "GatherND", "Expand", "Tile", "Pad", "Dropout",
          "DepthToSpace", "SpaceToDepth", "ConstantOfShape", "Range", "ScatterND", "ScatterElements", "Optional"}
GEMM = {"MatMul", "Gemm", "Conv", "MatMulInteger", "ConvInteger", "QLinearMatMul", "QLinearConv", "QGemm"}
VECTOR = {"Softmax": "softmax", "LogSoftmax": "softmax", "QLinearSoftmax": "softmax",
          "LayerNormalization": "layernorm", "RMSNormalization": "layernorm", "GroupNormalization": "layernorm",
          "InstanceNormalization": "layernorm", "SimplifiedLayerNormalization": "layernorm",
          "Gelu": "gelu", "FastGelu": "gelu", "QuickGelu": "gelu", "BiasGelu": "gelu",
          "Add": "add", "Sum": "add", "QLinearAdd": "add", "Mul": "mul", "QLinearMul": "mul"}
REDUCTION = {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
             "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp", "GlobalAveragePool", "GlobalMaxPool",
             "AveragePool", "MaxPool", "LpPool", "ArgMax", "ArgMin", "TopK"}
ELEMENTWISE = REDUCTION | {
    "Sub", "Div", "Pow", "Sqrt", "Reciprocal", "Exp", "Log", "Neg", "Abs", "Relu", "LeakyRelu", "PRelu", "Elu",
    "Selu", "Celu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Erf", "Clip", "Max", "Min", "Mean", "Where",
    "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "Not", "And", "Or", "Xor", "Sin", "Cos", "Floor",
    "Ceil", "Round", "Sign", "Mish", "Softplus", "Softsign", "BatchNormalization", "CumSum", "Resize", "Mod",
    "IsNaN", "IsInf", "Trilu", "Shrink", "ThresholdedRelu"}
# custom-op domains read (QONNX / FINN quantizers; ONNX Runtime's contrib ops)
QONNX_DOMAINS = ("qonnx.custom_op.general", "finn.custom_op.general", "onnx.brevitas")
CUSTOM = {"com.microsoft": {"Gelu", "FastGelu", "QuickGelu", "BiasGelu", "QLinearAdd", "QLinearMul",
                            "QLinearSoftmax", "QGemm", "DynamicQuantizeLinear", "QuantizeLinear",
                            "DequantizeLinear", "SimplifiedLayerNormalization"}}
CUSTOM.update({d: {"Quant", "IntQuant", "BipolarQuant", "Trunc"} for d in QONNX_DOMAINS})


def _prod(xs) -> int:
    p = 1
    for x in xs:
        p *= int(x)
    return p


def _attr(node, name: str, default):
    for a in node.attribute:
        if a.name == name:
            if a.type == a.INTS:
                return list(a.ints)
            if a.type == a.STRING:
                return a.s.decode()
            return a.i if a.type == a.INT else a.f if a.type == a.FLOAT else default
    return default


class Walker:
    """One pass over the nodes in order (ONNX graphs are topologically sorted), building events."""

    def __init__(self, graph: Graph):
        self.g = graph
        self.const: set[str] = set(graph.initializers) | set(graph.values)
        self.root: dict[str, str] = {t: t for t in self.const}      # constant -> the initializer it comes from
        self.src: dict[str, tuple] = {t: ("in",) for t in graph.inputs}
        self.qinfo: dict[str, QInfo] = {}
        self.events: list[Event] = []
        self.out: dict[int, str] = {}                               # event index -> its output tensor
        self.integer: dict[int, bool] = {}                          # event index -> an integer op (QLinear*)
        self.counts = {"layout_ops": {}, "quant_ops": {}, "elementwise_ops": {}}
        self.users: dict[str, list] = {}
        for n in graph.nodes:
            for t in n.input:
                if t:
                    self.users.setdefault(t, []).append(n)

    # ---------------------------------------------------------------------------------------------- the walk
    def run(self) -> list[Event]:
        fused, absorbed = find_patterns(self.g, self._const_closure())
        for i, n in enumerate(self.g.nodes):
            if i in absorbed:
                continue
            if i in fused:
                op, x, y = fused[i]
                self._vector(n, op, x, y, fused=True)
                continue
            self._node(i, n)
        self._out_bits()
        return self.events

    def _const_closure(self) -> set:
        """Constant tensors: initializers, Constant/Shape outputs and what only they compute (for the patterns)."""
        const = set(self.const)
        for n in self.g.nodes:
            ins = [t for t in n.input if t]
            if n.op_type in ("Constant", "Shape", "Size") or (ins and all(t in const for t in ins)):
                const.update(n.output)
        return const

    def _node(self, i: int, n) -> None:
        op, g = n.op_type, self.g
        if n.domain not in ("", "ai.onnx") and op not in CUSTOM.get(n.domain, ()):
            raise WorkloadError(g.source, f"node {node_label(n)}", f"unsupported custom op {n.domain}::{op}",
                                "standard ONNX ops, QONNX Quant/BipolarQuant/Trunc, com.microsoft "
                                + ", ".join(sorted(CUSTOM["com.microsoft"])))
        ins = [t for t in n.input if t]
        if op in QUANT_OPS:
            self._quant(n)
            return
        if op in ("Constant", "Shape", "Size") or (ins and all(t in self.const for t in ins)):
            for t in n.output:
                self.const.add(t)
                self.root[t] = self.root.get(ins[0], t) if ins else t
            return
        if op in LAYOUT:
            self._count("layout_ops", op)
            self._pass(n)
            return
        if op in GEMM:
            self._gemm(n)
        elif op in VECTOR:
            if op == "Add" and self._bias(n):
                return
            self._vector(n, VECTOR[op], self._act_inputs(n)[0], n.output[0])
        elif op in ELEMENTWISE:
            self._elementwise(n)
        else:
            raise WorkloadError(g.source, f"node {node_label(n)}", f"unsupported op {op}",
                                "the ops listed in docs/onnx.md")

    # ---------------------------------------------------------------------------------------------- helpers
    def _count(self, kind: str, op: str) -> None:
        self.counts[kind][op] = self.counts[kind].get(op, 0) + 1

    def _srcof(self, t: str) -> tuple:
        if t in self.const:   # an initializer (named like a parameter) or a value computed from shapes
            r = self.root.get(t, t)
            return ("param", r) if r in self.g.initializers else ("const",)
        return self.src.get(t, ("in",))

    def _act_inputs(self, n) -> list[str]:
        acts = [t for t in n.input if t and t not in self.const]
        return acts or [n.input[0]]

    def _pass(self, n) -> None:
        """A node with no arithmetic: its outputs keep the provenance and quantization of its activation input."""
        x = self._act_inputs(n)[0]
        for t in n.output:
            self.src[t] = self._srcof(x)
            if x in self.qinfo:
                self.qinfo[t] = self.qinfo[x]

    def _quant(self, n) -> None:
        self._count("quant_ops", n.op_type)
        x = n.input[0]
        const = x in self.const
        if n.op_type == "DequantizeLinear":
            info = dq_info(self.g, n, const)
        elif n.op_type in ("QuantizeLinear", "DynamicQuantizeLinear"):
            info = q_output_info(self.g, n)
        else:
            info = qonnx_info(self.g, n, const)
        for t in n.output[:1]:
            self.qinfo[t] = info
            if const:
                self.const.add(t)
                self.root[t] = self.root.get(x, x)
            else:
                self.src[t] = self._srcof(x)

    def _info(self, t: str, n) -> QInfo:
        return self.qinfo.get(t) or tensor_info(self.g, t, n)

    def _emit(self, n, op: str, label: str, m: int, nn: int, k: int = 0, repeat: int = 1, wop: bool = True,
              ins: list[str] | None = None, bits: dict | None = None, conv: dict | None = None,
              native: bool = True, out: str | None = None, integer: bool = False) -> None:
        ins = ins if ins is not None else [t for t in n.input if t]
        path = scope_path(n) or (f"{n.op_type}_{len(self.events)}" if not n.name else "")
        scalar = any(t in self.const and _prod(self.g.shapes.get(t) or (1,)) == 1 for t in ins[1:2])
        ev = Event(len(self.events), path, True, op, label, int(m), int(nn), int(k), int(repeat), wop,
                   tuple(self._srcof(t) for t in ins), scalar, bits or {}, n.op_type, native)
        if conv:
            ev.conv = conv
        self.events.append(ev)
        y = out or n.output[0]
        self.src[y] = ("ev", ev.index)
        self.out[ev.index] = y
        self.integer[ev.index] = integer

    # ---------------------------------------------------------------------------------------------- GEMMs
    def _gemm(self, n) -> None:
        op, g = n.op_type, self.g
        ia, ib = {"QLinearMatMul": (0, 3), "QLinearConv": (0, 3), "QGemm": (0, 3)}.get(op, (0, 1))
        a, b = n.input[ia], n.input[ib]
        sa, sb, so = g.shape(a, n), g.shape(b, n), g.shape(n.output[0], n)
        integer = op in ("MatMulInteger", "ConvInteger", "QLinearMatMul", "QLinearConv", "QGemm")
        if op in ("QLinearMatMul", "QLinearConv", "QGemm"):
            aq = qlinear_operand(g, n, a, n.input[1], n.input[2] or None, a in self.const)
            wq = qlinear_operand(g, n, b, n.input[4], n.input[5] if len(n.input) > 5 else None, b in self.const)
        elif op in ("MatMulInteger", "ConvInteger"):
            zp = list(n.input) + ["", ""]
            aq = qlinear_operand(g, n, a, "", zp[2] or None, a in self.const)
            wq = qlinear_operand(g, n, b, "", zp[3] or None, b in self.const)
        else:
            aq, wq = self._info(a, n), self._info(b, n)
        bits = _gemm_bits(aq, wq)
        const_b = b in self.const
        if op in ("Conv", "ConvInteger", "QLinearConv"):
            groups = int(_attr(n, "group", 1))
            m = sa[0] * _prod(so[2:])
            self._emit(n, "conv", "conv", m, sb[0] // groups, _prod(sb[1:]), groups, ins=[a, b], bits=bits,
                       conv=self._conv_geometry(n, sa, sb, so, groups), integer=integer)
            return
        if op in ("Gemm", "QGemm"):
            ta, tb = int(_attr(n, "transA", 0)), int(_attr(n, "transB", 0))
            m, k = (sa[1], sa[0]) if ta else (sa[0], sa[1])
            nn = sb[0] if tb else sb[1]
            self._emit(n, "gemm" if const_b else "matmul", "linear" if const_b else "matmul", m, nn, k,
                       wop=const_b, ins=[a, b], bits=bits, integer=integer)
            return
        xs = sa if len(sa) > 1 else (1, *sa)
        ys = sb if len(sb) > 1 else (*sb, 1)
        m, k, nn = xs[-2], xs[-1], ys[-1]
        if const_b and len(ys) == 2:
            self._emit(n, "gemm", "linear", _prod(xs[:-1]), nn, k, ins=[a, b], bits=bits, integer=integer)
            return
        rep = _prod(_broadcast(xs[:-2], ys[:-2]))
        self._emit(n, "gemm" if const_b else "matmul", "matmul", m, nn, k, rep, wop=const_b, ins=[a, b], bits=bits,
                   integer=integer)

    def _conv_geometry(self, n, sa, sb, so, groups) -> dict:
        """The ``conv_*`` fields of a 2-D conv with one stride, equal padding and dilation 1, else {}."""
        if len(sa) != 4:
            return {}
        strides = _attr(n, "strides", [1, 1])
        dil = _attr(n, "dilations", [1, 1])
        kh, kw = sb[2], sb[3]
        auto = _attr(n, "auto_pad", "NOTSET")
        if auto in ("NOTSET", "VALID"):
            pads = _attr(n, "pads", [0, 0, 0, 0]) if auto == "NOTSET" else [0, 0, 0, 0]
        else:   # SAME_*: total padding per axis = (out - 1) * stride + kernel - in
            tot = [max((so[2 + i] - 1) * strides[i] + (kh, kw)[i] - sa[2 + i], 0) for i in range(2)]
            pads = [tot[0] // 2, tot[1] // 2, tot[0] - tot[0] // 2, tot[1] - tot[1] // 2]
        if len(set(strides)) != 1 or set(dil) != {1} or len(set(pads)) != 1:
            return {}
        return geometry(sa[2], sa[3], sa[1], kh, kw, strides[0], pads[0], groups)

    def _bias(self, n) -> bool:
        """A constant added to a GEMM's output that nothing else reads: the GEMM's bias (no layer)."""
        ins = [t for t in n.input if t]
        if len(ins) != 2 or sum(t in self.const for t in ins) != 1:
            return False
        x = next(t for t in ins if t not in self.const)
        s = self.src.get(x)
        if not s or s[0] != "ev" or self.out.get(s[1]) != x or self.events[s[1]].op not in ("gemm", "conv") \
                or len(self.users.get(x, [])) != 1:
            return False
        self.out[s[1]] = n.output[0]
        self.src[n.output[0]] = s
        return True

    # ---------------------------------------------------------------------------------------------- vector ops
    def _vector(self, n, op: str, x: str, y: str, fused: bool = False) -> None:
        g = self.g
        shape = g.shape(y, n)
        elems = _prod(shape)
        rank = len(shape)
        if op == "softmax" and not fused:
            axis = int(_attr(n, "axis", -1 if g.opset >= 13 or n.domain else 1))
            axis = axis + rank if axis < 0 else axis
            nn = shape[axis] if g.opset >= 13 or n.domain else _prod(shape[axis:])
        elif op == "layernorm":
            nn = self._norm_size(n, shape, fused)
        else:
            nn = shape[-1] if rank else 1
        info = self._info(x, n)
        bits = {"w_bits": info.bits, "a_bits": info.bits, "out_bits": info.bits, "acc_bits": 32, "dtype": info.dtype}
        ins = [x] + [t for t in n.input if t and t != x] if not fused else [x]
        self._emit(n, op, op, elems // max(nn, 1), nn, ins=ins, bits=bits, out=y,
                   integer=n.op_type.startswith("QLinear"))

    def _norm_size(self, n, shape, fused: bool) -> int:
        rank = len(shape)
        if fused:   # the first ReduceMean's axes (attribute, or input 1 from opset 18)
            axes = _attr(n, "axes", None)
            if axes is None and len(n.input) > 1 and self.g.value(n.input[1]) is not None:
                axes = [int(a) for a in self.g.value(n.input[1]).reshape(-1)]
            axes = axes or [-1]
            return _prod(shape[a] for a in axes)
        if n.op_type == "GroupNormalization":
            return _prod(shape) // (shape[0] * int(_attr(n, "num_groups", 1)))
        if n.op_type == "InstanceNormalization":
            return _prod(shape[2:])
        axis = int(_attr(n, "axis", -1))
        return _prod(shape[axis + rank if axis < 0 else axis:])

    def _elementwise(self, n) -> None:
        self._count("elementwise_ops", n.op_type)
        x = self._act_inputs(n)[0]
        t = x if n.op_type in REDUCTION else n.output[0]
        shape = self.g.shape(t, n)
        nn = shape[-1] if shape else 1
        info = self._info(x, n)
        bits = {"w_bits": info.bits, "a_bits": info.bits, "out_bits": info.bits, "acc_bits": 32, "dtype": info.dtype}
        self._emit(n, "elementwise", n.op_type.lower(), _prod(shape) // max(nn, 1), nn,
                   ins=[x] + [i for i in n.input if i and i != x], bits=bits, native=False)

    # ---------------------------------------------------------------------------------------------- output bits
    def _out_bits(self) -> None:
        """Each layer's output width: the quantizer that reads it (through layout ops), else its element type
        (an integer op's output type; a float graph's FLOAT: 32)."""
        for ev in self.events:
            y = self.out[ev.index]
            q = self._next_quant(y, 4)
            if q is not None:
                ev.bits["out_bits"] = q.bits
            elif self.integer[ev.index] or ev.bits.get("dtype") == "fp" or ev.op in ("gemm", "conv", "matmul"):
                ev.bits["out_bits"] = tensor_info(self.g, y, self.g.nodes[0]).bits

    def _next_quant(self, t: str, depth: int) -> QInfo | None:
        users = self.users.get(t, [])
        if not users or depth == 0:
            return None
        found = []
        for u in users:
            if u.op_type in QUANT_OPS and u.op_type != "DequantizeLinear" and u.input[0] == t:
                found.append(self.qinfo.get(u.output[0]))
            elif u.op_type in LAYOUT:
                found.append(self._next_quant(u.output[0], depth - 1))
            else:
                return None
        return None if None in found else min(found, key=lambda q: q.bits)


def _broadcast(a, b) -> tuple:
    a, b = tuple(a), tuple(b)
    r = max(len(a), len(b))
    a, b = (1,) * (r - len(a)) + a, (1,) * (r - len(b)) + b
    return tuple(max(x, y) for x, y in zip(a, b))


def _gemm_bits(aq: QInfo, wq: QInfo) -> dict:
    """Layer bit fields of a GEMM from its operands: integer when both are, else floating point (a weight-only
    quantized layer keeps its weights' width: what moves)."""
    dtype = "int" if aq.dtype == wq.dtype == "int" else "fp"
    bits = {"w_bits": wq.bits, "a_bits": aq.bits, "out_bits": 32, "acc_bits": 32, "dtype": dtype}
    if dtype == "fp":   # a float layer keeps its block scales (MXFP4, NVFP4 ...): what moves with the operands
        bits.update({f"{p}_granularity": q.granularity for p, q in (("w", wq), ("a", aq))
                     if q.granularity.startswith("group:")})
    bits.update({f"{p}_scale_bits": q.scale_bits for p, q in (("w", wq), ("a", aq)) if q.scale_bits})
    if dtype == "int":
        bits.update(w_granularity=wq.granularity, a_granularity=aq.granularity)
        if wq.quantizer == "binary":
            bits["w_quantizer"] = "binary"
        elif wq.zero_point:
            bits["w_zero_point"] = True
        if aq.quantized and aq.quantizer != "binary":
            bits["a_zero_point"] = aq.zero_point
    return bits
