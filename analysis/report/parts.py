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


def time_view(result) -> dict[str, str]:
    """The time of a run by cause: ``head`` (the whole network, one bar), ``detail`` (the parts table, per layer
    type and per block)."""
    cols = result.columns()
    f_mhz = result.hw.freq_mhz
    names = [p[0] for p in B.TIME_PARTS]
    series = [(p[0], p[1]) for p in B.TIME_PARTS]
    ops, blocks = B.by_op(cols, B.time_parts), B.by_block(cols, B.time_parts)
    whole = B.totals_of(ops)
    total = sum(whole)

    def us(rows):
        return [(f"{k} ({n})", [v / f_mhz for v in vals]) for k, vals, n in rows]

    def tipf(label, part, v):
        return f"{label}: {part} {v:,.1f} us = {v * f_mhz:,.0f} cycles ({pct(v * f_mhz, total)} of the run)"

    def share(v, _row=None):
        return f"{v:,.0f} us ({pct(v * f_mhz, total)})"

    x = Axis("time", "us")
    head = render(Bars.of("time of the whole network by cause", x, [("whole network", [v / f_mhz for v in whole])],
                          series, tipf, share, bar=26))
    by_op = render(Bars.of("time per layer type", x, us(ops), series, tipf, share))
    by_block = render(Bars.of("time per block", x, us(blocks), series, tipf, share, bar=14))
    return {"head": f'<div class="chart">{head}</div>',
            "detail": _parts_table(names, [p[1] for p in B.TIME_PARTS], whole, "cycles", f_mhz, "us")
            + '<h3>Per layer type (layers in brackets)</h3>' + f'<div class="chart">{by_op}</div>'
            + '<h3>Per block, in network order</h3>' + f'<div class="chart">{by_block}</div>'}


def energy_view(result) -> dict[str, str]:
    """The energy of a run by component: ``head`` (the whole network, one bar), ``detail`` (the parts table, how
    each part is priced, per layer type and per block)."""
    cols = result.columns()
    names = [p[0] for p in B.ENERGY_PARTS]
    series = [(p[0], p[1]) for p in B.ENERGY_PARTS]
    ops, blocks = B.by_op(cols, B.energy_parts), B.by_block(cols, B.energy_parts)
    whole = B.totals_of(ops)
    total = sum(whole)

    def uj(rows):
        return [(f"{k} ({n})", [v / 1e6 for v in vals]) for k, vals, n in rows]

    def tipf(label, part, v):
        return f"{label}: {part} {v:,.2f} uJ ({pct(v * 1e6, total)} of the run's energy)"

    def share(v, _row=None):
        return f"{v:,.1f} uJ ({pct(v * 1e6, total)})"

    x = Axis("energy", "uJ")
    head = render(Bars.of("energy of the whole network by component", x, [("whole network", [v / 1e6 for v in whole])],
                          series, tipf, share, bar=26))
    by_op = render(Bars.of("energy per layer type", x, uj(ops), series, tipf, share))
    by_block = render(Bars.of("energy per block", x, uj(blocks), series, tipf, share, bar=14))
    t = result.totals
    note = (f"MAC = MACs x pJ per MAC of the PE mode; SRAM and DRAM = bits moved x pJ/bit; vector unit = its "
            f"primitive ops x their energies; PPU = requantization and rescaling after the GEMMs; leakage = "
            f"{t.leakage_w:.3g} W x the run's {fmt(t.latency_us)} us (so slow layers pay for idle silicon). "
            f"On chip (without DRAM): {t.tops_per_w_on_chip:.3g} TOPS/W; with DRAM {t.tops_per_w:.3g} TOPS/W.")
    return {"head": f'<div class="chart">{head}</div>',
            "detail": _parts_table(names, [p[1] for p in B.ENERGY_PARTS], whole, "pJ", 1e6, "uJ")
            + f'<p class="note">{esc(note)}</p>'
            + '<h3>Per layer type (layers in brackets)</h3>' + f'<div class="chart">{by_op}</div>'
            + '<h3>Per block, in network order</h3>' + f'<div class="chart">{by_block}</div>'}
