"""Wall time and peak memory of tracing timm models, each in a fresh Python process (imports included).

Targets: deit_base_patch16_224 <= 10 s; vit_huge_patch14_224 <= 60 s and <= 6 GB.
Wall time = process start to exit, measured by the parent; ``import_s`` = importing torch, timm and the tracer;
``trace_s`` = building the model on the meta device and the traced forward pass; ``cpu_s`` = the process's user +
system CPU time (less sensitive to a busy machine than wall time); peak RSS from ``os.wait4``.

    python benchmarks/bench_trace.py                      # the two target models, best of 3
    python benchmarks/bench_trace.py --models deit_tiny_patch16_224 --quantize w8a8 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"deit_base_patch16_224": (10.0, None), "vit_huge_patch14_224": (60.0, 6.0)}

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import torch, timm
from workloads.trace import trace
t1 = time.perf_counter()
name, recipe, quant = sys.argv[1], sys.argv[2] or None, sys.argv[3] == "1"
w = trace(name, recipe=recipe, quantize=quant)
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "trace_s": t2 - t1, "layers": len(w.layers), "gmacs": w.macs / 1e9}))
"""


def run_once(model: str, recipe: str | None, quantize: bool) -> dict:
    """One fresh process: wall seconds, peak RSS (GB) and the child's own split."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               PYTHONWARNINGS="ignore")
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, model, recipe or "", "1" if quantize else "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{model}: child failed with exit {proc.returncode}\n{err}")
    row = json.loads(out.strip().splitlines()[-1])
    row.update(model=model, wall_s=wall, cpu_s=usage.ru_utime + usage.ru_stime,
               peak_rss_gb=usage.ru_maxrss * 1024 / 1e9)  # ru_maxrss is KiB on Linux
    return row


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=list(TARGETS))
    p.add_argument("--recipe", help="apply a recipe (or the one to fake-quantize with, with --quantize)")
    p.add_argument("--quantize", action="store_true", help="time the fake-quant path (real tensors, calibration)")
    p.add_argument("--repeat", type=int, default=3, help="runs per model; the fastest is reported")
    args = p.parse_args(argv)
    if args.quantize and not args.recipe:
        args.recipe = "w8a8"
    print(f"{'model':26s} {'layers':>6s} {'GMACs':>8s} {'wall_s':>7s} {'import_s':>8s} {'trace_s':>7s} "
          f"{'cpu_s':>6s} {'peak_GB':>7s}  target")
    ok = True
    for model in args.models:
        runs = [run_once(model, args.recipe, args.quantize) for _ in range(max(1, args.repeat))]
        best = min(runs, key=lambda r: r["wall_s"])
        peak = max(r["peak_rss_gb"] for r in runs)
        t_max, m_max = TARGETS.get(model, (None, None)) if not args.quantize else (None, None)
        verdict = ""
        if t_max is not None:
            good = best["wall_s"] <= t_max and (m_max is None or peak <= m_max)
            ok &= good
            verdict = f"<= {t_max:g} s" + (f", <= {m_max:g} GB" if m_max else "") + (" ok" if good else " MISSED")
        print(f"{model:26s} {best['layers']:6d} {best['gmacs']:8.2f} {best['wall_s']:7.2f} {best['import_s']:8.2f} "
              f"{best['trace_s']:7.2f} {best['cpu_s']:6.2f} {peak:7.2f}  {verdict}")
    print(f"(best of {args.repeat} fresh processes; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
