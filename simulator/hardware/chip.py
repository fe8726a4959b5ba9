"""A chip of several engines (the hardware YAML's ``engines:`` list): validate, then build frozen ``Chip``.

Each engine is a ``Hardware`` of its own (array or vector-only unit, PE modes, buffers, clock, vector unit, PPU,
non-linear units, memory policy, technology): every section it omits is inherited from the top level, and a section
it writes replaces the top-level one whole. What the engines share: the DRAM (top-level ``dram``; an engine may not
set its own), optionally ``shared.global_buffer`` (size_kib, bandwidth_gbps) and ``shared.link_gbps`` (the on-chip
link), and ``shared.transfer`` (link | global_buffer | dram: how an activation moves from the engine that produced
it to the engine that reads it). ``assign``: ``auto`` or a list of rules ``{op, name (glob), engine}``;
``split``: none | batch | rows (identical cores sharing every layer). Formulas: simulator/model/engines.py,
simulator/model/chipsched.py, docs/engines.md. A YAML without ``engines:`` is one ``Hardware`` (validate.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from simulator.hardware.config import ConfigError, DramConfig, Hardware
from workloads.errors import InputError, require_mapping, require_number, require_str

CHIP_TOP = {"engines", "shared", "assign", "split"}
ENGINE_SECTIONS = ("freq_mhz", "array", "pe", "buffers", "vector", "tech", "ppu", "nonlinear", "memory", "sparsity")
SPLITS = ("none", "batch", "rows")
# what a one-engine ``Hardware`` has and a chip has per engine only (asked of a chip: ``Chip.__getattr__``)
ONE_ENGINE_ONLY = ("array", "pe", "buffers", "vector", "ppu", "nonlinear", "memory", "sparsity", "tech",
                   "dram_bytes_per_cycle", "peak_tops")
TRANSFERS = ("link", "global_buffer", "dram")
# the array a vector-only engine is built with: never used (no GEMM is placed on it) and left out of its area
VECTOR_ONLY_ARRAY = {"rows": 1, "cols": 1, "dataflow": "os"}
VECTOR_ONLY_PE = {"type": "fixed", "acc_bits": 32, "precisions": [{"dtype": "int", "w_bits": 8, "a_bits": 8}]}


@dataclass(frozen=True)
class EngineConfig:
    """One engine: its name, the ``Hardware`` the single-engine pipeline evaluates it as, and whether it has an
    array (``gemm`` False: a vector-only unit, which runs vector layers only)."""

    name: str
    hw: Hardware
    gemm: bool = True


@dataclass(frozen=True)
class GlobalBuffer:
    size_kib: float
    bandwidth_gbps: float


@dataclass(frozen=True)
class SharedConfig:
    """What the engines share besides DRAM: a global buffer, a link, and the route of a cross-engine activation."""

    global_buffer: GlobalBuffer | None = None
    link_gbps: float | None = None
    transfer: str = "dram"


@dataclass(frozen=True)
class AssignRule:
    """Layers whose ``op`` (None: any) and ``name`` glob (None: any) match run on ``engine`` (first match wins)."""

    engine: str
    op: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Chip:
    """Several engines sharing one DRAM (module docstring)."""

    name: str
    engines: tuple[EngineConfig, ...]
    dram: DramConfig
    shared: SharedConfig
    assign: object                      # "auto" or tuple[AssignRule, ...]
    split: str = "none"
    default_workload: str | None = None
    description: str = ""
    source: str = field(default="<hardware>", compare=False)
    fpga: object = None                 # FPGA totals are per single-engine design only

    @property
    def freq_mhz(self) -> float:
        """The reference clock (the first engine's): the chip's total_cycles count it."""
        return self.engines[0].hw.freq_mhz

    @property
    def dram_bytes_per_s(self) -> float:
        """The shared DRAM's rate W = bandwidth_gbps x 1e9 x its achievable fraction (B/s; simulator/tech/dram.py,
        the rate every engine's own counts assume)."""
        return self.dram.bandwidth_gbps * 1e9 * self.dram.efficiency_used

    def __getattr__(self, name: str):
        """A one-engine section asked of a chip (a command that takes one-engine designs): one-line bad input."""
        if name in ONE_ENGINE_ONLY:
            raise ConfigError(self.source, "engines", f"a chip of several engines has no single {name}; this "
                              "command takes one-engine designs", "a one-engine hardware (docs/engines.md)")
        raise AttributeError(name)

    def engine_index(self, name: str) -> int:
        return [e.name for e in self.engines].index(name)

    def to_dict(self) -> dict:
        """Plain data: the engines as their Hardware mappings (with their names and whether they have an array)."""
        from dataclasses import asdict

        from workloads.enums import plain

        engines = []
        for e in self.engines:
            full = e.hw.to_dict()
            d = {"name": e.name, **{k: full[k] for k in ENGINE_SECTIONS if k in full}}
            if not e.gemm:
                d["array"] = "none"
            engines.append(d)
        sh = asdict(self.shared)
        assign = self.assign if isinstance(self.assign, str) else [
            {k: v for k, v in asdict(r).items() if v is not None} for r in self.assign]
        return plain({"name": self.name, "description": self.description, "freq_mhz": self.freq_mhz,
                      "default_workload": self.default_workload, "dram": asdict(self.dram), "engines": engines,
                      "shared": sh, "assign": assign, "split": self.split})


def _err(src: str, fld: str, problem: str, allowed: str | None = None) -> ConfigError:
    return ConfigError(src, fld, problem, allowed)


def _wrap(fn, *args):
    try:
        return fn(*args)
    except InputError as e:
        raise ConfigError(e.source, e.field, e.problem, e.allowed) from None


def _shared(src: str, d) -> SharedConfig:
    if d is None:
        return SharedConfig()
    d = _wrap(require_mapping, src, "shared", d)
    for k in d:
        if k not in ("global_buffer", "link_gbps", "transfer"):
            raise _err(src, f"shared.{k}", "unknown field", "global_buffer, link_gbps, transfer")
    gb = None
    if d.get("global_buffer") is not None:
        g = _wrap(require_mapping, src, "shared.global_buffer", d["global_buffer"])
        for k in g:
            if k not in ("size_kib", "bandwidth_gbps"):
                raise _err(src, f"shared.global_buffer.{k}", "unknown field", "size_kib, bandwidth_gbps")
        gb = GlobalBuffer(_wrap(require_number, src, "shared.global_buffer.size_kib", g.get("size_kib")),
                          _wrap(require_number, src, "shared.global_buffer.bandwidth_gbps", g.get("bandwidth_gbps")))
    link = d.get("link_gbps")
    link = None if link is None else _wrap(require_number, src, "shared.link_gbps", link)
    default = "link" if link is not None else "global_buffer" if gb is not None else "dram"
    transfer = d.get("transfer", default)
    if transfer not in TRANSFERS:
        raise _err(src, "shared.transfer", f"{transfer!r} is not a route", ", ".join(TRANSFERS))
    if transfer == "link" and link is None:
        raise _err(src, "shared.transfer", "link, but shared.link_gbps is not set (no link on this chip)",
                   "set shared.link_gbps, or transfer: global_buffer | dram")
    if transfer == "global_buffer" and gb is None:
        raise _err(src, "shared.transfer", "global_buffer, but shared.global_buffer is not set",
                   "set shared.global_buffer {size_kib, bandwidth_gbps}, or transfer: link | dram")
    return SharedConfig(gb, link, transfer)


def _assign(src: str, a, names: list[str]):
    from workloads.model import OPS

    if a is None:
        return ()
    if a == "auto":
        return "auto"
    if not isinstance(a, list):
        raise _err(src, "assign", f"{a!r} is neither auto nor a list of rules", "auto, or [{op, name, engine}, ...]")
    rules = []
    for i, r in enumerate(a):
        where = f"assign[{i}]"
        if not isinstance(r, dict):
            raise _err(src, where, "expected a mapping", "{op, name, engine}")
        for k in r:
            if k not in ("op", "name", "engine"):
                raise _err(src, f"{where}.{k}", "unknown field", "engine, name, op")
        eng = r.get("engine")
        if eng not in names:
            raise _err(src, f"{where}.engine", f"{eng!r} is not an engine of this chip", ", ".join(names))
        op = r.get("op")
        if op is not None and op not in OPS:
            raise _err(src, f"{where}.op", f"{op!r} is not an op", ", ".join(OPS))
        name = r.get("name")
        if name is not None and not isinstance(name, str):
            raise _err(src, f"{where}.name", f"{name!r} is not a glob", "a layer-name glob, e.g. '*.mlp.*'")
        rules.append(AssignRule(eng, op, name))
    return tuple(rules)


def chip_from_dict(d: dict, src: str, hardware_from_dict) -> Chip:
    """Validate the ``engines:`` form of a hardware mapping (module docstring), then build ``Chip``: each engine's
    mapping (top-level sections it omits, plus the shared DRAM) goes through ``hardware_from_dict`` (validate.py,
    passed in by it)."""
    from pathlib import Path

    engines = d["engines"]
    if not isinstance(engines, list) or not engines:
        raise _err(src, "engines", "expected a non-empty list of engines", "[{name, array, pe, buffers, ...}, ...]")
    name = _wrap(require_str, src, "name", d.get("name", Path(src).stem))
    if "dram" not in d:
        raise _err(src, "dram", "missing section (the engines share it)")
    if "fpga" in d:
        raise _err(src, "fpga", "set together with engines (FPGA resources are modelled for one-engine designs)",
                   "engines or fpga, not both")
    common = {k: v for k, v in d.items() if k in ENGINE_SECTIONS}
    allowed = set(ENGINE_SECTIONS) | {"name"}
    built, names = [], []
    for i, e in enumerate(engines):
        where = f"engines[{i}]"
        if not isinstance(e, dict):
            raise _err(src, where, "expected a mapping", "{name, array, pe, buffers, ...}")
        if "dram" in e:
            raise _err(src, f"{where}.dram", "the engines share the top-level DRAM", "set dram at the top level")
        for k in e:
            if k not in allowed:
                raise _err(src, f"{where}.{k}", "unknown field", ", ".join(sorted(allowed)))
        ename = e.get("name")
        if not isinstance(ename, str) or not ename or ename in names:
            raise _err(src, f"{where}.name", f"{ename!r} is missing or repeated", "a unique engine name")
        names.append(ename)
        merged = {**common, **{k: v for k, v in e.items() if k != "name"}, "dram": d["dram"],
                  "name": f"{name}.{ename}"}
        gemm = merged.get("array") != "none"
        if not gemm:
            merged["array"] = VECTOR_ONLY_ARRAY
            merged.setdefault("pe", VECTOR_ONLY_PE)
        for k in ("freq_mhz", "array", "pe", "buffers", "vector"):
            if k not in merged:
                raise _err(src, f"{where}.{k}", "missing (neither the engine nor the top level sets it)")
        try:
            hw = hardware_from_dict(merged, src)
        except ConfigError as err:   # the field as written: the engine's own, or the top level's it inherited
            top = err.field.split(".")[0].split("[")[0]
            field = err.field if top in common and top not in e and top != "dram" or top == "dram" \
                else f"{where}.{err.field}"
            raise ConfigError(err.source, field, err.problem, err.allowed) from None
        built.append(EngineConfig(ename, hw, gemm))
    attention = {e.hw.memory.attention for e in built}
    if len(attention) > 1:
        raise _err(src, "engines[*].memory.attention", f"engines disagree: {sorted(attention)}",
                   "the same attention mode on every engine (the workload is prepared once)")
    split = d.get("split", "none")
    if split not in SPLITS:
        raise _err(src, "split", f"{split!r} is not a split", ", ".join(SPLITS))
    assign = _assign(src, d.get("assign"), names)
    if split != "none":
        if assign:
            raise _err(src, "assign", "set together with split (every engine runs a share of every layer)",
                       "split: none with assign, or split without assign")
        first = replace(built[0].hw, name="")
        for i, e in enumerate(built[1:], 1):
            if replace(e.hw, name="") != first or e.gemm != built[0].gemm:
                raise _err(src, f"engines[{i}]", f"split: {split} needs identical engines; {e.name} differs from "
                           f"{built[0].name}", "identical engines (only their names differ)")
    dw = d.get("default_workload")
    if dw is not None and not isinstance(dw, str):
        raise _err(src, "default_workload", "expected a zoo name or a workload path")
    dram = built[0].hw.dram
    description = _wrap(require_str, src, "description", d.get("description", ""))
    return Chip(name, tuple(built), dram, _shared(src, d.get("shared")), assign, split, dw, description, src)
