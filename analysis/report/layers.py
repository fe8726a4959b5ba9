"""The per-layer table: every column of simulator/schema.py (a switch shows the ones beyond the first screen),
each header explained on hover by its unit and meaning, sortable by any column."""

from __future__ import annotations

from analysis.report.breakdown import block_of
from analysis.report.page import table

# shown first (the rest of the schema's columns behind the switch)
SHOWN = ("name", "op", "precision", "pe_precision", "promoted", "macs", "total_cycles", "compute_cycles",
         "stall_cycles", "stall_buffer", "utilization", "mapping_efficiency", "dram_read_bytes", "dram_write_bytes",
         "sram_read_bytes", "energy_pj", "energy_dram_pj", "dataflow", "impl")


def tip(f) -> str:
    """A column's hover text: name [unit] (type): meaning."""
    unit = f" [{f.unit}]" if f.unit else ""
    return f"{f.name}{unit} ({f.type.__name__}): {f.meaning}"


def layer_table(result, extra: dict | None = None) -> str:
    """Every layer, every column; ``extra`` adds columns {name: (hover text, values)} after the first screen's."""
    from simulator.schema import LAYER_FIELDS

    cols = result.columns()
    n = len(cols["name"])
    shown = [f for f in LAYER_FIELDS if f.name in SHOWN]
    rest = [f for f in LAYER_FIELDS if f.name not in SHOWN]
    extra = {"block": ("the block the layer belongs to (module path up to its block number)",
                       [block_of(x) for x in cols["name"]]), **(extra or {})}
    header = [("#", "the layer's position in the network"), ("name", tip(shown[0]))]
    header += [(f.name, tip(f)) for f in shown[1:]] + [(k, v[0]) for k, v in extra.items()]
    n_shown = len(header)
    header += [(f.name, tip(f)) for f in rest]
    units = {f.name: f.unit for f in LAYER_FIELDS}
    rows = [[i + 1] + [cols[f.name][i] for f in shown] + [v[1][i] for v in extra.values()]
            + [cols[f.name][i] for f in rest] for i in range(n)]
    left = ("name", "block", "op", "precision", "pe_precision", "stall_buffer", "dataflow", "impl", "loop_order",
            "outer_operand", "refetched_operand", "roofline_bound")
    switch = (f'<button data-toggle="layers" data-more="show all {len(header)} columns" '
              f'data-less="show the first {n_shown} columns">show all {len(header)} columns</button>')
    return switch + table(header, rows, "layers", "sortable all", left, tuple(range(n_shown, len(header))), units,
                          tall=True)
