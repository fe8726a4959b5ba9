"""SCALE-Sim architecture configs (``.cfg``): read one as a ``Hardware``, write one from numbers.

SCALE-Sim 3.0 reads an INI file with sections ``[general]`` (run_name),
``[architecture_presets]`` (ArrayHeight, ArrayWidth, IfmapSramSzkB, FilterSramSzkB,
OfmapSramSzkB, Dataflow, Bandwidth, ...), ``[run_presets]`` (InterfaceBandwidth USER|CALC),
``[layout]`` and ``[sparsity]``. Keys are case-insensitive (configparser). Mapping to vitsim:

- a SCALE-Sim word is one byte and it has no precisions: the PE runs w8a8 only, 1 MAC/cycle,
  and partial sums are one-byte words too (``acc_bits`` = 8, SCALE-Sim's ofmap SRAM and DRAM hold
  them as words); a vitsim YAML with ``pe.acc_bits: 32`` counts them at accumulator width;
- SRAM sizes are KB of 1024 bytes -> ``buffers.*_kib``;
- SCALE-Sim has no clock: ``freq_mhz`` = 1000, so GB/s equals bytes per cycle;
- DRAM: SCALE-Sim has three independent DRAM interfaces, one per buffer. In 3.0 with
  ``InterfaceBandwidth: USER`` the ifmap and filter read sides move ``[layout]
  IfmapSRAMBankBandwidth`` and ``FilterSRAMBankBandwidth`` words/cycle and ``Bandwidth`` (first
  value) sets the ofmap write side; a 2.x file without ``[layout]`` uses ``Bandwidth`` for all
  three. vitsim has one DRAM port; it gets their sum (bytes/cycle), which can do anything the
  three separate ports can. With ``CALC`` SCALE-Sim works out the bandwidth each layer needs and
  never stalls; vitsim then gets ``CALC_BYTES_PER_CYCLE`` (1e9 bytes/cycle: transfers take no
  time, so nothing stalls either) and ``Bandwidth`` is not read.
- DRAM latency 0 cycles (SCALE-Sim's USER mode has none); vector unit: ``ArrayWidth`` lanes at
  one cycle per element (SCALE-Sim has none; topology workloads have no vector ops).
- every buffer double-buffered whatever its tile size (``buffers.double_buffered``: all three), each layer
  alone: ``vector.overlap: none``, ``memory.prefetch: layer``.
"""

from __future__ import annotations

import configparser
import io
import math
from pathlib import Path

from simulator.hardware import DATAFLOWS, ConfigError, Hardware, hardware_from_dict
from workloads.errors import _short

FREQ_MHZ = 1000.0
ACC_BITS = 8  # SCALE-Sim stores partial sums as one-byte words
SPARSE_REPS = ("csr", "csc", "ellpack_block")  # [sparsity] SparseRep (its storage report only)
CALC_BYTES_PER_CYCLE = 1e9  # InterfaceBandwidth: CALC -> transfers take no time (SCALE-Sim never stalls there)
_ARCH = "architecture_presets"
# vitsim hardware field -> the SCALE-Sim key it is read from (errors name the key of the file)
CFG_KEYS = {"array.rows": f"[{_ARCH}] ArrayHeight", "array.cols": f"[{_ARCH}] ArrayWidth",
            "vector.lanes": f"[{_ARCH}] ArrayWidth", "ppu.lanes": f"[{_ARCH}] ArrayWidth",
            "buffers.ifmap_kib": f"[{_ARCH}] IfmapSramSzkB", "buffers.weight_kib": f"[{_ARCH}] FilterSramSzkB",
            "buffers.ofmap_kib": f"[{_ARCH}] OfmapSramSzkB", "dram.bandwidth_gbps": f"[{_ARCH}] Bandwidth",
            "name": "[general] run_name"}


def _get(cp: configparser.ConfigParser, src: str, section: str, key: str) -> str:
    if not cp.has_section(section):
        raise ConfigError(src, f"[{section}]", "missing section")
    if not cp.has_option(section, key):
        raise ConfigError(src, f"[{section}] {key}", "missing field")
    return cp.get(section, key).strip()


def _num(src: str, where: str, text: str, integer: bool = True) -> float:
    """A positive number from a cfg field, or a one-line ``ConfigError``."""
    try:
        v = int(text) if integer else float(text)
    except ValueError:
        raise ConfigError(src, where, f"expected a positive {'integer' if integer else 'number'}, got {_short(text)}") \
            from None
    if not math.isfinite(v):
        raise ConfigError(src, where, f"{text!r} is not a finite number", "numbers > 0")
    if v <= 0:
        raise ConfigError(src, where, f"{text} is out of range", "numbers > 0")
    return v


