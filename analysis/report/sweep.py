"""The report of a design-space sweep: per workload, the Pareto fronts of the spec's objectives (every pair
charted, the front's designs labelled with the knobs that matter), how much each knob moves each objective,
what the front's designs spend their time on, and the front as a sortable table.

A knob "matters" by its main effect: for each axis, the feasible designs are grouped by the axis' value and the
median of an objective taken per group; the effect is the largest median over the smallest (x1.0: no effect).
Front marks are labelled with the knobs that vary along the front, most effective first.
"""

from __future__ import annotations

import math

from analysis.report.page import card, esc, page, section, table
from analysis.report.svg import Line, Mark, scatter, si, span_decades, stacked_bars

TIME_TOTALS = (("GEMM layers", "#0072b2", "gemm_cycles"), ("vector-unit layers", "#009e73", "vector_cycles"))
# how a knob's value reads in a label, by axis path (generic: "<last path part> <value>")
KNOB_TEXT = {"array.rows": "{v:g} rows", "array.cols": "{v:g} cols", "buffers.ifmap_kib": "ifmap {v:g} KiB",
             "buffers.weight_kib": "weights {v:g} KiB", "buffers.ofmap_kib": "ofmap {v:g} KiB",
             "dram.bandwidth_gbps": "{v:g} GB/s", "freq_mhz": "{v:g} MHz", "vector.lanes": "{v:g} lanes",
             "ppu.lanes": "PPU {v:g} lanes", "dram.latency_cycles": "DRAM {v:g} cycles"}
MAX_LABELS = 9
MAX_POINTS = 3000      # grey background marks per chart
MAX_BARS = 30
SAMPLE_ROWS = 500_000  # above this many rows: knob effects and charts from a seeded uniform sample, fronts exact


def _unit(metric: str) -> str:
    from simulator.schema import field

    try:
        u = field(metric).unit
    except KeyError:
        return ""
    return f" ({u})" if u else ""


