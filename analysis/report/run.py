"""The report of one run (a workload on one design): totals with units, where the time goes, where the energy
goes, the roofline with every layer, the precision each layer ran at and why, and every layer's columns."""

from __future__ import annotations

from analysis.chartspec import Axis, Bars
from analysis.report import breakdown as B
from analysis.report.layers import layer_table, tip
from analysis.report.page import card, esc, fmt, page, pct, section, table
from analysis.report.rooflinechart import roofline_of
from analysis.report.rooflinechart import section_body as roofline_body
from analysis.report.svg import render, si

# headline totals, in the order of the cards: (field, label)
CARDS = (("latency_us", "latency"), ("throughput_fps", "throughput"), ("energy_per_image_uj", "energy per image"),
         ("power_w", "power"), ("effective_tops", "effective TOPS"), ("utilization", "array utilization"),
         ("tops_per_w", "efficiency"), ("area_mm2", "area"))
# the totals in groups, one small table each (every total of the schema appears in exactly one)
GROUPS = (("time", ("total_cycles", "gemm_cycles", "vector_cycles", "compute_cycles", "stall_cycles",
                    "stall_memory_cycles", "stall_chunk_fill_cycles", "ppu_stall_cycles", "dram_floor_stall_cycles",
                    "latency_us", "throughput_fps", "images_per_s", "utilization", "gemm_utilization")),
          ("energy and power", ("energy_uj", "energy_per_image_uj", "energy_mac_uj", "energy_sram_uj",
                                "energy_dram_uj", "energy_vector_uj", "energy_ppu_uj", "energy_static_uj", "power_w",
                                "leakage_w", "tops_per_w", "tops_per_w_on_chip", "images_per_s_per_w")),
          ("work and traffic", ("macs", "sram_read_bytes", "sram_write_bytes", "dram_read_bytes", "dram_write_bytes",
                                "dram_scale_read_bytes")),
          ("peaks and area", ("effective_tops", "peak_tops", "area_mm2", "area_pe_mm2", "area_sram_mm2",
                              "area_vector_mm2", "area_ppu_mm2", "peak_tops_per_mm2", "promoted_layers")))


def describe(result) -> tuple[str, str]:
    """(title, subtitle) naming the workload and the design."""
    w, hw = result.workload, result.hw
    modes = ", ".join(f"{m.label} x{m.macs_per_cycle:g}" for m in hw.pe.precisions)
    title = f"{w['model']} ({w['recipe']}, batch {w['batch']}) on {hw.name}"
    sub = (f"{w['layers']} layers, {w['macs'] / 1e9:.3f} GMACs &middot; {hw.array.rows}x{hw.array.cols} "
           f"{esc(hw.array.dataflow)} array at {hw.freq_mhz:g} MHz, {esc(hw.pe.type)} PEs ({esc(modes)} MACs per "
           f"PE-cycle) &middot; buffers {hw.buffers.ifmap_kib:g}/{hw.buffers.weight_kib:g}/{hw.buffers.ofmap_kib:g}"
           f" KiB (ifmap/weight/ofmap) &middot; DRAM {_dram(hw)} &middot; "
           f"vector unit {hw.vector.lanes} lanes &middot; source {esc(_source(hw.source))}")
    return title, sub


def _source(source: str) -> str:
    """``hwconfigs/int4.yaml`` for a shipped config (wherever installed), else the path as given."""
    from pathlib import Path

    import hwconfigs

    try:
        return Path(source).resolve().relative_to(hwconfigs.root().parent).as_posix()
    except (ValueError, OSError):
        return source


def _dram(hw) -> str:
    from simulator.scalesim_cfg import CALC_BYTES_PER_CYCLE

    if hw.dram_bytes_per_cycle >= CALC_BYTES_PER_CYCLE:
        return "<b>unlimited</b> (SCALE-Sim InterfaceBandwidth: CALC: no layer waits for DRAM)"
    return f"{hw.dram.bandwidth_gbps:g} GB/s"


