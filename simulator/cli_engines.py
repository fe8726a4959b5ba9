"""The CLI's view of a chip of several engines (simulator/multi.py): its title and the per-engine table."""

from __future__ import annotations

# (field of simulator/schema.py ENGINE_FIELDS, header): cycles in each engine's clock
ENGINE_COLUMNS = [("name", "engine"), ("layers", "layers"), ("busy_cycles", "busy"), ("wait_dram_cycles", "wait_dram"),
                  ("wait_dependency_cycles", "wait_dep"), ("idle_cycles", "idle"), ("busy_share", "busy_share"),
                  ("utilization", "util"), ("energy_uj", "energy_uJ"), ("area_mm2", "area_mm2"),
                  ("achieved_dram_gbps", "dram_GB/s")]


def chip_title(result) -> str:
    """``<model> (<recipe>, batch B) on <chip>: k engines (name RxC df @ f MHz, ...)``."""
    w, chip = result.workload, result.hw
    parts = []
    for e in chip.engines:
        a = e.hw.array
        body = f"{a.rows}x{a.cols} {a.dataflow} " + "/".join(m.label for m in e.hw.pe.precisions) if e.gemm \
            else f"vector-only {e.hw.vector.lanes} lanes"
        parts.append(f"{e.name} {body} @ {e.hw.freq_mhz:g} MHz")
    split = f", split: {chip.split}" if chip.split != "none" else ""
    per = {"image": ", rows per image", "engine": ", rows: one core's share"}.get(w.get("rows_per"), "")
    return (f"{w['model']} ({w['recipe']}, batch {w['batch']}) on {chip.name}: {len(chip.engines)} engines "
            f"({'; '.join(parts)}{split}{per})")


def engines_text(result, width) -> str:
    """The per-engine table (simulator/schema.py ENGINE_FIELDS; cycles in each engine's clock) and how to read it."""
    import textwrap

    from simulator.schema_engines import ENGINE_FIELDS
    from workloads.cli_common import terminal_width, text_table

    unit = {f.name: f.unit for f in ENGINE_FIELDS}
    rows = [[round(getattr(e, c)) if unit[c] == "cycles" else getattr(e, c)
             for c, _ in ENGINE_COLUMNS] for e in result.engines]
    heads = [h for _, h in ENGINE_COLUMNS]
    t = result.totals
    text = text_table("engines: busy, wait and idle in cycles of each engine's clock", heads, rows, width)
    wrap = terminal_width() if width is None else min(width, 120)
    text += textwrap.fill(f"schedule: latency {t.latency_us:,.1f} us ({t.total_cycles:,.1f} cycles of the first "
                          f"engine), "
             f"{t.throughput_fps:,.1f} images/s; busy + wait_dram + wait_dependency + idle = latency on every "
             f"engine; totals' compute/stall/gemm/vector cycles sum the engines' busy cycles. docs/engines.md",
                          wrap, subsequent_indent="  ") + "\n"
    return text
