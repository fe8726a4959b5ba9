"""vitsim workloads: what runs (layers, shapes, bit widths). Knows no hardware."""

from workloads.errors import InputError, WorkloadError
from workloads.model import Layer, Workload
from workloads.quantize import Recipe, load_recipe
from workloads.registry import build_model, load_workload, zoo_names
from workloads.vit import PRESETS, ViTConfig, build_preset, build_vit

__all__ = ["InputError", "WorkloadError", "Layer", "Workload", "Recipe", "load_recipe", "build_model",
           "load_workload", "zoo_names", "PRESETS", "ViTConfig", "build_preset", "build_vit"]
