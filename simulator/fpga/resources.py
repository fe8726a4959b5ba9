"""FPGA resources of a design = its counts x the device's unit prices (simulator/fpga/costs.yaml): the one place a
DSP, LUT, flip-flop, BRAM36 or URAM is counted (``fpga_use``), beside ``simulator.energy``'s pJ.

MACs (PE modes (w, a, p) of an R x C array; lanes = R * C * p MACs per cycle):
  dsp   DSPs = max over modes of ceil(lanes / k(w, a)), k = MACs per DSP from the DSP kind's packing table
        (DSP48E2: 4 at w, a <= 4 (WP521), 2 at <= 8 (WP486), 1 up to 27 x 18; DSP58: 3 at <= 8, 1 up to 27 x 24;
        Intel variable precision: 2 up to 18 x 19, 1 up to 27 x 27); wider integers: ceil(w/W) * ceil(a/A) DSPs per
        MAC, at most ``max_dsp_per_mac``; floats cannot be packed (a ConfigError at load).
        PE fabric: LUTs R * C * acc, flip-flops R * C * (w + a + acc) at the widest mode.
  lut   LUTs = max over modes of lanes * (w * a + acc), flip-flops lanes * (w + a + acc).
  auto  dsp when the whole design fits with DSP MACs, else lut when it fits with LUT MACs, else the build whose
        most-used resource is the smaller share of the part.
Buffers (ifmap port R * a bits, weight port C * w bits, ofmap port C * acc bits; depth = ceil(KiB * 8192 / width)):
  blocks = min over the memory's aspect ratios (width_b x depth_b) of ceil(width / width_b) * ceil(depth / depth_b);
  memory auto: BRAM, then the largest buffers move to URAM one by one while the BRAM overflows (parts with URAM).
Vector unit: lanes x the units of a lane (simulator.area.pipelined_lane_units when pipelined, else one int_mult, two
int_add, and fp_mult + fp_add if a non-linear op runs in float, a table per op run as lut); PPU: lanes x (int_mult_32x16
+ 2 int_add) fixed or (fp_mult + fp_add) float; control: a fixed block. Unit costs: costs.yaml ``units``.
Clock: fpga.fmax_mhz, else the family's default for the design's precision class (an assumption, labelled).
Fit: used <= floor(available x (1 - reserve)) for each resource, and freq_mhz <= fmax.
Power (W): static_w + sum over resources of used x mw_per_100mhz x freq_mhz / 100 / 1e3 x scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simulator.fpga.devices import costs

RESOURCES = ("dsp", "lut", "ff", "bram36", "uram")


class PackError(ValueError):
    """A precision the DSP (or LUT) model cannot build."""


def macs_per_dsp(dsp_kind: str, dtype: str, w_bits: int, a_bits: int) -> float:
    """MACs one DSP of ``dsp_kind`` does per cycle at (w, a) bits (module docstring); < 1 when a MAC takes several."""
    if dtype != "int":
        raise PackError(f"{dtype} MACs: the DSP model packs integer MACs only")
    rows = costs()["packing"][dsp_kind]
    for r in rows:
        if (w_bits <= r["max_w"] and a_bits <= r["max_a"]) or (a_bits <= r["max_w"] and w_bits <= r["max_a"]):
            return float(r["macs"])
    one = rows[-1]
    n = min(math.ceil(w_bits / one["max_w"]) * math.ceil(a_bits / one["max_a"]),
            math.ceil(a_bits / one["max_w"]) * math.ceil(w_bits / one["max_a"]))
    if n > costs()["max_dsp_per_mac"]:
        raise PackError(f"w{w_bits}a{a_bits} needs {n} DSPs per MAC (more than {costs()['max_dsp_per_mac']})")
    return 1.0 / n


def luts_per_mac(dtype: str, w_bits: int, a_bits: int, acc_bits: int) -> tuple[float, float]:
    """(LUTs, flip-flops) of one LUT-based MAC: (w * a + acc, w + a + acc) (costs.yaml ``lut_mac``)."""
    if dtype != "int":
        raise PackError(f"{dtype} MACs: the LUT model builds integer MACs only")
    c = costs()["lut_mac"]
    return c["lut_per_product_bit"] * w_bits * a_bits + c["lut_per_acc_bit"] * acc_bits, float(w_bits + a_bits + acc_bits)


def memory_blocks(width_bits: float, kib: float, aspects) -> int:
    """Blocks of a memory with these (width, depth) aspect ratios holding ``kib`` KiB behind a ``width_bits`` port."""
    if kib <= 0 or width_bits <= 0:
        return 0
    depth = math.ceil(kib * 8192 / width_bits)
    return min(math.ceil(width_bits / w) * math.ceil(depth / d) for w, d in aspects)


def _add(acc: dict, part: dict, times: float = 1.0) -> None:
    for k, v in part.items():
        acc[k] = acc.get(k, 0) + v * times


def _vector_units(hw) -> dict[str, int]:
    from simulator.area import pipelined_lane_units
    from simulator.vector import NONLINEAR_OPS

    if hw.vector.pipelined:
        return pipelined_lane_units(hw)
    impls = [getattr(hw.nonlinear, op) for op in NONLINEAR_OPS]
    units = {"int_mult": 1, "int_add": 2}
    if "float" in impls:
        units.update(fp_mult=1, fp_add=1)
    if impls.count("lut"):
        units["lut"] = impls.count("lut")
    return units


@dataclass(frozen=True)
class FpgaUse:
    """Resources a design uses on its device, by part, with the fit and the clock limit."""

    used: dict                 # resource -> count (RESOURCES)
    available: dict            # resource -> count after the reserve
    parts: dict                # component (macs, pe_fabric, ifmap, weight, ofmap, vector, ppu, control) -> resources
    mac_impl: str              # dsp or lut (auto resolved)
    macs_per_dsp: dict         # PE mode label -> MACs per DSP (dsp builds)
    buffer_memory: dict        # buffer -> bram36 or uram
    fmax_mhz: float
    fmax_assumed: bool         # True: the family default, not fpga.fmax_mhz
    freq_mhz: float

    @property
    def overflow(self) -> dict:
        """Resource (or 'clock') -> amount over what is available (only those that overflow)."""
        out = {r: self.used[r] - self.available[r] for r in RESOURCES if self.used[r] > self.available[r]}
        if self.freq_mhz > self.fmax_mhz:
            out["clock"] = self.freq_mhz - self.fmax_mhz
        return out

    @property
    def fits(self) -> bool:
        return not self.overflow


def _mac_builds(hw, rows: int, cols: int, device) -> tuple[dict, dict, dict]:
    """(dsp build parts, lut build parts, MACs per DSP per mode) of the array's MACs."""
    acc = hw.pe.acc_bits
    dsp_macs, lut_macs, ff_macs, packing = 0, 0.0, 0.0, {}
    for m in hw.pe.precisions:
        lanes = rows * cols * m.macs_per_cycle
        k = macs_per_dsp(device.dsp_kind, m.dtype, m.w_bits, m.a_bits)
        packing[m.label] = k
        dsp_macs = max(dsp_macs, math.ceil(lanes / k - 1e-9))
        lut, ff = luts_per_mac(m.dtype, m.w_bits, m.a_bits, acc)
        lut_macs, ff_macs = max(lut_macs, lanes * lut), max(ff_macs, lanes * ff)
    w = max(m.w_bits for m in hw.pe.precisions)
    a = max(m.a_bits for m in hw.pe.precisions)
    fab = costs()["pe_fabric"]
    dsp_build = {"macs": {"dsp": dsp_macs},
                 "pe_fabric": {"lut": fab["lut_per_acc_bit"] * acc * rows * cols,
                               "ff": fab["ff_per_bit"] * (w + a + acc) * rows * cols}}
    lut_build = {"macs": {"lut": lut_macs, "ff": ff_macs}}
    return dsp_build, lut_build, packing


