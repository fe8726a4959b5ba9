"""FPGA device tables (``devices.yaml``, a user's ``fpga.device_file`` or an inline row) and the unit prices
(``costs.yaml``): read, validated field by field (one ``ConfigError`` naming the file and the column), then frozen.

A device row has every column of ``DEVICE_COLUMNS`` (units in docs/fpga.md); its ``family`` selects the default
clock per precision class (``families:`` of the file, or the shipped one).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from simulator.hardware.config import ConfigError
from workloads.errors import InputError, require_choice, require_int, require_number, require_str
from workloads.io import read_structured

DSP_KINDS = ("dsp48e2", "dsp58", "intel_vp")
MAC_IMPLS = ("dsp", "lut", "auto")
MEMORY_KINDS = ("auto", "bram", "uram")
VECTOR_IMPLS = ("dsp", "lut")
FMAX_CLASSES = ("dsp8", "dsp4", "wide", "lut")
DEVICE_COLUMNS = ("name", "part", "board", "family", "dsp_kind", "dsp", "lut", "ff", "bram36", "bram_kbit", "uram",
                  "fmax_mhz", "static_w", "source")
INT_COLUMNS = ("dsp", "lut", "ff", "bram36", "uram")


@dataclass(frozen=True)
class FpgaDevice:
    """One part: resources available (whole device, programmable logic), typical clocks, static power, source."""

    name: str
    part: str
    board: str
    family: str
    dsp_kind: str
    dsp: int
    lut: int
    ff: int
    bram36: int          # block RAM blocks of bram_kbit each (M20K on Intel parts)
    bram_kbit: int
    uram: int
    fmax_mhz: tuple[float, float]
    static_w: float
    source: str
    default_fmax_mhz: tuple[tuple[str, float], ...]   # family default per precision class (FMAX_CLASSES)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["fmax_mhz"] = list(self.fmax_mhz)
        d["default_fmax_mhz"] = dict(self.default_fmax_mhz)
        return d


@dataclass(frozen=True)
class FpgaConfig:
    """The hardware's ``fpga`` section: the part, how MACs are built (dsp | lut | auto), the clock limit (None: the
    family's default for the precision, an assumption), where buffers go (auto | bram | uram), how the vector unit's
    multipliers are built (dsp | lut), and a fraction of each resource kept for a shell / platform (0 to < 1)."""

    device: FpgaDevice
    mac_impl: str = "auto"
    fmax_mhz: float | None = None
    memory: str = "auto"
    vector_impl: str = "dsp"
    reserve: float = 0.0

    def to_dict(self) -> dict:
        d = {"device": self.device.to_dict(), "mac_impl": self.mac_impl, "memory": self.memory,
             "vector_impl": self.vector_impl, "reserve": self.reserve}
        if self.fmax_mhz is not None:
            d["fmax_mhz"] = self.fmax_mhz
        return d


def _wrap(fn, *args):
    try:
        return fn(*args)
    except InputError as e:
        raise ConfigError(e.source, e.field, e.problem, e.allowed) from None


def _families(src: str, data) -> dict[str, dict[str, float]]:
    fams = data.get("families", {}) if isinstance(data, dict) else {}
    if not isinstance(fams, dict):
        raise ConfigError(src, "families", "expected a mapping of family -> {default_fmax_mhz: ...}")
    out = {}
    for fam, spec in fams.items():
        where = f"families.{fam}.default_fmax_mhz"
        clocks = spec.get("default_fmax_mhz") if isinstance(spec, dict) else None
        if not isinstance(clocks, dict) or set(clocks) != set(FMAX_CLASSES):
            raise ConfigError(src, where, "missing or incomplete", "a mapping with " + ", ".join(FMAX_CLASSES))
        out[str(fam)] = {k: _wrap(require_number, src, f"{where}.{k}", clocks[k]) for k in FMAX_CLASSES}
    return out


def parse_device(src: str, where: str, row, families: dict) -> FpgaDevice:
    """Validate one device row (every column of ``DEVICE_COLUMNS``) -> ``FpgaDevice``."""
    if not isinstance(row, dict):
        raise ConfigError(src, where, "expected a mapping of device columns", ", ".join(DEVICE_COLUMNS))
    for col in DEVICE_COLUMNS:
        if col not in row:
            raise ConfigError(src, f"{where}.{col}", "missing column", ", ".join(DEVICE_COLUMNS))
    unknown = set(row) - set(DEVICE_COLUMNS) - {"default_fmax_mhz"}
    if unknown:
        raise ConfigError(src, f"{where}.{min(unknown)}", "unknown column", ", ".join(DEVICE_COLUMNS))
    ints = {c: _wrap(require_int, src, f"{where}.{c}", row[c], 0) for c in INT_COLUMNS}
    for c in ("dsp", "lut", "ff", "bram36"):
        if ints[c] < 1:
            raise ConfigError(src, f"{where}.{c}", f"{ints[c]} is out of range", "integers >= 1")
    kbit = _wrap(require_choice, src, f"{where}.bram_kbit", row["bram_kbit"], (36, 20))
    kind = _wrap(require_choice, src, f"{where}.dsp_kind", row["dsp_kind"], DSP_KINDS)
    fr = row["fmax_mhz"]
    if not isinstance(fr, (list, tuple)) or len(fr) != 2:
        raise ConfigError(src, f"{where}.fmax_mhz", f"{fr!r} is not a [low, high] range", "[low, high] MHz, 0 < low <= high")
    lo, hi = (_wrap(require_number, src, f"{where}.fmax_mhz", v) for v in fr)
    if lo > hi:
        raise ConfigError(src, f"{where}.fmax_mhz", f"[{lo:g}, {hi:g}]: low above high", "0 < low <= high")
    family = _wrap(require_str, src, f"{where}.family", row["family"])
    own = row.get("default_fmax_mhz")
    if own is not None:
        clocks = _families(src, {"families": {family: {"default_fmax_mhz": own}}})[family]
    elif family in families:
        clocks = families[family]
    else:
        raise ConfigError(src, f"{where}.family", f"unknown family {family!r} and no default_fmax_mhz given",
                          ", ".join(sorted(families)) or "a family with default_fmax_mhz")
    return FpgaDevice(_wrap(require_str, src, f"{where}.name", row["name"]), str(row["part"]), str(row["board"]),
                      family, kind, ints["dsp"], ints["lut"], ints["ff"], ints["bram36"], kbit, ints["uram"],
                      (lo, hi), _wrap(require_number, src, f"{where}.static_w", row["static_w"], 0.0, False),
                      _wrap(require_str, src, f"{where}.source", row["source"]), tuple(clocks.items()))


def parse_table(src: str, data, base_families: dict | None = None) -> dict[str, FpgaDevice]:
    """A device file's ``devices:`` list (families from the file, then the shipped ones) -> name -> device."""
    if not isinstance(data, dict) or not isinstance(data.get("devices"), list) or not data["devices"]:
        raise ConfigError(src, "devices", "missing or empty", "a list of device rows with " + ", ".join(DEVICE_COLUMNS))
    families = {**(base_families or {}), **_families(src, data)}
    out: dict[str, FpgaDevice] = {}
    for i, row in enumerate(data["devices"]):
        dev = parse_device(src, f"devices[{i}]", row, families)
        if dev.name in out:
            raise ConfigError(src, f"devices[{i}].name", f"duplicate device {dev.name!r}", "unique names")
        out[dev.name] = dev
    return out


