"""Where the time and the energy go: a run's per-layer columns split into parts that add up, grouped by layer type
and by block; why each layer ran at its precision.

Time parts of a layer (cycles; they sum to its ``total_cycles``, simulator/model/layer.py::compose_stalls):
  GEMM layers: compute_cycles, then stall_ifmap, stall_filter, stall_ofmap (partial-sum read-backs),
  stall_ofmap_write (the four make stall_memory_cycles), stall_chunk_fill, ppu_stall, dram_floor_stall;
  vector layers: compute_cycles, stall_vector_io (the vector unit's DRAM I/O), dram_floor_stall, less the cycles
  that ran beside the array (``overlap_hidden_cycles``, vector.overlap gemm or auto): taken from its compute, then
  (when they exceed it) from its vector I/O and DRAM floor stalls, so the parts shown are the exposed time.
Energy parts (pJ; disjoint, they sum to ``energy_pj``): energy_mac, energy_sram, energy_dram, the vector unit
(energy_vector), the PPU (ppu_energy), leakage (energy_static), the sparse decoder (energy_sparse): the same
columns the totals sum, so the chart and the totals table show one number for one quantity.
"""

from __future__ import annotations

import re

from analysis.report.svg import PALETTE

GEMM_COLOR, VECTOR_COLOR = "#0072b2", "#009e73"
# (label, colour, column or (column, minus column), which layers: "gemm" | "vector" | "all")
TIME_PARTS = (
    ("GEMM compute", GEMM_COLOR, "compute_cycles", "gemm"),
    ("vector compute", VECTOR_COLOR, "compute_cycles", "vector"),
    ("stall: ifmap fetch", "#e69f00", "stall_ifmap_cycles", "gemm"),
    ("stall: filter fetch", "#d55e00", "stall_filter_cycles", "gemm"),
    ("stall: partial-sum read-back", "#cc79a7", "stall_ofmap_cycles", "gemm"),
    ("stall: ofmap write-back", "#8c564b", "stall_ofmap_write_cycles", "gemm"),
    ("stall: vector I/O", "#56b4e9", "stall_vector_io_cycles", "all"),
    ("stall: chunk fill", "#bcbd22", "stall_chunk_fill_cycles", "all"),
    ("stall: PPU", "#9467bd", "ppu_stall_cycles", "all"),
    ("stall: DRAM floor", "#7f7f7f", "dram_floor_stall_cycles", "all"),
)
# (label, colour, per-layer column, the total that sums it)
ENERGY_PARTS = (
    ("MAC", "#0072b2", "energy_mac_pj", "energy_mac_uj"),
    ("SRAM", "#e69f00", "energy_sram_pj", "energy_sram_uj"),
    ("DRAM", "#d55e00", "energy_dram_pj", "energy_dram_uj"),
    ("vector unit", "#009e73", "energy_vector_pj", "energy_vector_uj"),
    ("PPU", "#56b4e9", "ppu_energy_pj", "energy_ppu_uj"),
    ("leakage", "#7f7f7f", "energy_static_pj", "energy_static_uj"),
    ("sparse decoder", "#cc79a7", "energy_sparse_pj", "energy_sparse_uj"),
)
OP_COLORS = {"gemm": PALETTE[0], "conv": PALETTE[9], "matmul": PALETTE[11], "softmax": PALETTE[3],
             "layernorm": PALETTE[1], "gelu": PALETTE[2], "add": PALETTE[7], "mul": PALETTE[8],
             "quantize": PALETTE[4], "elementwise": PALETTE[10]}


def is_gemm_row(cols: dict, i: int) -> bool:
    return cols["pe_precision"][i] != "vector"


_HIDDEN_FROM = ("vector compute", "stall: vector I/O", "stall: DRAM floor")   # a vector layer's parts, in order


def time_parts(cols: dict, i: int) -> list[float]:
    """Cycles of layer ``i`` per ``TIME_PARTS`` entry (they add up to its total_cycles: the cycles a vector layer
    ran beside the array are taken out of its parts, module docstring)."""
    g = is_gemm_row(cols, i)
    out = [float(cols[c][i]) if kind == "all" or (kind == "gemm") == g else 0.0 for _, _, c, kind in TIME_PARTS]
    hidden = float(cols["overlap_hidden_cycles"][i]) if "overlap_hidden_cycles" in cols and not g else 0.0
    for j, (name, *_) in enumerate(TIME_PARTS):
        if hidden > 0 and name in _HIDDEN_FROM:
            take = min(hidden, out[j])
            out[j] -= take
            hidden -= take
    return out


def energy_parts(cols: dict, i: int) -> list[float]:
    """pJ of layer ``i`` per ``ENERGY_PARTS`` entry (they add up to its energy_pj)."""
    return [float(cols[c][i]) for _, _, c, _ in ENERGY_PARTS]