def parse_scalesim_cfg(text: str, src: str = "<cfg>") -> dict:
    """The fields vitsim uses from a SCALE-Sim config: a flat dict (sizes KB, bandwidths words/cycle). At most
    ``limits.cfg_entries`` non-blank lines (sections and keys), counted before configparser builds anything."""
    from workloads.limits import LIMITS, limit

    cap, entries = limit("cfg_entries"), 0
    for lineno, line in enumerate(io.StringIO(text), 1):
        entries += bool(line.strip())
        if entries > cap:
            raise ConfigError(src, f"line {lineno}", f"more than {cap:,} lines of sections and keys",
                              f"a SCALE-Sim config (about 40 lines), or set {LIMITS['cfg_entries'].variable} higher")
    cp = configparser.ConfigParser(interpolation=None)  # a '%' in a value is text, as SCALE-Sim reads it
    try:
        cp.read_string(text, source=src)
    except (configparser.DuplicateOptionError, configparser.DuplicateSectionError) as e:
        where = f"[{e.section}]" + (f" {e.option}" if isinstance(e, configparser.DuplicateOptionError) else "")
        raise ConfigError(src, f"line {e.lineno}", f"{where} appears twice", "each section and key once") from None
    except configparser.Error as e:
        raise ConfigError(src, "file", f"not a SCALE-Sim config: {str(e).splitlines()[0]}") from None
    g = lambda sec, key: _get(cp, src, sec, key)
    out = {"run_name": g("general", "run_name") if cp.has_section("general") and cp.has_option("general", "run_name")
           else Path(src).stem}
    for key, name in (("ArrayHeight", "rows"), ("ArrayWidth", "cols")):
        out[name] = int(_num(src, f"[{_ARCH}] {key}", g(_ARCH, key)))
    for key, name in (("IfmapSramSzkB", "ifmap_kb"), ("FilterSramSzkB", "filter_kb"), ("OfmapSramSzkB", "ofmap_kb")):
        out[name] = _num(src, f"[{_ARCH}] {key}", g(_ARCH, key), integer=False)
    df = g(_ARCH, "Dataflow").lower()
    if df not in DATAFLOWS:
        raise ConfigError(src, f"[{_ARCH}] Dataflow", f"unknown dataflow {df!r}", ", ".join(DATAFLOWS))
    out["dataflow"] = df
    mode = g("run_presets", "InterfaceBandwidth").upper()
    if mode not in ("USER", "CALC"):
        raise ConfigError(src, "[run_presets] InterfaceBandwidth", f"unknown value {mode!r}", "USER, CALC")
    out["bandwidth_mode"] = mode
    out["sparsity"] = _sparsity(cp, src)
    if mode == "CALC":
        out.update(ifmap_bw=CALC_BYTES_PER_CYCLE, filter_bw=0.0, ofmap_bw=0.0)
        return out
    bw_text = g(_ARCH, "Bandwidth").split(",")[0].strip()
    ofmap_bw = _num(src, f"[{_ARCH}] Bandwidth", bw_text, integer=False)
    if cp.has_section("layout"):
        ifmap_bw = _num(src, "[layout] IfmapSRAMBankBandwidth", g("layout", "IfmapSRAMBankBandwidth"), False)
        filter_bw = _num(src, "[layout] FilterSRAMBankBandwidth", g("layout", "FilterSRAMBankBandwidth"), False)
    else:  # SCALE-Sim 2.x: one Bandwidth for every interface
        ifmap_bw = filter_bw = ofmap_bw
    out.update(ifmap_bw=ifmap_bw, filter_bw=filter_bw, ofmap_bw=ofmap_bw)
    if cp.has_section("layout"):  # vitsim's one DRAM port gets their sum: a bound on it names all three
        out["bandwidth_keys"] = (f"[{_ARCH}] Bandwidth + [layout] IfmapSRAMBankBandwidth + FilterSRAMBankBandwidth "
                                 "(their sum)")
    return out


def _sparsity(cp: configparser.ConfigParser, src: str) -> str:
    """``[sparsity]``: '' (no section or SparsitySupport false), else the SparseRep (csr | csc | ellpack_block).
    SCALE-Sim's layer-wise mode (OptimizedMapping false) runs as vitsim's ``sparsity.convention: scalesim``
    (simulator/model/sparsity.py); its row-wise mode is refused."""
    if not cp.has_section("sparsity") or not cp.has_option("sparsity", "SparsitySupport"):
        return ""
    on = _get(cp, src, "sparsity", "SparsitySupport").lower()
    if on not in ("true", "false"):
        raise ConfigError(src, "[sparsity] SparsitySupport", f"unknown value {on!r}", "true, false")
    if on == "false":
        return ""
    rep = _get(cp, src, "sparsity", "SparseRep").lower()
    if rep not in SPARSE_REPS:
        raise ConfigError(src, "[sparsity] SparseRep", f"unknown representation {rep!r}", ", ".join(SPARSE_REPS))
    if cp.has_option("sparsity", "OptimizedMapping") and _get(cp, src, "sparsity", "OptimizedMapping").lower() == "true":
        raise ConfigError(src, "[sparsity] OptimizedMapping", "true (SCALE-Sim's row-wise sparse mapping) is not modelled",
                          "false (the layer-wise mapping)")
    return rep


