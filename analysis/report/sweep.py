"""The report of a design-space sweep: per workload, the Pareto fronts of the spec's objectives (every pair
charted, the front's designs labelled with the knobs that matter), how much each knob moves each objective,
what the front's designs spend their time on, and the front as a sortable table.

A knob "matters" by its main effect: for each axis, the feasible designs are grouped by the axis' value and the
median of an objective taken per group; the effect is the largest median over the smallest (x1.0: no effect).
Front marks are labelled with the knobs that vary along the front, most effective first.
"""

from __future__ import annotations

from analysis.chartspec import Axis, Bars
from analysis.frontchart import distinct_axes, front_knobs, knob_label, pair_spec
from analysis.report.page import card, esc, page, section, table
from analysis.report.svg import render, si

TIME_TOTALS = (("GEMM layers", "#0072b2", "gemm_cycles"), ("vector-unit layers", "#009e73", "vector_cycles"))
MAX_BARS = 30
SAMPLE_ROWS = 500_000  # above this many rows: knob effects and charts from a seeded uniform sample, fronts exact


def _time_bars(front, knobs: list[str], ties: dict) -> str:
    rows, stalls = [], []
    for _, r in front.head(MAX_BARS).iterrows():
        rows.append((knob_label(r, knobs, ties) or str(r.get("design", "")),
                     [float(r[c]) for _, _, c in TIME_TOTALS]))
        stalls.append(float(r["stall_cycles"]) / float(r["total_cycles"]) if r["total_cycles"] else 0.0)
    series = [(n, c) for n, c, _ in TIME_TOTALS]

    def total(v, i):
        return f"{si(v)} cycles, {100 * stalls[i]:.1f}% stalls"

    x = Axis("time: GEMM layers + vector-unit layers = total_cycles, stalls included", "cycles")
    return render(Bars.of("time of the front's designs by unit", x, rows, series, None, total, bar=14, label_width=300))


def workload_section(df, name: str, objectives, axes: list[str], ties: dict, all_rows, front=None,
                     counts: tuple | None = None) -> str:
    """``front`` (optional): the exact front when ``df`` is a sample; ``counts``: (designs, feasible) then."""
    from analysis.pareto import feasible_rows, pareto_front

    rows = feasible_rows(df)
    rows = rows[rows[[o.metric for o in objectives]].notna().all(axis=1)]  # a NaN objective: never on a front
    front = pareto_front(rows, objectives) if front is None else front
    effects, knobs = front_knobs(rows, front, axes, objectives)
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
    charts = [render(pair_spec(rows, front, objectives[i], objectives[j], knobs, ties)) for i, j in pairs]
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