_NUM = re.compile(r"^\d+$")


def block_of(name: str) -> str:
    """The block a layer belongs to: its module path up to the last numeric part (``blocks.3.attn.qkv`` ->
    ``blocks.3``, ``layers.1.blocks.0.mlp.fc1`` -> ``layers.1.blocks.0``), else its first part (``head``)."""
    parts = name.split(".")
    last = max((i for i, p in enumerate(parts) if _NUM.match(p)), default=-1)
    return ".".join(parts[:last + 1]) if last >= 0 else parts[0]


def group(cols: dict, key, parts) -> list[tuple[str, list[float], int]]:
    """(group label, summed parts, layers) in order of first appearance; ``key(i)`` names layer i's group and
    ``parts(cols, i)`` gives its parts."""
    out: dict[str, list] = {}
    for i in range(len(cols["name"])):
        k = key(i)
        p = parts(cols, i)
        if k not in out:
            out[k] = [[0.0] * len(p), 0]
        acc = out[k]
        acc[0] = [a + b for a, b in zip(acc[0], p)]
        acc[1] += 1
    return [(k, v[0], v[1]) for k, v in out.items()]


def by_op(cols: dict, parts) -> list[tuple[str, list[float], int]]:
    """Groups by op type, largest first."""
    rows = group(cols, lambda i: cols["op"][i], parts)
    return sorted(rows, key=lambda r: -sum(r[1]))


def by_block(cols: dict, parts) -> list[tuple[str, list[float], int]]:
    """Groups by block in network order."""
    return group(cols, lambda i: block_of(cols["name"][i]), parts)


def totals_of(rows) -> list[float]:
    n = len(rows[0][1]) if rows else 0
    return [sum(r[1][j] for r in rows) for j in range(n)]


# ------------------------------------------------------------------------------------------ precision: why
def recipe_rules(recipe_name: str | None):
    """The shipped recipe that set the workload's bits (None when it is not a shipped name or none)."""
    if not recipe_name or recipe_name in ("none", "-"):
        return None
    from workloads.quantize import load_recipe, recipe_names

    if recipe_name not in recipe_names():
        return None
    try:
        return load_recipe(recipe_name)
    except Exception:  # noqa: BLE001 - an unreadable recipe only loses the explanation
        return None


def rule_for(recipe, name: str, op: str) -> str:
    """Which recipe rules set a layer's bits (later rules win), as text."""
    if recipe is None:
        return ""
    hits = []
    for i, r in enumerate(recipe.rules):
        keys = {k for k, _ in r.values}
        if keys & {"w_bits", "a_bits", "dtype"} and r.applies(_Probe(name, op)):
            hits.append(f"rule {i + 1} `{r.match}`" + (f" op {r.op}" if r.op else ""))
    return "; ".join(hits) if hits else "the recipe's default"


class _Probe:
    """Just enough of a Layer for ``Rule.applies`` (name and op)."""

    def __init__(self, name: str, op: str):
        self.name, self.op = name, op


def precision_groups(result, nonlinear: dict, modes: list[str]) -> list[dict]:
    """One record per (precision, PE mode, implementation, recipe reason): layers, MACs, cycles and why."""
    cols = result.columns()
    recipe = recipe_rules(result.workload.get("recipe"))
    out: dict[tuple, dict] = {}
    for i, name in enumerate(cols["name"]):
        op, prec, pe = cols["op"][i], cols["precision"][i], cols["pe_precision"][i]
        impl, promoted = cols["impl"][i], bool(cols["promoted"][i])
        src = rule_for(recipe, name, op)
        if pe == "vector":
            how = f"nonlinear.{op}: {impl}" if op in nonlinear else f"{impl} arithmetic"
            why = f"vector unit, {how}"
        elif promoted:
            why = f"no {prec} mode on this PE (modes: {', '.join(modes)}): ran in the fastest wider one, {pe}"
        else:
            why = f"exact {pe} PE mode"
        key = (prec, pe, impl, src, why)
        rec = out.setdefault(key, {"precision": prec, "pe_precision": pe, "impl": impl, "promoted": promoted,
                                   "set_by": src, "why": why, "layers": 0, "ops": set(), "macs": 0,
                                   "cycles": 0.0, "examples": []})
        rec["layers"] += 1
        rec["ops"].add(op)
        rec["macs"] += cols["macs"][i]
        rec["cycles"] += cols["total_cycles"][i]
        if len(rec["examples"]) < 3:
            rec["examples"].append(name)
    return sorted(out.values(), key=lambda r: (r["pe_precision"] == "vector", -r["cycles"]))
