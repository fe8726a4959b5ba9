"""Real accuracy on the user's images: top-1 and top-5 of a timm model in FP32 and fake-quantized by a recipe.

``evaluate_accuracy(model, recipe, data)``:
  1. builds timm ``model`` with its weights from ``checkpoint`` (a state dict, a ``{"model"|"state_dict": ...}``
     checkpoint, or a vitsim checkpoint that also carries ``model_kwargs`` and ``data_config``), else from the local
     timm / Hugging Face cache with the hub offline: nothing is ever downloaded;
  2. reads ``data`` as an ImageFolder (one sub-directory per class, classes in sorted order = label index, as
     torchvision and the ImageNet validation layout have it) through timm's evaluation transform for the model;
  3. evaluates FP32 on ``limit`` images (a seeded random subset; all when None);
  4. traces the model once, applies the recipe (``workloads.quantize``), fake-quantizes it in place
     (``workloads.fakequant``), calibrates on ``calib`` images (from ``calib_data``, else from the evaluation
     directory, preferring images outside the evaluated subset), and evaluates it on the same images.
top-k = 100 * (images whose label is among the k highest logits) / images, in percent.
A progress bar goes to stderr. The quantized workload (the recipe applied to the model's trace) comes back with
its measured accuracy attached.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from workloads.errors import WorkloadError


def _torch():
    try:
        import timm
        import torch
    except ImportError:  # pragma: no cover - depends on the environment
        raise WorkloadError("evaluate", "torch", "torch and timm are not installed", "pip install -e '.[trace]'") \
            from None
    return torch, timm


@contextmanager
def _hub_offline():
    """The hub libraries offline for the duration: the variables, and the constant ``huggingface_hub`` read from
    them when it was imported (setting the variable after that import changes nothing)."""
    keys = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    old = {k: os.environ.get(k) for k in keys}
    os.environ.update({k: "1" for k in keys})
    const = sys.modules.get("huggingface_hub.constants")
    was = getattr(const, "HF_HUB_OFFLINE", None)
    if const is not None:
        const.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        if const is not None:
            const.HF_HUB_OFFLINE = was
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


HF_FILES = ("model.safetensors", "pytorch_model.bin", "open_clip_pytorch_model.bin")


def local_weights(timm, name: str) -> str | None:
    """The path of ``name``'s pretrained weights in the local Hugging Face or torch-hub cache, or None. Only the
    disk is looked at (``huggingface_hub.try_to_load_from_cache``, ``torch.hub.get_dir()/checkpoints``): no
    network request is made, whatever the hub library's settings."""
    import torch

    cfg = timm.models.get_pretrained_cfg(name)
    cfg = cfg.to_dict() if hasattr(cfg, "to_dict") else dict(getattr(cfg, "__dict__", {}) if cfg else {})
    hub_id = cfg.get("hf_hub_id")
    if hub_id:
        try:
            from huggingface_hub import try_to_load_from_cache
        except ImportError:  # pragma: no cover - timm depends on it
            try_to_load_from_cache = None
        names = [cfg["hf_hub_filename"]] if cfg.get("hf_hub_filename") else list(HF_FILES)
        for fname in names if try_to_load_from_cache else ():
            hit = try_to_load_from_cache(hub_id, fname)
            if isinstance(hit, str) and Path(hit).is_file():
                return hit
    url = cfg.get("url")
    if url:
        hit = Path(torch.hub.get_dir()) / "checkpoints" / Path(url.split("?")[0]).name
        if hit.is_file():
            return str(hit)
    return None


def _check_dirs(data: str, calib_data: str | None) -> None:
    """``--data`` (and ``--calib-data``) must be directories: checked before anything slow is loaded."""
    for path, where in ((data, "data"), (calib_data, "calib_data")):
        if path is not None and not Path(path).is_dir():
            raise WorkloadError(str(path), where, "not a directory" if Path(path).exists() else "no such directory",
                                "an ImageFolder directory (one sub-directory of images per class)")


def _state_dict(obj):
    if isinstance(obj, dict):
        for key in ("state_dict", "model", "model_ema"):
            if isinstance(obj.get(key), dict):
                return obj[key]
    return obj


