"""Validate a hardware mapping field by field (one ``ConfigError`` naming file and field), then build ``Hardware``.

Defaults not written in a file are here; MACs per cycle of each PE mode are derived from the PE type when omitted.
"""

from __future__ import annotations

from pathlib import Path

from simulator.hardware.bounds import check_bounds
from simulator.hardware.buffering import MAX_DEPTH
from simulator.hardware.config import (
    ACTIVATION_POLICIES,
    ARRAY_TYPES,
    ATTENTION_MODES,
    BUFFER_NAMES,
    CONV_INPUTS,
    DATAFLOWS,
    DTYPES,
    FOLD_ORDERS,
    FP_EXACT_INT_BITS,
    GROUPED_CONVS,
    PE_TYPES,
    PREFETCH_MODES,
    TEMPORAL_TILINGS,
    VECTOR_OVERLAPS,
    ArrayConfig,
    BufferConfig,
    ConfigError,
    Dataflow,
    DramConfig,
    Hardware,
    HostConfig,
    MemoryConfig,
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
from workloads.errors import InputError, require_choice, require_int, require_mapping, require_number, require_str
from workloads.model import VECTOR_OPS

_TOP = {"name", "description", "freq_mhz", "default_workload", "array", "pe", "buffers", "dram", "vector", "tech",
        "ppu", "nonlinear", "memory", "sparsity", "fpga", "host"}
FLOAT_FORMATS = ("fp16", "bf16")
SERIAL_OPERANDS = ("a", "w", "both")
SCALE_BITS = (8, 16, 32)


def _known(src: str, where: str, d: dict, allowed: set[str]) -> None:
    for key in d:
        if key not in allowed:
            raise ConfigError(src, f"{where}.{key}" if where else str(key), "unknown field",
                              ", ".join(sorted(allowed)))


def _section(src: str, d: dict, name: str, required: bool = True) -> dict:
    if name not in d:
        if not required:
            return {}
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


def _pe(src: str, p: dict) -> PEConfig:
    """Validate the ``pe`` section; derive each mode's MACs per cycle from the PE type when omitted:
    fixed/float 1; scalable (w0/w) * (a0/a) against the widest mode (w0, a0), whose widths the narrower
    ones must divide (Bit Fusion); bitserial 1/serial bits."""
    _known(src, "pe", p, {"type", "acc_bits", "precisions", "float_format", "serial_operand"})
    pe_type = PEType(_wrap(require_choice, src, "pe.type", p.get("type", "fixed"), PE_TYPES))
    acc_bits = _wrap(require_int, src, "pe.acc_bits", p.get("acc_bits", 32))
    if acc_bits > 64:
        raise ConfigError(src, "pe.acc_bits", f"{acc_bits} bits is unsupported", "1 to 64")
    fmt = _wrap(require_choice, src, "pe.float_format", p.get("float_format", "fp16"), FLOAT_FORMATS)
    serial = _wrap(require_choice, src, "pe.serial_operand", p.get("serial_operand", "a"), SERIAL_OPERANDS)
    raw = p.get("precisions")
    if not isinstance(raw, list) or not raw:
        raise ConfigError(src, "pe.precisions", "missing or empty", "a list of {dtype, w_bits, a_bits, macs_per_cycle}")
    parsed = []
    for i, m in enumerate(raw):
        where = f"pe.precisions[{i}]"
        if not isinstance(m, dict):
            raise ConfigError(src, where, "expected a mapping")
        _known(src, where, m, {"dtype", "w_bits", "a_bits", "macs_per_cycle"})
        dtype = _wrap(require_choice, src, f"{where}.dtype", m.get("dtype", "fp" if pe_type == "float" else "int"),
                      DTYPES)
        if (dtype == "fp") != (pe_type == "float"):
            raise ConfigError(src, f"{where}.dtype", f"{dtype} mode on a {pe_type} PE",
                              "fp for pe.type float, int otherwise")
        wb = _wrap(require_int, src, f"{where}.w_bits", m.get("w_bits"))
        ab = _wrap(require_int, src, f"{where}.a_bits", m.get("a_bits"))
        if dtype == "fp" and (wb not in FP_EXACT_INT_BITS or ab not in FP_EXACT_INT_BITS):
            raise ConfigError(src, f"{where}.w_bits", f"fp{wb}/fp{ab} is unsupported", "16, 32")
        if dtype == "int" and max(wb, ab) > 32:
            raise ConfigError(src, f"{where}.w_bits", f"{max(wb, ab)} bits is unsupported", "1 to 32")
        mpc = m.get("macs_per_cycle")
        if mpc is not None:
            mpc = _wrap(require_number, src, f"{where}.macs_per_cycle", mpc)
        parsed.append((dtype, wb, ab, mpc, where))
    w0 = max(x[1] for x in parsed)
    a0 = max(x[2] for x in parsed)
    modes = []
    for dtype, wb, ab, mpc, where in parsed:
        if pe_type == "scalable":
            for bits, base, f in ((wb, w0, "w_bits"), (ab, a0, "a_bits")):
                if base % bits:
                    raise ConfigError(src, f"{where}.{f}", f"{bits} bits is unsupported on a scalable PE of {base}",
                                      ", ".join(str(b) for b in range(1, base + 1) if base % b == 0))
            derived = (w0 // wb) * (a0 // ab)
        elif pe_type == "xnor" and wb > 2:
            raise ConfigError(src, f"{where}.w_bits", f"{wb}-bit weights on an xnor PE", "1 (binary), 2 (ternary)")
        elif pe_type == "bitserial":
            derived = bitserial_macs_per_cycle(serial, wb, ab)
            if mpc is not None and mpc > 1:
                raise ConfigError(src, f"{where}.macs_per_cycle", f"{mpc} > 1 on a bit-serial PE", "numbers <= 1")
        else:
            derived = 1.0
        modes.append(PrecisionMode(dtype, wb, ab, float(derived if mpc is None else mpc)))
    return PEConfig(pe_type, acc_bits, tuple(modes), fmt, serial)


def _ppu(src: str, d: dict, default_lanes: int) -> PPUConfig:
    from simulator.quant import PPU_ARITHMETIC, ZERO_POINT_UNITS

    q = _section(src, d, "ppu", required=False)
    _known(src, "ppu", q, {"lanes", "scale_bits", "arithmetic", "zero_point"})
    lanes = _wrap(require_int, src, "ppu.lanes", q.get("lanes", default_lanes))
    scale_bits = _wrap(require_int, src, "ppu.scale_bits", q.get("scale_bits", 16))
    if scale_bits not in SCALE_BITS:
        raise ConfigError(src, "ppu.scale_bits", f"{scale_bits} bits is unsupported", ", ".join(map(str, SCALE_BITS)))
    arith = _wrap(require_choice, src, "ppu.arithmetic", q.get("arithmetic", "fixed"), PPU_ARITHMETIC)
    zp = _wrap(require_choice, src, "ppu.zero_point", q.get("zero_point", "ppu"), ZERO_POINT_UNITS)
    return PPUConfig(lanes, scale_bits, arith, zp)


def _memory(src: str, d: dict) -> MemoryConfig:
    """The optional ``memory`` section: ``activations`` on_chip (default) or dram; ``attention`` unfused (default)
    or fused; ``prefetch`` auto (default), layer or network; ``conv`` tiles (default) or im2col."""
    m = _section(src, d, "memory", required=False)
    _known(src, "memory", m, {"activations", "attention", "prefetch", "conv"})
    return MemoryConfig(_wrap(require_choice, src, "memory.activations", m.get("activations", "on_chip"),
                              ACTIVATION_POLICIES),
                        _wrap(require_choice, src, "memory.attention", m.get("attention", "unfused"), ATTENTION_MODES),
                        _wrap(require_choice, src, "memory.prefetch", m.get("prefetch", "auto"), PREFETCH_MODES),
                        _wrap(require_choice, src, "memory.conv", m.get("conv", "tiles"), CONV_INPUTS))


def _sparsity(src: str, d: dict) -> SparsityConfig:
    """The optional ``sparsity`` section (simulator/hardware/config.py::SparsityConfig)."""
    from simulator.hardware.config import SPARSE_CONVENTIONS
    from workloads.sparsity import nm_pattern

    s = _section(src, d, "sparsity", required=False)
    _known(src, "sparsity", s, {"structured", "unstructured", "zero_skip", "decompress", "convention"})
    pats = s.get("structured", [])
    if isinstance(pats, str):
        pats = [pats]
    if not isinstance(pats, list):
        raise ConfigError(src, "sparsity.structured", f"{pats!r} is not a list of N:M patterns", "e.g. [2:4]")
    for p in pats:
        ok = isinstance(p, str) and ":" in p and all(x.isdigit() for x in p.split(":", 1))
        if not ok or not 1 <= nm_pattern(p)[0] < nm_pattern(p)[1] <= 32:
            raise ConfigError(src, "sparsity.structured", f"{p!r} is not an N:M pattern", "N:M, 1 <= N < M <= 32")
    flags = {}
    for f in ("unstructured", "zero_skip", "decompress"):
        v = s.get(f, False)
        if not isinstance(v, bool):
            raise ConfigError(src, f"sparsity.{f}", f"{v!r} is not true or false", "true, false")
        flags[f] = v
    conv = _wrap(require_choice, src, "sparsity.convention", s.get("convention", "hardware"), SPARSE_CONVENTIONS)
    return SparsityConfig(tuple(pats), convention=conv, **flags)


def _nonlinear(src: str, d: dict) -> NonlinearConfig:
    from simulator.vector import IMPLEMENTATIONS, NONLINEAR_OPS, POST_SOFTMAX_QUANTIZERS

    n = _section(src, d, "nonlinear", required=False)
    _known(src, "nonlinear", n, {*NONLINEAR_OPS, "post_softmax", "post_softmax_bits"})
    impls = {op: _wrap(require_choice, src, f"nonlinear.{op}", n.get(op, "float"), IMPLEMENTATIONS)
             for op in NONLINEAR_OPS}
    q = _wrap(require_choice, src, "nonlinear.post_softmax", n.get("post_softmax", "uniform"), POST_SOFTMAX_QUANTIZERS)
    bits = n.get("post_softmax_bits")
    if bits is not None:
        bits = _wrap(require_int, src, "nonlinear.post_softmax_bits", bits)
        if bits > 16:
            raise ConfigError(src, "nonlinear.post_softmax_bits", f"{bits} bits is unsupported", "1 to 16")
    return NonlinearConfig(post_softmax=q, post_softmax_bits=bits, **impls)


def hardware_from_dict(d, src: str = "<hardware>") -> Hardware:
    """Validate every field of a hardware mapping, then build ``Hardware`` (a mapping with ``engines:``: a
    ``simulator.hardware.chip.Chip`` of several engines)."""
    from simulator.tech.table import DRAM_TYPES, tech_names

    if not isinstance(d, dict):
        raise ConfigError(src, "top level", f"expected a mapping, got {type(d).__name__}")
    if "engines" in d:   # several engines on one chip (simulator/hardware/chip.py, docs/engines.md)
        from simulator.hardware.chip import CHIP_TOP, chip_from_dict

        _known(src, "", d, _TOP | CHIP_TOP)
        return chip_from_dict(d, src, hardware_from_dict)
    _known(src, "", d, _TOP)
    check_bounds(d, src)
    name = _wrap(require_str, src, "name", d.get("name", Path(src).stem))
    _wrap(require_str, src, "description", d.get("description", ""))
    freq = _wrap(require_number, src, "freq_mhz", d.get("freq_mhz"))

    a = _section(src, d, "array")
    _known(src, "array", a, {"rows", "cols", "dataflow", "temporal_tiling", "type", "folds", "grouped"})
    array = ArrayConfig(_wrap(require_int, src, "array.rows", a.get("rows")),
                        _wrap(require_int, src, "array.cols", a.get("cols")),
                        Dataflow(_wrap(require_choice, src, "array.dataflow", a.get("dataflow"), DATAFLOWS)),
                        TemporalTiling(_wrap(require_choice, src, "array.temporal_tiling",
                                             a.get("temporal_tiling", "auto"), TEMPORAL_TILINGS)),
                        _wrap(require_choice, src, "array.type", a.get("type", "systolic"), ARRAY_TYPES),
                        _wrap(require_choice, src, "array.folds", a.get("folds", "serial"), FOLD_ORDERS),
                        _wrap(require_choice, src, "array.grouped", a.get("grouped", "packed"), GROUPED_CONVS))
    pe = _pe(src, _section(src, d, "pe"))

    b = _section(src, d, "buffers")
    _known(src, "buffers", b, {"ifmap_kib", "weight_kib", "ofmap_kib", "ifmap_depth", "weight_depth",
                               "ofmap_depth", "double_buffered"})
    buffers = BufferConfig(*(_wrap(require_number, src, f"buffers.{k}", b.get(k))
                             for k in ("ifmap_kib", "weight_kib", "ofmap_kib")), *_depths(src, b))

    r = _section(src, d, "dram")
    _known(src, "dram", r, {"bandwidth_gbps", "latency_cycles", "type", "energy_pj_per_bit", "dma_engines",
                            "outstanding", "burst_bytes", "efficiency"})
    epb, eff = r.get("energy_pj_per_bit"), r.get("efficiency")
    outstanding = r.get("outstanding")
    dram = DramConfig(_wrap(require_number, src, "dram.bandwidth_gbps", r.get("bandwidth_gbps")),
                      _wrap(require_int, src, "dram.latency_cycles", r.get("latency_cycles", 0), 0),
                      _wrap(require_choice, src, "dram.type", r.get("type", "lpddr4"), DRAM_TYPES),
                      None if epb is None else _wrap(require_number, src, "dram.energy_pj_per_bit", epb),
                      _wrap(require_int, src, "dram.dma_engines", r.get("dma_engines", 1), 1),
                      None if outstanding is None else _wrap(require_int, src, "dram.outstanding", outstanding, 1),
                      _wrap(require_int, src, "dram.burst_bytes", r.get("burst_bytes", 64), 1),
                      None if eff is None else _wrap(require_number, src, "dram.efficiency", eff, 0.0, True, 1.0))

    v = _section(src, d, "vector")
    _known(src, "vector", v, {"lanes", "cycles_per_element", "overlap", "pipelined"})
    lanes = _wrap(require_int, src, "vector.lanes", v.get("lanes"))
    cpe = v.get("cycles_per_element", {})
    if not isinstance(cpe, dict):
        raise ConfigError(src, "vector.cycles_per_element", "expected a mapping of op to cycles")
    costs = []
    for op, c in cpe.items():
        _wrap(require_choice, src, "vector.cycles_per_element", op, VECTOR_OPS)
        costs.append((op, _wrap(require_number, src, f"vector.cycles_per_element.{op}", c)))
    pipelined = v.get("pipelined", False)
    if not isinstance(pipelined, bool):
        raise ConfigError(src, "vector.pipelined", f"{pipelined!r} is not true or false", "true, false")
    vector = VectorConfig(lanes, tuple(costs),
                          _wrap(require_choice, src, "vector.overlap", v.get("overlap", "auto"), VECTOR_OVERLAPS),
                          pipelined)

    t = d.get("tech", {"table": "horowitz45"})
    if not isinstance(t, dict):
        raise ConfigError(src, "tech", "expected a mapping")
    _known(src, "tech", t, {"table", "node_nm", "voltage_v", "leakage_mw_per_mm2"})
    opt = {k: None if t.get(k) is None else _wrap(require_number, src, f"tech.{k}", t[k], 0.0, k != "leakage_mw_per_mm2")
           for k in ("node_nm", "voltage_v", "leakage_mw_per_mm2")}
    tech = TechConfig(_wrap(require_choice, src, "tech.table", t.get("table", "horowitz45"), tech_names()), **opt)

    dw = d.get("default_workload")
    if dw is not None and not isinstance(dw, str):
        raise ConfigError(src, "default_workload", "expected a zoo name or a workload path")
    return Hardware(str(name), freq, array, pe, buffers, dram, vector, tech, dw, str(d.get("description", "")), src,
                    _ppu(src, d, array.cols), _nonlinear(src, d), memory=_memory(src, d), sparsity=_sparsity(src, d),
                    fpga=_fpga(src, d, pe), host=_host(src, d))


def _host(src: str, d: dict) -> HostConfig:
    """The optional ``host`` section: overhead_us_per_image, overhead_us_per_batch (>= 0, default 0), power_w
    (> 0, optional)."""
    h = _section(src, d, "host", required=False)
    _known(src, "host", h, {"overhead_us_per_image", "overhead_us_per_batch", "power_w"})
    per = {k: _wrap(require_number, src, f"host.{k}", h.get(k, 0.0), 0.0, False)
           for k in ("overhead_us_per_image", "overhead_us_per_batch")}
    pw = h.get("power_w")
    return HostConfig(**per, power_w=None if pw is None else _wrap(require_number, src, "host.power_w", pw))


def _depths(src: str, b: dict) -> tuple:
    """(ifmap, weight, ofmap) depths of the ``buffers`` section: ``*_depth`` (1 to MAX_DEPTH), or the
    ``double_buffered`` list (listed: 2, others: 1); None where neither states it (derived from the tiles)."""
    listed = b.get("double_buffered")
    if listed is not None:
        if not isinstance(listed, list) or any(x not in BUFFER_NAMES for x in listed):
            raise ConfigError(src, "buffers.double_buffered", f"{listed!r} is not a list of buffer names",
                              ", ".join(BUFFER_NAMES))
        both = [f"{x}_depth" for x in BUFFER_NAMES if b.get(f"{x}_depth") is not None]
        if both:
            raise ConfigError(src, f"buffers.{both[0]}", "stated beside buffers.double_buffered",
                              "one of the two: double_buffered or the *_depth fields")
        return tuple(2 if x in listed else 1 for x in BUFFER_NAMES)
    out = []
    for x in BUFFER_NAMES:
        v = b.get(f"{x}_depth")
        if v is not None:
            v = _wrap(require_int, src, f"buffers.{x}_depth", v, 1)
            if v > MAX_DEPTH:
                raise ConfigError(src, f"buffers.{x}_depth", f"{v} slots is unsupported", f"1 to {MAX_DEPTH}")
        out.append(v)
    return tuple(out)


def _fpga(src: str, d: dict, pe: PEConfig):
    """The optional ``fpga`` section (simulator/fpga/devices.py): None without one; every PE mode must be buildable
    by the chosen MAC implementation (simulator/fpga/resources.py), and ``memory: uram`` needs a part with URAM."""
    if "fpga" not in d:
        return None
    from simulator.fpga.devices import fpga_from_dict
    from simulator.fpga.resources import PackError, luts_per_mac, macs_per_dsp

    f = fpga_from_dict(src, d["fpga"], Path(src).parent if src and not src.startswith("<") else None)
    for i, m in enumerate(pe.precisions):
        try:
            if f.mac_impl != "lut":
                macs_per_dsp(f.device.dsp_kind, m.dtype, m.w_bits, m.a_bits)
            else:
                luts_per_mac(m.dtype, m.w_bits, m.a_bits, pe.acc_bits)
        except PackError as e:
            raise ConfigError(src, f"pe.precisions[{i}]", f"{e} on {f.device.name} (fpga.mac_impl {f.mac_impl})",
                              "integer modes up to the DSP's multiplier (docs/fpga.md)") from None
    if f.memory == "uram" and f.device.uram == 0:
        raise ConfigError(src, "fpga.memory", f"uram on {f.device.name}, which has no UltraRAM", "auto, bram")
    return f

