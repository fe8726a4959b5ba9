"""vitsim simulator: how long and how much energy a workload takes on a systolic-array accelerator.

``simulate(workload, hardware)`` is the entry point; ``load_hardware(path_or_name)`` reads a config
(a file, or a shipped name such as ``int4``); ``simulator.model.batch`` evaluates many designs at once.
Importing this package loads nothing heavy: the names below are imported on first use (PEP 562).
"""

from importlib import import_module

_EXPORTS = {"ConfigError": "simulator.hardware", "Hardware": "simulator.hardware", "SimResult": "simulator.results",
            "Totals": "simulator.results", "LayerResult": "simulator.results", "load_hardware": "simulator.loader",
            "simulate": "simulator.engine", "simulate_layer": "simulator.engine", "simulate_rows": "simulator.engine",
            "simulate_totals": "simulator.engine"}
__all__ = ["ConfigError", "Hardware", "LayerResult", "SimResult", "Totals", "load_hardware", "simulate", "simulate_layer",
           "simulate_rows", "simulate_totals"]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")
