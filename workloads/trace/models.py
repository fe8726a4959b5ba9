"""timm models for tracing: built with ``pretrained=False`` (nothing downloaded), fused attention off."""

from __future__ import annotations

import warnings

from workloads.errors import WorkloadError, require_int
from workloads.trace.bits import require_torch


def check_model_name(name: str):
    """timm (imported) when ``name`` is one of its models (a pretrained tag such as ``.fb_in1k`` is fine), else a
    ``WorkloadError`` listing close names."""
    try:
        import timm
    except ImportError:  # pragma: no cover
        raise WorkloadError("trace", "timm", "timm is not installed", "pip install -e '.[trace]'") from None
    if name.split(".")[0] not in timm.list_models():
        close = timm.list_models(f"*{name.split('.')[0]}*")[:10]
        raise WorkloadError("--model", "model", f"unknown timm model {name!r}",
                            ", ".join(close) if close else "see `python -m workloads list` or timm.list_models()")
    return timm


def create_model(name: str, img_size: int | None = None, device: str = "meta"):
    """timm model ``name`` with ``pretrained=False`` and fused attention off, in eval mode, on ``device``.

    On ``meta`` nothing is allocated or initialised (shapes only); use ``cpu`` for real numerics. The model is built
    with timm's default fused-attention setting (``TIMM_FUSED_ATTN`` 1: stable modules fused, experimental ones such
    as Swin's ``WindowAttention`` not); the paths of the modules that would call ``scaled_dot_product_attention``
    are kept as ``model.vitsim_sdpa_modules`` and every module is then switched to its unfused path, so the tracer
    sees the model's own attention ops."""
    torch = require_torch()
    timm = check_model_name(name)
    torch.set_num_threads(1)
    timm.layers.set_fused_attn(True)      # timm's default: what its benchmark.py runs
    kw = {"pretrained": False}
    if img_size is not None:
        kw["img_size"] = require_int("--img-size", "img_size", img_size, 1)
    try:
        with torch.device(device):
            model = timm.create_model(name, **kw)
    except TypeError:
        if "img_size" not in kw:
            raise
        del kw["img_size"]  # convolutional models (EfficientViT, LeViT-conv) take any input size
        warnings.warn(f"{name} has no img_size argument: built at its default and fed {img_size}x{img_size} "
                      "images", stacklevel=2)
        with torch.device(device):
            model = timm.create_model(name, **kw)
    timm.layers.set_fused_attn(False)
    sdpa = []
    for path, m in model.named_modules():
        if getattr(m, "fused_attn", False) is True:
            sdpa.append(path)
            m.fused_attn = False
    model.vitsim_sdpa_modules = tuple(sdpa)
    return model.eval()


def model_input_size(model, img_size: int | None) -> tuple[int, int, int]:
    """(C, H, W) the model expects: ``img_size`` if given, else its pretrained config."""
    cfg = getattr(model, "pretrained_cfg", None) or getattr(model, "default_cfg", {}) or {}
    c, h, w = cfg.get("input_size", (3, 224, 224))
    if img_size:
        h = w = img_size
    return c, h, w
