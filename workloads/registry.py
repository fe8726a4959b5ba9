"""Find a workload by file path, zoo name (``deit_small-w4a4``) or model + recipe."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from workloads.errors import WorkloadError
from workloads.model import Workload


def zoo_names() -> list[str]:
    """Names of the pre-built workloads shipped in ``workloads/zoo``."""
    return sorted(p.name[:-5] for p in resources.files("workloads.zoo").iterdir() if p.name.endswith(".yaml"))


def zoo_path(name: str) -> Path:
    return Path(str(resources.files("workloads.zoo") / f"{name}.yaml"))


def load_workload(spec: str) -> Workload:
    """A workload file (``.yaml``/``.json``) or a zoo name; unknown names list what exists."""
    path = Path(spec)
    if path.suffix in (".yaml", ".yml", ".json") or path.exists():
        return Workload.load(path)
    if spec in zoo_names():
        return Workload.load(zoo_path(spec))
    raise WorkloadError("--workload", "workload", f"unknown workload {spec!r} (not a file nor a zoo name)",
                        ", ".join(zoo_names()))


def build_model(model: str, recipe: str | None = None, batch: int = 1) -> Workload:
    """Analytic preset ``model`` quantized by ``recipe`` (a shipped name or a YAML path)."""
    from workloads.quantize import load_recipe
    from workloads.vit import build_preset

    w = build_preset(model, batch=batch)
    return load_recipe(recipe).apply(w) if recipe else w
