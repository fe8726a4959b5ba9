"""Spaces beyond enumeration: a multi-objective optimizer (Optuna's NSGA-II) over a sweep spec's axes, with the
screening bound as a cheap filter and the exact batch evaluator for everything it keeps.

``search: {method: nsga2, trials: T, population: P, seed: S}`` in a spec (or ``vitsim sweep SPEC --search nsga2
--trials T``). One Optuna study per workload, every objective minimized (a maximized one negated, as the screen
does). Generation by generation, for each workload:
  ask P trials; each picks one position per free axis (a categorical over the axis's positions) -> the flat grid
      index of its design (``grid_index``: mixed radix, the last free axis fastest, as ``SweepSpec.design``);
  a point already evaluated exactly and feasible is told its stored values (no new run);
  the others are screened (``screen.screen_block`` against the exact front found so far): a point whose bound
      breaks a constraint, or whose optimistic bound is strictly dominated by an exact point, cannot be on the front
      (screen.py's proof) and costs no exact run: it is told its bound, with the bound's constraint excess
      (``screen.bound_violation``) as NSGA-II's constraint value, so the optimizer ranks it below the feasible
      front (constrained domination) and still learns which way feasibility lies;
  the survivors run exactly (``refine.Refiner.run``: the same evaluator, rows and writer as a sweep); a feasible
      row is told its exact objective values (constraint value 0); an infeasible one its bound with a positive
      constraint value; a point that cannot run is told FAIL.
The values told are the optimizer's guidance only: every row stored, and so every front read from the results, is
exact.
The result directory holds exact rows only, like a sweep (``vitsim pareto`` reads it); ``_search/_summary.json``
says how many trials each stage saw. The front found is a front of exact rows; how close it comes to the
exhaustive front is measured by ``tools/search_quality.py`` (docs/sweeps.md "Search").
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass

import numpy as np

SEARCH_DIR = "_search"
METHODS = ("nsga2",)


@dataclass(frozen=True)
class Search:
    """A spec's ``search`` block: ``trials`` designs asked per workload, ``population`` per generation."""

    method: str = "nsga2"
    trials: int = 2000
    population: int = 64
    seed: int = 0


def grid_index(spec, positions) -> np.ndarray:
    """Flat grid indices of designs given each free axis's position (n x axes, spec order): sum_a pos_a x stride_a,
    stride of the last free axis 1 (``SweepSpec.design`` decodes it back)."""
    sizes = [len(a.values) for a in spec.free_axes]
    strides = np.ones(len(sizes), dtype=np.int64)
    for i in range(len(sizes) - 2, -1, -1):
        strides[i] = strides[i + 1] * sizes[i + 1]
    return np.asarray(positions, dtype=np.int64).reshape(-1, len(sizes)) @ strides


def run_searched(spec, backend, writer, done: set, size: int, stats: dict, tally, progress: bool, search: Search,
                 on_rows=None) -> dict:
    """The optimizer loop (module docstring) on an open backend and results writer; returns the stage counts."""
    try:
        import optuna
    except ImportError:
        from workloads.errors import InputError

        raise InputError(spec.source, "search", "the NSGA-II search needs Optuna",
                         "pip install 'vitsim[search]' (or optuna>=5)") from None
    from optuna.distributions import CategoricalDistribution
    from optuna.trial import TrialState

    from analysis.sweep.refine import start
    from analysis.sweep.screen import screen_block
    from analysis.sweep.spec import point_ids
    from analysis.sweep.worker import _decoder

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    t0 = time.perf_counter()
    ref, sdir = start(spec, backend, writer, done, size, stats, tally, on_rows, SEARCH_DIR, values=True)
    say = (lambda msg: print(f"{spec.name}: {msg}", file=sys.stderr, flush=True)) if progress else (lambda m: None)
    free = spec.free_axes
    dists = {a.path: CategoricalDistribution(tuple(range(len(a.values)))) for a in free}
    n_wl, k = len(spec.workloads), len(ref.metrics)
    studies = [optuna.create_study(directions=["minimize"] * k, sampler=optuna.samplers.NSGAIISampler(
        population_size=search.population, seed=search.seed + w)) for w in range(n_wl)]
    dec = _decoder(spec)
    tables = dec.label_tables()
    counts = dict.fromkeys(("asked", "stored", "screen_pruned", "cannot_run", "exact", "infeasible", "generations"),
                           0)
    asked = 0
    while asked < search.trials:
        n = min(search.population, search.trials - asked)
        trials, designs, ids = [], [], []
        for w, study in enumerate(studies):
            ts = [study.ask(dists) for _ in range(n)]
            d = grid_index(spec, [[t.params[a.path] for a in free] for t in ts])
            chosen, _, _ = dec.decode(d)
            trials.append(ts)
            designs.append(d)
            ids.append(point_ids(tables, [chosen[p] for p, _ in dec.labels], spec.workloads[w].label))
        fresh = [np.asarray([int(i) not in ref.evaluated for i in ids[w]], dtype=bool) for w in range(n_wl)]
        union, where = np.unique(np.concatenate(designs), return_inverse=True)
        r = screen_block(spec, union, ref.fronts, None, want_all=True)
        every = r["every"]
        run_d, run_w, run_i = [], [], []
        for w in range(n_wl):
            at = where[w * n:(w + 1) * n]
            for d, pid, f, j in zip(designs[w], ids[w], fresh[w], at):
                if f and every[w]["live"][j] and int(pid) not in run_i:
                    run_d.append(int(d))
                    run_w.append(w)
                    run_i.append(int(pid))
        counts["exact"] += ref.run(np.asarray(run_d, dtype=np.int64), np.asarray(run_w, dtype=np.int64),
                                   np.asarray(run_i, dtype=np.int64))
        for w, study in enumerate(studies):
            at = where[w * n:(w + 1) * n]
            for t, pid, f, j in zip(trials[w], ids[w], fresh[w], at):
                e = every[w]
                v = ref.values.get(int(pid))
                if v is not None:                        # exact and feasible
                    counts["stored"] += int(not f)
                    t.set_constraint("violation", 0.0)
                    study.tell(t, [float(x) for x in v])
                    continue
                b = e["bounds"][j]
                if e["error"][j] or not np.isfinite(b).all():
                    counts["cannot_run" if e["error"][j] else "screen_pruned"] += 1
                    study.tell(t, state=TrialState.FAIL)
                    continue
                if e["live"][j]:                         # ran exactly (or before): infeasible
                    counts["infeasible"] += 1
                    t.set_constraint("violation", max(float(e["violation"][j]), 1e-9))
                else:                                    # pruned by its bound: a constraint, or dominated
                    counts["screen_pruned"] += 1
                    t.set_constraint("violation", float(e["violation"][j]))
                study.tell(t, [float(x) for x in b])
        asked += n
        counts["asked"] += n * n_wl
        counts["generations"] += 1
        say(f"generation {counts['generations']}: {asked:,} of {search.trials:,} trials per workload, "
            f"{counts['exact']:,} exact runs")
    summary = {"method": search.method, "trials": search.trials, "population": search.population,
               "seed": search.seed, "designs_in_space": spec.grid_size, **counts,
               "front_sizes": [len(f) for f in ref.fronts], "seconds": round(time.perf_counter() - t0, 3),
               "objectives": list(spec.objectives)}
    (sdir / "_summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    say(f"searched: {counts['asked']:,} trials, {counts['screen_pruned']:,} pruned by their bound, "
        f"{counts['exact']:,} evaluated exactly")
    return summary

