"""Count the violations of the simulator's monotonicity properties over random mutations of the shipped configs.

The properties (docs/memory.md "Monotonicity"), each checked on a mutated shipped config (buffers and DRAM bandwidth
scaled by random factors) and a small zoo workload:
  bandwidth   doubling dram.bandwidth_gbps never makes the network slower (latency_us);
  clock       doubling freq_mhz never makes it slower (latency_us);
  buffer      doubling one of buffers.ifmap_kib / weight_kib / ofmap_kib never adds DRAM bytes (read + write) nor
              cycles;
  batch       batch b (2, 4 or 8) never costs more per image (cycles, energy, DRAM bytes) than batch 1;
  bits        on a precision-scalable or bit-serial PE, fewer bits (W4A4 < W4A8 < W8A8) never cost more cycles or
              energy.
A pair is a violation when the second value exceeds the first by more than a relative 1e-9. ``--rules`` applies
the documented exceptions of the test (a schedule's overlap, the network memory plan, hidden first fills). tests/simulator/
test_monotonic.py asserts the same properties with Hypothesis; this script counts, with a fixed seed:

    PYTHONPATH=. python tools/monotonic_violations.py [--cases 60] [--seed 0] [--show 3] [--rules]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator import ConfigError, load_hardware, simulate, simulate_totals
from simulator.loader import hardware_names
from workloads.resolve import resolve_workload

WORKLOADS = ("deit_tiny-w8a8", "levit_128s-w8a8", "efficientvit_b0-w8a8", "deit_tiny-w4a8")
SCALES = (0.25, 0.5, 1, 1, 2, 4)
TOL = 1e-9
_W: dict = {}


def workload(name: str, batch: int = 1):
    if (name, batch) not in _W:
        _W[name, batch] = resolve_workload(name, batch=batch)
    return _W[name, batch]


def base_sets(name: str, rng: random.Random) -> dict:
    """A random mutation of a shipped config: each buffer and the DRAM bandwidth scaled by one of SCALES."""
    hw = load_hardware(name)
    kib = dict(zip(("ifmap_kib", "weight_kib", "ofmap_kib"), (b / 1024 for b in hw.buffers.bytes)))
    sets = {f"buffers.{k}": max(1.0, v * rng.choice(SCALES)) for k, v in kib.items()}
    sets["dram.bandwidth_gbps"] = hw.dram.bandwidth_gbps * rng.choice(SCALES)
    return sets


def totals(name: str, sets: dict, wl):
    return simulate_totals(wl, load_hardware(name, tuple(sets.items())))


def worse(a: float, b: float) -> bool:
    """b is worse than a beyond rounding."""
    return b > a * (1 + TOL) + 1e-12


def dram(t) -> float:
    return t.dram_read_bytes + t.dram_write_bytes


def work(t, rules: bool) -> float:
    """Cycles compared: total_cycles, or with the documented rules the work before the schedule's overlap
    (total_cycles + overlap_hidden_cycles: tests/simulator/test_monotonic.py SCHEDULE)."""
    return t.total_cycles + (t.overlap_hidden_cycles if rules else 0.0)


def prefetch(name: str, sets: dict, wl) -> float:
    """Sum of the layers' hidden first fills (prefetch_cycles; test_monotonic.py FILLS)."""
    return sum(r["prefetch_cycles"] for r in
               simulate(wl, load_hardware(name, tuple(sets.items()))).to_dict()["layers"])


