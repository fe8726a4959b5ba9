"""Hardware: a systolic array with its PEs, buffers, DRAM, vector unit, PPU, non-linear units and technology.

``config``: the frozen dataclasses and enums (``Dataflow``, ``PEType``, ``TemporalTiling``), ``ConfigError``;
``validate``: ``hardware_from_dict`` (validate every field, then build). Files and shipped names are read by
``simulator.loader.load_hardware`` (also ``simulator.load_hardware``).
"""

from simulator.hardware.config import (
                                       DATAFLOWS,
                                       DTYPES,
                                       FP_EXACT_INT_BITS,
                                       PE_TYPES,
                                       TEMPORAL_TILINGS,
                                       ArrayConfig,
                                       BufferConfig,
                                       ConfigError,
                                       Dataflow,
                                       DramConfig,
                                       Hardware,
                                       HostConfig,
                                       NonlinearConfig,
                                       PEConfig,
                                       PEType,
                                       PPUConfig,
                                       PrecisionMode,
                                       SparsityConfig,
                                       TechConfig,
                                       TemporalTiling,
                                       VectorConfig,
                                       bitserial_macs_per_cycle,
)
from simulator.hardware.validate import FLOAT_FORMATS, SCALE_BITS, SERIAL_OPERANDS, hardware_from_dict

__all__ = [
                                       "DATAFLOWS",
                                       "DTYPES",
                                       "FLOAT_FORMATS",
                                       "FP_EXACT_INT_BITS",
                                       "PE_TYPES",
                                       "SCALE_BITS",
                                       "SERIAL_OPERANDS",
                                       "TEMPORAL_TILINGS",
                                       "ArrayConfig",
                                       "BufferConfig",
                                       "ConfigError",
                                       "Dataflow",
                                       "DramConfig",
                                       "Hardware",
                                       "HostConfig",
                                       "NonlinearConfig",
                                       "PEConfig",
                                       "PEType",
                                       "PPUConfig",
                                       "PrecisionMode",
                                       "SparsityConfig",
                                       "TechConfig",
                                       "TemporalTiling",
                                       "VectorConfig",
                                       "bitserial_macs_per_cycle",
                                       "hardware_from_dict",
]
