"""Sane bounds of the numeric hardware fields: upper bounds (``BOUNDS``) and the smallest positive values
(``MINIMUMS``); zero, negative numbers and types are checked in validate.py.

Each bound is far beyond any real design, so no config that makes sense is refused, yet every product the cost
model forms stays finite and exact (a buffer of 2^30 KiB is 2^43 bytes, 2^46 bits; times a 2^20-lane count it
is still below 2^66 only as a float, which the model never turns back into an integer).

| field | at most | why |
|---|---|---|
| freq_mhz | 1e6 (1 THz) | 200x the fastest clocked logic |
| array.rows, array.cols, vector.lanes, ppu.lanes | 2^20 | 16x the largest wafer-scale engines' PE rows |
| pe.precisions[].macs_per_cycle | 1024 | a 32x32-bit PE split into 1-bit lanes: 32 * 32 |
| buffers.*_kib | 2^30 (1 TiB) | 20,000x the largest on-chip SRAM of a single die |
| dram.bandwidth_gbps | 1e9 | SCALE-Sim's "CALC" bandwidth (transfers take no time) is 1e9 B/cycle at 1 GHz |
| dram.latency_cycles | 2^32 | seconds of latency at any clock |
| dram.energy_pj_per_bit, vector.cycles_per_element.* | 1e6 | a million times a real DRAM bit or vector op |
| tech.node_nm | 1e4 (10 um) | older than every process of the technology tables |
| tech.voltage_v | 100 | |
| tech.leakage_mw_per_mm2 | 1e6 | |

The smallest positive values keep every time and rate the model divides by far from underflow (a bandwidth of
1e-300 GB/s made a transfer infinitely long: an "internal error" instead of a refusal):

| field | at least | why |
|---|---|---|
| freq_mhz | 1e-3 (1 kHz) | slower than any clocked accelerator by 10^5 |
| dram.bandwidth_gbps | 1e-6 (1 kB/s) | a serial link of 1980 |
| buffers.*_kib | 2^-10 (1 byte) | one byte of SRAM |
| pe.precisions[].macs_per_cycle | 2^-10 | a 32x32-bit MAC done one bit pair per cycle: 1/1024 |
| vector.cycles_per_element.*, dram.energy_pj_per_bit | 1e-6 | a millionth of a cycle or of a picojoule |
| tech.node_nm | 1 | below every process of the technology tables |
| tech.voltage_v | 0.01 | |
"""

from __future__ import annotations

import math

from simulator.hardware.config import ConfigError

BOUNDS: dict[str, float] = {
    "freq_mhz": 1e6,
    "array.rows": 2 ** 20,
    "array.cols": 2 ** 20,
    "vector.lanes": 2 ** 20,
    "ppu.lanes": 2 ** 20,
    "pe.precisions.*.macs_per_cycle": 1024,
    "buffers.ifmap_kib": 2 ** 30,
    "buffers.weight_kib": 2 ** 30,
    "buffers.ofmap_kib": 2 ** 30,
    "dram.bandwidth_gbps": 1e9,
    "dram.latency_cycles": 2 ** 32,
    "dram.energy_pj_per_bit": 1e6,
    "vector.cycles_per_element.*": 1e6,
    "tech.node_nm": 1e4,
    "tech.voltage_v": 100,
    "tech.leakage_mw_per_mm2": 1e6,
}


MINIMUMS: dict[str, float] = {
    "freq_mhz": 1e-3,
    "dram.bandwidth_gbps": 1e-6,
    "buffers.ifmap_kib": 2 ** -10,
    "buffers.weight_kib": 2 ** -10,
    "buffers.ofmap_kib": 2 ** -10,
    "pe.precisions.*.macs_per_cycle": 2 ** -10,
    "vector.cycles_per_element.*": 1e-6,
    "dram.energy_pj_per_bit": 1e-6,
    "tech.node_nm": 1,
    "tech.voltage_v": 0.01,
}


def _values(d, keys: list[str], where: str):
    """(field path, value) of every value at ``keys`` (``*``: every list item or mapping value) under ``d``."""
    if not keys:
        yield where, d
        return
    key, rest = keys[0], keys[1:]
    if key == "*":
        items = enumerate(d) if isinstance(d, list) else d.items() if isinstance(d, dict) else ()
        for k, v in items:
            yield from _values(v, rest, f"{where}[{k}]" if isinstance(d, list) else f"{where}.{k}")
    elif isinstance(d, dict) and key in d:
        yield from _values(d[key], rest, f"{where}.{key}" if where else key)


def check_bounds(d: dict, src: str) -> None:
    """Refuse a finite number above its bound (``BOUNDS``), or positive and below its minimum (``MINIMUMS``), in
    the hardware mapping ``d``; other types, zero, negative numbers, NaN and infinities are left to the field's
    own check in validate.py."""
    for path, top in BOUNDS.items():
        for where, v in _values(d, path.split("."), ""):
            if _number(v) and v > top:
                raise ConfigError(src, where, f"{_fmt(v)} is above {_fmt(top)}",
                                  f"at most {_fmt(top)} (simulator/hardware/bounds.py)")
    for path, low in MINIMUMS.items():
        for where, v in _values(d, path.split("."), ""):
            if _number(v) and 0 < v < low:
                raise ConfigError(src, where, f"{v:.3g} is below {low:.3g}",
                                  f"at least {low:.3g} (simulator/hardware/bounds.py)")


def _number(v) -> bool:
    """A finite int or float (not a bool)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and (isinstance(v, int) or math.isfinite(v))


def _fmt(x) -> str:
    return f"{x:.3g}" if abs(x) >= 1e12 or isinstance(x, float) else f"{x:,}"
