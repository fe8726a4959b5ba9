"""Trace with fake quantization: the FP32 trace says which ops are GEMMs, ``workloads.fakequant`` quantizes those
in the torch model, and a second trace reads the bits back and measures each layer's SQNR against FP32.
(``workloads.fakequant`` knows nothing of the tracer; the tracer reads what fake-quant ops declare through
``workloads.op_context``.)
"""

from __future__ import annotations

from dataclasses import replace

from workloads.errors import WorkloadError
from workloads.fakequant import calibrate, quantize_model, sqnr_db, synthetic_images
from workloads.model import Workload
from workloads.quantize import load_recipe
from workloads.trace.models import create_model, model_input_size
from workloads.trace.tracer import trace_module


def with_sqnr(workload: Workload, sqnr: dict[str, float]) -> Workload:
    """Copy of ``workload`` with ``sqnr_db`` set on the named layers."""
    return replace(workload, layers=tuple(replace(x, sqnr_db=round(sqnr[x.name], 3)) if x.name in sqnr else x
                                          for x in workload.layers))


def trace_quantized(name: str, recipe: str, *, img_size: int | None = None, batch: int = 1,
                    calibration: str = "minmax", percentile: float = 99.99, calib_batches: int = 4,
                    seed: int = 0):
    """Trace timm ``name``, fake-quantize it by ``recipe``, calibrate, and return the quantized model's workload
    with each layer's SQNR (dB) against the FP32 model on the same synthetic images."""
    import torch

    rec = load_recipe(recipe)
    if calib_batches < 1:
        raise WorkloadError("--calib-batches", "calib_batches", f"{calib_batches} is below 1", "integers >= 1")
    torch.manual_seed(seed)
    model = create_model(name, img_size, device="cpu")
    c, h, w = model_input_size(model, img_size)
    images = synthetic_images(batch, c, h, w, seed)
    ref: list = []
    # no layout layers: the fake-quant modules change which copies a strided input needs; SQNR is per arithmetic op
    fp, events = trace_module(model, images, model_name=name, img_size=h, layout=False,
                              on_output=lambda i, t: ref.append(t.detach().clone()))
    planned = rec.apply(fp)
    quantize_model(model, planned, events, calibration, percentile)
    calibrate(model, [synthetic_images(batch, c, h, w, seed + 1 + i) for i in range(calib_batches)])
    sq: dict[int, float | None] = {}
    traced, _ = trace_module(model, images, model_name=name, img_size=h, layout=False,
                             on_output=lambda i, t: sq.__setitem__(i, sqnr_db(ref[i], t) if i < len(ref) else None))
    if [x.name for x in traced.layers] != [x.name for x in fp.layers]:
        raise RuntimeError(f"{name}: the fake-quantized model traced to different layers than the FP32 model")
    for got, want in zip(traced.layers, planned.layers):  # bits read back from the quantized model
        if got.is_gemm and (got.w_bits, got.a_bits) != (want.w_bits, want.a_bits):
            raise RuntimeError(f"{name}: layer {got.name} traced as {got.precision}, recipe says {want.precision}")
    final = rec.apply(traced)
    final = with_sqnr(final, {x.name: sq[i] for i, x in enumerate(final.layers) if sq.get(i) is not None})
    meta = dict(final.meta)
    meta["fakequant"] = {"calibration": calibration, "percentile": percentile if calibration == "percentile" else None,
                         "calib_batches": calib_batches, "batch": batch, "images": "synthetic (seeded smooth noise)",
                         "weights": "timm random init (pretrained=False)", "seed": seed,
                         "sqnr": "dB of each layer's output vs the FP32 model on the same images"}
    values = [x.sqnr_db for x in final.layers if x.is_gemm and x.sqnr_db is not None]
    acc = {"kind": "sqnr", "sqnr_db": round(sum(values) / len(values), 3), "min_sqnr_db": min(values),
           "source": "mean SQNR of the GEMM layers on synthetic images with random weights: numerics, not accuracy "
                     "(docs/accuracy.md)"} if values else None
    return replace(final, meta=meta, accuracy=acc)
