"""GPU YAML keys beyond the peaks (docs/formats.md): ``arch``, ``sm_count``, ``clock_mhz``, ``max_clock_mhz``,
``framework``, ``notes``; and the device at its maximum clock.

``max_clock_mhz``: GPU Boost runs a card above its rated boost clock (``clock_mhz``, the clock the datasheet's peaks
are given at) when power and temperature allow; a bound that measured runs never beat takes every peak x
``max_clock_mhz / clock_mhz`` (``at_max_clock``; the framework-profile bound uses it, ``--framework none`` keeps the
datasheet peaks)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from workloads.errors import (
    InputError,
    require_choice,
    require_int,
    require_known,
    require_mapping,
    require_number,
    require_str,
)


@dataclass(frozen=True)
class GpuInfo:
    """What the expected-time model and the framework profile need to know about a GPU."""

    arch: str = ""                  # e.g. "Ada AD102 (sm_89)": its first word picks analysis.gpu_expected.ARCH
    sm_count: int | None = None     # streaming multiprocessors (tile waves)
    clock_mhz: float | None = None  # the clock the peaks are given at
    clock_scale: float = 1.0        # max_clock_mhz / clock_mhz
    framework: str = "pytorch_eager_amp"
    peak_clock_mhz: float | None = None      # the clock the device's peaks are at now (rated, or max after at_max_clock)
    sustained_clock_mhz: float | None = None  # what a power-limited card holds under load (the expected time's clock)
    idle_w: float | None = None              # board power idle (W)
    tdp_w: float | None = None               # board power limit (W)
    power_source: str = ""

    @property
    def sustained_scale(self) -> float:
        """sustained_clock_mhz / peak_clock_mhz (<= 1; 1 without a sustained clock): the expected time's math runs
        at this fraction of the peaks."""
        if not self.sustained_clock_mhz or not self.peak_clock_mhz:
            return 1.0
        return min(1.0, self.sustained_clock_mhz / self.peak_clock_mhz)

    def board_power_w(self, utilization: float) -> float | None:
        """Board power (W) at ``utilization`` in [0, 1]: idle_w + (tdp_w - idle_w) * utilization (docs/roofline.md,
        "GPU power"); None without a power entry."""
        if self.tdp_w is None or self.idle_w is None:
            return None
        return self.idle_w + (self.tdp_w - self.idle_w) * min(1.0, max(0.0, utilization))


def gpu_info(d: dict, source: str, limits: dict) -> GpuInfo:
    """Validate the optional keys (``limits``: devices.GPU_MAX) and build the GpuInfo."""
    from analysis.framework import DEFAULT_GPU_PROFILE, PROFILES

    sms = d.get("sm_count")
    if sms is not None:
        require_int(source, "sm_count", sms, 1, limits["sm_count"])
    rated = d.get("clock_mhz")
    if rated is not None:
        require_number(source, "clock_mhz", rated, maximum=limits["clock_mhz"])
    boost = 1.0
    if d.get("max_clock_mhz") is not None:
        top = require_number(source, "max_clock_mhz", d["max_clock_mhz"], maximum=limits["clock_mhz"])
        if rated is None or top < rated:
            raise InputError(source, "max_clock_mhz", f"{top} needs clock_mhz at or below it", ">= clock_mhz")
        boost = top / rated
    fw = require_choice(source, "framework", d.get("framework", DEFAULT_GPU_PROFILE), tuple(PROFILES))
    sustained = d.get("sustained_clock_mhz")
    if sustained is not None:
        sustained = require_number(source, "sustained_clock_mhz", sustained, maximum=limits["clock_mhz"])
        if rated is None:
            raise InputError(source, "sustained_clock_mhz", "needs clock_mhz", "a clock_mhz entry")
    idle = tdp = None
    psrc = ""
    if d.get("power") is not None:
        pw = require_mapping(source, "power", d["power"])
        require_known(source, "power", pw, ("idle_w", "tdp_w", "source"))
        tdp = require_number(source, "power.tdp_w", pw.get("tdp_w"), maximum=limits["power_w"])
        idle = require_number(source, "power.idle_w", pw.get("idle_w"), maximum=tdp)
        psrc = require_str(source, "power.source", pw.get("source", ""))
    return GpuInfo(str(d.get("arch", "")), sms, rated, boost, fw, rated, sustained, idle, tdp, psrc)


def gpu_notes(d: dict, source: str) -> tuple[str, ...]:
    """``default_note`` then ``notes`` (a list of strings)."""
    extra = d.get("notes", []) or []
    if not isinstance(extra, list) or not all(isinstance(x, str) for x in extra):
        raise InputError(source, "notes", "expected a list of strings")
    return ((d["default_note"],) if d.get("default_note") else ()) + tuple(extra)


def device_framework(device) -> str | None:
    """The framework profile of a device: its GPU YAML's, none for accelerators and the host."""
    return device.gpu.framework if getattr(device, "gpu", None) is not None else None


def at_max_clock(device):
    """``device`` with every peak scaled by its ``clock_scale`` (max_clock_mhz / clock_mhz)."""
    info = getattr(device, "gpu", None)
    if info is None or info.clock_scale == 1.0:
        return device
    k = info.clock_scale
    peaks = tuple(replace(p, ops_per_s=p.ops_per_s * k, source=f"{p.source}; x {k:.4g} (max_clock_mhz / clock_mhz)")
                  for p in device.peaks)
    return replace(device, peaks=peaks, gpu=replace(info, clock_scale=1.0, peak_clock_mhz=info.clock_mhz * k),
                   notes=device.notes + (f"peaks at max_clock_mhz: x {k:.4g} the rated-clock figures",))
