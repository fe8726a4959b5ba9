"""``trace(name)``: a timm model name -> a ``Workload`` (optionally by a recipe, optionally fake-quantized)."""

from __future__ import annotations

import warnings

from workloads.errors import WorkloadError, require_int
from workloads.model import Workload
from workloads.trace.bits import require_torch
from workloads.trace.models import create_model, model_input_size
from workloads.trace.quantized import trace_quantized
from workloads.trace.tracer import trace_module


def trace(name: str, *, img_size: int | None = None, batch: int = 1, recipe: str | None = None,
          quantize: bool = False, calibration: str = "minmax", calib_batches: int = 4) -> Workload:
    """Trace timm model ``name`` into a Workload; apply ``recipe``; with ``quantize`` also fake-quantize the torch
    model by the recipe, calibrate on synthetic images and record each layer's SQNR (dB) against FP32."""
    torch = require_torch()
    torch.set_num_threads(1)
    batch = require_int("--batch", "batch", batch, 1)
    if quantize:
        if recipe is None:
            raise WorkloadError("--quantize", "recipe", "--quantize needs --recipe")
        return trace_quantized(name, recipe, img_size=img_size, batch=batch, calibration=calibration,
                               calib_batches=calib_batches)
    try:  # shapes only: nothing allocated, nothing initialised
        wl = _trace_on(name, img_size, batch, "meta")
    except (NotImplementedError, RuntimeError) as exc:  # a model doing data-dependent work in __init__/forward
        warnings.warn(f"{name}: tracing on the meta device failed ({exc.__class__.__name__}: {str(exc)[:120]}); "
                      "tracing on the CPU with real tensors", stacklevel=2)
        wl = _trace_on(name, img_size, batch, "cpu")
    if recipe:
        from workloads.quantize import load_recipe

        wl = load_recipe(recipe).apply(wl)
    return wl


def _trace_on(name: str, img_size: int | None, batch: int, device: str) -> Workload:
    torch = require_torch()
    model = create_model(name, img_size, device=device)
    c, h, w = model_input_size(model, img_size)
    x = torch.zeros(batch, c, h, w, device=device)
    return trace_module(model, x, model_name=name, img_size=h)[0]
