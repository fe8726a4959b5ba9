"""THE workload resolver: a workload file, a zoo name, an analytic model (+ recipe) or a timm model -> ``Workload``.

``resolve_workload(spec)`` reads ``spec`` as, in order:
  1. a path (a ``Path``, or it contains a path separator or ends in .yaml/.yml/.json/.onnx/.pt2) -> that workload
     file, or, ending in ``.onnx``, that ONNX model imported (``workloads.onnx_import``: docs/onnx.md), or, ending in
     ``.pt2``, that torch.export program imported (``workloads.trace.export``: docs/onnx.md);
  2. a zoo name (``deit_small-w4a4``, shipped in ``workloads/zoo``);
  3. an analytic model (``deit_small``, ``vit_large``, ``vit_base_patch16_224``: ``workloads.vit.PRESETS``);
  4. an existing file without a suffix;
  5. a timm model name, traced by ``workloads.trace`` (needs the ``trace`` extra).
``resolve_workload(model=NAME)`` reads NAME as a model only (an ``.onnx`` or ``.pt2`` path, 3, then 5). ``recipe`` (a shipped name or a YAML file)
quantizes the result; ``batch`` sets the images per batch (a file is rescaled); ``img_size`` builds or traces a model
at another input size (a file keeps its own).
"""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from importlib.util import find_spec
from pathlib import Path

from workloads.errors import WorkloadError, require_int
from workloads.io import looks_like_path
from workloads.model import Workload

WORKLOAD_SUFFIXES = (".yaml", ".yml", ".json", ".onnx", ".pt2")
MODEL_SUFFIXES = (".onnx", ".pt2")       # model files imported rather than read
TRACE_EXTRA = "pip install 'vitsim[trace]'"


def zoo_names() -> list[str]:
    """Names of the pre-built workloads shipped in ``workloads/zoo``."""
    return sorted(p.name[:-5] for p in resources.files("workloads.zoo").iterdir() if p.name.endswith(".yaml"))


def zoo_path(name: str) -> Path:
    return Path(str(resources.files("workloads.zoo") / f"{name}.yaml"))


def model_names() -> list[str]:
    """Analytic model names: every preset and its short form (``deit_small``, ``vit_large``)."""
    from workloads.vit import PRESETS, SHORT_NAMES

    return sorted(set(PRESETS) | set(SHORT_NAMES))


def resolve_workload(spec: str | Path | None = None, *, model: str | None = None, recipe: str | None = None,
                     batch: int | None = None, img_size: int | None = None) -> Workload:
    """The workload ``spec`` or ``model`` names (rules in the module docstring), quantized by ``recipe``, at ``batch``.

    Every problem is a one-line ``WorkloadError`` (sources ``workload``, ``model``, ``batch``, ...: no CLI flags)."""
    if (spec is None) == (model is None):
        raise WorkloadError("workload", "", "name either a workload or a model (exactly one)")
    if batch is not None:
        batch = require_int("workload", "batch", batch, 1)
    if img_size is not None:
        img_size = require_int("workload", "img_size", img_size, 1)
    if model is not None:
        if is_onnx(model):
            return _onnx(model, recipe, batch, img_size)
        return _model(str(model), recipe, batch, img_size, "model")
    kind = spec_kind(spec)
    if kind == "file" and is_onnx(spec):
        return _onnx(spec, recipe, batch, img_size)
    if kind == "file":
        return _sized(Workload.load(spec), recipe, batch, img_size)
    if kind == "zoo":
        return _sized(Workload.load(zoo_path(str(spec))), recipe, batch, img_size)
    return _model(str(spec), recipe, batch, img_size, "workload")


def spec_kind(spec: str | Path) -> str:
    """How ``resolve_workload(spec)`` reads ``spec`` (module docstring): ``file``, ``zoo`` or ``model``."""
    if looks_like_path(spec, WORKLOAD_SUFFIXES):
        return "file"
    spec = str(spec)
    if spec in zoo_names():
        return "zoo"
    if spec not in model_names() and Path(spec).is_file():
        return "file"
    return "model"