def _num_classes(sd) -> int | None:
    for key in ("head.weight", "head.fc.weight", "fc.weight", "classifier.weight", "head.linear.weight"):
        if key in sd and getattr(sd[key], "dim", lambda: 0)() == 2:
            return int(sd[key].shape[0])
    return None


def load_model(name: str, checkpoint: str | None = None):
    """(model in eval mode, data_config or None): timm ``name`` with weights from ``checkpoint`` or the local cache."""
    torch, timm = _torch()
    if name.split(".")[0] not in timm.list_models():
        close = timm.list_models(f"*{name.split('.')[0]}*")[:10]
        raise WorkloadError("evaluate", "model", f"unknown timm model {name!r}", ", ".join(close) or "timm names")
    timm.layers.set_fused_attn(False)  # attention matmuls must be visible to the fake-quant dispatch mode
    if checkpoint is None:
        local = local_weights(timm, name)
        if local is None:
            raise WorkloadError(name, "weights", "no local weights in the timm / Hugging Face cache; nothing is "
                                "downloaded", "--checkpoint FILE, or weights in the timm / Hugging Face cache")
        try:
            with _hub_offline():  # the weights come from this file: the hub is never asked
                model = timm.create_model(name, pretrained=True, pretrained_cfg_overlay={"file": local, "source": ""})
        except Exception as e:  # noqa: BLE001 - a cached file that does not load is the same user error
            raise WorkloadError(local, "weights", f"cannot load the cached weights ({type(e).__name__})",
                                "--checkpoint FILE") from None
        return model.eval(), None
    path = Path(checkpoint)
    if not path.is_file():
        raise WorkloadError(str(path), "checkpoint", "no such file")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            obj = load_file(str(path))
        else:
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001
        raise WorkloadError(str(path), "checkpoint", f"cannot read it: {type(e).__name__}: {e}") from None
    kwargs = dict(obj.get("model_kwargs") or {}) if isinstance(obj, dict) else {}
    sd = _state_dict(obj)
    n = _num_classes(sd)
    if n is not None:
        kwargs.setdefault("num_classes", n)
    try:
        model = timm.create_model(name, pretrained=False, **kwargs)
        model.load_state_dict(sd)
    except (RuntimeError, TypeError) as e:
        first = str(e).strip().splitlines()[0][:200]
        raise WorkloadError(str(path), "checkpoint", f"does not fit {name}: {first}") from None
    data_config = obj.get("data_config") if isinstance(obj, dict) else None
    return model.eval(), data_config


def image_folder(data: str, transform, where: str = "--data"):
    """torchvision ImageFolder of ``data``; one-line errors for a missing or empty directory."""
    from torchvision.datasets import ImageFolder

    path = Path(data)
    if not path.is_dir():
        raise WorkloadError(str(path), where.lstrip("-").replace("-", "_"), "not a directory",
                            "an ImageFolder directory (one sub-directory of images per class)")
    try:
        return ImageFolder(str(path), transform=transform)
    except (FileNotFoundError, RuntimeError) as e:
        raise WorkloadError(str(path), where.lstrip("-").replace("-", "_"), str(e).splitlines()[0]) from None


def topk_counts(logits, labels) -> tuple[int, int]:
    """(top-1 hits, top-5 hits) of a batch (top-5 is top-min(5, classes))."""
    k = min(5, logits.shape[1])
    top = logits.topk(k, dim=1).indices
    hit = top == labels[:, None]
    return int(hit[:, 0].sum()), int(hit.any(dim=1).sum())


def run_eval(model, loader, desc: str, progress: bool) -> dict:
    """Top-1/top-5 (%) of ``model`` over ``loader``, with a progress bar on stderr."""
    torch, _ = _torch()
    t1 = t5 = n = 0
    bar = _bar(len(loader.dataset), desc, progress)
    with torch.inference_mode():
        for x, y in loader:
            a, b = topk_counts(model(x), y)
            t1, t5, n = t1 + a, t5 + b, n + len(y)
            bar.update(len(y))
    bar.close()
    return {"top1": 100.0 * t1 / n, "top5": 100.0 * t5 / n, "images": n}


def _bar(total: int, desc: str, on: bool):
    try:
        from tqdm import tqdm

        return tqdm(total=total, desc=desc, unit="img", file=sys.stderr, disable=not on, leave=False)
    except ImportError:  # pragma: no cover
        class _Plain:
            def update(self, k):
                pass

            def close(self):
                if on:
                    print(f"{desc}: {total} images", file=sys.stderr)

        return _Plain()


