"""Two-stage search and results at any size: screening speed, a screened sweep end to end, pareto's peak memory.

Reported with the 1-minute load average and CPU time beside every wall time (the machine is shared):
  screening: stage 1 alone (``analysis.sweep.refine.screen_task`` over blocks of 65,536 designs on a local pool
    of ``--workers`` processes, each block bounded and its screening part written to a temporary directory) on
    sweeps/deit_s_screen.yaml (7,077,888 DeiT-S W4A4 designs); CPU = this process + the pool's workers (psutil);
    target: >= 1,000,000 points/s on 2 cores;
  two-stage: ``python -m analysis sweep sweeps/deit_s_screen.yaml --screen`` in a fresh process: wall, CPU of the
    command and its workers (getrusage children), the stage counts of ``_screen/_summary.json``;
  pareto-rss: ``python -m analysis pareto RESULTS`` and ``python -m analysis report --sweep RESULTS`` on a synthetic
    results directory of ``--rows`` rows (default 10M) with the schema of sweeps/deit_s_large.yaml (ids, axes and
    objectives random, the other totals constant), each in a fresh process reporting its own peak RSS (ru_maxrss);
    target: < 1 GB.

    python benchmarks/bench_screen.py                          # all three
    python benchmarks/bench_screen.py --only screening --workers 2
    python benchmarks/bench_screen.py --only pareto-rss --rows 10000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_common import load1

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
SPEC = ROOT / "sweeps" / "deit_s_screen.yaml"


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def screening(workers: int, spec_path: Path = SPEC) -> dict:
    import numpy as np
    import psutil

    from analysis.sweep import load_spec
    from analysis.sweep.backends import _PoolBackend
    from analysis.sweep.refine import SCREEN_BLOCK, _blocks, screen_task

    spec = load_spec(spec_path)
    k = len(spec.objectives)
    fronts = [np.empty((0, k))] * len(spec.workloads)
    out = Path(tempfile.mkdtemp(prefix="screen-"))
    try:
        with _PoolBackend(workers, spec) as backend:
            list(backend.map(spec, [((0, 4096), fronts, None, "warm")] * workers, fn=screen_task))  # imports
            procs = [psutil.Process(p) for p in backend.pool._processes]
            cpu0 = sum(sum(p.cpu_times()[:2]) for p in procs) + sum(os.times()[:2])
            load0, t0 = load1(), time.perf_counter()
            n = 0
            for r in backend.map(spec, ((b, fronts, str(out), "bench") for b in _blocks(spec, SCREEN_BLOCK)),
                                 fn=screen_task):
                n += r["counts"]["screened"]
            wall = time.perf_counter() - t0
            cpu = sum(sum(p.cpu_times()[:2]) for p in procs) + sum(os.times()[:2]) - cpu0
        parts = len(list(out.glob("part-*.parquet")))
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {"bench": "screening", "spec": str(spec_path.relative_to(ROOT)), "workers": workers, "points": n,
            "wall_s": round(wall, 2), "points_per_s": round(n / wall), "cpu_s": round(cpu, 2),
            "points_per_cpu_s": round(n / cpu), "parts_written": parts, "load1_before": load0,
            "load1_after": load1()}


def two_stage(workers: int, spec_path: Path = SPEC) -> dict:
    out = Path(tempfile.mkdtemp(prefix="two-stage-")) / "r.parquet"
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        load0, t0 = load1(), time.perf_counter()
        r = subprocess.run([sys.executable, "-m", "analysis", "sweep", str(spec_path), "-o", str(out), "--screen",
                            "--workers", str(workers), "--no-progress"], capture_output=True, text=True, env=_env(),
                           check=False)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if r.returncode:
            raise SystemExit(r.stderr)
        summary = json.loads((out / "_screen" / "_summary.json").read_text())
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {"bench": "two-stage", "spec": str(spec_path.relative_to(ROOT)), "workers": workers,
            "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "load1_before": load0, "load1_after": load1(),
            "stages": summary, "stdout": r.stdout.strip().splitlines()[:2]}


def synthetic_results(path: Path, rows: int, part_rows: int = 500_000) -> None:
    """A results directory of ``rows`` rows with the real schema of deit_s_large.yaml: ids unique, axis labels
    and the objectives random, every other total constant (compresses to almost nothing)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from analysis.sweep import load_spec
    from analysis.sweep.store import arrow_schema

    spec = load_spec(ROOT / "sweeps" / "deit_s_large.yaml")
    schema = arrow_schema(spec)
    path.mkdir(parents=True)
    (path / "_sweep.json").write_text(json.dumps({"name": "synthetic", "objectives": list(spec.objectives),
                                                  "axes": [a.path for a in spec.axes]}))
    rng = np.random.default_rng(0)
    for p, lo in enumerate(range(0, rows, part_rows)):
        n = min(part_rows, rows - lo)
        cols = {}
        for f in schema:
            if f.name in ("point_id", "design"):
                cols[f.name] = np.arange(lo, lo + n, dtype=np.int64)
            elif f.name == "workload":
                cols[f.name] = pa.array(np.where(rng.random(n) < 0.5, "deit_small-w8a8", "deit_small-w4a4"))
            elif f.name in ("latency_us", "energy_uj", "area_mm2"):
                cols[f.name] = rng.lognormal(3, 1, n)
            elif f.name == "feasible":
                cols[f.name] = rng.random(n) < 0.8
            elif f.name in ("error", "accuracy_kind", "model", "recipe"):
                cols[f.name] = pa.array([""] * n) if f.name == "error" else pa.array(["x"] * n)
            elif pa.types.is_string(f.type):
                cols[f.name] = pa.array(rng.choice(["os", "ws", "is"], n))
            elif pa.types.is_integer(f.type):
                cols[f.name] = rng.integers(16, 257, n)
            else:
                cols[f.name] = np.full(n, 1.5)
        table = pa.table({f.name: pa.array(cols[f.name], type=f.type) for f in schema}, schema=schema)
        # row groups of 50,000 rows, as the sweep writes them (one part per 50,000 rows or 5 s)
        pq.write_table(table, path / f"part-synthetic-{p:06d}.parquet", compression="zstd", row_group_size=50_000)


