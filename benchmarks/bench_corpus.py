"""The bad-input corpus in full, and what refusing oversize input costs.

1. Every generated mutation (tests/robustness/corpus.py, ``all_mutations``: every mutation of every field of every
   shipped config, plus the workload, recipe, sweep-spec, SCALE-Sim, bomb, JSON, CLI and oversize cases) runs
   in-process through its CLI's ``main``; counted: clean rejections (exit 2, one line, no traceback, nothing
   written), accepted (mutations that are valid after all: exit 0), and anything else (listed). Wall and CPU time
   and the load average around the run.
2. Each refused oversize input runs in a fresh process; its peak resident memory (``ru_maxrss`` of the child),
   wall and CPU time, exit code and message, next to ``python -c pass`` and a plain valid run for scale.
3. The cost of one fold-walk step (what ``VITSIM_MAX_FOLDS`` bounds): ViT-H/14 W4A4 at batch 64 on a 1x1 array
   (``simulator.work.workload_steps`` steps), simulated once warm-up, once measured: CPU ns per step.

    python benchmarks/bench_corpus.py [--json out.json] [--only PREFIX] [--skip-corpus]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "robustness")]

import corpus

OVERSIZE = [  # (label, case id) of refused oversize inputs, each measured in its own process
    ("sweep axis {range: [1, 1e9, 1]}", "oversize:axis:range_1e9"),
    ("sweep axis {log_range, num: 1e8}", "oversize:axis:log_num"),
    ("sweep of 1e9 points", "oversize:points"),
    ("ViT-H W4A4 batch 1024 on a 1x1 array", "oversize:folds_vit_huge_b1024_1x1"),
    ("--batch 1000000000", "cli:run:--batch:1000000000"),
    ("workload layer K = 2^54", "oversize:k_2^54"),
    ("600-byte alias bomb in hardware name", "bomb:hardware:alias_bomb_in_name"),
    ("alias bomb in a sweep spec", "bomb:spec:alias_bomb_top"),
    ("200,000-deep nesting", "bomb:hardware:deep_nesting"),
]


def load() -> float:
    return os.getloadavg()[0]


def run_corpus(only: str) -> dict:
    counts = {"clean_rejections": 0, "accepted": 0, "other": 0}
    other = []
    t0, c0, l0 = time.perf_counter(), time.process_time(), load()
    for case in corpus.all_mutations():
        if only and not case.id.startswith(only):
            continue
        with tempfile.TemporaryDirectory() as td:
            d = Path(td)
            corpus.prepare(case, d)
            before = corpus.snapshot(d)
            rc, _, err = corpus.run_in_process(corpus.Case(case.id, case.cli, case.argv, {}, case.env), d)
            bad = corpus.problems(rc, err, before, corpus.snapshot(d))
        if case.expect_bad and not bad:
            counts["clean_rejections"] += 1
        elif not case.expect_bad and rc == 0:
            counts["accepted"] += 1
        else:
            counts["other"] += 1
            other.append(f"{case.id}: {bad or f'exit {rc}'}: {err.strip()[-160:]}")
    counts.update(total=sum(counts.values()), wall_s=time.perf_counter() - t0, cpu_s=time.process_time() - c0,
                  load_before=l0, load_after=load(), other_cases=other)
    return counts


def child(argv: list[str], env: dict | None = None) -> dict:
    """One fresh process: exit code, last stderr line, wall, CPU and peak RSS (MiB) of the child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    l0, t0 = load(), time.perf_counter()
    r = subprocess.run([sys.executable, *argv], capture_output=True, text=True, env={**os.environ, **(env or {})},
                       timeout=600, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"exit": r.returncode, "stderr": (r.stderr.strip().splitlines() or [""])[-1][:160], "wall_s": wall,
            "cpu_s": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
            "peak_rss_mib": after.ru_maxrss / 1024, "load": l0}


