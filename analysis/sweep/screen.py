"""Two-fidelity sweeps (``screen: true`` / ``vitsim sweep --screen``): bound every point, evaluate exactly only the
points whose bound can still reach the Pareto front, and get the same front as the exhaustive sweep.

Stage 1, screening (``screen_block``, in the workers): every design is decoded and bounded in closed form by
``simulator.model.bound.screen`` (a floor on cycles and energy, exact area and peak figures), one row per point of a
few columns written by the worker to ``RESULTS.parquet/_screen/`` (readers skip ``_`` names). A point is dropped
when its bound already breaks a constraint, or when an exactly evaluated point *strictly dominates its optimistic
bound vector* (no worse in every objective, better in one): its exact values are no better than its bound, so that
point dominates it too and it cannot be on the front.
Stage 2, exact evaluation (``refine``): the surviving points whose bounds are on the front of the survivors are run by
the exact batch evaluator, the front of the exact rows grows, and the survivors it now dominates are dropped, until
none is left. No point of the exhaustive front is ever dropped (only dominated points are), and every exact row that
is not on it is dominated by one that is, so the fronts are identical (tests/analysis/test_sweep_screen.py).
Fronts are per workload over the feasible rows, with the spec's objectives and constraints; an objective without a
screening bound (``OPTIMISTIC``) makes the dominance test never hold (every point is evaluated).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from analysis.sweep.spec import _OPS, ACCURACY_COLUMNS, SweepSpec, point_ids

SCREEN_DIR = "_screen"
SEED_DESIGNS = 65536     # designs screened first to pick the seed points evaluated exactly
FRONT_CAP = 128          # exact front points per workload a screening worker prunes against


@dataclass(frozen=True)
class Plan:
    """What the screen reads for each objective and constraint: (kind, name), kind one of ``screen`` (a
    ``bound.SCREEN_METRICS`` figure), ``axis`` (a numeric axis label), ``workload`` (an accuracy column), ``none``;
    ``sign`` turns every objective into one to minimize."""

    objectives: tuple
    sign: np.ndarray
    constraints: tuple
    columns: tuple = field(default=())


def make_plan(spec: SweepSpec) -> Plan:
    from analysis.pareto import parse_objectives
    from simulator.model.bound import SCREEN_METRICS

    numeric_axes = {a.path for a in spec.axes} & set(spec.metric_names())

    def source(metric: str, want: str):
        kind = SCREEN_METRICS.get(metric)
        if kind == "exact" or kind == want:
            return ("screen", metric)
        if metric in numeric_axes:
            return ("axis", metric)
        if metric in ACCURACY_COLUMNS:
            return ("workload", metric)
        return ("none", metric)

    objs = parse_objectives(list(spec.objectives))
    objectives = tuple(source(o.metric, "ceiling" if o.maximize else "floor") for o in objs)
    sign = np.asarray([-1.0 if o.maximize else 1.0 for o in objs])
    cons = []
    for c in spec.constraints:  # prunable: an upper limit on a floor, a lower limit on a ceiling, any on exact
        want = "floor" if c.op in ("<=", "<") else "ceiling" if c.op in (">=", ">") else "exact"
        src = source(c.metric, want)
        if src[0] != "none":
            cons.append((src, c))
    cols = tuple(dict.fromkeys(s[1] for s in objectives + tuple(s for s, _ in cons) if s[0] == "screen"))
    return Plan(objectives, sign, tuple(cons), cols)


def _value(src, screen: dict, dec, chosen, wl, n):
    kind, name = src
    if kind == "screen":
        return screen[name]
    if kind == "axis":
        p = next(p for a, (p, _) in zip(dec.spec.axes, dec.labels) if a.path == name)
        return dec.label_array(name)[chosen[p]].astype(float)
    if kind == "workload":
        v = (wl.accuracy or {}).get(name)
        return np.full(n, np.nan if v is None else float(v))
    return None


def optimistic(plan: Plan, screen: dict, dec, chosen, wl, n) -> np.ndarray:
    """n x k bound vectors to minimize (maximized objectives negated); -inf where an objective has no bound."""
    out = np.empty((n, len(plan.objectives)))
    for j, src in enumerate(plan.objectives):
        v = _value(src, screen, dec, chosen, wl, n)
        out[:, j] = -np.inf if v is None else v * plan.sign[j]
    return out


def bound_feasible(plan: Plan, screen: dict, dec, chosen, wl, n) -> np.ndarray:
    """False where a bound already breaks a constraint (or the point cannot run: NaN)."""
    ok = np.ones(n, dtype=bool)
    for src, c in plan.constraints:
        v = _value(src, screen, dec, chosen, wl, n)
        with np.errstate(invalid="ignore"):
            ok &= ~np.isnan(v) & np.asarray(_OPS[c.op](v, c.bound), dtype=bool)
    return ok


def bound_violation(plan: Plan, screen: dict, dec, chosen, wl, n) -> np.ndarray:
    """How far each point's bound is past the constraints: sum over constraints of the excess relative to the limit,
    max(0, v - c) / max(|c|, 1e-12) for an upper limit, max(0, c - v) / ... for a lower one (0 for ``==``/``!=``);
    inf where the point cannot run. A lower bound on the true excess (the bound is optimistic): it guides the
    optimizer (search.py) toward feasible designs, it prunes nothing."""
    out = np.zeros(n)
    for src, c in plan.constraints:
        v = _value(src, screen, dec, chosen, wl, n)
        scale = max(abs(c.bound), 1e-12)
        if c.op in ("<=", "<"):
            out += np.maximum(0.0, v - c.bound) / scale
        elif c.op in (">=", ">"):
            out += np.maximum(0.0, c.bound - v) / scale
    return np.where(np.isnan(out), np.inf, out)


def dominated(bounds: np.ndarray, front: np.ndarray) -> np.ndarray:
    """Rows of ``bounds`` (n x k, minimized) strictly dominated by some row of ``front`` (m x k, exact values):
    front <= bound everywhere and < somewhere. NaN bounds count as dominated (the point cannot run). A large front
    is tried first through 256 of its rows spread along it (most dominated rows fall there), then whole on the
    rest: the same answer, far fewer comparisons."""
    if len(front) > 512 and len(bounds) > 4096:
        out = _dominated(bounds, spread(front, 256))
        rest = np.flatnonzero(~out)
        out[rest] = _dominated(bounds[rest], front)
        return out
    return _dominated(bounds, front)


def spread(front: np.ndarray, cap: int) -> np.ndarray:
    """At most ``cap`` rows of an exact front, spread along its first objective (any exact rows prune soundly)."""
    if len(front) <= cap:
        return front
    order = np.argsort(front[:, 0], kind="stable")
    return front[order[np.linspace(0, len(front) - 1, cap).round().astype(int)]]


def _dominated(bounds: np.ndarray, front: np.ndarray) -> np.ndarray:
    out = np.isnan(bounds).any(axis=1)
    if not len(front) or not len(bounds):
        return out
    block = max(1, (1 << 22) // (len(front) * front.shape[1]))   # about 4 M comparisons (bytes) at a time
    for lo in range(0, len(bounds), block):
        b = bounds[lo:lo + block, None, :]
        le = (front[None, :, :] <= b).all(axis=2)
        lt = (front[None, :, :] < b).any(axis=2)
        out[lo:lo + block] |= (le & lt).any(axis=1)
    return out


def screen_block(spec: SweepSpec, index, fronts: list, out_dir: str | None, run: str = "",
                 want_all: bool = False) -> dict:
    """Stage 1 on the designs ``index`` (flat grid indices): the survivors as arrays {design, workload, point_id,
    bounds (n x k)} and counts {screened, errors, constraint, dominated}; with ``out_dir`` the screening columns of
    every point are written there as one Parquet part. ``fronts[w]``: exact front of workload w (m x k). With
    ``want_all``, ``every[w]`` holds every point's {bounds, live, violation (``bound_violation``), error}."""
    from analysis.sweep.worker import _decoder
    from simulator.model.bound import screen

    dec = _decoder(spec)
    plan = make_plan(spec)
    index = np.asarray(index, dtype=np.int64)
    chosen, designs, _ = dec.decode(index)
    bad = np.asarray([v is None for v in designs.variants], dtype=bool)[designs.variant]
    picks = [chosen[p] for p, _ in dec.labels]
    tables = dec.label_tables()
    n = len(index)
    keep = {"design": [], "workload": [], "point_id": [], "bounds": []}
    counts = dict.fromkeys(("screened", "errors", "constraint", "dominated"), 0)
    every: list = []
    cols: dict = {"point_id": [], "design": [], "workload": [], "screen_pruned": []}
    for name in plan.columns:
        cols[name] = []
    for wi, ref in enumerate(spec.workloads):
        wl = dec.workloads[wi]
        sc, _ = screen(wl, designs)
        err = bad | np.isnan(sc["total_cycles"])
        b = optimistic(plan, sc, dec, chosen, wl, n)
        feas = bound_feasible(plan, sc, dec, chosen, wl, n) & ~err
        dom = feas.copy()
        dom[feas] = dominated(b[feas], fronts[wi])
        live = feas & ~dom
        ids = point_ids(tables, picks, ref.label)
        if want_all:
            every.append({"bounds": b, "live": live, "violation": bound_violation(plan, sc, dec, chosen, wl, n)
                          + (~feas & ~err) * 1e-9, "error": err})
        counts["screened"] += n
        counts["errors"] += int(err.sum())
        counts["constraint"] += int((~feas & ~err).sum())
        counts["dominated"] += int(dom.sum())
        keep["design"].append(index[live])
        keep["workload"].append(np.full(int(live.sum()), wi, dtype=np.int32))
        keep["point_id"].append(ids[live])
        keep["bounds"].append(b[live])
        if out_dir is not None:
            cols["point_id"].append(ids)
            cols["design"].append(index)
            cols["workload"].append(np.full(n, wi, dtype=np.int32))
            cols["screen_pruned"].append(~live)
            for name in plan.columns:
                cols[name].append(sc[name])
    if out_dir is not None:
        _write_part(out_dir, run, int(index[0]) if n else 0, spec, cols)
    res = {k: np.concatenate(v) for k, v in keep.items()}
    res["counts"] = counts
    if want_all:
        res["every"] = every
    return res


