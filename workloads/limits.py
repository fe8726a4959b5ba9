"""Size and work limits: oversize input is refused before anything is allocated, with a message naming the
limit, the estimate and what to change. Each limit has a default for a laptop and an environment variable.

| limit | variable | default | why this default |
|---|---|---|---|
| input_bytes | VITSIM_MAX_INPUT_BYTES | 64 MiB | one YAML/JSON/cfg/CSV input; the largest shipped file (a zoo workload) is 40 KiB |
| onnx_bytes | VITSIM_MAX_ONNX_BYTES | 2 GiB | one ONNX model read by `workloads import` (protobuf's own limit; weights inline) |
| yaml_nodes | VITSIM_MAX_YAML_NODES | 1,000,000 | nodes of one YAML document with its aliases expanded (an alias bomb: 10^9 from 600 bytes); values of one JSON document |
| yaml_depth | VITSIM_MAX_YAML_DEPTH | 100 | nesting of one document (a hardware YAML nests 4 deep) |
| folds | VITSIM_MAX_FOLDS | 1,000,000,000 | fold-walk steps of one simulation: seconds to a minute, compiled |
| points | VITSIM_MAX_POINTS | 10,000,000 | sweep points (designs x workloads): hours of work, ~1.4 GB of Parquet |
| axis_values | VITSIM_MAX_AXIS_VALUES | 1,000,000 | values of one sweep axis, held in memory |

Above a limit the input is refused (exit 2) before the work starts; set the variable higher to allow it.
benchmarks/bench_corpus.py measures the time per fold-walk step and what each refused case costs.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from workloads.errors import InputError


@dataclass(frozen=True)
class Limit:
    name: str
    variable: str
    default: int
    unit: str


LIMITS = {lim.name: lim for lim in (
    Limit("input_bytes", "VITSIM_MAX_INPUT_BYTES", 64 * 2 ** 20, "bytes"),
    Limit("onnx_bytes", "VITSIM_MAX_ONNX_BYTES", 2 ** 31, "bytes"),
    Limit("yaml_nodes", "VITSIM_MAX_YAML_NODES", 1_000_000, "YAML nodes (aliases expanded)"),
    Limit("yaml_depth", "VITSIM_MAX_YAML_DEPTH", 100, "levels of nesting"),
    Limit("folds", "VITSIM_MAX_FOLDS", 1_000_000_000, "fold-walk steps"),
    Limit("points", "VITSIM_MAX_POINTS", 10_000_000, "sweep points"),
    Limit("axis_values", "VITSIM_MAX_AXIS_VALUES", 1_000_000, "values of one axis"),
    Limit("layers", "VITSIM_MAX_LAYERS", 100_000, "layers"),
    Limit("cfg_entries", "VITSIM_MAX_CFG_ENTRIES", 10_000, "cfg lines"),
    Limit("result_rows", "VITSIM_MAX_RESULT_ROWS", 10_000_000, "result rows"),
    Limit("result_bytes", "VITSIM_MAX_RESULT_BYTES", 2 * 2 ** 30, "bytes of result columns in memory"),
)}


def limit(name: str) -> int:
    """The limit ``name`` (``LIMITS``): its environment variable when set to a positive integer, else the default."""
    lim = LIMITS[name]
    raw = os.environ.get(lim.variable)
    if raw is None or raw == "":
        return lim.default
    try:  # "1e9" is accepted; "1e400", "inf", "nan" and 5,000-digit numbers are not
        number = float(raw)
        value = int(number) if math.isfinite(number) and number <= 2 ** 63 else -1
    except (ValueError, OverflowError):
        value = -1
    if value < 1:
        raise InputError(lim.variable, "", f"{_short(raw)} is not a positive integer up to 2^63",
                         f"integers >= 1 ({lim.unit})")
    return value


def _short(raw: str) -> str:
    text = repr(raw)
    return text if len(text) <= 40 else text[:37] + "..."


def check(name: str, estimate: float, source: str, field: str, change: str) -> None:
    """Refuse (``InputError``) when ``estimate`` exceeds the limit ``name``; ``change`` says what to change."""
    cap = limit(name)
    if estimate > cap:
        lim = LIMITS[name]
        raise InputError(source, field, f"{estimate:,.0f} {lim.unit} exceed the limit of {cap:,}",
                         f"{change}, or set {lim.variable} higher")