def check(prop: str, name: str, sets: dict, wl_name: str, rng: random.Random, rules: bool = False):
    """Violation text of one property on one mutated design ('' when it holds); ``rules``: apply the documented
    exceptions of tests/simulator/test_monotonic.py (SCHEDULE, PLAN, FILLS)."""
    if rules and prop == "batch":
        sets = {**sets, "memory.activations": "dram"}
    wl = workload(wl_name)
    base = totals(name, sets, wl)
    if prop in ("bandwidth", "clock"):
        key = "dram.bandwidth_gbps" if prop == "bandwidth" else "freq_mhz"
        value = sets[key] if key in sets else load_hardware(name).freq_mhz
        t = totals(name, {**sets, key: value * 2}, wl)
        return (f"latency_us {base.latency_us:.6g} -> {t.latency_us:.6g}"
                if worse(base.latency_us, t.latency_us) else "")
    if prop == "buffer":
        key = rng.choice(("buffers.ifmap_kib", "buffers.weight_kib", "buffers.ofmap_kib"))
        t = totals(name, {**sets, key: sets[key] * 2}, wl)
        bad = []
        if worse(dram(base), dram(t)):
            bad.append(f"DRAM bytes {dram(base):,.0f} -> {dram(t):,.0f}")
        if worse(work(base, rules), work(t, rules)):
            bad.append(f"cycles {work(base, rules):,.0f} -> {work(t, rules):,.0f}")
        return f"{key} x2: " + ", ".join(bad) if bad else ""
    if prop == "batch":
        b = rng.choice((2, 4, 8))
        t = totals(name, sets, workload(wl_name, b))
        fills = (b - 1) * prefetch(name, sets, wl) if rules else 0.0
        static = fills / (load_hardware(name, tuple(sets.items())).freq_mhz * 1e6) * base.leakage_w * 1e6
        bad = [f"{what} {x:,.6g} -> {y / b:,.6g}/image" for what, x, y in (
            ("cycles", work(base, rules) + fills / b, work(t, rules)),
            ("energy_uj", base.energy_uj + static / b, t.energy_uj),
            ("DRAM bytes", dram(base), dram(t))) if worse(x, y / b)]
        return f"batch {b}: " + ", ".join(bad) if bad else ""
    raise ValueError(prop)


def check_bits(name: str, sets: dict, rng: random.Random):
    """Fewer bits never more cycles or energy: deit_tiny W8A8 -> W4A8 -> W4A4."""
    hw = load_hardware(name, tuple(sets.items()))
    if hw.pe.type not in ("scalable", "bitserial"):
        return ""
    pairs = (("deit_tiny-w8a8", "deit_tiny-w4a8"), ("deit_tiny-w4a8", "deit_tiny-w4a4"))
    bad = []
    for more, fewer in pairs:
        a, b = simulate_totals(workload(more), hw), simulate_totals(workload(fewer), hw)
        for what, x, y in (("cycles", a.total_cycles, b.total_cycles), ("energy_uj", a.energy_uj, b.energy_uj)):
            if worse(x, y):
                bad.append(f"{more} -> {fewer} {what} {x:,.6g} -> {y:,.6g}")
    return ", ".join(bad)


BITSERIAL = {"pe.type": "bitserial", "pe.precisions": [{"w_bits": 8, "a_bits": 8}]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=60, help="random designs per property")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--show", type=int, default=3, help="violations printed per property")
    ap.add_argument("--activations", choices=("as-shipped", "dram"), default="as-shipped",
                    help="memory.activations of every design: as shipped, or dram (no network memory plan)")
    ap.add_argument("--rules", action="store_true",
                    help="apply the documented exceptions of tests/simulator/test_monotonic.py (SCHEDULE, PLAN, FILLS)")
    ap.add_argument("--only", default="", help="comma-separated properties to check (default: all)")
    args = ap.parse_args(argv)
    names = hardware_names()
    names = [n for n in names if not n.startswith("gpus/") and "/" not in n or n.startswith("published/")]
    names = [n for n in names if not hasattr(load_hardware(n), "engines")]   # one-engine designs (chips: engines.md)
    print(f"configs: {', '.join(names)}")
    for prop in ("bandwidth", "clock", "buffer", "batch", "bits"):
        if args.only and prop not in args.only.split(","):
            continue
        rng = random.Random(f"{args.seed}-{prop}")
        checked = bad = 0
        shown = []
        for _ in range(args.cases):
            name = rng.choice(names)
            sets = base_sets(name, rng)
            if args.activations == "dram":
                sets["memory.activations"] = "dram"
            try:
                if prop == "bits":
                    if rng.random() < 0.5:
                        sets = {**sets, **BITSERIAL, "pe.serial_operand": rng.choice(("a", "w", "both"))}
                    msg = check_bits(name, sets, rng)
                    if load_hardware(name, tuple(sets.items())).pe.type not in ("scalable", "bitserial"):
                        continue
                else:
                    msg = check(prop, name, sets, rng.choice(WORKLOADS), rng, args.rules)
            except ConfigError:
                continue
            checked += 1
            if msg:
                bad += 1
                if len(shown) < args.show:
                    shown.append(f"    {name} {sets}: {msg}")
        print(f"{prop}: {bad} violations of {checked} checks")
        for s in shown:
            print(s)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
