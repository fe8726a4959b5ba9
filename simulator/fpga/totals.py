"""FPGA totals of a simulated design (simulator/schema.py ``FPGA_TOTAL_FIELDS``), the fit lines the CLI prints, and
the same totals for a batch of sweep designs. Only designs with an ``fpga`` section have them.

  fpga_power_w             = fpga_static_w + fpga_dynamic_w                       (simulator/fpga/resources.py)
  fpga_energy_per_image_uj = fpga_power_w * latency_us / batch                    (W x us = uJ)
  fpga_images_per_s_per_w  = throughput_fps / fpga_power_w
"""

from __future__ import annotations

import math

from simulator.fpga.resources import RESOURCES, FpgaUse, fpga_power_w, fpga_use

LABELS = {"dsp": "DSP", "lut": "LUT", "ff": "FF", "bram36": "BRAM36", "uram": "URAM"}


def totals_from_use(use: FpgaUse, static_w: float, latency_us: float, batch: int) -> dict[str, float]:
    """The FPGA totals (FPGA_TOTAL_FIELDS) of one design from its resources and its simulated latency."""
    static, dyn = fpga_power_w(use, static_w)
    power = static + dyn
    out = {f"fpga_{r}": float(use.used[r]) for r in RESOURCES}
    out.update(fpga_fits=float(use.fits), fpga_fmax_mhz=use.fmax_mhz, fpga_static_w=static, fpga_dynamic_w=dyn,
               fpga_power_w=power, fpga_energy_per_image_uj=power * latency_us / batch,
               fpga_images_per_s_per_w=batch / (latency_us * 1e-6) / power)
    return out


def fpga_totals(hw, latency_us: float, batch: int) -> dict[str, float]:
    """FPGA totals of ``hw`` simulated at ``latency_us`` per batch of ``batch`` images; {} without an fpga section."""
    if hw.fpga is None:
        return {}
    return totals_from_use(fpga_use(hw), hw.fpga.device.static_w, latency_us, batch)


def batch_fpga_totals(variants, variant, numbers: dict, latency_us, batch: int, names) -> dict:
    """``names`` (FPGA totals) for every design of a sweep batch (simulator.model.batch.DesignBatch fields): NaN for
    a design whose variant has no fpga section or did not run (latency NaN)."""
    import numpy as np

    n = len(variant)
    out = {name: np.full(n, np.nan) for name in names}
    for i in range(n):
        hw = variants[variant[i]]
        if hw is None or hw.fpga is None or not math.isfinite(latency_us[i]):
            continue
        kib = (numbers["ifmap_kib"][i], numbers["weight_kib"][i], numbers["ofmap_kib"][i])
        use = fpga_use(hw, numbers["rows"][i], numbers["cols"][i], kib, numbers["vector_lanes"][i],
                       numbers["ppu_lanes"][i], numbers["freq_mhz"][i])
        t = totals_from_use(use, hw.fpga.device.static_w, float(latency_us[i]), batch)
        for name in names:
            out[name][i] = t[name]
    return out


def fit_lines(hw) -> list[str]:
    """The fit of ``hw`` on its device as text lines: each resource used / available, the clock, the verdict, and
    one line per overflowing resource saying by how much."""
    use = fpga_use(hw)
    dev = hw.fpga.device
    res = "" if not hw.fpga.reserve else f", {hw.fpga.reserve:.0%} reserved"
    lines = [f"FPGA {dev.name} ({dev.part}, {dev.board}{res}): MACs on {use.mac_impl.upper()}s"
             + (" (" + ", ".join(f"{k} {v:g} MACs/DSP" for k, v in use.macs_per_dsp.items()) + ")"
                if use.mac_impl == "dsp" else "")]
    for r in RESOURCES:
        u, a = use.used[r], use.available[r]
        share = f"{100 * u / a:5.1f}%" if a else ("  -   " if not u else "  inf ")
        lines.append(f"  {LABELS[r]:<7}{u:>12,} / {a:>12,}  {share}")
    label = "assumed: family default" if use.fmax_assumed else "fpga.fmax_mhz"
    lines.append(f"  clock  {use.freq_mhz:>9g} MHz / fmax {use.fmax_mhz:g} MHz ({label}; typical "
                 f"{dev.fmax_mhz[0]:g}-{dev.fmax_mhz[1]:g} MHz)")
    over = use.overflow
    if not over:
        lines.append("  fits: yes")
    for r, v in over.items():
        if r == "clock":
            lines.append(f"  DOES NOT FIT: clock {use.freq_mhz:g} MHz exceeds fmax {use.fmax_mhz:g} MHz by {v:g} MHz")
        else:
            lines.append(f"  DOES NOT FIT: {LABELS[r]} {use.used[r]:,} used, {use.available[r]:,} available: over by "
                         f"{v:,} ({100 * v / max(use.available[r], 1):.1f}%)")
    return lines
