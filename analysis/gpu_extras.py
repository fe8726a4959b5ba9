"""GPU YAML keys beyond the peaks (docs/formats.md): ``arch``, ``sm_count``, ``clock_mhz``, ``max_clock_mhz``,
``framework``, ``notes``, ``block_formats``; and the device at its maximum clock.

``block_formats: {native: [mxfp8, mxfp6, mxfp4, nvfp4], source: ...}``: the block-scaled format families
(workloads/block_formats.py ``FAMILIES``) the tensor cores run natively, the block scales applied inside the MMA
(Blackwell: PTX ``mma.sync ... .block_scale``, ``.kind::mxf8f6f4`` and ``.kind::mxf4nvf4``). A GEMM in a family the
device does not list runs at its FP16 ceiling (``Device.gemm_peak``).

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
    block_formats: tuple[str, ...] = ()      # block-scaled format families run natively (block_formats.FAMILIES)
    block_formats_source: str = ""

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
    native, native_src = _block_formats(d, source)
    return GpuInfo(str(d.get("arch", "")), sms, rated, boost, fw, rated, sustained, idle, tdp, psrc, native,
                   native_src)


def _block_formats(d: dict, source: str) -> tuple[tuple[str, ...], str]:
    """``block_formats.native`` (family names, each once) and ``block_formats.source``."""
    from workloads.block_formats import FAMILIES

    if d.get("block_formats") is None:
        return (), ""
    bf = require_mapping(source, "block_formats", d["block_formats"])
    require_known(source, "block_formats", bf, ("native", "source"))
    native = bf.get("native", [])
    allowed = sorted(set(FAMILIES.values()))
    if not isinstance(native, list):
        raise InputError(source, "block_formats.native", f"expected a list of format families, got {native!r}",
                         ", ".join(allowed))
    for i, name in enumerate(native):
        if name not in allowed:
            raise InputError(source, f"block_formats.native[{i}]", f"unknown block format family {name!r}",
                             ", ".join(allowed))
    if len(set(native)) != len(native):
        raise InputError(source, "block_formats.native", "a family appears twice")
    return tuple(native), require_str(source, "block_formats.source", bf.get("source", ""))


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