def totals_section(result) -> str:
    from simulator.schema import TOTAL_FIELDS, TOTAL_MAPPINGS, field

    t = result.totals
    details = {
        "latency_us": f"{fmt(t.total_cycles, 'cycles')} cycles at {result.hw.freq_mhz:g} MHz",
        "throughput_fps": f"images/s at batch {result.workload['batch']}",
        "energy_per_image_uj": f"{fmt(t.energy_uj)} uJ per batch",
        "power_w": f"of which leakage {t.leakage_w:.3g} W",
        "effective_tops": f"of a {t.peak_tops:.3g} TOPS peak",
        "utilization": f"GEMM layers alone: {t.gemm_utilization:.3f}",
        "tops_per_w": f"{t.tops_per_w_on_chip:.3g} TOPS/W without DRAM",
        "area_mm2": f"{t.peak_tops_per_mm2:.3g} peak TOPS/mm2",
    }
    cards = assumptions_card(result) + "".join(
        card(label, getattr(t, k), field(k).unit, details[k], f"{k}: {tip(field(k))}") for k, label in CARDS)
    grouped = {n for _, names in GROUPS for n in names}
    groups = list(GROUPS) + [("other", tuple(f.name for f in TOTAL_FIELDS if f.name not in grouped))]
    cols = [("metric", "the total's name (docs/columns.md); hover a name for its meaning"),
            ("value", "cycles are whole where the array counts them; a decimal where a DRAM transfer ends "
                      "mid-cycle"), ("unit", "")]
    tables = []
    for title, names in groups:
        if not names:
            continue
        rows = [[(f'<span title="{esc(tip(field(n)))}">{esc(n)}</span>', n),
                 (esc(fmt(t[n], field(n).unit)), repr(float(t[n]))), field(n).unit or "-"] for n in names]
        if title == "peaks and area":
            rows += [[(f'<span title="{esc(tip(f))}">{esc(f.name)}</span>', f.name),
                      ", ".join(f"{p} {v:.4g}" for p, v in getattr(t, f.name).items()), "TOPS"]
                     for f in TOTAL_MAPPINGS]
        tables.append(f"<div><h3>{esc(title)}</h3>"
                      + table(cols, rows, f"totals-{title.split()[0]}", left=("metric", "unit")) + "</div>")
    split = (f"Of {fmt(t.total_cycles, 'cycles')} cycles, GEMM layers take {pct(t.gemm_cycles, t.total_cycles)} and "
             f"the vector unit {pct(t.vector_cycles, t.total_cycles)}; stalls are {pct(t.stall_cycles, t.total_cycles)}"
             f". utilization = macs / (total_cycles x R x C x p), p the MACs per PE-cycle of the fastest PE mode "
             f"used: the share of the array's MAC slots doing work over the whole run. gemm_utilization counts the "
             f"GEMM layers' time only.")
    return (f'<div class="cards">{cards}</div><p class="note">{esc(split)}</p>'
            f'<div class="grid4">{"".join(tables)}</div>')


def assumptions_card(result) -> str:
    """The first card: the assumptions that move the headline, what each drives in this run and the ``--set``
    that changes it (``simulator.assumptions``, also the footer of ``vitsim run``)."""
    from simulator.assumptions import assumptions

    items = "".join(f"<li><b>{esc(a.topic)}</b>: {esc(a.value)} &rarr; {esc(a.effect)} &middot; "
                    + ", ".join(f"<code>{esc(c.strip())}</code>" for c in a.change.split(", ")) + "</li>"
                    for a in assumptions(result.hw, result.totals))
    return ('<div class="card wide"><div class="k">assumptions that move these numbers (change one with '
            f'<code>--set KEY=VALUE</code> on run, report, roofline, sweep)</div><ul>{items}</ul></div>')


def _parts_table(names, colors, values, unit: str, scale: float, unit_scaled: str) -> str:
    total = sum(values) or 1.0
    rows = [[(f'<span style="display:inline-block;width:10px;height:10px;background:{c};margin-right:6px">'
              f'</span>{esc(n)}', n), v, v / scale, f"{100 * v / total:.1f}%"]
            for n, c, v in zip(names, colors, values) if v > 0]
    return table([("part", ""), (unit, ""), (unit_scaled, ""), ("share", "")], rows, left=("part",))


def time_section(result) -> str:
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
    return (f'<div class="chart">{head}</div>'
            + _parts_table(names, [p[1] for p in B.TIME_PARTS], whole, "cycles", f_mhz, "us")
            + '<h3>Per layer type (layers in brackets)</h3>' + f'<div class="chart">{by_op}</div>'
            + '<h3>Per block, in network order</h3>' + f'<div class="chart">{by_block}</div>')


def energy_section(result) -> str:
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
    return (f'<div class="chart">{head}</div>' + _parts_table(names, [p[1] for p in B.ENERGY_PARTS], whole, "pJ",
                                                               1e6, "uJ")
            + f'<p class="note">{esc(note)}</p>'
            + '<h3>Per layer type (layers in brackets)</h3>' + f'<div class="chart">{by_op}</div>'
            + '<h3>Per block, in network order</h3>' + f'<div class="chart">{by_block}</div>')


