"""Import an ONNX model (float, QDQ, QOperator or QONNX) as a vitsim ``Workload``: docs/onnx.md.

``import_onnx(path, batch=None)``: layers, shapes and conv geometry from the graph (``nodes``), bit widths, scale
granularity and zero points from its quantization nodes (``quant``), decomposed LayerNorm/GELU found as one layer
(``fuse``); layers are named as the timm tracer names them (``workloads.trace.naming``). Needs the ``onnx``
package (the ``onnx`` extra), imported when called.
"""

from __future__ import annotations

from pathlib import Path

from workloads.errors import InputError, WorkloadError, retyped
from workloads.model import Layer, Workload


def import_onnx(path: str | Path, batch: int | None = None) -> Workload:
    """The workload of the ONNX model at ``path``; ``batch`` fills a symbolic batch dimension (default 1), a fixed
    one is rescaled (``Workload.with_batch``)."""
    from workloads.onnx_import.graph import load_graph
    from workloads.onnx_import.nodes import Walker
    from workloads.trace.naming import events_to_layers

    graph = load_graph(path, batch)
    walker = Walker(graph)
    events = walker.run()
    if not events:
        raise WorkloadError(graph.source, "graph", "no arithmetic node (nothing to simulate)")
    _leaves(events)
    layers = []
    for layer in events_to_layers(events):   # validated as a workload file's layers are
        try:
            layers.append(Layer.from_dict(layer.to_dict(), graph.source))
        except InputError as e:
            raise retyped(e, WorkloadError) from None
    first = graph.shapes.get(graph.inputs[0]) if graph.inputs else None
    quantized = bool(walker.counts["quant_ops"]) or any(e.aten.startswith(("QLinear", "QGemm")) or
                                                        e.aten.endswith("Integer") for e in events)
    meta = {"onnx": {"file": Path(path).name, "producer": graph.producer, "opset": graph.opset,
                     **{k: dict(sorted(v.items())) for k, v in walker.counts.items() if v}}}
    w = Workload(model=Path(path).stem, layers=tuple(layers),
                 img_size=int(first[-1]) if first and len(first) == 4 else 224,
                 batch=int(first[0]) if first else 1, recipe="onnx" if quantized else "none", source="onnx",
                 meta=meta)
    return w.with_batch(batch) if batch is not None and batch != w.batch else w


def _leaves(events) -> None:
    """An event is a leaf (named by its path alone when it is its module's only layer) unless another event's
    path lies under its own."""
    prefixes = set()
    for ev in events:
        parts = ev.path.split(".")
        prefixes.update(".".join(parts[:i]) for i in range(1, len(parts)))
    for ev in events:
        ev.leaf = bool(ev.path) and ev.path not in prefixes
