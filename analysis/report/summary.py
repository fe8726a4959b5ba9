"""The first screen of a run's report: one totals card (latency, throughput, energy per image, area, what bounds
the run, and the assumptions that move these numbers with the ``--set`` that changes each), then the whole
network's time by cause and energy by component as one bar each.

What bounds the run: the largest of the time parts that add up to the latency (analysis/report/breakdown.py
``TIME_PARTS``: GEMM compute on the PE array, vector-unit compute, each stall cause), with its share of
``total_cycles``; the roofline adds how many layers are compute- or memory-bound (analysis/roofline.py).
"""

from __future__ import annotations

from analysis.report import breakdown as B
from analysis.report.page import esc, fmt
from analysis.report.parts import energy_view, time_view

# a time part in words: what the run waits for
BOUND_TEXT = {"GEMM compute": "the PE array", "vector compute": "the vector unit"}
BOUND_DETAIL = {"the PE array": "GEMM compute", "the vector unit": "non-linear and elementwise layers"}


def bound_by(result) -> list[tuple[str, float]]:
    """The time parts of the whole run, largest first: (part in words, share of total_cycles), parts above 0."""
    cols = result.columns()
    whole = B.totals_of(B.by_op(cols, B.time_parts))
    total = sum(whole) or 1.0
    out = [(BOUND_TEXT.get(name, name.replace("stall: ", "stalls: ")), v / total)
           for (name, *_), v in zip(B.TIME_PARTS, whole) if v > 0]
    return sorted(out, key=lambda p: -p[1])


def _fact(label: str, value: str, unit: str, detail: str, tip: str = "") -> str:
    t = f' title="{esc(tip)}"' if tip else ""
    return (f'<div class="fact"{t}><div class="k">{esc(label)}</div><div class="v">{esc(value)}<span class="u">'
            f'{esc(unit)}</span></div><div class="d">{esc(detail)}</div></div>')


def totals_card(result, rf) -> str:
    """One card: latency, throughput, energy per image, area, and what bounds the run."""
    t = result.totals
    batch = result.workload["batch"]
    parts = bound_by(result)
    top, share = parts[0] if parts else ("nothing (an empty run)", 0.0)
    rest = ", ".join(f"{name} {100 * s:.1f}%" for name, s in parts[1:3])
    rt = rf.totals
    facts = (_fact("latency", f"{t.latency_us:,.4g}", "us", f"{fmt(t.total_cycles, 'cycles')} cycles at "
                                                               f"{result.hw.freq_mhz:g} MHz", "latency_us")
             + _fact("throughput", f"{t.throughput_fps:,.4g}", "images/s", f"at batch {batch}", "throughput_fps")
             + _fact("energy per image", f"{t.energy_per_image_uj:,.4g}", "uJ",
                     f"{t.power_w:.3g} W, of which leakage {t.leakage_w:.3g} W", "energy_per_image_uj")
             + _fact("area", f"{t.area_mm2:.4g}", "mm2", f"{t.peak_tops:.3g} TOPS peak", "area_mm2")
             + _fact("bound by", top, "", f"{100 * share:.1f}% of the cycles"
                     + (f" ({BOUND_DETAIL[top]})" if top in BOUND_DETAIL else "") + (f"; then {rest}" if rest else "")
                     + f"; roofline: {rt['compute_bound_layers']} layers compute-, {rt['memory_bound_layers']} "
                       f"memory-bound", "the largest part of the time"))
    return (f'<div class="cards"><div class="card wide totals"><div class="facts">{facts}</div>'
            f'{assumptions_list(result)}</div></div>')


def summary_section(result, rf) -> str:
    """The totals card (with the assumptions), then the whole network's time and energy bars."""
    return (totals_card(result, rf) + "<h3>Time of the whole network by cause</h3>" + time_view(result)["head"]
            + "<h3>Energy of the whole network by component</h3>" + energy_view(result)["head"])


def assumptions_list(result) -> str:
    """The second half of the totals card that move the headline, what each drives in this run and the ``--set``
    that changes it (``simulator.assumptions``, also the footer of ``vitsim run``)."""
    from simulator.assumptions import assumptions

    items = "".join(f"<li><b>{esc(a.topic)}</b>: {esc(a.value)} &rarr; {esc(a.effect)} &middot; "
                    + ", ".join(f"<code>{esc(c.strip())}</code>" for c in a.change.split(", ")) + "</li>"
                    for a in assumptions(result.hw, result.totals))
    return ('<div class="k">assumptions that move these numbers (change one with '
            f'<code>--set KEY=VALUE</code> on run, report, roofline, sweep)</div><ul>{items}</ul>')
