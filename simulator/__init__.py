"""vitsim simulator: how long and how much energy a workload takes on a systolic-array accelerator.

``simulate(workload, hardware)`` is the entry point; ``load_hardware(path_or_name)`` reads a config
(a file, or a shipped name such as ``int4``).
Importing this package does not import torch, matplotlib or dask.
"""

from simulator.engine import simulate, simulate_layer, simulate_rows, simulate_totals
from simulator.hardware import ConfigError, Hardware
from simulator.loader import load_hardware
from simulator.results import SimResult

__all__ = ["ConfigError", "Hardware", "SimResult", "load_hardware", "simulate", "simulate_layer", "simulate_rows", "simulate_totals"]