def is_onnx(spec: str | Path) -> bool:
    """Whether a workload or model argument names a model file to import: an ONNX model (``.onnx``) or a
    torch.export program (``.pt2``)."""
    return Path(str(spec)).suffix.lower() in MODEL_SUFFIXES


def _onnx(spec: str | Path, recipe: str | None, batch: int | None, img_size: int | None) -> Workload:
    """A model file imported (ONNX: ``workloads.onnx_import``; torch.export: ``workloads.trace.export``), then as a
    workload file: recipe, batch."""
    if Path(str(spec)).suffix.lower() == ".pt2":
        from workloads.trace.export import import_export

        return _sized(import_export(spec, batch), recipe, batch, img_size)
    from workloads.onnx_import import import_onnx

    return _sized(import_onnx(spec, batch), recipe, batch, img_size)


def describe_spec(spec: str | Path | None = None, model: str | None = None) -> str:
    """What a workload argument was read as, for the output: ``zoo deit_small-w4a4 (<path>)``, ``file x.yaml``,
    ``analytic model deit_small``, ``timm model NAME (traced)``."""
    from workloads.vit import PRESETS, SHORT_NAMES

    kind = "model" if model is not None else spec_kind(spec)
    name = str(model if model is not None else spec)
    if kind == "zoo":
        return f"zoo workload {name} ({zoo_path(name)})"
    if kind == "file" or (kind == "model" and is_onnx(name)):
        kind = {".onnx": "ONNX model", ".pt2": "torch.export program"}.get(Path(name).suffix.lower(), "workload file")
        return f"{kind} {Path(name).resolve()}"
    return (f"analytic model {SHORT_NAMES.get(name, name)}" if SHORT_NAMES.get(name, name) in PRESETS
            else f"timm model {name} (traced)")


def _sized(w: Workload, recipe: str | None, batch: int | None, img_size: int | None) -> Workload:
    """A loaded workload quantized by ``recipe`` and rescaled to ``batch``; its image size is fixed."""
    if img_size is not None and img_size != w.img_size:
        raise WorkloadError(w.name, "img_size", f"a workload file is built for {w.img_size} pixels; build or trace "
                            "the model to change it", str(w.img_size))
    if recipe is not None:
        from workloads.quantize import load_recipe

        w = load_recipe(recipe).apply(w)
    return w.with_batch(batch) if batch is not None else w


def _model(name: str, recipe: str | None, batch: int | None, img_size: int | None, what: str) -> Workload:
    """An analytic preset if ``name`` is one, else the traced timm model; ``what`` (workload | model) was asked for."""
    from workloads.vit import PRESETS, SHORT_NAMES, build_vit

    full = SHORT_NAMES.get(name, name)
    if full in PRESETS:
        cfg = PRESETS[full] if img_size is None else replace(PRESETS[full], img_size=img_size)
        w = build_vit(cfg, batch=batch or 1, model=full)
        return _sized(w, recipe, None, None)
    kinds = "a workload file, a zoo name, an analytic model" if what == "workload" else "an analytic model"
    known = ", ".join((zoo_names() if what == "workload" else []) + model_names())
    if find_spec("torch") is None or find_spec("timm") is None:
        raise WorkloadError(what, "", f"unknown {what} {name!r}: not {kinds}; timm models are traced, which needs "
                            f"the 'trace' extra ({TRACE_EXTRA})", known)
    import timm

    if name.split(".")[0] not in timm.list_models():
        raise WorkloadError(what, "", f"unknown {what} {name!r}: not {kinds} or a timm model", known + ", timm models")
    from workloads.progress import progress
    from workloads.trace import trace

    if recipe is not None:   # a wrong recipe is one line before the trace, not after it
        from workloads.quantize import load_recipe

        load_recipe(recipe)
    progress(f"tracing timm model {name} (shapes only, no weights; about 5-60 s)")
    return trace(name, img_size=img_size, batch=batch or 1, recipe=recipe)