def precision_section(result) -> str:
    hw = result.hw
    nonlinear = {"softmax": hw.nonlinear.softmax, "gelu": hw.nonlinear.gelu, "layernorm": hw.nonlinear.layernorm}
    groups = B.precision_groups(result, nonlinear, [m.label for m in hw.pe.precisions])
    t = result.totals
    total_macs = t.macs or 1.0
    cols = [("precision", "the layer's bits (recipe or workload file): w<weight>a<activation>, or a<bits> for "
                          "vector ops"),
            ("ran as", "pe_precision: the PE mode it ran in ('vector': the vector unit)"),
            ("impl", "PE type, or the vector unit's implementation"), ("layers", ""), ("ops", "op types"),
            ("MACs share", "share of the network's MACs"), ("time share", "share of total_cycles"),
            ("bits set by", f"the rule of recipe {result.workload.get('recipe')} that set the bits "
                            "(later rules win)"),
            ("why this mode", ""), ("e.g.", "up to three of the layers")]
    rows = []
    for g in groups:
        why = (f'<span class="tag warn">promoted</span> {esc(g["why"])}', g["why"]) if g["promoted"] else g["why"]
        rows.append([g["precision"], g["pe_precision"], g["impl"], g["layers"], ", ".join(sorted(g["ops"])),
                     f"{100 * g['macs'] / total_macs:.1f}%", f"{100 * g['cycles'] / t.total_cycles:.1f}%",
                     g["set_by"] or "-", why, ", ".join(g["examples"])])
    n_prom = int(t.promoted_layers)
    head = (f'<p class="note"><span class="tag warn">{n_prom} promoted layers</span> ran in a wider PE mode than '
            f'their bits: the array has no exact mode for them, so they pay the wider mode\'s time and energy.</p>'
            if n_prom else '<p class="note">Every GEMM ran in a PE mode exactly matching its bits.</p>')
    return head + table(cols, rows, "precision", left=("precision", "ran as", "impl", "ops", "bits set by",
                                                        "why this mode", "e.g."))


def layers_section(result, rf) -> str:
    bound = [lr.bound for lr in rf.layers]
    intensity = [lr.intensity if lr.intensity is not None else float("inf") for lr in rf.layers]
    f_hz = result.hw.freq_mhz * 1e6
    cyc = result.columns()["total_cycles"]
    ratio = [lr.time_s / (c / f_hz) if c else 0.0 for lr, c in zip(rf.layers, cyc)]
    extra = {"roofline_bound": ("what bounds the layer on the roofline: compute or memory (DRAM)", bound),
             "intensity": ("ops per compulsory DRAM byte (roofline x axis)", intensity),
             "bound_over_simulated": ("roofline time bound / simulated time (1: at the roof)", ratio)}
    return layer_table(result, extra)


def run_sections(result, workload, rf=None) -> list[tuple[str, str, str]]:
    """(anchor, label, html) of each section of a run's report."""
    rf = rf or roofline_of(result, workload)
    t = result.totals
    return [
        ("totals", "Totals", section("totals", "Totals", totals_section(result))),
        ("time", "Time", section("time", "Where the time goes", time_section(result),
                                 f"GEMM compute, vector-unit compute and each stall cause, in microseconds: they add "
                                 f"up to the latency, {esc(fmt(t.latency_us))} us. Hover a bar for cycles.")),
        ("energy", "Energy", section("energy", "Where the energy goes", energy_section(result))),
        ("roofline", "Roofline", section("roofline", "Roofline of the accelerator, every layer placed",
                                         roofline_body(result, rf),
                                         "Marks at the simulated performance of each layer (ops / simulated time)"
                                         "; the roofs are the design's ceilings. Hover a mark for its layers.")),
        ("precision", "Precision", section("precision", "Precision: what each layer ran at, and why",
                                           precision_section(result))),
        ("layers", "Layers", section("layers", f"Every layer ({len(result.names)})", layers_section(result, rf),
                                     "Hover a header for its unit and meaning (docs/columns.md); click to sort.")),
    ]


def fpga_sections(result) -> list[tuple[str, str, str]]:
    """The FPGA section (analysis/report/fpga.py) of an FPGA design; none otherwise."""
    if result.hw.fpga is None:
        return []
    from analysis.report.fpga import fpga_section

    return [("fpga", "FPGA", section("fpga", "FPGA resources: used / available on the part", fpga_section(result),
                                     "One bar per resource (hover for the parts that use it); red: over the part."))]


def run_report(result, workload) -> str:
    """One self-contained HTML page for ``simulate(workload, hw)``'s ``result``."""
    title, sub = describe(result)
    return page(title, sub, run_sections(result, workload) + fpga_sections(result),
                f"Totals: {esc(si(result.totals.total_cycles))} cycles. ")