_MEASURED = ("import resource, runpy, sys\n"
             "sys.argv = ['analysis', *sys.argv[1:]]\n"
             "try:\n    runpy.run_module('analysis', run_name='__main__')\n"
             "finally:\n    print('MAXRSS_KIB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n")


def _measured(args: list[str]) -> dict:
    """``python -m analysis ARGS`` in a fresh process: wall, CPU, its own peak RSS (ru_maxrss of that process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load0, t0 = load1(), time.perf_counter()
    r = subprocess.run([sys.executable, "-c", _MEASURED, *args], capture_output=True, text=True, env=_env(),
                       check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode:
        raise SystemExit(r.stderr)
    rss = int(r.stderr.rsplit("MAXRSS_KIB", 1)[1].split()[0])
    return {"wall_s": round(wall, 2), "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime
                                                     - before.ru_stime, 2),
            "peak_rss_mb": round(rss / 1024), "load1_before": load0, "load1_after": load1()}


def pareto_rss(rows: int) -> list[dict]:
    tmp = Path(tempfile.mkdtemp(prefix="pareto-rss-"))
    try:
        res = tmp / "r.parquet"
        t0 = time.perf_counter()
        synthetic_results(res, rows)
        made = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in res.iterdir())
        base = {"rows": rows, "results_mb": round(size / 2**20), "synthesis_s": round(made, 1)}
        p = _measured(["pareto", str(res), "--top", "3", "--format", "csv", "-o", str(tmp / "front.csv")])
        p["front_rows"] = len((tmp / "front.csv").read_text().splitlines()) - 1
        r = _measured(["report", "--sweep", str(res), "-o", str(tmp / "report.html")])
        r["html_kb"] = round((tmp / "report.html").stat().st_size / 1024)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [{"bench": "pareto-rss", **base, **p}, {"bench": "report-sweep-rss", **base, **r}]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=("screening", "two-stage", "pareto-rss"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--spec", type=Path, default=SPEC)
    ap.add_argument("--json", type=Path, help="also write the results here")
    a = ap.parse_args()
    out = []
    for name, fn in (("screening", lambda: screening(a.workers, a.spec.resolve())),
                     ("two-stage", lambda: two_stage(a.workers, a.spec.resolve())),
                     ("pareto-rss", lambda: pareto_rss(a.rows))):
        if a.only in (None, name):
            res = fn()
            for r in res if isinstance(res, list) else [res]:
                print(json.dumps(r), flush=True)
                out.append(r)
    if a.json:
        a.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
