"""The accelerator's roofline with every layer placed: ``analysis.roofline.analyze`` on the design's Device gives
each layer's ops, compulsory DRAM bytes and intensity; the simulation gives the time it actually took.

x = operational intensity (ops per compulsory DRAM byte), y = performance (TOPS) = ops / simulated time. Roofs:
each GEMM ceiling the layers ran at (2 x R x C x p x f), each vector-unit ceiling used (dashed) and the DRAM
slope (bandwidth x intensity). A layer's distance below its roof is time lost to stalls, fill and drain, and
mapping; identical layers (the same shape in every block) share one mark, its hover text lists them.
"""

from __future__ import annotations

from analysis.chartspec import Axis, Line, Mark, Scatter, padded, si
from analysis.report.breakdown import OP_COLORS
from analysis.report.page import esc, fmt, table
from analysis.report.svg import PALETTE, render


def short(name: str) -> str:
    """``blocks.3.attn.qkv`` -> ``attn.qkv``; names without a numbered block stay."""
    parts = name.split(".")
    nums = [i for i, p in enumerate(parts) if p.isdigit()]
    return ".".join(parts[nums[-1] + 1:]) if nums and nums[-1] + 1 < len(parts) else name


def roofline_of(result, workload):
    """``analyze`` on the design's accelerator Device (``analysis.devices.device_from_hardware``, what
    ``load_device`` builds for a hardware config), without the crossover search."""
    from analysis.devices import device_from_hardware
    from analysis.roofline import analyze

    return analyze(workload, device_from_hardware(result.hw), crossover=False)


def points(result, rf) -> list[dict]:
    """One record per distinct (short name, op, precision, ops, bytes, cycles): the layers sharing it."""
    cols = result.columns()
    f_hz = result.hw.freq_mhz * 1e6
    out: dict[tuple, dict] = {}
    for i, lr in enumerate(rf.layers):
        cyc = cols["total_cycles"][i]
        key = (short(lr.name), lr.op, lr.precision, round(lr.ops), round(lr.bytes), round(cyc, 3))
        rec = out.get(key)
        if rec is None:
            rec = out[key] = {"short": key[0], "op": lr.op, "precision": lr.precision, "ceiling": lr.ceiling,
                              "ops": lr.ops, "bytes": lr.bytes, "intensity": lr.intensity, "bound": lr.bound,
                              "bound_s": lr.time_s, "seconds": cyc / f_hz, "peak": lr.peak_ops_per_s,
                              "names": []}
        rec["names"].append(lr.name)
    return list(out.values())


def chart(result, rf) -> str:
    return render(chart_spec(result, rf))


