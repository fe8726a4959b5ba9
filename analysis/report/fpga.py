"""The FPGA section of a run's report: one bar per resource (used / available on the design's part), the clock
against its limit, the overflow lines, and the FPGA totals (simulator/fpga/, docs/fpga.md)."""

from __future__ import annotations

from analysis.report.page import esc, fmt, table

BAR_W = 420


def _bar(label: str, used: float, avail: float, unit: str, tip: str) -> str:
    share = used / avail if avail else (0.0 if not used else float("inf"))
    w = min(share, 1.0) * BAR_W
    color = "#c0392b" if share > 1 else "#e67e22" if share > 0.85 else "#2e86c1"
    text = f"{fmt(int(used))} / {fmt(int(avail))} {unit} ({100 * share:.1f}%)" if avail else f"{fmt(int(used))} / 0"
    return (f'<div title="{esc(tip)}" style="display:flex;align-items:center;gap:8px;margin:3px 0">'
            f'<span style="width:70px">{esc(label)}</span>'
            f'<svg width="{BAR_W}" height="16" role="img" aria-label="{esc(label)} {esc(text)}">'
            f'<rect width="{BAR_W}" height="16" fill="#eee"/><rect width="{w:.1f}" height="16" fill="{color}"/></svg>'
            f'<span>{esc(text)}</span></div>')


def fpga_section(result) -> str:
    """HTML: resource bars, clock, verdict and the FPGA totals of an FPGA design's ``result``."""
    from simulator.fpga.resources import RESOURCES, fpga_use
    from simulator.fpga.totals import LABELS, fit_lines
    from simulator.schema import FPGA_TOTAL_FIELDS

    hw = result.hw
    use = fpga_use(hw)
    dev = hw.fpga.device
    bars = "".join(_bar(LABELS[r], use.used[r], use.available[r], "",
                        f"{r}: " + ", ".join(f"{part} {v:,.0f}" for part, p in use.parts.items()
                                              for k, v in p.items() if k == r and v))
                   for r in RESOURCES)
    bars += _bar("clock", use.freq_mhz, use.fmax_mhz, "MHz",
                 "fmax: " + ("the family default for the precision (an assumption)" if use.fmax_assumed
                             else "fpga.fmax_mhz"))
    lines = fit_lines(hw)
    verdict = "".join(f"<li>{esc(x.strip())}</li>" for x in lines[1:] if "FIT" in x or "fits" in x)
    t = result.totals
    rows = [[f.name, (esc(fmt(t[f.name], f.unit)), repr(float(t[f.name]))), f.unit or "-", f.meaning]
            for f in FPGA_TOTAL_FIELDS]
    cols = [("metric", ""), ("value", ""), ("unit", ""), ("meaning", "")]
    return (f'<p class="note">{esc(lines[0])}. Part: {esc(dev.source)}.</p>{bars}<ul>{verdict}</ul>'
            + table(cols, rows, "fpga-totals", left=("metric", "unit", "meaning")))
