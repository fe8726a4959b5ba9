"""The report of one run (a workload on one design), a list of sections (``RUN_SECTIONS``): first the summary (one
totals card with the assumptions, the whole network's time and energy; analysis/report/summary.py), then where the
time and the energy go per layer type and block, the roofline with every layer, the FPGA resources of an FPGA
design, the precision each layer ran at and why, every total, and every layer's columns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from analysis.report import breakdown as B
from analysis.report.layers import layer_table, tip
from analysis.report.page import esc, fmt, page, pct, section, table
from analysis.report.parts import energy_view, time_view
from analysis.report.rooflinechart import roofline_of
from analysis.report.rooflinechart import section_body as roofline_body
from analysis.report.summary import summary_section
from analysis.report.svg import si

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
    return f'<p class="note">{esc(split)}</p><div class="grid4">{"".join(tables)}</div>'


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


@dataclass(frozen=True)
class Run:
    """What a section of a run's report is made from: the result, its workload and its roofline."""

    result: object
    workload: object
    rf: object


@dataclass(frozen=True)
class Section:
    """One section of a run's report: ``body(run)`` its HTML, ``intro(run)`` the note under its title,
    ``applies(run)`` whether the run has it (e.g. only an FPGA design has the FPGA section)."""

    anchor: str
    label: str
    title: str | Callable[[Run], str]
    body: Callable[[Run], str]
    intro: Callable[[Run], str] = lambda _run: ""
    applies: Callable[[Run], bool] = lambda _run: True


def _fpga(run: Run) -> str:
    from analysis.report.fpga import fpga_section

    return fpga_section(run.result)


# The sections of a run's report, in page order: the first screen (the totals card and the whole network's time
# and energy), then the charts per layer type and block, then the detail tables. Add a section by adding an entry.
RUN_SECTIONS: list[Section] = [
    Section("summary", "Summary", "Summary", lambda r: summary_section(r.result, r.rf)),
    Section("time", "Time", "Where the time goes", lambda r: time_view(r.result)["detail"],
            lambda r: f"GEMM compute, vector-unit compute and each stall cause, in microseconds: they add up to the "
                      f"latency, {esc(fmt(r.result.totals.latency_us))} us. Hover a bar for cycles."),
    Section("energy", "Energy", "Where the energy goes", lambda r: energy_view(r.result)["detail"],
            lambda r: f"MAC, SRAM, DRAM, vector unit, PPU and leakage, in microjoules: they add up to the run's "
                      f"energy, {esc(fmt(r.result.totals.energy_uj))} uJ. Hover a bar for its share."),
    Section("roofline", "Roofline", "Roofline of the accelerator, every layer placed",
            lambda r: roofline_body(r.result, r.rf),
            lambda _r: "Marks at the simulated performance of each layer (ops / simulated time); the roofs are the "
                       "design's ceilings. Hover a mark for its layers."),
    Section("fpga", "FPGA", "FPGA resources: used / available on the part", _fpga,
            lambda _r: "One bar per resource (hover for the parts that use it); red: over the part.",
            lambda r: r.result.hw.fpga is not None),
    Section("precision", "Precision", "Precision: what each layer ran at, and why",
            lambda r: precision_section(r.result)),
    Section("totals", "Totals", "Every total", lambda r: totals_section(r.result),
            lambda _r: "Hover a name for its meaning (docs/columns.md)."),
    Section("layers", "Layers", lambda r: f"Every layer ({len(r.result.names)})",
            lambda r: layers_section(r.result, r.rf),
            lambda _r: "Hover a header for its unit and meaning (docs/columns.md); click to sort."),
]


def run_sections(result, workload, rf=None, sections: list[Section] | None = None) -> list[tuple[str, str, str]]:
    """(anchor, label, html) of each section of a run's report that applies (``RUN_SECTIONS`` by default)."""
    run = Run(result, workload, rf or roofline_of(result, workload))
    out = []
    for s in RUN_SECTIONS if sections is None else sections:
        if s.applies(run):
            title = s.title(run) if callable(s.title) else s.title
            out.append((s.anchor, s.label, section(s.anchor, title, s.body(run), s.intro(run))))
    return out


def run_report(result, workload) -> str:
    """One self-contained HTML page for ``simulate(workload, hw)``'s ``result``."""
    if result.engines:   # a chip of several engines: its own page (analysis/report/timeline.py)
        from analysis.report.timeline import chip_report

        return chip_report(result)
    title, sub = describe(result)
    return page(title, sub, run_sections(result, workload),
                f"Totals: {esc(si(result.totals.total_cycles))} cycles. ")