def evaluate_accuracy(model_name: str, recipe: str, data: str, *, checkpoint: str | None = None, calib: int = 32,
                      limit: int | None = None, calib_data: str | None = None, batch_size: int = 32,
                      calibration: str = "minmax", percentile: float = 99.99, seed: int = 0,
                      progress: bool = True) -> tuple[dict, object]:
    """FP32 and quantized top-1/top-5 of ``model_name`` on ImageFolder ``data`` (module docstring).
    Returns (report dict, quantized Workload with its measured accuracy)."""
    _check_dirs(data, calib_data)  # before torch is imported or a model is built
    torch, timm = _torch()
    from torch.utils.data import DataLoader, Subset

    from workloads.errors import require_int
    from workloads.fakequant import calibrate, quantize_model
    from workloads.quantize import load_recipe
    from workloads.trace.tracer import trace_module

    start = time.process_time()
    wall = time.perf_counter()
    rec = load_recipe(recipe)
    calib = require_int("--calib", "calib", calib, 1)
    batch_size = require_int("--batch-size", "batch_size", batch_size, 1)
    torch.manual_seed(seed)
    model, data_config = load_model(model_name, checkpoint)
    cfg = timm.data.resolve_data_config(data_config or {}, model=model)
    transform = timm.data.create_transform(**cfg, is_training=False)
    ds = image_folder(data, transform)
    if len(ds) == 0:
        raise WorkloadError(data, "data", "no images found")
    classes = getattr(model, "num_classes", None)
    if classes is not None and len(ds.classes) > classes:
        raise WorkloadError(data, "data", f"{len(ds.classes)} class folders but the model has {classes} outputs",
                            f"at most {classes} classes")
    order = torch.randperm(len(ds), generator=torch.Generator().manual_seed(seed)).tolist()
    n_eval = len(ds) if limit is None else min(require_int("--limit", "limit", limit, 1), len(ds))
    eval_idx = sorted(order[:n_eval])
    if calib_data is not None:
        cds = image_folder(calib_data, transform, "--calib-data")
        cidx = torch.randperm(len(cds), generator=torch.Generator().manual_seed(seed + 1)).tolist()[:calib]
        calib_set, overlap = Subset(cds, cidx), False
    else:
        rest = order[n_eval:]
        cidx = (rest + order[:n_eval])[:calib]
        calib_set, overlap = Subset(ds, cidx), any(i in set(eval_idx) for i in cidx)
    loader = DataLoader(Subset(ds, eval_idx), batch_size=batch_size, shuffle=False, num_workers=0)
    fp32 = run_eval(model, loader, "fp32", progress)
    x0 = calib_set[0][0][None]
    fp_workload, events = trace_module(model, x0, model_name=model_name, img_size=int(x0.shape[-1]))
    planned = rec.apply(fp_workload)
    quantize_model(model, planned, events, calibration, percentile)
    calib_loader = DataLoader(calib_set, batch_size=batch_size, shuffle=False, num_workers=0)
    calibrate(model, (x for x, _ in calib_loader))
    quant = run_eval(model, loader, rec.name, progress)
    report = {
        "model": model_name, "recipe": rec.name, "data": str(data), "classes": len(ds.classes),
        "checkpoint": str(checkpoint) if checkpoint else "local cache",
        "images": fp32["images"], "calib_images": len(calib_set), "calibration": calibration,
        "calib_data": str(calib_data) if calib_data else str(data), "calibration_overlaps_eval": overlap,
        "fp32": {"top1": fp32["top1"], "top5": fp32["top5"]},
        "quantized": {"top1": quant["top1"], "top5": quant["top5"]},
        "top1_drop": fp32["top1"] - quant["top1"],
        "cpu_seconds": round(time.process_time() - start, 3), "wall_seconds": round(time.perf_counter() - wall, 3),
    }
    acc = {"kind": "measured", "top1": quant["top1"], "top5": quant["top5"], "fp32_top1": fp32["top1"],
           "images": fp32["images"], "source": f"python -m workloads evaluate on {data}"}
    return report, replace(planned, accuracy=acc)
