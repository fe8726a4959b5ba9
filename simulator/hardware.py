"""Hardware: a systolic array with its PEs, buffers, DRAM, vector unit and technology.

Loaded from YAML in two steps: ``validate`` every field (one ``ConfigError`` naming file and
field), then ``build`` frozen dataclasses. Units are in the names: ``freq_mhz``, ``*_kib``
(1 KiB = 1024 bytes), ``bandwidth_gbps`` (GB/s, 1e9 bytes per second), ``*_cycles``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from workloads.errors import (InputError, require_choice, require_int, require_mapping,
                              require_number)
from workloads.io import read_structured
from workloads.model import VECTOR_OPS

DATAFLOWS = ("os", "ws", "is")
PE_TYPES = ("fixed", "scalable", "bitserial", "float")
DTYPES = ("int", "fp")
# A float format of these bits holds integers of up to this many bits exactly (mantissa + 1).
FP_EXACT_INT_BITS = {16: 11, 32: 24}


class ConfigError(InputError):
    """A hardware configuration is wrong."""


@dataclass(frozen=True)
class ArrayConfig:
    rows: int
    cols: int
    dataflow: str


@dataclass(frozen=True)
class PrecisionMode:
    """One (weight bits, activation bits) pair the PE runs natively, and MACs per PE per cycle."""

    dtype: str
    w_bits: int
    a_bits: int
    macs_per_cycle: float

    @property
    def label(self) -> str:
        return f"fp{max(self.w_bits, self.a_bits)}" if self.dtype == "fp" else f"w{self.w_bits}a{self.a_bits}"


@dataclass(frozen=True)
class PEConfig:
    type: str
    acc_bits: int
    precisions: tuple[PrecisionMode, ...]

    def resolve(self, dtype: str, w_bits: int, a_bits: int) -> tuple[PrecisionMode | None, bool]:
        """The mode a layer runs at: exact match, else the nearest wider one (``promoted`` True).

        Among modes wide enough (same dtype with w >= w_bits and a >= a_bits, or for integers a
        float mode whose mantissa holds them), pick the fastest, then the narrowest. None if no
        mode is wide enough.
        """
        exact = [p for p in self.precisions if (p.dtype, p.w_bits, p.a_bits) == (dtype, w_bits, a_bits)]
        if exact:
            return exact[0], False
        ok = [p for p in self.precisions if p.dtype == dtype and p.w_bits >= w_bits and p.a_bits >= a_bits]
        if not ok and dtype == "int":
            ok = [p for p in self.precisions if p.dtype == "fp"
                  and FP_EXACT_INT_BITS.get(min(p.w_bits, p.a_bits), 0) >= max(w_bits, a_bits)]
        if not ok:
            return None, False
        return min(ok, key=lambda p: (-p.macs_per_cycle, p.w_bits * p.a_bits)), True


@dataclass(frozen=True)
class BufferConfig:
    ifmap_kib: float
    weight_kib: float
    ofmap_kib: float

    @property
    def bytes(self) -> tuple[int, int, int]:
        """(ifmap, weight, ofmap) capacities in bytes."""
        return int(self.ifmap_kib * 1024), int(self.weight_kib * 1024), int(self.ofmap_kib * 1024)


@dataclass(frozen=True)
class DramConfig:
    bandwidth_gbps: float
    latency_cycles: int
    type: str
    energy_pj_per_bit: float | None = None


@dataclass(frozen=True)
class VectorConfig:
    """Vector unit: ``lanes`` elements per cycle at cost 1; op cost in cycles per element per lane."""

    lanes: int
    cycles_per_element: tuple[tuple[str, float], ...]

    def cost(self, op: str) -> float:
        d = dict(self.cycles_per_element)
        return d.get(op, d.get("elementwise", 1.0))


@dataclass(frozen=True)
class TechConfig:
    """Which technology table (``simulator/tech/<table>.yaml``) prices MACs, SRAM, DRAM and vector ops."""

    table: str


@dataclass(frozen=True)
class Hardware:
    name: str
    freq_mhz: float
    array: ArrayConfig
    pe: PEConfig
    buffers: BufferConfig
    dram: DramConfig
    vector: VectorConfig
    tech: TechConfig
    default_workload: str | None = None
    description: str = ""
    source: str = field(default="<hardware>", compare=False)

    @property
    def dram_bytes_per_cycle(self) -> float:
        """DRAM bytes per array cycle = bandwidth_gbps * 1e9 / (freq_mhz * 1e6)."""
        return self.dram.bandwidth_gbps * 1e3 / self.freq_mhz

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("source")
        d["vector"]["cycles_per_element"] = dict(self.vector.cycles_per_element)
        d["pe"]["precisions"] = [asdict(p) for p in self.pe.precisions]
        return d


# ----------------------------------------------------------------------------- validate, then build
_TOP = {"name", "description", "freq_mhz", "default_workload", "array", "pe", "buffers", "dram", "vector", "tech"}


def _known(src: str, where: str, d: dict, allowed: set[str]) -> None:
    for key in d:
        if key not in allowed:
            raise ConfigError(src, f"{where}.{key}" if where else key, "unknown field", ", ".join(sorted(allowed)))


def _section(src: str, d: dict, name: str) -> dict:
    if name not in d:
        raise ConfigError(src, name, "missing section")
    try:
        return require_mapping(src, name, d[name])
    except InputError as e:
        raise ConfigError(src, name, e.problem) from None


def _wrap(fn, *args):
    """Call a ``require_*`` helper and re-raise its error as ``ConfigError``."""
    try:
        return fn(*args)
    except InputError as e:
        raise ConfigError(e.source, e.field, e.problem, e.allowed) from None


def hardware_from_dict(d, src: str = "<hardware>") -> Hardware:
    """Validate every field of a hardware mapping, then build ``Hardware``."""
    from simulator.energy import tech_names

    if not isinstance(d, dict):
        raise ConfigError(src, "top level", f"expected a mapping, got {type(d).__name__}")
    _known(src, "", d, _TOP)
    name = d.get("name", Path(src).stem)
    freq = _wrap(require_number, src, "freq_mhz", d.get("freq_mhz"))

    a = _section(src, d, "array")
    _known(src, "array", a, {"rows", "cols", "dataflow"})
    array = ArrayConfig(_wrap(require_int, src, "array.rows", a.get("rows")),
                        _wrap(require_int, src, "array.cols", a.get("cols")),
                        _wrap(require_choice, src, "array.dataflow", a.get("dataflow"), DATAFLOWS))

    p = _section(src, d, "pe")
    _known(src, "pe", p, {"type", "acc_bits", "precisions"})
    pe_type = _wrap(require_choice, src, "pe.type", p.get("type", "fixed"), PE_TYPES)
    acc_bits = _wrap(require_int, src, "pe.acc_bits", p.get("acc_bits", 32))
    raw = p.get("precisions")
    if not isinstance(raw, list) or not raw:
        raise ConfigError(src, "pe.precisions", "missing or empty", "a list of {dtype, w_bits, a_bits, macs_per_cycle}")
    modes = []
    for i, m in enumerate(raw):
        where = f"pe.precisions[{i}]"
        if not isinstance(m, dict):
            raise ConfigError(src, where, "expected a mapping")
        _known(src, where, m, {"dtype", "w_bits", "a_bits", "macs_per_cycle"})
        dtype = _wrap(require_choice, src, f"{where}.dtype", m.get("dtype", "int"), DTYPES)
        wb = _wrap(require_int, src, f"{where}.w_bits", m.get("w_bits"))
        ab = _wrap(require_int, src, f"{where}.a_bits", m.get("a_bits"))
        if dtype == "fp" and (wb not in FP_EXACT_INT_BITS or ab not in FP_EXACT_INT_BITS):
            raise ConfigError(src, f"{where}.w_bits", f"fp{wb}/fp{ab} is unsupported", "16, 32")
        if dtype == "int" and max(wb, ab) > 32:
            raise ConfigError(src, f"{where}.w_bits", f"{max(wb, ab)} bits is unsupported", "1 to 32")
        mpc = _wrap(require_number, src, f"{where}.macs_per_cycle", m.get("macs_per_cycle", 1))
        modes.append(PrecisionMode(dtype, wb, ab, mpc))
    pe = PEConfig(pe_type, acc_bits, tuple(modes))

    b = _section(src, d, "buffers")
    _known(src, "buffers", b, {"ifmap_kib", "weight_kib", "ofmap_kib"})
    buffers = BufferConfig(*(_wrap(require_number, src, f"buffers.{k}", b.get(k))
                             for k in ("ifmap_kib", "weight_kib", "ofmap_kib")))

    from simulator.energy import DRAM_TYPES

    r = _section(src, d, "dram")
    _known(src, "dram", r, {"bandwidth_gbps", "latency_cycles", "type", "energy_pj_per_bit"})
    epb = r.get("energy_pj_per_bit")
    dram = DramConfig(_wrap(require_number, src, "dram.bandwidth_gbps", r.get("bandwidth_gbps")),
                      _wrap(require_int, src, "dram.latency_cycles", r.get("latency_cycles", 0), 0),
                      _wrap(require_choice, src, "dram.type", r.get("type", "lpddr4"), DRAM_TYPES),
                      None if epb is None else _wrap(require_number, src, "dram.energy_pj_per_bit", epb))

    v = _section(src, d, "vector")
    _known(src, "vector", v, {"lanes", "cycles_per_element"})
    lanes = _wrap(require_int, src, "vector.lanes", v.get("lanes"))
    cpe = v.get("cycles_per_element", {})
    if not isinstance(cpe, dict):
        raise ConfigError(src, "vector.cycles_per_element", "expected a mapping of op to cycles")
    costs = []
    for op, c in cpe.items():
        _wrap(require_choice, src, "vector.cycles_per_element", op, VECTOR_OPS)
        costs.append((op, _wrap(require_number, src, f"vector.cycles_per_element.{op}", c)))
    vector = VectorConfig(lanes, tuple(costs))

    t = d.get("tech", {"table": "horowitz45"})
    if not isinstance(t, dict):
        raise ConfigError(src, "tech", "expected a mapping")
    _known(src, "tech", t, {"table"})
    tech = TechConfig(_wrap(require_choice, src, "tech.table", t.get("table", "horowitz45"), tech_names()))

    dw = d.get("default_workload")
    if dw is not None and not isinstance(dw, str):
        raise ConfigError(src, "default_workload", "expected a zoo name or a workload path")
    return Hardware(str(name), freq, array, pe, buffers, dram, vector, tech, dw, str(d.get("description", "")), src)


def load_hardware(path: str | Path) -> Hardware:
    """Read a hardware YAML (or, by its ``.cfg`` suffix, a SCALE-Sim config)."""
    path = Path(path)
    if path.suffix == ".cfg":
        from simulator.scalesim_cfg import load_scalesim_cfg

        return load_scalesim_cfg(path)
    try:
        data = read_structured(path)
    except InputError as e:
        raise ConfigError(e.source, e.field, e.problem, e.allowed) from None
    return hardware_from_dict(data, str(path))
