"""Trace a real torch/timm model into a vitsim ``Workload``: one ``Layer`` per arithmetic op, in execution order.

- ``ops``: the aten op table (GEMM, vector, elementwise, reduction, layout) and ``Event``, one traced op.
- ``tracer``: the ``TorchDispatchMode`` + module hooks that record events, and ``trace_module(model, inputs)``.
- ``naming``: module path + role (``qk``, ``av``, ``residual`` ...) -> layer names; events -> layers.
- ``bits``: bit widths from fake-quant modules, ``torch.ao`` quantized linears, or tensor dtypes.
- ``models``: timm models built with ``pretrained=False``.
- ``api``: ``trace(name)``.
- ``quantized``: the fake-quantized trace with per-layer SQNR (uses ``workloads.fakequant``, which knows nothing
  of this package).
``torch`` and ``timm`` are imported inside functions: importing this package does not load them.
"""

from workloads.trace.api import trace
from workloads.trace.bits import dtype_bits, module_bits
from workloads.trace.models import create_model, model_input_size
from workloads.trace.naming import events_to_layers
from workloads.trace.ops import Event
from workloads.trace.quantized import trace_quantized, with_sqnr
from workloads.trace.tracer import run_events, trace_module

__all__ = ["Event", "create_model", "dtype_bits", "events_to_layers", "model_input_size", "module_bits",
           "run_events", "trace", "trace_module", "trace_quantized", "with_sqnr"]