def distinct_axes(df, axes: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """Axes that vary, without one tied to an earlier one (equal in every row), and each kept axis' ties:
    ``array.cols`` tied to ``array.rows`` is shown once, as ``64x64``."""
    out: list[str] = []
    ties: dict[str, list[str]] = {}
    for a in axes:
        if a not in df.columns or df[a].nunique(dropna=False) < 2:
            continue
        twin = next((b for b in out if (df[a].astype(str) == df[b].astype(str)).all()), None)
        if twin:
            ties.setdefault(twin, []).append(a)
            continue
        out.append(a)
    return out, ties


def knob_effects(rows, axes: list[str], objectives) -> list[dict]:
    """Per axis: values, and per objective the largest / smallest median over the axis' values."""
    out = []
    for a in axes:
        rec = {"axis": a, "values": sorted(rows[a].unique().tolist(), key=lambda v: (str(type(v)), v)),
               "effect": {}, "best": {}}
        for o in objectives:
            med = rows.groupby(a)[o.metric].median().dropna()  # an objective NaN everywhere has no effect
            if med.empty:
                continue
            med = med[med > 0] if (med > 0).any() else med
            lo, hi = float(med.min()), float(med.max())
            rec["effect"][o.metric] = hi / lo if lo > 0 else math.inf
            rec["best"][o.metric] = med.idxmax() if o.maximize else med.idxmin()
        rec["score"] = max(rec["effect"].values(), default=1.0)
        out.append(rec)
    return sorted(out, key=lambda r: -r["score"])


def knob_label(row, knobs: list[str], ties: dict | None = None) -> str:
    """A design in a few words: the value of each knob (``64x64 array, ws, weights 256 KiB``)."""
    parts = []
    for a in knobs:
        v = row[a]
        if isinstance(v, str):
            parts.append(v)
        elif a == "array.rows" and "array.cols" in (ties or {}).get(a, []):
            parts.append(f"{v:g}x{v:g}")
        else:
            parts.append(KNOB_TEXT.get(a, a.rsplit(".", 1)[-1] + " {v:g}").format(v=v))
    return ", ".join(parts)


def _spread(n: int, k: int) -> set[int]:
    """k indexes spread evenly over range(n) (all when n <= k)."""
    return set(range(n)) if n <= k else {round(i * (n - 1) / (k - 1)) for i in range(k)}


def _pair_chart(rows, front, ox, oy, knobs: list[str], ties: dict) -> str:
    from analysis.pareto import pareto_mask

    x, y = rows[ox.metric].to_numpy(float), rows[oy.metric].to_numpy(float)
    log_x, log_y = span_decades(x) >= 1.0, span_decades(y) >= 1.0
    step = max(1, -(-len(x) // MAX_POINTS))     # a large sweep: every step-th design in grey (the front is always whole)
    marks = [Mark(a, b, "#c7c7c7", "", "", "circle", 2.6) for a, b in zip(x[::step], y[::step])]
    pm = pareto_mask(front[[ox.metric, oy.metric]].to_numpy(float), [ox.maximize, oy.maximize])
    pf = front[pm].sort_values(ox.metric)
    for _, r in front.iterrows():
        marks.append(Mark(r[ox.metric], r[oy.metric], "#f2b277", knob_label(r, knobs, ties), "", "circle", 3.6))
    keep = _spread(len(pf), MAX_LABELS)
    for i, (_, r) in enumerate(pf.iterrows()):
        label = knob_label(r, knobs, ties)
        tip = f"{label}: {ox.metric} {r[ox.metric]:.4g}, {oy.metric} {r[oy.metric]:.4g}"
        marks.append(Mark(r[ox.metric], r[oy.metric], "#0072b2", tip, label if i in keep else "", "diamond", 5))
    line = Line(pf[ox.metric].tolist(), pf[oy.metric].tolist(), "#0072b2", "front of this pair", width=1.6,
                step=True)
    legend = [("every feasible design" if step == 1 else f"1 in {step} feasible designs", "#c7c7c7"), ("on the front of all objectives", "#f2b277"),
              ("front of this pair" + (f" ({len(keep)} of {len(pf)} labelled)" if len(pf) > len(keep) else ""),
               "#0072b2")]
    return scatter(marks, f"{ox.text}{_unit(ox.metric)}" + (", log scale" if log_x else ""),
                   f"{oy.text}{_unit(oy.metric)}" + (", log scale" if log_y else ""), [line], log_x, log_y,
                   760, 500, f"{oy.metric} vs {ox.metric}", legend)


def _time_bars(front, knobs: list[str], ties: dict) -> str:
    rows, stalls = [], []
    for _, r in front.head(MAX_BARS).iterrows():
        rows.append((knob_label(r, knobs, ties) or str(r.get("design", "")),
                     [float(r[c]) for _, _, c in TIME_TOTALS]))
        stalls.append(float(r["stall_cycles"]) / float(r["total_cycles"]) if r["total_cycles"] else 0.0)
    series = [(n, c) for n, c, _ in TIME_TOTALS]

    def total(v, i):
        return f"{si(v)} cycles, {100 * stalls[i]:.1f}% stalls"

    return stacked_bars(rows, series, "cycles (GEMM layers + vector-unit layers = total_cycles, stalls included)",
                        "time of the front's designs by unit", 1000, 14, 300, None, total)


def workload_section(df, name: str, objectives, axes: list[str], ties: dict, all_rows, front=None,
                     counts: tuple | None = None) -> str:
    """``front`` (optional): the exact front when ``df`` is a sample; ``counts``: (designs, feasible) then."""
    from analysis.pareto import feasible_rows, pareto_front

    rows = feasible_rows(df)
    rows = rows[rows[[o.metric for o in objectives]].notna().all(axis=1)]  # a NaN objective: never on a front
    front = pareto_front(rows, objectives) if front is None else front
    effects = knob_effects(rows, axes, objectives) if len(rows) else []
    varying = [e["axis"] for e in effects if front[e["axis"]].nunique() > 1]
    knobs = (varying or [e["axis"] for e in effects])[:3]
    n_all, n_ok = counts or (len(all_rows), len(rows))
    if not n_ok:
        return (f'<p class="note">{n_all:,} designs, none feasible: every one breaks a constraint of the '
                f'spec (the summary lists them; <code>vitsim pareto RESULTS --all</code> ignores them).</p>')
    sampled = (f" Knob effects and the grey marks come from a uniform random sample of {len(rows):,} feasible "
               f"designs (seeded); the fronts are exact." if counts else "")
    out = [f'<p class="note">{n_all:,} designs, {n_ok:,} feasible, {len(front)} on the Pareto front of '
           f'{esc(", ".join(o.text for o in objectives))}. Labels name the knobs that vary along the front, most '
           f'effective first: {esc(", ".join(knobs) or "none")}.{sampled}</p>']
    pairs = [(i, j) for i in range(len(objectives)) for j in range(i + 1, len(objectives))]
    charts = [_pair_chart(rows, front, objectives[i], objectives[j], knobs, ties) for i, j in pairs]
    out.append('<div class="grid2">' + "".join(f'<div class="chart">{c}</div>' for c in charts) + "</div>")
    if effects:
        cols = [("knob", "a sweep axis (dotted path in the hardware YAML)"),
                ("values", "the values swept")] + [
            (f"effect on {o.metric}", f"largest / smallest median of {o.metric} over the knob's values "
                                      "(feasible designs)") for o in objectives] + [
            (f"best for {o.metric}", "the value with the best median") for o in objectives] + [
            ("on the front", "values the front's designs use")]
        trows = [[e["axis"], ", ".join(map(str, e["values"]))]
                 + [e["effect"][o.metric] for o in objectives] + [str(e["best"][o.metric]) for o in objectives]
                 + [", ".join(map(str, sorted(front[e["axis"]].unique().tolist(), key=str)))] for e in effects]
        out.append("<h3>The knobs that matter</h3>" + table(cols, trows, left=("knob", "values", "on the front")
                                                                  + tuple(f"best for {o.metric}" for o in objectives)))
    if all(c in front.columns for c in ("gemm_cycles", "vector_cycles", "stall_cycles")) and len(front):
        out.append(f"<h3>What the front's designs spend their time on</h3><div class=\"chart\">"
                   f"{_time_bars(front.sort_values(objectives[0].metric), knobs, ties)}</div>")
    show = [a for a in axes if a in front.columns] + [o.metric for o in objectives]
    show += [m for m in ("latency_us", "energy_uj", "area_mm2", "power_w", "tops_per_w", "utilization",
                         "gemm_utilization", "stall_frac", "vector_frac") if m in front.columns and m not in show]
    cols = [(c, _tip(c)) for c in show]
    out.append("<h3>The front</h3>" + table(cols, front[show].values.tolist(), left=tuple(
        a for a in axes if a in front.columns and front[a].dtype == object)))
    return "".join(out)


def _tip(c: str) -> str:
    from simulator.schema import field

    try:
        f = field(c)
        return f"{c}{f' [{f.unit}]' if f.unit else ''}: {f.meaning}"
    except KeyError:
        if c.endswith("_frac"):
            return f"{c[:-5]}_cycles / total_cycles"
        return "sweep axis" if "." in c else ""


def sweep_report(results, objectives=None) -> str:
    """One HTML page for the sweep results directory ``results`` (``analysis sweep -o``). Up to SAMPLE_ROWS rows
    it is read whole; above, in batches (analysis/sweep/read.py): the fronts exactly (analysis/pareto_scan.py),
    the knob effects and charts from a seeded uniform sample, so memory stays bounded at any size."""
    from analysis.pareto import parse_objectives
    from analysis.sweep import read_manifest, read_results
    from analysis.sweep.read import columns_of, dataset

    manifest = read_manifest(results) or {}
    wanted = objectives or manifest.get("objectives") or ["latency_us", "energy_uj"]
    kinds = {**{o.metric: "number" for o in parse_objectives(wanted)}, "feasible": "bool", "workload": "string"}
    names = columns_of(results, kinds)
    objs = parse_objectives(wanted, names, "--objectives")
    if len(objs) < 2:
        from workloads.errors import InputError

        raise InputError("--objectives", "objectives", "a front needs at least two objectives")
    n_rows = dataset(results).count_rows()
    large = n_rows > SAMPLE_ROWS
    axis_names = manifest.get("axes") or [c for c in names if "." in c]
    if large:
        df, fronts, counts = _sampled(results, names, objs, axis_names, n_rows)
    else:
        df, fronts, counts = read_results(results, kinds=kinds), {}, {}
    axes, ties = distinct_axes(df, axis_names)
    name = manifest.get("name", str(results))
    feasible = sum(c[1] for c in counts.values()) if large else (
        int(df["feasible"].sum()) if "feasible" in df.columns else len(df))
    cards = (card("designs x workloads", n_rows) + card("feasible", feasible, "", ", ".join(
        manifest.get("constraints") or []) or "no constraints") + card("workloads", df["workload"].nunique())
             + card("axes", len(axes), "", ", ".join(axes)))
    sections = [("summary", "Summary", section("summary", "Summary", f'<div class="cards">{cards}</div>',
                                                f"Objectives (minimized unless max:): "
                                                f"{esc(', '.join(o.text for o in objs))}."))]
    for i, wl in enumerate(sorted(df["workload"].unique())):
        sub = df[df["workload"] == wl]
        sections.append((f"w{i}", wl, section(f"w{i}", f"Pareto fronts: {wl}", workload_section(
            sub, wl, objs, axes, ties, sub, fronts.get(wl), counts.get(wl)))))
    sub = (f"sweep spec {esc(manifest.get('spec', '?'))} &middot; {n_rows:,} rows &middot; results "
           f"{esc(str(results))}")
    return page(f"Sweep {name}", sub, sections)


def _sampled(results, names, objs, axis_names, n_rows):
    """(sample DataFrame of the columns the page uses, {workload: exact front}, {workload: (rows, feasible)})."""
    import numpy as np
    import pyarrow as pa

    from analysis.pareto_scan import scan_front
    from analysis.sweep.read import scan_batches

    need = list(dict.fromkeys(["workload", "feasible", "error", *axis_names, *[o.metric for o in objs]]))
    rng = np.random.default_rng(0)
    keep, counts = [], {}
    for b in scan_batches(results, [c for c in need if c in names]):
        wl = b.column(b.schema.get_field_index("workload")).cast(pa.string()).to_numpy(zero_copy_only=False)
        ok = np.asarray(b.column(b.schema.get_field_index("feasible")).to_numpy(zero_copy_only=False), dtype=bool) \
            if "feasible" in names else np.ones(b.num_rows, dtype=bool)
        for w in set(wl):
            c = counts.setdefault(w, [0, 0])
            c[0] += int((wl == w).sum())
            c[1] += int((ok & (wl == w)).sum())
        keep.append(b.filter(pa.array(rng.random(b.num_rows) < SAMPLE_ROWS / n_rows)))
    df = pa.Table.from_batches(keep).to_pandas()
    front, _, _ = scan_front(results, objs, by="workload")
    return df, {w: g for w, g in front.groupby("workload", sort=False)}, {w: tuple(c) for w, c in counts.items()}
