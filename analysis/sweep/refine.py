"""The two-stage driver (``run_sweep(..., screen=True)``): seed, screen everything, refine exactly (screen.py's
docstring for the model and the proof). Exact rows go to the results directory as in an exhaustive sweep; the
screening columns of every point to ``RESULTS.parquet/_screen/``; the stage counts to ``_screen/_summary.json``."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from analysis.sweep.screen import (
    FRONT_CAP,
    SCREEN_DIR,
    SEED_DESIGNS,
    dominated,
    exact_front,
    exact_values,
    make_plan,
    screen_block,
    spread,
)
from analysis.sweep.spec import SweepSpec

SCREEN_BLOCK = 65_536     # designs per screening task


def screen_task(spec: SweepSpec, task):
    """A screening task in a worker: ``task`` = (lo, hi) grid range or index array, fronts, output dir, run id."""
    where, fronts, out_dir, run = task
    index = np.arange(*where, dtype=np.int64) if isinstance(where, tuple) else where
    return screen_block(spec, index, fronts, out_dir, run)


def _blocks(spec: SweepSpec, size: int):
    """Design index blocks in grid order: ranges for a grid, slices of the sample for random sampling."""
    if spec.sampling == "grid" or spec.samples >= spec.grid_size:
        for lo in range(0, spec.grid_size, size):
            yield (lo, min(lo + size, spec.grid_size))
    else:
        idx = np.fromiter(spec.design_indices(), dtype=np.int64, count=spec.n_designs)
        for lo in range(0, len(idx), size):
            yield idx[lo:lo + size]


class Refiner:
    """The exact fronts per workload and the exact runs that grow them."""

    def __init__(self, spec, backend, writer, size, stats, tally, on_rows=None):
        from analysis.pareto import parse_objectives

        self.spec, self.backend, self.writer, self.size = spec, backend, writer, size
        self.stats, self.tally, self.on_rows = stats, tally, on_rows
        self.plan = make_plan(spec)
        self.metrics = [o.metric for o in parse_objectives(list(spec.objectives))]
        self.label_index = {w.label: i for i, w in enumerate(spec.workloads)}
        k = len(self.metrics)
        self.fronts = [np.empty((0, k)) for _ in spec.workloads]
        self.evaluated: set[int] = set()
        self.values: dict | None = None     # point id -> minimized values, kept when a caller sets a dict (search.py)

    def absorb(self, wl, ids, vals) -> None:
        """Exact feasible rows (workload labels, point ids, minimized values) into the fronts."""
        self.evaluated.update(int(i) for i in ids)
        if self.values is not None:
            self.values.update(zip((int(i) for i in ids), vals))
        for label in set(wl):
            wi = self.label_index[label]
            sel = wl == label
            self.fronts[wi] = exact_front(np.vstack([self.fronts[wi], vals[sel]]))

    def run(self, design: np.ndarray, workload: np.ndarray, ids: np.ndarray) -> int:
        """Evaluate points exactly (grouped by design, in grid order), write their rows, grow the fronts."""
        self.evaluated.update(int(i) for i in ids)
        if not len(design):
            return 0
        order = np.lexsort((workload, design))
        design, workload = design[order], workload[order]
        starts = np.flatnonzero(np.r_[True, design[1:] != design[:-1]])
        tasks = [(int(design[s]), [int(w) for w in workload[s:e]])
                 for s, e in zip(starts, np.r_[starts[1:], len(design)])]
        chunks = [tasks[i:i + self.size] for i in range(0, len(tasks), self.size)]
        n = 0
        for batch in self.backend.map(self.spec, chunks):
            self.writer.add(batch)
            self.tally(self.stats, batch)
            self.absorb(*exact_values(self.metrics, self.plan.sign, batch))
            n += batch.num_rows
            if self.on_rows is not None:
                self.on_rows(batch.num_rows)
            if self.writer.rows >= 50_000:
                self.writer.flush()
        return n


def _stored(path: Path, refiner: Refiner) -> None:
    """Resume: seed the fronts with the stored exact rows (only the columns the fronts need, in row batches)."""
    from analysis.sweep.read import scan_batches

    cols = ["point_id", "workload", "feasible", "error"] + refiner.metrics
    for b in scan_batches(path, cols):
        refiner.absorb(*exact_values(refiner.metrics, refiner.plan.sign, b))


def start(spec, backend, writer, done: set, size: int, stats: dict, tally, on_rows, dirname: str,
          values: bool = False) -> tuple:
    """(Refiner, stage directory): the stage directory ``dirname`` made anew inside the results, the exact fronts
    seeded from the stored rows when resuming (``values``: the Refiner also keeps every exact point's values)."""
    out = Path(writer.path)
    sdir = out / dirname
    shutil.rmtree(sdir, ignore_errors=True)
    sdir.mkdir()
    ref = Refiner(spec, backend, writer, size, stats, tally, on_rows)
    if values:
        ref.values = {}
    if done:
        _stored(out, ref)
        ref.evaluated.update(done)
    return ref, sdir


def run_screened(spec: SweepSpec, backend, writer, done: set, size: int, stats: dict, tally, progress: bool,
                 on_rows=None) -> dict:
    """Stages 0-2 on an open backend and results writer; returns the stage counts."""
    t0 = time.perf_counter()
    ref, sdir = start(spec, backend, writer, done, size, stats, tally, on_rows, SCREEN_DIR)
    say = (lambda msg: print(f"{spec.name}: {msg}", file=sys.stderr, flush=True)) if progress else (lambda m: None)
    n_wl = len(spec.workloads)
    empty = [np.empty((0, len(ref.metrics)))] * n_wl
    # stage 0: seeds = the bound front of a spread sample, run exactly
    total = spec.n_designs
    pick = np.unique(np.linspace(0, total - 1, min(total, SEED_DESIGNS)).round().astype(np.int64))
    sample = next(iter(_blocks(spec, total))) if spec.sampling != "grid" and spec.samples < spec.grid_size else None
    seed_index = sample[pick] if sample is not None else pick
    n_seed = 0
    if not all(len(f) for f in ref.fronts):    # (a resumed run seeds from its stored rows)
        r = screen_block(spec, seed_index, empty, None)
        seeds = _bound_front(r, n_wl, FRONT_CAP, ref.evaluated)
        n_seed = ref.run(*seeds)
    say(f"seeded the front with {n_seed:,} exact points")
    # stage 1: screen every design against the (capped) exact fronts
    run_id = writer.run
    fronts = [spread(f, FRONT_CAP) for f in ref.fronts]
    counts = dict.fromkeys(("screened", "errors", "constraint", "dominated"), 0)
    keep = {"design": [], "workload": [], "point_id": [], "bounds": []}
    t1 = time.perf_counter()
    tasks = ((b, fronts, str(sdir), run_id) for b in _blocks(spec, SCREEN_BLOCK))
    for res in backend.map(spec, tasks, fn=screen_task):
        for k in counts:
            counts[k] += res["counts"][k]
        for k, parts in keep.items():
            parts.append(res[k])
    screen_s = time.perf_counter() - t1
    cand = {k: np.concatenate(v) if v else np.zeros(0) for k, v in keep.items()}
    say(f"screened {counts['screened']:,} points in {screen_s:.1f} s: {counts['errors']:,} cannot run, "
        f"{counts['constraint']:,} break a constraint, {counts['dominated']:,} dominated, "
        f"{len(cand['design']):,} left")
    # stage 2: exact runs of the survivors' bound front until no survivor can reach the exact front
    rounds = 0
    later = 0       # survivors of stage 1 dominated by exact points found in stage 2
    n_exact = n_seed
    batch_cap = max(2048, 2 * size * getattr(backend, "workers", 1))
    while len(cand["design"]):
        fresh = np.asarray([int(i) not in ref.evaluated for i in cand["point_id"]], dtype=bool)
        wi = cand["workload"].astype(np.int64)
        live = fresh.copy()
        for w in range(n_wl):
            sel = np.flatnonzero(fresh & (wi == w))
            if len(sel):
                live[sel] = ~dominated(cand["bounds"][sel], ref.fronts[w])
        later += int((fresh & ~live).sum())
        cand = {k: v[live] for k, v in cand.items()}
        if not len(cand["design"]):
            break
        d, w, ids = _bound_front(cand, n_wl, max(batch_cap, len(cand["design"]) // 8), set())
        n_exact += ref.run(d, w, ids)
        rounds += 1
    summary = {"points": spec.n_points, "screened": counts["screened"], "cannot_run": counts["errors"],
               "constraint_pruned": counts["constraint"], "dominance_pruned": counts["dominated"] + later,
               "dominance_pruned_screen": counts["dominated"],
               "exact": n_exact, "seed": n_seed, "rounds": rounds, "already_stored": len(done),
               "screen_seconds": round(screen_s, 3), "seconds": round(time.perf_counter() - t0, 3),
               "objectives": list(spec.objectives)}
    (sdir / "_summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    say(f"evaluated {n_exact:,} points exactly in {rounds} rounds after the seed")
    return summary


def _bound_front(r: dict, n_wl: int, cap: int, skip: set) -> tuple:
    """(designs, workloads, ids) of up to ``cap`` points per workload to evaluate next: those on the front of the
    bound vectors (the most promising), filled up with the best by the sum of objective ranks; ids in ``skip`` left
    out."""
    from analysis.pareto import pareto_mask

    ds, ws, ids = [], [], []
    wi = np.asarray(r["workload"], dtype=np.int64)
    for w in range(n_wl):
        sel = np.flatnonzero(wi == w)
        if skip:
            sel = sel[[int(i) not in skip for i in r["point_id"][sel]]]
        if not len(sel):
            continue
        b = np.where(np.isneginf(r["bounds"][sel]), 0.0, r["bounds"][sel])   # an unbounded objective: no preference
        on_front = pareto_mask(b)
        ranks = np.argsort(np.argsort(b, axis=0, kind="stable"), axis=0).sum(axis=1)
        order = np.lexsort((ranks, ~on_front))          # the bound front first, then by rank sum
        pick = sel[order[:cap]] if len(sel) > cap else sel
        ds.append(r["design"][pick])
        ws.append(wi[pick])
        ids.append(r["point_id"][pick])
    cat = (lambda x, t: np.concatenate(x) if x else np.zeros(0, dtype=t))
    return cat(ds, np.int64), cat(ws, np.int64), cat(ids, np.int64)