def run_oversize() -> dict:
    """Peak memory of each refused case; ``ru_maxrss`` of RUSAGE_CHILDREN is the largest child so far, so each case
    runs from its own small measuring process."""
    cases = {c.id: c for c in corpus.all_mutations()}
    out = {}
    probe = ("import json, resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, "
             "text=True); u = resource.getrusage(resource.RUSAGE_CHILDREN); print(json.dumps({'exit': r.returncode, "
             "'stderr': (r.stderr.strip().splitlines() or [''])[-1][:200], 'rss': u.ru_maxrss / 1024, "
             "'cpu': u.ru_utime + u.ru_stime}))")
    for label, cid in [("python -c pass", None), ("valid: run int8 DeiT-T W8A8", None)] + OVERSIZE:
        with tempfile.TemporaryDirectory() as td:
            if cid is None:
                argv = ["-c", "pass"] if label.startswith("python") else ["-m", "simulator", "run", "int8",
                                                                            "--workload", "deit_tiny-w8a8"]
                env = {}
            else:
                case = cases[cid]
                argv = ["-m", case.cli, *corpus.prepare(case, Path(td))]
                env = case.env
            l0, t0 = load(), time.perf_counter()
            r = subprocess.run([sys.executable, "-c", probe, sys.executable, *argv], capture_output=True, text=True,
                               env={**os.environ, **env}, timeout=900, check=False)
            m = json.loads(r.stdout)
            out[label] = {"exit": m["exit"], "peak_rss_mib": round(m["rss"], 1), "cpu_s": round(m["cpu"], 2),
                          "wall_s": round(time.perf_counter() - t0, 2), "load": round(l0, 2), "message": m["stderr"]}
    return out


def fold_rate() -> dict:
    """CPU time per estimated fold-walk step of a walk-heavy simulation (module docstring, 3)."""
    import yaml

    from simulator.engine import simulate
    from simulator.hardware import hardware_from_dict
    from simulator.model.network import run_kernel
    from simulator.work import workload_steps
    from workloads.resolve import resolve_workload

    d = yaml.safe_load((ROOT / "hwconfigs" / "int4.yaml").read_text())
    d["array"].update(rows=1, cols=1)
    hw = hardware_from_dict(d, "int4-1x1")
    w = resolve_workload(model="vit_huge", recipe="w4a4", batch=64)
    steps = float(workload_steps(w, hw))
    simulate(resolve_workload(model="deit_tiny", recipe="w4a4"), hw)  # warm-up: the compiled kernel loaded
    run_kernel.cache_clear()
    l0, t0, c0 = load(), time.perf_counter(), time.process_time()
    simulate(w, hw)
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    return {"steps": steps, "cpu_s": round(cpu, 2), "wall_s": round(wall, 2), "ns_per_step_cpu": round(cpu / steps * 1e9, 1),
            "load_before": round(l0, 2), "load_after": round(load(), 2)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", metavar="FILE")
    p.add_argument("--only", default="", help="corpus cases whose id starts with this")
    p.add_argument("--skip-corpus", action="store_true")
    args = p.parse_args()
    res = {"oversize": run_oversize(), "fold_rate": fold_rate()}
    if not args.skip_corpus:
        res["corpus"] = run_corpus(args.only)
    for label, m in res["oversize"].items():
        print(f"{label:40s} exit {m['exit']}  peak {m['peak_rss_mib']:7.1f} MiB  cpu {m['cpu_s']:6.2f} s  "
              f"wall {m['wall_s']:6.2f} s  load {m['load']:.2f}  {m['message'][:90]}")
    f = res["fold_rate"]
    print(f"fold walk: {f['steps']:.3g} steps in {f['cpu_s']} s CPU ({f['wall_s']} s wall): {f['ns_per_step_cpu']} ns "
          f"per step; load {f['load_before']} -> {f['load_after']}")
    if "corpus" in res:
        c = res["corpus"]
        print(f"corpus: {c['total']} inputs: {c['clean_rejections']} clean rejections, {c['accepted']} accepted, "
              f"{c['other']} other; wall {c['wall_s']:.1f} s, cpu {c['cpu_s']:.1f} s, load {c['load_before']:.2f} -> "
              f"{c['load_after']:.2f}")
        for line in c["other_cases"]:
            print("  other:", line)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1))
    return 1 if res.get("corpus", {}).get("other") else 0


if __name__ == "__main__":
    raise SystemExit(main())