def _shipped(name: str):
    return read_structured(Path(str(resources.files("simulator.fpga") / name)))


@cache
def shipped_families() -> dict:
    return _families("simulator/fpga/devices.yaml", _shipped("devices.yaml"))


@cache
def shipped_devices() -> dict[str, FpgaDevice]:
    """The shipped parts (simulator/fpga/devices.yaml), read and validated once per process."""
    return parse_table("simulator/fpga/devices.yaml", _shipped("devices.yaml"))


def device_names() -> list[str]:
    return list(shipped_devices())


@cache
def costs() -> dict:
    """The unit prices (simulator/fpga/costs.yaml) as plain data, read once per process."""
    return _shipped("costs.yaml")


def fpga_from_dict(src: str, f, base_dir: Path | None = None) -> FpgaConfig:
    """Validate the hardware's ``fpga`` section -> ``FpgaConfig``. ``device``: a shipped name, a name in
    ``device_file`` (a YAML/JSON table like devices.yaml; relative to the hardware file), or an inline row."""
    if not isinstance(f, dict):
        raise ConfigError(src, "fpga", "expected a mapping", "{device: NAME, mac_impl: dsp|lut|auto, ...}")
    allowed = {"device", "device_file", "mac_impl", "fmax_mhz", "memory", "vector_impl", "reserve"}
    for k in f:
        if k not in allowed:
            raise ConfigError(src, f"fpga.{k}", "unknown field", ", ".join(sorted(allowed)))
    dev = f.get("device")
    if isinstance(dev, dict):
        device = parse_device(src, "fpga.device", dev, shipped_families())
    else:
        if "device_file" in f:
            path = Path(_wrap(require_str, src, "fpga.device_file", f["device_file"]))
            if not path.is_absolute() and base_dir is not None:
                path = base_dir / path
            try:
                data = read_structured(path)
            except InputError as e:
                raise ConfigError(e.source, e.field or "fpga.device_file", e.problem, e.allowed) from None
            table = parse_table(str(path), data, shipped_families())
            if dev is None and len(table) == 1:
                dev = next(iter(table))
        else:
            table = shipped_devices()
        if dev is None:
            raise ConfigError(src, "fpga.device", "missing", ", ".join(table))
        if not isinstance(dev, str) or dev not in table:
            raise ConfigError(src, "fpga.device", f"unknown device {dev!r}", ", ".join(table))
        device = table[dev]
    fmax = f.get("fmax_mhz")
    if fmax is not None:
        fmax = _wrap(require_number, src, "fpga.fmax_mhz", fmax)
    reserve = _wrap(require_number, src, "fpga.reserve", f.get("reserve", 0.0), 0.0, False, 0.99)
    return FpgaConfig(device, _wrap(require_choice, src, "fpga.mac_impl", f.get("mac_impl", "auto"), MAC_IMPLS), fmax,
                      _wrap(require_choice, src, "fpga.memory", f.get("memory", "auto"), MEMORY_KINDS),
                      _wrap(require_choice, src, "fpga.vector_impl", f.get("vector_impl", "dsp"), VECTOR_IMPLS),
                      reserve)
