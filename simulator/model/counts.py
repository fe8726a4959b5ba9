"""``Counts``: what one layer (or a sum of layers) does, as a typed value that adds and scales; no prices.

Every per-layer column and every total of simulator/schema.py is a declared view over a ``Counts`` (formulas in
``schema.py``, compiled by simulator/model/views.py); energy is ``simulator.model.price.price(counts, ...)``.
Values are Python numbers (one design) or numpy arrays over designs (``simulator.model.batch``), the same IEEE
operations either way.

Parts (units in the names of the views that read them):
  cycles by cause      compute; the memory stall of the fold walk (``stall_memory``) and its attribution to the
                       operands that were waited for (``stall_ifmap``, ``stall_filter``, ``stall_ofmap`` partial-sum
                       read-backs, ``stall_write`` write-backs, ``stall_vector_io`` a vector op's DRAM I/O), which
                       sums to it (the walk splits each fold's stall by bytes, so to float rounding);
                       ``chunk_fill``, ``ppu_stall``, ``dram_floor``; ``hidden`` (run beside another engine);
                       composed once by ``simulator.model.layer.compose_stalls``:
                       stall = ((stall_memory + chunk_fill) + ppu_stall) + dram_floor, total = compute + stall -
                       hidden, scalesim_total = compute + (stall_memory + chunk_fill) + ppu_stall;
                       other timelines (not parts of ``total``): ppu, prefetch, drain, dram (transfer time);
                       gemm_total (= total on a GEMM layer), mac_slots (= total x p: PE-cycles x MACs per cycle)
  accesses (bytes)     ``acc[access(operand, level, direction)]``: operand ifmap | filter | ofmap (outputs and
                       on-chip partial sums) | psum (partial sums spilled at acc_bits) | scale (scales, zero
                       points, outlier indices); level dram | ibuf | wbuf | obuf (the three buffers); direction
                       rd | wr. A buffer's bytes = its reads + its writes; SRAM reads = the buffers' reads.
  elements             the array's SRAM element reads/writes (SCALE-Sim's counts)
  ops                  primitive operations by kind (``PRIMITIVES``): vector unit, or the PPU of a GEMM
  MACs                 macs (useful), executed (the PEs' work), active (not gated), zero_point_macs (the extra
                       array columns of an on-array zero-point correction), decode_events (sparse decoder)
  plan and schedule    onchip_activation_bytes, prefetched_weight_bytes, metadata_bytes, folds, temporal_chunks,
                       output_tiles, promoted_layers (1 on a layer run in a wider PE mode)
``engine``: which engine did the work (0: the one array and its vector unit); a sum keeps it when all agree, else -1.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

OPERANDS = ("ifmap", "filter", "ofmap", "psum", "scale")
LEVELS = ("dram", "ibuf", "wbuf", "obuf")
DIRECTIONS = ("rd", "wr")
PRIMITIVES = ("int_add", "int_mult", "int_mult_32x16", "shift", "fp_add", "fp_mult", "convert", "lut")
N_ACCESS = len(OPERANDS) * len(LEVELS) * len(DIRECTIONS)
BUFFER_LEVEL = {"ifmap": "ibuf", "weight": "wbuf", "ofmap": "obuf"}


def access(operand: str, level: str, direction: str) -> int:
    """Index of (operand, level, direction) in ``Counts.acc``."""
    return (OPERANDS.index(operand) * len(LEVELS) + LEVELS.index(level)) * len(DIRECTIONS) + DIRECTIONS.index(
        direction)


def access_name(i: int) -> str:
    """'<level>_<operand>_<direction>' of access index ``i`` (the name views use)."""
    o, rest = divmod(i, len(LEVELS) * len(DIRECTIONS))
    lv, dr = divmod(rest, len(DIRECTIONS))
    return f"{LEVELS[lv]}_{OPERANDS[o]}_{DIRECTIONS[dr]}"


ACCESS_NAMES = tuple(access_name(i) for i in range(N_ACCESS))


@dataclass(frozen=True, slots=True)
class Counts:
    """Counts of one layer or of a weighted sum of layers (module docstring)."""

    compute: object
    stall_memory: object
    stall_ifmap: object
    stall_filter: object
    stall_ofmap: object
    stall_write: object
    stall_vector_io: object
    chunk_fill: object
    ppu_stall: object
    dram_floor: object
    hidden: object
    stall: object
    total: object
    scalesim_total: object
    ppu: object
    prefetch: object
    drain: object
    dram: object
    gemm_total: object
    mac_slots: object
    acc: tuple
    ifmap_sram_reads: object
    filter_sram_reads: object
    ofmap_sram_writes: object
    ops: tuple
    macs: object
    executed_macs: object
    active_macs: object
    zero_point_macs: object
    decode_events: object
    onchip_activation_bytes: object
    prefetched_weight_bytes: object
    metadata_bytes: object
    folds: object
    temporal_chunks: object
    output_tiles: object
    promoted_layers: object
    engine: int = 0

    def __add__(self, other: Counts) -> Counts:
        return weighted_sum(((self, 1), (other, 1)))

    def scale(self, n) -> Counts:
        """Every count times ``n`` (e.g. a distinct layer's number of occurrences)."""
        return weighted_sum(((self, n),))

    def bytes(self, operand: str, level: str, direction: str):
        """Bytes of one access kind."""
        return self.acc[access(operand, level, direction)]


SCALARS = tuple(f.name for f in fields(Counts) if f.name not in ("acc", "ops", "engine"))


def zero_accesses() -> list:
    """A mutable access table of zeros (fill it, then ``tuple`` it into a Counts)."""
    return [0.0] * N_ACCESS


def _compile_weighted_sum():
    """sum over (counts, n) pairs of counts * n, field by field, accumulated in pair order from 0.0 (so a total
    equals sum of layer value * n exactly as the pairs are listed). Generated once: one expression per field."""
    n_ops = len(PRIMITIVES)
    lines = ["def weighted_sum(pairs):"]
    names = [f"s_{f}" for f in SCALARS] + [f"a_{i}" for i in range(N_ACCESS)] + [f"o_{i}" for i in range(n_ops)]
    lines.append("    " + " = ".join(names) + " = 0.0")
    lines.append("    engine = None")
    lines.append("    for c, n in pairs:")
    lines.append("        acc = c.acc")
    lines.append("        ops = c.ops")
    lines += [f"        s_{f} = s_{f} + c.{f} * n" for f in SCALARS]
    lines += [f"        a_{i} = a_{i} + acc[{i}] * n" for i in range(N_ACCESS)]
    lines += [f"        o_{i} = o_{i} + ops[{i}] * n" for i in range(n_ops)]
    lines.append("        engine = c.engine if engine is None or engine == c.engine else -1")
    args = [f"{f}=s_{f}" for f in SCALARS]
    args.append("acc=(" + ", ".join(f"a_{i}" for i in range(N_ACCESS)) + ",)")
    args.append("ops=(" + ", ".join(f"o_{i}" for i in range(n_ops)) + ",)")
    args.append("engine=0 if engine is None else engine")
    lines.append("    return Counts(" + ", ".join(args) + ")")
    namespace = {"Counts": Counts}
    exec(compile("\n".join(lines), "<simulator.model.counts.weighted_sum>", "exec"), namespace)  # noqa: S102
    return namespace["weighted_sum"]


weighted_sum = _compile_weighted_sum()
weighted_sum.__doc__ = ("sum over ``pairs`` (counts, n) of counts * n, accumulated in pair order from 0.0: "
                        "a network's counts from its distinct layers and how often each occurs.")
