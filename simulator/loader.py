"""Hardware by path or by shipped short name: a vitsim YAML/JSON, a SCALE-Sim ``.cfg``, or ``int4``, ``tpu_v1`` ...

An argument is a path when it is a ``Path`` or contains a path separator or ends in .yaml/.yml/.json/.cfg; otherwise
it names a shipped config (``hwconfigs.names()``, found wherever the package is installed) or, failing that, an
existing file without a suffix.
"""

from __future__ import annotations

from pathlib import Path

import hwconfigs
from simulator.hardware import ConfigError, Hardware, hardware_from_dict
from simulator.scalesim_cfg import load_scalesim_cfg
from workloads.errors import InputError
from workloads.io import looks_like_path, read_structured

HARDWARE_SUFFIXES = (".yaml", ".yml", ".json", ".cfg")


def hardware_names() -> list[str]:
    """Short names of the shipped hardware configs."""
    return hwconfigs.names()


def hardware_path(spec: str | Path) -> Path:
    """The file ``spec`` names (rules in the module docstring); an unknown name is a ``ConfigError`` listing them."""
    if looks_like_path(spec, HARDWARE_SUFFIXES):
        return Path(spec)
    found = hwconfigs.find(str(spec))
    if found is not None:
        return found
    if Path(spec).is_file():
        return Path(spec)
    raise ConfigError("hardware", "", f"unknown hardware {str(spec)!r}: not a file nor a shipped config",
                      ", ".join(hardware_names()))


def describe_hardware(spec: str | Path) -> str:
    """What a hardware argument was read as, for the output: ``shipped config int4 (<path>)``, ``file <path>``."""
    path = hardware_path(spec)
    if not looks_like_path(spec, HARDWARE_SUFFIXES) and hwconfigs.find(str(spec)) == path:
        return f"shipped config {spec} ({path})"
    return f"{'SCALE-Sim config' if path.suffix == '.cfg' else 'hardware file'} {path.resolve()}"


def load_hardware(spec: str | Path, overrides=()) -> Hardware:
    """Read a hardware config by path or shipped name; a ``.cfg`` file is read as a SCALE-Sim config.
    ``overrides``: ``(dotted key, value)`` pairs set in the mapping before validation (``simulator.overrides``;
    a ``.cfg`` is first turned into its vitsim mapping)."""
    from simulator.overrides import apply_sets

    path = hardware_path(spec)
    if path.suffix == ".cfg":
        hw = load_scalesim_cfg(path)
        if not overrides:
            return hw
        data = hw.to_dict()
    else:
        try:
            data = read_structured(path)
        except InputError as e:
            allowed = f"a hardware file or a shipped name: {', '.join(hardware_names())}" if not path.exists() else None
            raise ConfigError(e.source, e.field, e.problem, allowed or e.allowed) from None
    try:
        data = apply_sets(data, overrides, str(path))
    except InputError as e:
        raise ConfigError(e.source, e.field, e.problem, e.allowed) from None
    return hardware_from_dict(data, str(path))
