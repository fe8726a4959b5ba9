"""Reading an ONNX file for the importer: the model with every tensor's shape and element type, constants.

``onnx`` (the ``onnx`` extra) is imported inside functions; no runtime is needed, only the graph. Shapes come from
ONNX shape inference (``onnx.shape_inference.infer_shapes`` with data propagation, so ``Shape -> Slice -> Reshape``
chains resolve). Custom ops whose output has their input's shape (QONNX ``Quant``, ``BipolarQuant``, ``IntQuant``,
``Trunc``; com.microsoft ``Gelu``, ``FastGelu``, ``QuickGelu``, ``QLinearSoftmax``) are read as ``Identity`` by the
inference only. A symbolic first input dimension is the batch (``batch``, default 1); any other symbolic
dimension is an error naming the input.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from workloads.errors import WorkloadError
from workloads.limits import LIMITS, limit

ONNX_EXTRA = "pip install 'vitsim[onnx]'"
# custom ops whose output has the shape of input 0 (read as Identity by shape inference only)
SAME_SHAPE_CUSTOM = {"Quant", "IntQuant", "BipolarQuant", "Trunc", "Gelu", "FastGelu", "QuickGelu", "BiasGelu",
                     "QLinearSoftmax"}
# com.microsoft binary QLinear ops, read as the standard op on (input 0, input 3) by shape inference only
QLINEAR_BINARY = {"QLinearAdd": "Add", "QLinearMul": "Mul"}


def require_onnx():
    try:
        import onnx
    except ImportError:
        raise WorkloadError("onnx", "", "the onnx package is not installed", ONNX_EXTRA) from None
    return onnx


@dataclass
class Graph:
    """A loaded ONNX graph: nodes in order, per tensor its shape (a tuple of ints) and element type name."""

    source: str
    nodes: list
    shapes: dict = field(default_factory=dict)      # tensor name -> tuple of ints (None: unknown)
    etypes: dict = field(default_factory=dict)      # tensor name -> "FLOAT", "INT8", "UINT4", ...
    values: dict = field(default_factory=dict)      # tensor name -> numpy array (initializers, Constant outputs)
    initializers: set = field(default_factory=set)
    inputs: list = field(default_factory=list)      # graph inputs (not initializers)
    opset: int = 0
    producer: str = ""

    def shape(self, name: str, node) -> tuple:
        s = self.shapes.get(name)
        if s is None:
            raise WorkloadError(self.source, f"node {node_label(node)}",
                                f"the shape of {name!r} is unknown after ONNX shape inference",
                                "a model with static shapes (export with fixed input sizes)")
        return s

    def value(self, name: str):
        """The constant value of ``name`` (numpy array) or None when it is not a readable constant."""
        return self.values.get(name)


def node_label(node) -> str:
    return f"{node.name!r} ({node.op_type})" if node.name else f"<unnamed {node.op_type}>"


def load_graph(path: str | Path, batch: int | None = None) -> Graph:
    """Load ``path``, fix the batch dimension, infer shapes (module docstring)."""
    onnx = require_onnx()
    path = Path(path)
    src = str(path)
    if not path.is_file():
        raise WorkloadError(src, "", "file not found" if not path.exists() else "not a file")
    cap = limit("onnx_bytes")
    if path.stat().st_size > cap:
        raise WorkloadError(src, "", f"larger than {cap:,} bytes",
                            f"smaller models, or set {LIMITS['onnx_bytes'].variable} higher")
    try:
        model = onnx.load(src, load_external_data=False)
    except Exception as exc:  # noqa: BLE001 - protobuf DecodeError and friends: not an ONNX file
        raise WorkloadError(src, "", f"not a readable ONNX model ({exc.__class__.__name__})") from None
    g = model.graph
    if not g.node:
        raise WorkloadError(src, "graph", "has no nodes")
    init_names = {t.name for t in g.initializer}
    inputs = [i for i in g.input if i.name not in init_names]
    _fix_input_dims(src, inputs, batch)
    shapes_model = _shape_view(onnx, model)
    try:
        inferred = onnx.shape_inference.infer_shapes(shapes_model, check_type=False, strict_mode=False,
                                                     data_prop=True)
    except Exception as exc:  # noqa: BLE001 - the checker raises its own types
        raise WorkloadError(src, "graph", f"ONNX shape inference failed: {str(exc).splitlines()[0][:200]}") from None
    graph = Graph(src, list(g.node), initializers=init_names, inputs=[i.name for i in inputs],
                  opset=max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0),
                  producer=f"{model.producer_name} {model.producer_version}".strip())
    for vi in list(inferred.graph.input) + list(inferred.graph.value_info) + list(inferred.graph.output):
        tt = vi.type.tensor_type
        graph.etypes[vi.name] = onnx.TensorProto.DataType.Name(tt.elem_type)
        dims = [d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim]
        graph.shapes[vi.name] = tuple(dims) if tt.HasField("shape") and None not in dims else None
    from onnx import numpy_helper

    for t in g.initializer:
        graph.shapes[t.name] = tuple(t.dims)
        graph.etypes[t.name] = onnx.TensorProto.DataType.Name(t.data_type)
        graph.values[t.name] = _array(numpy_helper, t)
    for node in g.node:
        if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
            arr = _constant(numpy_helper, node)
            if arr is not None:
                graph.values[node.output[0]] = arr
                graph.shapes[node.output[0]] = tuple(arr.shape)
    return graph


def _fix_input_dims(src: str, inputs, batch: int | None) -> None:
    """Set a symbolic first dimension to ``batch`` (default 1); any other symbolic dimension is an error."""
    for vi in inputs:
        for axis, d in enumerate(vi.type.tensor_type.shape.dim):
            if d.HasField("dim_value") and (axis or batch is None):
                continue
            if axis == 0:
                if d.HasField("dim_value") and batch is not None and d.dim_value != batch:
                    continue   # a fixed batch: the workload is rescaled afterwards
                d.dim_value = batch or 1
            else:
                raise WorkloadError(src, f"input {vi.name!r}", f"dimension {axis} is symbolic "
                                    f"({d.dim_param or '?'})", "static sizes except the batch (first) dimension")


def _shape_view(onnx, model):
    """A copy of ``model`` for shape inference only: custom same-shape ops as Identity (module docstring)."""
    view = onnx.ModelProto()
    view.CopyFrom(model)
    nodes = []
    for n in view.graph.node:
        if n.op_type in SAME_SHAPE_CUSTOM and n.domain not in ("", "ai.onnx"):
            nodes.append(onnx.helper.make_node("Identity", [n.input[0]], [n.output[0]], name=n.name))
        elif n.op_type in QLINEAR_BINARY and n.domain == "com.microsoft":
            nodes.append(onnx.helper.make_node(QLINEAR_BINARY[n.op_type], [n.input[0], n.input[3]],
                                               [n.output[0]], name=n.name))
        else:
            nodes.append(n)
    del view.graph.node[:]
    view.graph.node.extend(nodes)
    return view


def _array(numpy_helper, tensor):
    try:
        return numpy_helper.to_array(tensor)
    except Exception:  # noqa: BLE001 - external data not loaded: the shape is known, the values are not needed for costs
        return None


def _constant(numpy_helper, node):
    import numpy as np

    for a in node.attribute:
        if a.name == "value":
            return _array(numpy_helper, a.t)
        if a.name in ("value_float", "value_int"):
            return np.asarray(a.f if a.name == "value_float" else a.i)
        if a.name in ("value_floats", "value_ints"):
            return np.asarray(list(a.floats if a.name == "value_floats" else a.ints))
    return None


def scope_path(node) -> str:
    """The module path of a node: the torch exporter's scope (``/blocks/blocks.0/attn/qkv/MatMul`` ->
    ``blocks.0.attn.qkv``; the dynamo exporter's ``pkg.torch.onnx.name_scopes``), else the node's own name."""
    for p in node.metadata_props:
        if p.key == "pkg.torch.onnx.name_scopes":
            try:
                return _join([s for s in ast.literal_eval(p.value) if s])
            except (ValueError, SyntaxError):
                break
    if node.name.startswith("/"):
        return _join([s for s in node.name.split("/")[1:-1] if s])
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", node.name)


def _join(segments: list[str]) -> str:
    """``["blocks", "blocks.0", "attn"]`` -> ``blocks.0.attn`` (a segment may repeat its parent's path)."""
    cur = ""
    for s in segments:
        cur = s if not cur or s.startswith(cur + ".") else f"{cur}.{s}"
    return cur