def _total(parts: dict) -> dict:
    used = {r: 0 for r in RESOURCES}
    for p in parts.values():
        for r, v in p.items():
            used[r] += v
    return {r: math.ceil(v - 1e-9) for r, v in used.items()}


def _auto(totals: dict, available: dict) -> str:
    """mac_impl auto: dsp when the whole design fits with DSP MACs, else lut when it fits with LUT MACs, else the
    build whose most-used resource is the smaller share of the part."""
    def worst(used):
        return max(used[r] / available[r] if available[r] else (math.inf if used[r] else 0.0) for r in RESOURCES)

    for impl in ("dsp", "lut"):
        if worst(totals[impl]) <= 1:
            return impl
    return "dsp" if worst(totals["dsp"]) <= worst(totals["lut"]) else "lut"


def fmax_class(hw, mac_impl: str) -> str:
    """The precision class that picks the family's default clock: lut, dsp4, dsp8 or wide (the widest mode)."""
    if mac_impl == "lut":
        return "lut"
    bits = max(max(m.w_bits, m.a_bits) for m in hw.pe.precisions)
    return "dsp4" if bits <= 4 else "dsp8" if bits <= 8 else "wide"


def fpga_use(hw, rows=None, cols=None, buffers_kib=None, vector_lanes=None, ppu_lanes=None,
             freq_mhz=None) -> FpgaUse:
    """Resources of ``hw`` (which has an ``fpga`` section) on its device; the numeric arguments replace the config's
    own (a sweep's design point): rows, cols, (ifmap, weight, ofmap) KiB, vector and PPU lanes, clock."""
    f = hw.fpga
    dev = f.device
    c = costs()
    rows = int(hw.array.rows if rows is None else rows)
    cols = int(hw.array.cols if cols is None else cols)
    kib = (hw.buffers.ifmap_kib, hw.buffers.weight_kib, hw.buffers.ofmap_kib) if buffers_kib is None else buffers_kib
    vlanes = hw.vector.lanes if vector_lanes is None else vector_lanes
    plane = hw.ppu.lanes if ppu_lanes is None else ppu_lanes
    freq = hw.freq_mhz if freq_mhz is None else freq_mhz
    available = {r: math.floor(getattr(dev, r) * (1 - f.reserve)) for r in RESOURCES}

    dsp_build, lut_build, packing = _mac_builds(hw, rows, cols, dev)
    parts: dict = {}

    units = c["units"]
    lane: dict = {}
    for prim, n in sorted(_vector_units(hw).items()):
        if prim == "int_mult" and f.vector_impl == "lut":
            _add(lane, c["lut_int_mult"], n)
        else:
            _add(lane, units.get(prim, units["int_add"]), n)
    parts["vector"] = {k: v * vlanes for k, v in lane.items()}
    ppu: dict = {}
    if hw.ppu.arithmetic == "float":
        _add(ppu, units["fp_mult"]), _add(ppu, units["fp_add"])
    else:
        _add(ppu, units["int_mult_32x16"]), _add(ppu, units["int_add"], 2)
    parts["ppu"] = {k: v * plane for k, v in ppu.items()}
    parts["control"] = dict(c["control"])

    a = max(m.a_bits for m in hw.pe.precisions)
    w = max(m.w_bits for m in hw.pe.precisions)
    widths = {"ifmap": rows * a, "weight": cols * w, "ofmap": cols * hw.pe.acc_bits}
    mems = c["memories"]
    bram_aspects = mems["bram36"] if dev.bram_kbit == 36 else mems["m20k"]
    bufs = dict(zip(("ifmap", "weight", "ofmap"), kib))
    blocks = {b: {"bram36": memory_blocks(widths[b], bufs[b], bram_aspects),
                  "uram": memory_blocks(widths[b], bufs[b], mems["uram"])} for b in bufs}
    where = {b: "uram" if f.memory == "uram" else "bram36" for b in bufs}
    if f.memory == "auto" and dev.uram > 0:
        fixed_bram = sum(p.get("bram36", 0) for p in parts.values())
        for b in sorted(bufs, key=lambda b: -bufs[b]):
            if fixed_bram + sum(blocks[x][where[x]] for x in bufs if where[x] == "bram36") <= available["bram36"]:
                break
            where[b] = "uram"
    for b in bufs:
        parts[b] = {where[b]: blocks[b][where[b]]}

    builds = {"dsp": {**dsp_build, **parts}, "lut": {**lut_build, **parts}}
    totals = {k: _total(b) for k, b in builds.items()}
    impl = f.mac_impl
    if impl == "auto":
        impl = _auto(totals, available)
    parts, used = builds[impl], totals[impl]
    clocks = dict(dev.default_fmax_mhz)
    fmax = f.fmax_mhz if f.fmax_mhz is not None else clocks[fmax_class(hw, impl)]
    return FpgaUse(used, available, parts, impl, packing, where, float(fmax), f.fmax_mhz is None, float(freq))


def fpga_power_w(use: FpgaUse, static_w: float) -> tuple[float, float]:
    """(static W, dynamic W): static_w and sum of used x mw_per_100mhz x freq_mhz / 100 / 1e3 x scale."""
    p = costs()["power"]
    dyn = sum(use.used[r] * p["mw_per_100mhz"][r] for r in RESOURCES) * use.freq_mhz / 100 / 1e3 * p["scale"]
    return float(static_w), float(dyn)
