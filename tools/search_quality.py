"""How close the NSGA-II search (analysis/sweep/search.py) gets to the exhaustive Pareto front, on a space where both
run: per workload, the hypervolume ratio (search front / exhaustive front, reference point = the exhaustive front's
worst value + 10 % of its range in each objective), the share of the exhaustive front found exactly, and the
multiplicative epsilon (the least e such that every exhaustive front point p has a search point q <= (1 + e) p in
every objective). Writes the table into docs/sweeps.md between the ``figures:search`` markers.

    python tools/search_quality.py [--spec sweeps/deit_s_large.yaml] [--trials 500,2000] [--check]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DOC = ROOT / "docs" / "sweeps.md"
BEGIN, END = "<!-- figures:search -->", "<!-- figures:search end -->"


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def fronts(df, objectives):
    """{workload: minimized objective values of its feasible exact front}."""
    from analysis.pareto import pareto_mask

    out = {}
    sign = np.asarray([-1.0 if o.maximize else 1.0 for o in objectives])
    for wl, g in df[df["feasible"]].groupby("workload", observed=True):
        v = g[[o.metric for o in objectives]].to_numpy(float) * sign
        v = v[~np.isnan(v).any(axis=1)]
        out[wl] = v[pareto_mask(v)]
    return out


def quality(found: np.ndarray, exact: np.ndarray) -> tuple[float, float, float]:
    """(hypervolume ratio, share of the exact front found, multiplicative epsilon) of ``found`` against ``exact``
    (module docstring); objectives minimized and positive."""
    from analysis.pareto import hypervolume

    lo, hi = exact.min(axis=0), exact.max(axis=0)
    ref = hi + 0.1 * np.where(hi > lo, hi - lo, np.abs(hi) + 1.0)
    hv = hypervolume(found, ref) / hypervolume(exact, ref) if len(found) else 0.0
    have = {tuple(r) for r in found}
    share = sum(tuple(r) in have for r in exact) / len(exact)
    eps = max(min(float(np.max(q / p - 1.0)) for q in found) for p in exact) if len(found) else float("inf")
    return hv, share, max(eps, 0.0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", default="sweeps/deit_s_large.yaml")
    ap.add_argument("--trials", default="500,2000", help="trials per workload, comma-separated")
    ap.add_argument("--population", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--check", action="store_true", help="print only; do not write docs/sweeps.md")
    a = ap.parse_args(argv)
    import pandas as pd

    from analysis.pareto import parse_objectives
    from analysis.sweep import load_spec, run_sweep
    from analysis.sweep.search import Search

    spec = load_spec(ROOT / a.spec)
    objectives = parse_objectives(list(spec.objectives))
    tmp = Path(tempfile.mkdtemp(prefix="vitsim-search-"))
    load = os.getloadavg()[0]
    c0, t0 = _cpu(), time.perf_counter()
    ex = run_sweep(spec, tmp / "exhaustive.parquet", progress=False)
    ex_cpu, ex_wall = _cpu() - c0, time.perf_counter() - t0
    exact = fronts(pd.read_parquet(tmp / "exhaustive.parquet"), objectives)
    rows = [f"| exhaustive sweep | {ex.points_run:,} | {ex.points_run:,} | {ex_wall:.1f} s | {ex_cpu:.1f} s | "
            + " | ".join(f"1.000, {len(f)} of {len(f)}, 0" for f in exact.values()) + f" | {load:.1f} |"]
    for trials in (int(t) for t in a.trials.split(",")):
        out = tmp / f"search-{trials}.parquet"
        load = os.getloadavg()[0]
        c0, t0 = _cpu(), time.perf_counter()
        s = run_sweep(spec, out, progress=False, search=Search("nsga2", trials, a.population, a.seed))
        cpu, wall = _cpu() - c0, time.perf_counter() - t0
        found = fronts(pd.read_parquet(out), objectives)
        cells = []
        for wl, f in exact.items():
            hv, share, eps = quality(found.get(wl, np.empty((0, f.shape[1]))), f)
            cells.append(f"{hv:.3f}, {round(share * len(f))} of {len(f)}, {eps:.3f}")
        rows.append(f"| NSGA-II, {trials:,} trials per workload, population {a.population}, seed {a.seed} | "
                    f"{s.search['asked']:,} | {s.search['exact']:,} | {wall:.1f} s | {cpu:.1f} s | "
                    + " | ".join(cells) + f" | {load:.1f} |")
    wls = " | ".join(f"{w}: hypervolume ratio, front points found, epsilon" for w in exact)
    table = "\n".join([
        f"`python tools/search_quality.py --spec {a.spec} --trials {a.trials}` ({spec.n_points:,} points; "
        f"objectives {', '.join(spec.objectives)}; constraints {', '.join(map(str, spec.constraints)) or 'none'}; "
        "wall and CPU time of the whole run, pool of 2 workers):", "",
        f"| run | points asked | evaluated exactly | wall | CPU | {wls} | load (1 min) |",
        "|---|---|---|---|---|" + "---|" * len(exact) + "---|", *rows])
    print(table)
    if not a.check:
        text = DOC.read_text()
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        DOC.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
