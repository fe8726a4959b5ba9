"""Import a saved torch.export program (``torch.export.save``, a ``.pt2`` file) as a vitsim ``Workload``.

``import_export(path, batch=None)``: the program is loaded (``torch.export.load``), its module hierarchy restored
(``torch.export.unflatten``: layer names are the original modules' paths, ``blocks.3.attn.qkv``, as the timm tracer
names them) and traced by the one tracer (``workloads.trace.tracer.trace_module``) on a zero input of the
program's input shape, on the CPU with the program's own weights (nothing is downloaded). Bit widths: a program
quantized with PT2E (``quantize_pt2e``) or written with ``torch.ops.quantized_decomposed`` (de)quantize ops carries
them in the graph: a GEMM's weight and input bits, scale granularity and zero points come from the dequantize ops
that feed it, its out_bits from the quantize op that reads its output (``tracer._qdq``); a float program is float
(a recipe quantizes it like any traced model). The program must take one tensor input, batch first; a symbolic
batch dimension takes ``batch`` (default 1), a fixed one is rescaled (``Workload.with_batch``).
"""

from __future__ import annotations

from pathlib import Path

from workloads.errors import WorkloadError
from workloads.model import Workload
from workloads.trace.bits import require_torch


def import_export(path: str | Path, batch: int | None = None) -> Workload:
    import importlib

    torch = require_torch()
    importlib.import_module("torch.ao.quantization.fx._decomposed")  # registers quantized_decomposed ops

    from workloads.trace.tracer import trace_module

    src = str(path)
    if not Path(src).is_file():
        raise WorkloadError(src, "", "no such file", "a program saved by torch.export.save (.pt2)")
    import logging
    import zipfile

    allowed = "a program saved by torch.export.save (.pt2)"
    if not zipfile.is_zipfile(src):
        raise WorkloadError(src, "", "not a torch.export program (not a zip archive)", allowed)
    log = logging.getLogger("torch.export")
    level = log.level
    log.setLevel(logging.CRITICAL)      # torch logs a traceback before raising: the one line below says it
    try:
        ep = torch.export.load(src)
    except Exception as e:  # noqa: BLE001 (a damaged or foreign file: one line, the loader's reason)
        raise WorkloadError(src, "", f"not a torch.export program ({type(e).__name__}: {str(e)[:120]})",
                            allowed) from None
    finally:
        log.setLevel(level)
    inputs = [n for n in ep.graph.nodes if n.op == "placeholder" and n.name in ep.graph_signature.user_inputs]
    vals = [n.meta.get("val") for n in inputs]
    if len(vals) != 1 or not isinstance(vals[0], torch.Tensor):
        raise WorkloadError(src, "inputs", f"{len(vals)} inputs ({', '.join(n.name for n in inputs) or 'none'})",
                            "one tensor input (an image batch)")
    shape = []
    for i, d in enumerate(vals[0].shape):
        if isinstance(d, int):
            shape.append(d)
        elif i == 0:
            shape.append(batch or 1)
        else:
            raise WorkloadError(src, f"inputs.{inputs[0].name}.shape[{i}]", f"symbolic dimension {d}",
                                "a fixed size (only the batch dimension may be symbolic)")
    module = torch.export.unflatten(ep)
    x = torch.zeros(shape, dtype=vals[0].dtype)
    with torch.inference_mode():
        w, _ = trace_module(module, x, model_name=Path(src).stem)
    if batch is not None and w.batch != batch:
        w = w.with_batch(batch)
    return w
