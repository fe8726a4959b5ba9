"""Two runs side by side: two designs on one workload, or one design at two precisions (recipes). Totals with
the ratio B / A, time by cause and energy by component per layer type for both on one scale, both rooflines,
and every layer's time and energy in A and B (layers paired by name)."""

from __future__ import annotations

from analysis.chartspec import Axis, Bars
from analysis.report import breakdown as B
from analysis.report.layers import tip
from analysis.report.page import card, esc, fmt, page, pct, section, table
from analysis.report.rooflinechart import chart as roofline_chart
from analysis.report.rooflinechart import roofline_of
from analysis.report.svg import render, si

HEADLINE = ("latency_us", "energy_per_image_uj", "tops_per_w", "utilization", "gemm_utilization", "area_mm2")


def label_of(result) -> str:
    w = result.workload
    return f"{result.hw.name} / {w['model']} {w['recipe']}"


def _ratio(a: float, b: float) -> float | str:
    return b / a if a else "-"


def totals_section(ra, rb, la: str, lb: str) -> str:
    from simulator.schema import TOTAL_FIELDS, field

    ta, tb = ra.totals, rb.totals
    cards = "".join(card(f"{k}: B / A", f"{tb[k] / ta[k]:.3g}x" if ta[k] else "-", "",
                         f"A {fmt(ta[k])} {field(k).unit}, B {fmt(tb[k])} {field(k).unit}", tip(field(k)))
                    for k in HEADLINE)
    cols = [("metric", ""), ("A", la), ("B", lb), ("B / A", "ratio; below 1: B is smaller"), ("unit", ""),
            ("meaning", "")]
    rows = [[f.name, (esc(fmt(ta[f.name], f.unit)), repr(float(ta[f.name]))),
             (esc(fmt(tb[f.name], f.unit)), repr(float(tb[f.name]))), _ratio(ta[f.name], tb[f.name]),
             f.unit or "-", f.meaning] for f in TOTAL_FIELDS]
    return (f'<div class="cards">{cards}</div>'
            + table(cols, rows, "totals", left=("metric", "unit", "meaning")))


def _paired_bars(ra, rb, parts_fn, parts, scale: float, x: Axis, title: str) -> str:
    ca, cb = ra.columns(), rb.columns()
    oa, ob = {k: v for k, v, _ in B.by_op(ca, parts_fn)}, {k: v for k, v, _ in B.by_op(cb, parts_fn)}
    order = sorted(set(oa) | set(ob), key=lambda k: -(sum(oa.get(k, [0])) + sum(ob.get(k, [0]))))
    zero = [0.0] * len(parts)
    rows = [("whole network: A", [v / scale for v in B.totals_of(B.by_op(ca, parts_fn))]),
            ("whole network: B", [v / scale for v in B.totals_of(B.by_op(cb, parts_fn))])]
    for k in order:
        rows.append((f"{k}: A", [v / scale for v in oa.get(k, zero)]))
        rows.append((f"{k}: B", [v / scale for v in ob.get(k, zero)]))
    series = [(p[0], p[1]) for p in parts]
    return render(Bars.of(title, x, rows, series, None, lambda v, _r: f"{v:,.1f} {x.unit}", bar=15, label_width=170))


def time_section(ra, rb) -> str:
    f_a, f_b = ra.hw.freq_mhz, rb.hw.freq_mhz
    if f_a != f_b:
        note = (f'<p class="note">The clocks differ ({f_a:g} and {f_b:g} MHz): the bars are in cycles of each '
                f'design, the totals table compares microseconds.</p>')
        scale, x = 1.0, Axis("time", "cycles")
    else:
        note, scale, x = "", f_a, Axis("time", "us")
    return note + f'<div class="chart">{_paired_bars(ra, rb, B.time_parts, B.TIME_PARTS, scale, x, "time")}</div>'


def energy_section(ra, rb) -> str:
    return f'<div class="chart">{_paired_bars(ra, rb, B.energy_parts, B.ENERGY_PARTS, 1e6, Axis("energy", "uJ"), "energy")}</div>'