def chart_spec(result, rf) -> Scatter:
    """The roofline as a chart spec (``analysis.chartspec``): log-log, one mark per distinct layer."""
    pts = [p for p in points(result, rf) if p["intensity"] and p["seconds"] > 0]
    dev = rf.device
    bw = dev.dram.bandwidth_bytes_per_s
    xs = [p["intensity"] for p in pts]
    x_lo, x_hi = padded(min(xs, default=0.1), max(xs, default=1e3), True, 0.15)
    marks = []
    for p in pts:
        tops = p["ops"] / p["seconds"] / 1e12
        n = len(p["names"])
        tip = (f"{p['short']} ({p['op']}, {p['precision']}, ceiling {p['ceiling']}) x{n}: "
               f"{si(p['ops'])} ops, {si(p['bytes'])} B DRAM, intensity {p['intensity']:.3g} ops/B; simulated "
               f"{p['seconds'] * 1e6:.3g} us = {tops:.3g} TOPS; roofline bound {p['bound_s'] * 1e6:.3g} us "
               f"({p['bound']}-bound), {100 * p['bound_s'] / p['seconds']:.0f}% of the simulated time. Layers: "
               + ", ".join(p["names"][:6]) + (" ..." if n > 6 else ""))
        marks.append(Mark(p["intensity"], tops, OP_COLORS.get(p["op"], "#555"), tip,
                          f"{p['short']}" + (f" x{n}" if n > 1 else ""),
                          "circle" if p["ceiling"].startswith("vector") else "square", 5.5))
    lines = []
    gemm_ceilings = sorted({p["ceiling"] for p in pts if not p["ceiling"].startswith("vector")})
    vec_ceilings = sorted({p["ceiling"] for p in pts if p["ceiling"].startswith("vector")})
    for j, key in enumerate(gemm_ceilings + vec_ceilings):
        peak = dev.peak(key).ops_per_s
        ridge = peak / bw
        xs_l = [x_lo] + ([ridge] if x_lo < ridge < x_hi else []) + [x_hi]
        ys_l = [min(peak, bw * x) / 1e12 for x in xs_l]
        vector = key.startswith("vector")
        color = OP_COLORS.get(key.split(":", 1)[-1], PALETTE[j % len(PALETTE)]) if vector else "#333"
        label = f"{key} {peak / 1e12:.3g} TOPS" + ("" if vector else f", ridge {ridge:.3g} ops/B")
        lines.append(Line(xs_l, ys_l, color, label, "5,4" if vector else "", 1.6 if vector else 2.4,
                          (x_hi, peak / 1e12)))
    lines.append(Line([x_lo, x_hi], [bw * x_lo / 1e12, bw * x_hi / 1e12], "#555555",
                      f"DRAM {bw / 1e9:.3g} GB/s", "2,3", 1.2, None))
    ys = [m.y for m in marks] + [ln.ys[-1] for ln in lines[:-1]]
    y_lo, y_hi = padded(min(ys, default=1e-3), max(ys, default=1.0), True, 0.12)
    legend = ([(f"{op}", OP_COLORS.get(op, "#555")) for op in sorted({p["op"] for p in pts})]
              + [(f"DRAM slope {bw / 1e9:.3g} GB/s", "#555555")])
    return Scatter(f"roofline of {dev.name}", Axis("operational intensity", "ops per compulsory DRAM byte", True,
                                                   (x_lo, x_hi)),
                   Axis("performance", "TOPS", True, (y_lo, y_hi)), marks, lines, legend, 1000, 600)


def section_body(result, rf) -> str:
    pts = points(result, rf)
    cols = [("layer", "short module name; x N: N identical layers"), ("op", ""), ("precision", ""),
            ("ceiling", "the roof the layer runs under: a PE mode or the vector unit for its op"),
            ("ops", "2 x MACs (GEMM) or ops per element x elements (vector), analysis/devices.py"),
            ("DRAM bytes", "compulsory DRAM bytes: every operand and the result once, bit-packed"),
            ("intensity", "ops per compulsory DRAM byte"),
            ("bound", "what limits the roofline time: compute or memory (DRAM)"),
            ("roofline us", "roofline lower bound on the layer's time, microseconds"),
            ("simulated us", "the simulator's time for the layer, microseconds"),
            ("bound / simulated", "the share of the simulated time the roofline explains; the rest is stalls, "
                                  "pipeline fill and drain, and mapping losses")]
    rows = [[p["short"] + (f" x{len(p['names'])}" if len(p["names"]) > 1 else ""), p["op"], p["precision"],
             p["ceiling"], p["ops"], p["bytes"], p["intensity"] if p["intensity"] is not None else "-",
             p["bound"], p["bound_s"] * 1e6, p["seconds"] * 1e6,
             p["bound_s"] / p["seconds"] if p["seconds"] else "-"] for p in pts]
    t = rf.totals
    note = (f"Whole network: the roofline bound is {fmt(t['latency_s_bound'] * 1e6)} us against "
            f"{fmt(result.totals.latency_us)} us simulated ({100 * t['latency_s_bound'] * 1e6 / result.totals.latency_us:.0f}"
            f"%); {t['compute_bound_layers']} layers compute-bound, {t['memory_bound_layers']} memory-bound.")
    above = [p for p in pts if p["seconds"] and p["bound_s"] > p["seconds"] * (1 + 1e-9)]
    if above:
        note += (f" {sum(len(p['names']) for p in above)} layers ({', '.join(p['short'] for p in above[:4])}"
                 f"{', ...' if len(above) > 4 else ''}) ran faster than their roofline bound (bound / simulated "
                 f"above 1), which the roofline's own checks rule out for the shipped configs: look at this "
                 f"design's memory section.")
    return (f'<div class="chart">{chart(result, rf)}</div><p class="note">{esc(note)} Squares: GEMM layers under '
            f'a PE-mode roof; circles: vector-unit layers under their op\'s dashed roof.</p>'
            + table(cols, rows, "roofline-table", left=("layer", "op", "precision", "ceiling", "bound")))
