"""A chip of several engines in the report: the engines side by side on a timeline (inline SVG, one lane per engine,
one bar per scheduled task; hover for the layer, image and times), the per-engine table and the layers.

The schedule is simulator/model/chipsched.py's (``SimResult.timeline``: engine, start_us, end_us, layer, image);
the per-engine fields are simulator/schema_engines.py's (docs/engines.md).
"""

from __future__ import annotations

from analysis.report.page import card, esc, fmt, page, section, table
from analysis.report.svg import FONT, PALETTE, si

LANE_H = 26
LEFT = 90
WIDTH = 960


def _color(name: str) -> str:
    """A colour per op family of the layer name's last part (stable across runs)."""
    key = name.rsplit(".", 1)[-1]
    return PALETTE[sum(map(ord, key)) % len(PALETTE)]


def timeline_svg(result) -> str:
    """The engines as lanes over time (us): one rectangle per task, hover shows the layer and its times."""
    names = [e.name for e in result.engines]
    span = max((end for _, _, end, _, _ in result.timeline), default=0.0) or 1.0
    plot_w = WIDTH - LEFT - 20
    height = 30 + LANE_H * len(names) + 30

    def x(t):
        return LEFT + plot_w * t / span

    parts = [f'<svg viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-label="engine timeline" '
             f'style="{FONT};font-size:12px">']
    for i, n in enumerate(names):
        y = 20 + i * LANE_H
        parts.append(f'<text x="{LEFT - 8}" y="{y + LANE_H / 2 + 4:.1f}" text-anchor="end">{esc(n)}</text>'
                     f'<rect x="{LEFT}" y="{y}" width="{plot_w}" height="{LANE_H - 6}" fill="#f4f4f4"/>')
    for e, start, end, layer, image in result.timeline:
        y = 20 + e * LANE_H
        w = max(x(end) - x(start), 0.5)
        parts.append(f'<rect x="{x(start):.2f}" y="{y}" width="{w:.2f}" height="{LANE_H - 6}" '
                     f'fill="{_color(layer)}" stroke="#fff" stroke-width="0.3"><title>{esc(layer)} (image {image}) '
                     f'on {esc(names[e])}: {start:,.2f} to {end:,.2f} us</title></rect>')
    y_axis = 20 + LANE_H * len(names)
    for k in range(6):
        t = span * k / 5
        parts.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{y_axis}" y2="{y_axis + 5}" stroke="#444"/>'
                     f'<text x="{x(t):.1f}" y="{y_axis + 18}" text-anchor="middle">{si(t)}</text>')
    parts.append(f'<text x="{LEFT + plot_w / 2:.1f}" y="{height - 2}" text-anchor="middle">time (us)</text></svg>')
    return "".join(parts)


def engines_table(result) -> str:
    from simulator.schema_engines import ENGINE_FIELDS

    cols = [(f.name, f"{f.name}{f' [{f.unit}]' if f.unit else ''}: {f.meaning}") for f in ENGINE_FIELDS]
    rows = [[getattr(e, f.name) for f in ENGINE_FIELDS] for e in result.engines]
    return table(cols, rows, "engines", left=("name",), units={f.name: f.unit for f in ENGINE_FIELDS})


def chip_report(result) -> str:
    """One self-contained HTML page for a chip of several engines: cards, the timeline, engines, layers."""
    from analysis.report.layers import layer_table

    t, w, chip = result.totals, result.workload, result.hw
    cards = "".join(card(label, t[k], unit) for k, label, unit in (
        ("latency_us", "latency", "us"), ("throughput_fps", "throughput", "images/s"),
        ("energy_per_image_uj", "energy per image", "uJ"), ("utilization", "chip utilization", ""),
        ("area_mm2", "area", "mm2")))
    engines = ", ".join(esc(e.name) for e in chip.engines)
    title = f"{w['model']} ({w['recipe']}, batch {w['batch']}) on {chip.name}"
    sub = (f"{len(chip.engines)} engines ({engines}) sharing DRAM at {chip.dram.bandwidth_gbps:g} GB/s; "
           f"assignment: {'auto' if chip.assign == 'auto' else 'rules' if chip.assign else 'first engine that can'}"
           f"; split: {esc(chip.split)}")
    sections = [
        ("totals", "Totals", section("totals", "Totals", cards)),
        ("timeline", "Timeline", section("timeline", "The engines side by side", timeline_svg(result),
                                         f"One lane per engine, one bar per scheduled layer (per image at batch > 1)"
                                         f"; latency {esc(fmt(t.latency_us))} us. Hover a bar for the layer.")),
        ("engines", "Engines", section("engines", "Per engine", engines_table(result),
                                       "busy + wait_dram + wait_dependency + idle = the latency, in each engine's "
                                       "cycles (docs/engines.md).")),
        ("layers", "Layers", section("layers", f"Every layer ({len(result.names)})", layer_table(result),
                                     "The engine column says where each layer ran.")),
    ]
    return page(title, sub, sections, f"Totals: {esc(si(t.total_cycles))} cycles of the first engine. ")
