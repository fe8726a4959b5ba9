"""Pareto fronts and top-k tables over sweep results.

Objectives are minimized unless written ``max:NAME``. Row ``a`` dominates row ``b`` when ``a`` is
no worse than ``b`` in every objective and strictly better in at least one; the front is every
row no other row dominates (rows equal in all objectives are all kept). Rows with a NaN objective
are never on the front. Fronts are taken per workload by default: designs running different networks are
not comparable; ``by="model"`` lets the recipes of one model share a front (accuracy ``max:top1`` against
cost: docs/accuracy.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from workloads.errors import InputError


@dataclass(frozen=True)
class Objective:
    metric: str
    maximize: bool = False

    @property
    def text(self) -> str:
        return f"max:{self.metric}" if self.maximize else self.metric


def parse_objectives(raw, names: Sequence[str] | None = None, source: str = "--objectives",
                     field: str = "objectives") -> list[Objective]:
    """``"a,max:b"`` or ``["a", "max:b"]`` -> Objectives; names outside ``names`` are an ``InputError``."""
    items = [s.strip() for s in raw.split(",")] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items or not all(isinstance(s, str) and s.strip() for s in items):
        raise InputError(source, field, f"expected a list of metric names, got {raw!r}", "NAME or max:NAME")
    out = []
    for i, s in enumerate(items):
        s = s.strip()
        maximize = s.startswith(("max:", "min:")) and s[:3] == "max"
        metric = s[4:] if s.startswith(("max:", "min:")) else s
        if names is not None and metric not in names:
            raise InputError(source, f"{field}[{i}]", f"unknown metric {metric!r}", ", ".join(names))
        out.append(Objective(metric, maximize))
    if len({o.metric for o in out}) != len(out):
        raise InputError(source, field, "an objective appears twice")
    return out


def pareto_mask(values, maximize: Sequence[bool] | None = None) -> np.ndarray:
    """Boolean mask of non-dominated rows of ``values`` (n x k; minimized unless ``maximize[j]``).

    Repeatedly takes a surviving row and drops every row it dominates: O(n x front size) numpy work.
    """
    f = np.asarray(values, dtype=float)
    if f.ndim != 2:
        raise ValueError("values must be n x k")
    if maximize is not None:
        f = np.where(np.asarray(maximize, dtype=bool), -f, f)
    mask = np.zeros(len(f), dtype=bool)
    ok = np.flatnonzero(~np.isnan(f).any(axis=1))
    idx = ok[np.argsort(f[ok].sum(axis=1), kind="stable")]  # good rows first: they prune the most
    pts = f[idx]
    i = 0
    while i < len(pts):
        keep = np.any(pts < pts[i], axis=1) | np.all(pts == pts[i], axis=1)
        idx, pts = idx[keep], pts[keep]
        i = int(np.count_nonzero(keep[:i])) + 1
    mask[idx] = True
    return mask


def hypervolume(points, ref) -> float:
    """The volume (objective units multiplied) dominated by ``points`` (n x k, minimized) and bounded by ``ref``
    (k): the measure of the union of the boxes [p, ref]. Points not strictly better than ``ref`` in every objective
    add nothing. Exact, by slicing along the last objective: HV_k(P) = sum over the sorted distinct values z_i of the
    last objective of HV_{k-1}(points with z <= z_i) x (z_{i+1} - z_i), z_{n+1} = ref_k; HV_1 = ref_1 - min.
    O(n^(k-1) log n): for fronts of hundreds of points in 2-4 objectives."""
    p = np.asarray(points, dtype=float).reshape(-1, len(ref))
    r = np.asarray(ref, dtype=float)
    p = p[(p < r).all(axis=1)]
    if not len(p):
        return 0.0
    if p.shape[1] == 1:
        return float(r[0] - p[:, 0].min())
    p = p[np.argsort(p[:, -1], kind="stable")]
    z = np.append(p[:, -1], r[-1])
    total = 0.0
    for i in range(len(p)):
        if z[i + 1] > z[i]:
            total += hypervolume(p[:i + 1, :-1], r[:-1]) * (z[i + 1] - z[i])
    return total


def _check(df, objectives: Sequence[Objective]) -> None:
    missing = [o.metric for o in objectives if o.metric not in df.columns]
    if missing:
        numeric = [c for c in df.columns if df[c].dtype.kind in "fiu" and c not in ("point_id", "design")]
        raise InputError("--objectives", "objectives", f"unknown metric {missing[0]!r}", ", ".join(numeric))


def feasible_rows(df, include_infeasible: bool = False):
    """Rows that ran (no error) and, unless ``include_infeasible``, met every constraint."""
    keep = np.ones(len(df), dtype=bool)
    if "error" in df.columns:
        keep &= (df["error"].fillna("") == "").to_numpy()
    if not include_infeasible and "feasible" in df.columns:
        keep &= df["feasible"].to_numpy(dtype=bool)
    return df[keep]


def pareto_front(df, objectives: Sequence[Objective], by: str | None = "workload",
                 include_infeasible: bool = False):
    """The Pareto-optimal rows of ``df`` (per ``by`` group), sorted by group then first objective."""
    _check(df, objectives)
    rows = feasible_rows(df, include_infeasible)
    cols = [o.metric for o in objectives]
    maxi = [o.maximize for o in objectives]
    if by and by in rows.columns:
        parts = [g[pareto_mask(g[cols].to_numpy(float), maxi)] for _, g in rows.groupby(by, sort=True)]
        front = rows.iloc[:0] if not parts else __import__("pandas").concat(parts)
    else:
        front = rows[pareto_mask(rows[cols].to_numpy(float), maxi)]
    keys = ([by] if by and by in front.columns else []) + [cols[0]]
    return front.sort_values(keys, ascending=[True] * (len(keys) - 1) + [not maxi[0]], kind="stable")


def top_k(df, objective: Objective, k: int = 5, by: str | None = "workload", include_infeasible: bool = False):
    """The ``k`` best rows by one objective (per ``by`` group)."""
    _check(df, [objective])
    rows = feasible_rows(df, include_infeasible).sort_values(objective.metric, ascending=not objective.maximize,
                                                             kind="stable")
    if by and by in rows.columns:
        return rows.groupby(by, sort=True).head(k).sort_values([by, objective.metric],
                                                               ascending=[True, not objective.maximize],
                                                               kind="stable")
    return rows.head(k)
