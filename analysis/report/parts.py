"""Where a run's time and energy go: the parts that add up (analysis/report/breakdown.py) as stacked bars for the
whole network, per layer type and per block, and a table of the parts."""

from __future__ import annotations

from analysis.chartspec import Axis, Bars
from analysis.report import breakdown as B
from analysis.report.page import esc, fmt, pct, table
from analysis.report.svg import render


def _parts_table(names, colors, values, unit: str, scale: float, unit_scaled: str) -> str:
    total = sum(values) or 1.0
    rows = [[(f'<span style="display:inline-block;width:10px;height:10px;background:{c};margin-right:6px">'
              f'</span>{esc(n)}', n), v, v / scale, f"{100 * v / total:.1f}%"]
            for n, c, v in zip(names, colors, values) if v > 0]
    return table([("part", ""), (unit, ""), (unit_scaled, ""), ("share", "")], rows, left=("part",))


def _bars(cols, parts, parts_of, what: str, unit: str, scale: float, tip, share, titles) -> tuple:
    """The three stacked-bar charts of one breakdown (``parts``: B.TIME_PARTS or B.ENERGY_PARTS, ``parts_of``:
    their per-layer function): the whole network, per layer type, per block, in ``unit`` (= base unit / ``scale``);
    with the whole network's parts in the base unit."""
    series = [(p[0], p[1]) for p in parts]
    ops, blocks = B.by_op(cols, parts_of), B.by_block(cols, parts_of)
    whole = B.totals_of(ops)

    def scaled(rows):
        return [(f"{k} ({n})", [v / scale for v in vals]) for k, vals, n in rows]

    x = Axis(what, unit)
    head = render(Bars.of(titles[0], x, [("whole network", [v / scale for v in whole])], series, tip, share, bar=26))
    by_op = render(Bars.of(titles[1], x, scaled(ops), series, tip, share))
    by_block = render(Bars.of(titles[2], x, scaled(blocks), series, tip, share, bar=14))
    tail = ('<h3>Per layer type (layers in brackets)</h3>' + f'<div class="chart">{by_op}</div>'
            + '<h3>Per block, in network order</h3>' + f'<div class="chart">{by_block}</div>')
    return whole, f'<div class="chart">{head}</div>', tail


def time_view(result) -> dict[str, str]:
    """The time of a run by cause: ``head`` (the whole network, one bar), ``detail`` (the parts table, per layer
    type and per block)."""
    cols = result.columns()
    f_mhz = result.hw.freq_mhz
    total = sum(B.totals_of(B.by_op(cols, B.time_parts)))

    def tipf(label, part, v):
        return f"{label}: {part} {v:,.1f} us = {v * f_mhz:,.0f} cycles ({pct(v * f_mhz, total)} of the run)"

    def share(v, _row=None):
        return f"{v:,.0f} us ({pct(v * f_mhz, total)})"

    whole, head, tail = _bars(cols, B.TIME_PARTS, B.time_parts, "time", "us", f_mhz, tipf, share,
                              ("time of the whole network by cause", "time per layer type", "time per block"))
    return {"head": head, "detail": _parts_table([p[0] for p in B.TIME_PARTS], [p[1] for p in B.TIME_PARTS], whole,
                                                 "cycles", f_mhz, "us") + tail}


def energy_view(result) -> dict[str, str]:
    """The energy of a run by component: ``head`` (the whole network, one bar), ``detail`` (the parts table, how
    each part is priced, per layer type and per block)."""
    cols = result.columns()
    total = sum(B.totals_of(B.by_op(cols, B.energy_parts)))

    def tipf(label, part, v):
        return f"{label}: {part} {v:,.2f} uJ ({pct(v * 1e6, total)} of the run's energy)"

    def share(v, _row=None):
        return f"{v:,.1f} uJ ({pct(v * 1e6, total)})"

    whole, head, tail = _bars(cols, B.ENERGY_PARTS, B.energy_parts, "energy", "uJ", 1e6, tipf, share,
                              ("energy of the whole network by component", "energy per layer type",
                               "energy per block"))
    t = result.totals
    note = (f"MAC = MACs x pJ per MAC of the PE mode; SRAM and DRAM = bits moved x pJ/bit; vector unit = its "
            f"primitive ops x their energies; PPU = requantization and rescaling after the GEMMs; leakage = "
            f"{t.leakage_w:.3g} W x the run's {fmt(t.latency_us)} us (so slow layers pay for idle silicon). "
            f"On chip (without DRAM): {t.tops_per_w_on_chip:.3g} TOPS/W; with DRAM {t.tops_per_w:.3g} TOPS/W.")
    return {"head": head, "detail": _parts_table([p[0] for p in B.ENERGY_PARTS], [p[1] for p in B.ENERGY_PARTS],
                                                 whole, "pJ", 1e6, "uJ") + f'<p class="note">{esc(note)}</p>' + tail}