def layers_section(ra, rb) -> str:
    ca, cb = ra.columns(), rb.columns()
    index_b = {n: i for i, n in enumerate(cb["name"])}
    if len(index_b) != len(cb["name"]) or not all(n in index_b for n in ca["name"]):
        if len(ca["name"]) != len(cb["name"]):
            return '<p class="note">The two workloads have different layers: no per-layer pairing.</p>'
        index_b = {n: i for i, n in enumerate(ca["name"])}
    cols = [("#", ""), ("name", "layer name (module path)"), ("op", ""), ("A precision", "A: bits -> PE mode"),
            ("B precision", "B: bits -> PE mode"), ("A cycles", "A: total_cycles"), ("B cycles", "B: total_cycles"),
            ("B / A cycles", ""), ("A stall share", "A: stall_cycles / total_cycles"),
            ("B stall share", "B: stall_cycles / total_cycles"), ("A energy pJ", "A: energy_pj"),
            ("B energy pJ", "B: energy_pj"), ("B / A energy", "")]
    rows = []
    for i, name in enumerate(ca["name"]):
        j = index_b[name]
        a_c, b_c = ca["total_cycles"][i], cb["total_cycles"][j]
        rows.append([i + 1, name, ca["op"][i], f"{ca['precision'][i]} -> {ca['pe_precision'][i]}",
                     f"{cb['precision'][j]} -> {cb['pe_precision'][j]}", a_c, b_c, _ratio(a_c, b_c),
                     ca["stall_cycles"][i] / a_c if a_c else 0.0, cb["stall_cycles"][j] / b_c if b_c else 0.0,
                     ca["energy_pj"][i], cb["energy_pj"][j], _ratio(ca["energy_pj"][i], cb["energy_pj"][j])])
    return table(cols, rows, "layers", left=("name", "op", "A precision", "B precision"),
                 units={"A cycles": "cycles", "B cycles": "cycles"}, tall=True)


def compare_report(ra, wa, rb, wb) -> str:
    """One HTML page comparing ``simulate(wa, hw_a)`` (A) with ``simulate(wb, hw_b)`` (B)."""
    la, lb = label_of(ra), label_of(rb)
    ta, tb = ra.totals, rb.totals
    rfa, rfb = roofline_of(ra, wa), roofline_of(rb, wb)
    faster = "B" if tb.latency_us < ta.latency_us else "A"
    summary = (f"A: {la}. B: {lb}. {faster} is faster: {fmt(ta.latency_us)} vs {fmt(tb.latency_us)} us "
               f"({tb.latency_us / ta.latency_us:.3g}x); energy per image {fmt(ta.energy_per_image_uj)} vs "
               f"{fmt(tb.energy_per_image_uj)} uJ ({tb.energy_per_image_uj / ta.energy_per_image_uj:.3g}x). "
               f"Vector-unit share of the time: A {pct(ta.vector_cycles, ta.total_cycles)}, "
               f"B {pct(tb.vector_cycles, tb.total_cycles)}.")
    rooflines = (f'<div class="grid2"><div><h3>A: {esc(la)}</h3>{roofline_chart(ra, rfa)}</div>'
                 f'<div><h3>B: {esc(lb)}</h3>{roofline_chart(rb, rfb)}</div></div>')
    sections = [
        ("totals", "Totals", section("totals", "Totals, A and B", totals_section(ra, rb, la, lb), esc(summary))),
        ("time", "Time", section("time", "Where the time goes, A and B", time_section(ra, rb),
                                 "GEMM compute, vector-unit compute and each stall cause, per layer type.")),
        ("energy", "Energy", section("energy", "Where the energy goes, A and B", energy_section(ra, rb))),
        ("roofline", "Rooflines", section("roofline", "Rooflines", rooflines,
                                          "Each layer at its simulated performance under its design's roofs.")),
        ("layers", "Layers", section("layers", "Every layer, A and B", layers_section(ra, rb),
                                     "Click a header to sort: B / A finds the layers that gained or lost most.")),
    ]
    sub = f"A: {esc(la)} &middot; B: {esc(lb)} &middot; {esc(si(ta.macs))} MACs in A, {esc(si(tb.macs))} in B"
    return page(f"Comparison: {la} vs {lb}", sub, sections)
