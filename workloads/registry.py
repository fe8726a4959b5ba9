"""``load_workload`` and ``build_model``: the public names of ``workloads.resolve.resolve_workload`` (kept for API
compatibility; every command resolves through ``resolve_workload``)."""

from __future__ import annotations

from pathlib import Path

from workloads.model import Workload
from workloads.resolve import resolve_workload, zoo_names, zoo_path

__all__ = ["build_model", "load_workload", "zoo_names", "zoo_path"]


def load_workload(spec: str | Path) -> Workload:
    """A workload file (``.yaml``/``.json``), a zoo name, or a model name; unknown names list what exists."""
    return resolve_workload(spec)


def build_model(model: str, recipe: str | None = None, batch: int = 1) -> Workload:
    """Model ``model`` (an analytic preset such as ``deit_base`` or ``vit_large``, else a timm name) quantized by
    ``recipe`` (a shipped name or a YAML path)."""
    return resolve_workload(model=model, recipe=recipe, batch=batch)