def hardware_dict_from_scalesim(c: dict) -> dict:
    """A vitsim hardware mapping (for ``hardware_from_dict``) from ``parse_scalesim_cfg``'s fields."""
    bytes_per_cycle = c["ifmap_bw"] + c["filter_bw"] + c["ofmap_bw"]  # 1 word = 1 byte
    dram = ("DRAM unlimited (InterfaceBandwidth CALC)" if c.get("bandwidth_mode") == "CALC" else
            f"DRAM {c['ifmap_bw']:g}+{c['filter_bw']:g}+{c['ofmap_bw']:g} B/cycle (ifmap+filter+ofmap)")
    return {
        "name": c["run_name"],
        "description": (f"SCALE-Sim config: {c['rows']}x{c['cols']} {c['dataflow']}, SRAM {c['ifmap_kb']:g}/"
                        f"{c['filter_kb']:g}/{c['ofmap_kb']:g} KB, {dram}"),
        "freq_mhz": FREQ_MHZ,
        # SCALE-Sim runs the whole temporal dimension in every fold (no temporal tiling) and a grouped conv one
        # group at a time
        "array": {"rows": c["rows"], "cols": c["cols"], "dataflow": c["dataflow"], "temporal_tiling": "off",
                  "grouped": "serial"},
        "pe": {"type": "fixed", "acc_bits": ACC_BITS,
               "precisions": [{"dtype": "int", "w_bits": 8, "a_bits": 8, "macs_per_cycle": 1}]},
        # SCALE-Sim double-buffers every SRAM whatever the tile size: depth 2 stated (no fit check)
        "buffers": {"ifmap_kib": c["ifmap_kb"], "weight_kib": c["filter_kb"], "ofmap_kib": c["ofmap_kb"],
                    "double_buffered": ["ifmap", "weight", "ofmap"]},
        # SCALE-Sim's interface delivers its bandwidth in full
        "dram": {"bandwidth_gbps": bytes_per_cycle * FREQ_MHZ / 1e3, "latency_cycles": 0, "efficiency": 1.0},
        "vector": {"lanes": c["cols"], "cycles_per_element": {}, "overlap": "none"},
        # SCALE-Sim reads every layer's operands from DRAM and writes every output back: no on-chip activations
        # and im2col convolutions; each layer alone (no weights fetched across layers)
        "memory": {"activations": "dram", "conv": "im2col", "prefetch": "layer"},
        **({"sparsity": {"convention": "scalesim"}} if c.get("sparsity") else {}),
    }


def load_scalesim_cfg(path: str | Path) -> Hardware:
    """Read a SCALE-Sim ``.cfg`` as a ``Hardware`` (mapping in the module docstring)."""
    from workloads.errors import InputError
    from workloads.io import read_text

    path = Path(path)
    try:
        text = read_text(path)  # size-capped UTF-8 (workloads/io.py)
    except InputError as e:
        problem = e.problem if e.problem.startswith("cannot read") else f"cannot read: {e.problem}"
        raise ConfigError(e.source, e.field or "file", problem, e.allowed) from None
    c = parse_scalesim_cfg(text, str(path))
    try:
        return hardware_from_dict(hardware_dict_from_scalesim(c), str(path))
    except ConfigError as e:  # a bound of the vitsim field, named as the cfg key it came from
        key = CFG_KEYS.get(e.field.split("[")[0])
        if e.field == "dram.bandwidth_gbps" and "bandwidth_keys" in c:
            key = c["bandwidth_keys"]
        if key is None:
            raise
        raise ConfigError(e.source, key, e.problem, e.allowed) from None


def scalesim_cfg_text(run_name: str, rows: int, cols: int, ifmap_kb: float, filter_kb: float, ofmap_kb: float,
                      dataflow: str, bandwidth: float) -> str:
    """A complete SCALE-Sim 3.0 config (every section it requires), ``bandwidth`` words/cycle on each interface."""
    bw = f"{bandwidth:g}"
    return f"""[general]
run_name = {run_name}

[architecture_presets]
ArrayHeight:    {rows}
ArrayWidth:     {cols}
IfmapSramSzkB:    {ifmap_kb:g}
FilterSramSzkB:   {filter_kb:g}
OfmapSramSzkB:    {ofmap_kb:g}
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Bandwidth : {bw}
Dataflow : {dataflow}
MemoryBanks:   1
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: {bw}
IfmapSRAMBankNum: 1
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: {bw}
FilterSRAMBankNum: 1
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport : false
SparseRep : ellpack_block
OptimizedMapping : false
BlockSize : 8
RandomNumberGeneratorSeed : 40

[run_presets]
InterfaceBandwidth: USER
UseRamulatorTrace: False
"""