def _write_part(out_dir: str, run: str, first: int, spec: SweepSpec, cols: dict) -> None:
    """One screening part, written hidden then renamed (a reader never sees half a file)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    labels = pa.array([w.label for w in spec.workloads], type=pa.string())
    arrays = {k: np.concatenate(v) for k, v in cols.items()}
    wl = pa.DictionaryArray.from_arrays(pa.array(arrays.pop("workload"), type=pa.int32()), labels)
    table = pa.table({"point_id": arrays.pop("point_id"), "design": arrays.pop("design"), "workload": wl,
                      **{f"screen_{k}" if k != "screen_pruned" else k: v for k, v in arrays.items()}})
    name = f"part-{run}-{first:012d}.parquet"
    tmp = Path(out_dir) / f".tmp-{name}-{uuid.uuid4().hex[:6]}"
    # no dictionary (random ids and floats: dictionary pages cost 5x the write) nor compression: speed first
    pq.write_table(table, tmp, compression="none", use_dictionary=["workload"], write_statistics=False)
    os.replace(tmp, Path(out_dir) / name)


def exact_front(values: np.ndarray) -> np.ndarray:
    """The non-dominated rows of exact (minimized) values: what prunes."""
    from analysis.pareto import pareto_mask

    return values[pareto_mask(values)] if len(values) else values


def exact_values(plan_metrics: list, sign: np.ndarray, batch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(workload labels, point ids, minimized objective values) of the feasible, error-free rows of an exact batch."""
    names = batch.schema.names
    ok = np.asarray(batch.column(names.index("feasible")).to_numpy(zero_copy_only=False), dtype=bool)
    vals = np.column_stack([np.asarray(batch.column(names.index(m)).to_numpy(zero_copy_only=False), dtype=float)
                            for m in plan_metrics]) * sign
    wl = np.asarray(batch.column(names.index("workload")).to_pylist(), dtype=object)
    ok &= ~np.isnan(vals).any(axis=1)
    return wl[ok], np.asarray(batch.column(names.index("point_id")).to_numpy())[ok], vals[ok]
