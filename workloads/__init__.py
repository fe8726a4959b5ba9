"""vitsim workloads: what runs (layers, shapes, bit widths). Knows no hardware."""

from workloads.errors import InputError, WorkloadError
from workloads.model import Layer, Workload
from workloads.quantize import Recipe, load_recipe
from workloads.registry import build_model, load_workload, zoo_names
from workloads.resolve import resolve_workload
from workloads.vit import PRESETS, ViTConfig, build_preset, build_vit

__all__ = [
           "PRESETS",
           "InputError",
           "Layer",
           "Recipe",
           "ViTConfig",
           "Workload",
           "WorkloadError",
           "build_model",
           "build_preset",
           "build_vit",
           "load_recipe",
           "load_workload",
           "resolve_workload",
           "zoo_names",
]
