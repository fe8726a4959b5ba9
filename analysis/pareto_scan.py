"""Pareto fronts and top-k tables of results of any size, in two passes over row batches (analysis/sweep/read.py).

Pass 1 reads only ``point_id``, the group column, the objectives, ``feasible`` and ``error``, batch by batch, and
keeps per group the running front (``pareto.pareto_mask`` of the front so far and the batch's rows: the front of a
union is the front of the fronts) and the running best ``k`` rows per objective; pass 2 reads every column of the
rows it kept (by position, in the same batch order). Memory: one batch plus the fronts, whatever the number of rows. The result
equals ``pareto.pareto_front`` / ``pareto.top_k`` on the whole table, row order included (ties in file order;
tests/analysis/test_pareto_scan.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from analysis.pareto import Objective, pareto_mask


@dataclass
class Scan:
    """What pass 1 found: rows read, rows kept (feasible, or all with ``include_infeasible``), groups seen."""

    rows: int = 0
    kept: int = 0
    groups: set = field(default_factory=set)
    workloads: set = field(default_factory=set)


def _column(batch, name):
    return batch.column(batch.schema.get_field_index(name))


def _strings(col) -> np.ndarray:
    import pyarrow as pa

    if pa.types.is_dictionary(col.type):
        col = col.cast(pa.string())
    return np.asarray(col.to_pylist(), dtype=object)


def scan_front(path, objectives: Sequence[Objective], by: str | None = "workload", include_infeasible: bool = False,
               top: int = 0, workload: str | None = None, columns: Sequence[str] | None = None):
    """(front DataFrame, {objective text: top-k DataFrame}, Scan) of the results at ``path`` (``pareto_front`` and
    ``top_k``'s arguments and order); ``columns``: the columns of the rows returned (default: all)."""
    from analysis.sweep.read import columns_of, scan_batches

    names = columns_of(path)
    metrics = [o.metric for o in objectives]
    sign = np.asarray([-1.0 if o.maximize else 1.0 for o in objectives])
    by = by if by and by in names else None
    need = [*([by] if by else []), *(["workload"] if "workload" in names else []), *metrics,
            *[c for c in ("feasible", "error") if c in names]]
    fronts: dict = {}                    # group -> (values, ids, seq)
    tops: dict = {}                      # (group, objective index) -> (values, seq, ids)
    st = Scan()
    seq0 = 0
    for b in scan_batches(path, list(dict.fromkeys(need))):
        n = b.num_rows
        st.rows += n
        seq = np.arange(seq0, seq0 + n)
        seq0 += n
        ok = np.ones(n, dtype=bool)
        wl = _strings(_column(b, "workload")) if "workload" in names else None
        if wl is not None:
            st.workloads.update(set(wl))
            if workload is not None:
                ok &= wl == workload
        if "error" in names:
            err = _column(b, "error").fill_null("")
            ok &= np.asarray(err.to_pylist(), dtype=object) == ""
        if not include_infeasible and "feasible" in names:
            ok &= np.asarray(_column(b, "feasible").to_numpy(zero_copy_only=False), dtype=bool)
        vals = np.column_stack([np.asarray(_column(b, m).to_numpy(zero_copy_only=False), dtype=float)
                                for m in metrics]) * sign
        ids = seq
        grp = (wl if by == "workload" else _strings(_column(b, by))) if by else np.full(n, None, dtype=object)
        st.kept += int(ok.sum())
        for g in set(grp[ok]):
            sel = ok & (grp == g)
            st.groups.add(g)
            fv, fi, fs = fronts.get(g, (np.empty((0, len(metrics))), np.empty(0, np.int64), np.empty(0, np.int64)))
            v, i, s = np.vstack([fv, vals[sel]]), np.r_[fi, ids[sel]], np.r_[fs, seq[sel]]
            m = pareto_mask(v)
            fronts[g] = (v[m], i[m], s[m])
            for j in range(len(metrics)) if top else ():
                tv, ts, ti = tops.get((g, j), (np.empty(0), np.empty(0, np.int64), np.empty(0, np.int64)))
                v2, s2, i2 = np.r_[tv, vals[sel, j]], np.r_[ts, seq[sel]], np.r_[ti, ids[sel]]
                good = ~np.isnan(v2)
                v2, s2, i2 = v2[good], s2[good], i2[good]
                order = np.lexsort((s2, v2))[:top]
                tops[(g, j)] = (v2[order], s2[order], i2[order])
    kept = [i for _, i, _ in fronts.values()] + [i for _, _, i in tops.values()]
    keep = np.unique(np.concatenate(kept)).astype(np.int64) if kept else np.zeros(0, dtype=np.int64)
    show = names if columns is None else list(dict.fromkeys([*columns, *([by] if by else []), *metrics]))
    rows = _rows(path, keep, [c for c in names if c in show])
    on_front = np.concatenate([i for _, i, _ in fronts.values()] or [np.zeros(0, np.int64)])
    front = rows[np.isin(rows.index.to_numpy(), on_front)]
    keys = ([by] if by else []) + [metrics[0]]
    front = front.sort_values(keys, ascending=[True] * (len(keys) - 1) + [not objectives[0].maximize], kind="stable")
    out_tops = {}
    for j, o in enumerate(objectives if top else ()):
        ids = np.concatenate([i for (g, jj), (_, _, i) in tops.items() if jj == j] or [np.zeros(0, np.int64)])
        t = rows[np.isin(rows.index.to_numpy(), ids)]
        k2 = ([by] if by else []) + [o.metric]
        out_tops[o.text] = t.sort_values(k2, ascending=[True] * (len(k2) - 1) + [not o.maximize], kind="stable")
    return front.reset_index(drop=True), {k: v.reset_index(drop=True) for k, v in out_tops.items()}, st


def _rows(path, keep: np.ndarray, names: list):
    """Pass 2: every column of the rows at positions ``keep`` (sorted), indexed by position."""
    import pyarrow as pa

    from analysis.sweep.read import scan_batches

    parts, pos = [], []
    start = 0
    for b in scan_batches(path, names):
        lo, hi = np.searchsorted(keep, [start, start + b.num_rows])
        if hi > lo:
            parts.append(b.take(pa.array(keep[lo:hi] - start)))
            pos.append(keep[lo:hi])
        start += b.num_rows
    if not parts:
        from analysis.sweep.read import dataset

        return dataset(path).schema.empty_table().to_pandas()
    df = pa.Table.from_batches(parts).to_pandas()
    df.index = np.concatenate(pos)
    return df
