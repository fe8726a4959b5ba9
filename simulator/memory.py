"""On-chip buffers and DRAM around the fold loop: who holds what, what is fetched again, stalls.

Roles per dataflow (X indexed by row folds, Y by column folds, Z by both; t = temporal dim):
  os: X = ifmap rows (M-block x K, ifmap buffer), Y = filter columns (K x N-block, weight buffer),
      Z = ofmap tile (output).
  ws: X = ifmap (M x K-block, ifmap buffer), Y = partial sums (M x N-block, ofmap buffer),
      Z = stationary weights (K-block x N-block).
  is: X = filter (K-block x N, weight buffer), Y = partial sums (M-block x N, ofmap buffer),
      Z = stationary ifmap (K-block x M-block).
Residency (per buffer, each double-buffered: half active, half prefetch; widths: operand bits,
partial sums at ``acc_bits``): an operand whose whole size fits its whole buffer is never evicted
(fetched once). Otherwise a tile stays on chip only while it is reused in consecutive folds and
fits half its buffer: the outer operand's tile o is kept across the inner loop unless
``p_refetch[o]`` = tile > half buffer (then it is fetched again every fold); the inner operand is
revisited cyclically on every outer iteration, so with less than all of it on chip nothing hits
and it is fetched on every outer iteration. Partial sums (ws, is: the reduction K is on the rows)
follow the same rule; when they do not stay they spill to DRAM at ``acc_bits`` (written after
every reduction fold but the last, read back before every one but the first); the final ofmap
is written once at ``out_bits``. os never has partial sums (K is temporal).

Loop order: of the two orders (row folds outer or column folds outer) the controller takes the
one with the least DRAM traffic (ties: row-outer). This keeps the operand that does not fit as the
outer, streamed-once operand and re-reads the smaller one (``refetched_operand``), i.e. it
maximises the reuse of the operand that does not fit. Closed form (bits, per copy):
  outer input: sum_o tile_o * b * (n_inner if p_refetch[o] else 1)
  inner input: total * b * (1 if total * b <= buffer else n_outer)
  Z: total * b (read if input, written if output)
  partial sums: total * out_bits written + non-resident tiles * acc_bits * (n_red - 1) written and read
``fold_loop`` (simulator/kernels.py) walks the same folds for timing (prefetch at bandwidth and
latency overlapped with compute, stalls, drain: formulas there and in docs/memory.md) and gives
the same bits (``closed_form_dram_bits`` is returned for that check).

SRAM accesses (elements, SCALE-Sim's counts): X reads = X * nc, Y: os filter reads = Y * nr,
ws/is ofmap writes = Y * nr (one per reduction fold); os ofmap writes = Z; ws/is stationary
reads = Z. Bytes = elements * bits / 8 (INT4 packs two per byte).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator import kernels as K
from simulator.mapping import Mapping

INPUT, PSUM, OUTPUT = 0, 1, 2


@dataclass(frozen=True)
class Operand:
    name: str          # ifmap, filter, ofmap
    kind: int          # INPUT, PSUM, OUTPUT
    bits: int          # element width as stored (output width for partial sums)
    buffer_bits: float  # capacity of the buffer that holds it, in bits


def roles(dataflow: str, a_bits: int, w_bits: int, out_bits: int, buffers_bytes) -> tuple[Operand, Operand, Operand]:
    """(X, Y, Z) operands of a dataflow (module docstring)."""
    ib, wb, ob = (8.0 * b for b in buffers_bytes)
    ifmap = Operand("ifmap", INPUT, a_bits, ib)
    filt = Operand("filter", INPUT, w_bits, wb)
    if dataflow == "os":
        return ifmap, filt, Operand("ofmap", OUTPUT, out_bits, ob)
    psum = Operand("ofmap", PSUM, out_bits, ob)
    if dataflow == "ws":
        return ifmap, psum, filt
    return filt, psum, ifmap


def _order(outer: Operand, inner: Operand, z: Operand, p_sizes, q_sizes, t: int, acc_bits: int,
           reduction_outer: bool):
    """Residency flags and closed-form DRAM bits of one loop order (module docstring)."""
    w_o = acc_bits if outer.kind == PSUM else outer.bits
    w_i = acc_bits if inner.kind == PSUM else inner.bits
    p_tiles = p_sizes * t
    o_total, i_total = float(p_tiles.sum()), float(q_sizes.sum() * t)
    n_o, n_i = len(p_sizes), len(q_sizes)
    p_refetch = (p_tiles * w_o > outer.buffer_bits / 2) & (o_total * w_o > outer.buffer_bits)
    q_resident = bool(i_total * w_i <= inner.buffer_bits)
    n_red = n_o if reduction_outer else n_i
    r_o = r_i = r_z = wr = psum = 0.0
    if outer.kind == INPUT:
        r_o = float((p_tiles * np.where(p_refetch, n_i, 1)).sum()) * outer.bits
    if inner.kind == INPUT:
        r_i = i_total * inner.bits * (1 if q_resident else n_o)
    z_total = float(p_sizes.sum() * q_sizes.sum())
    if z.kind == INPUT:
        r_z = z_total * z.bits
    else:
        wr += z_total * z.bits
    if outer.kind == PSUM:
        wr += o_total * outer.bits
        psum = float(p_tiles[p_refetch].sum()) * acc_bits * (n_red - 1)
        r_o += psum
    if inner.kind == PSUM:
        wr += i_total * inner.bits
        psum = 0.0 if q_resident else i_total * acc_bits * (n_red - 1)
        r_i += psum
    wr += psum
    p_whole = bool(o_total * w_o <= outer.buffer_bits)
    z_whole = bool(z_total * z.bits <= z.buffer_bits)
    return p_refetch, q_resident, p_whole, z_whole, (r_o, r_i, r_z, wr)


def gemm_memory(mp: Mapping, a_bits: int, w_bits: int, out_bits: int, acc_bits: int, buffers_bytes,
                bytes_per_cycle: float, latency_cycles: int, repeat: int = 1) -> dict:
    """DRAM and SRAM traffic, stalls and loop order of one GEMM layer (units: bytes, cycles, elements)."""
    x, y, z = roles(mp.dataflow, a_bits, w_bits, out_bits, buffers_bytes)
    rs, cs, t = mp.row_sizes(), mp.col_sizes(), mp.t_dim
    nr, nc = len(rs), len(cs)
    x_total, y_total, z_total = mp.row_dim * t, mp.col_dim * t, mp.row_dim * mp.col_dim
    orders = [(True, _order(x, y, z, rs, cs, t, acc_bits, True)), (False, _order(y, x, z, cs, rs, t, acc_bits, False))]
    row_outer, (p_refetch, q_resident, p_whole, z_whole, bits) = min(orders, key=lambda o: sum(o[1][-1]))
    outer, inner = (x, y) if row_outer else (y, x)
    p_sizes, q_sizes = (rs, cs) if row_outer else (cs, rs)
    v = K.fold_loop(p_sizes, q_sizes, p_refetch, t, outer.kind, inner.kind, z.kind, outer.bits, inner.bits, z.bits,
                    acc_bits, q_resident, row_outer, p_whole, z_whole, mp.lines, bytes_per_cycle, latency_cycles,
                    repeat).tolist()
    reads = {outer.name: v[K.READ_P], inner.name: v[K.READ_Q], z.name: v[K.READ_Z]}
    stalls = {outer.name: v[K.STALL_P], inner.name: v[K.STALL_Q], z.name: v[K.STALL_Z], "ofmap_write": v[K.STALL_W]}
    stall_buffer = max(stalls, key=stalls.get) if v[K.STALL] > 0 else ""
    refetched = [op.name for op, again in ((outer, bool(p_refetch.any())), (inner, not q_resident)) if again]
    # SRAM accesses in elements (SCALE-Sim's counts), then bytes at each operand's width
    sram = {"ifmap": 0.0, "filter": 0.0}
    sram[x.name] = x_total * nc
    if y.kind == INPUT:
        sram[y.name] = y_total * nr
        ofmap_writes = z_total
        psum_bits = 0.0
    else:
        sram[z.name] = z_total
        ofmap_writes = y_total * nr
        psum_bits = y_total * (nr - 1) * acc_bits  # non-final partial sums, written and read back
    ofmap_write_bits = ofmap_writes * out_bits if y.kind == INPUT else y_total * out_bits + psum_bits
    dram = {name: reads.get(name, 0.0) / 8 for name in ("ifmap", "filter", "ofmap")}
    row = {
        "loop_order": "row_outer" if row_outer else "col_outer",
        "outer_operand": outer.name,
        "refetched_operand": "+".join(refetched),
        "stall_cycles": v[K.STALL],
        "prefetch_cycles": v[K.PREFETCH],
        "drain_cycles": v[K.DRAIN],
        "stall_buffer": stall_buffer,
        "dram_ifmap_read_bytes": dram["ifmap"],
        "dram_filter_read_bytes": dram["filter"],
        "dram_ofmap_read_bytes": dram["ofmap"],
        "dram_write_bytes": v[K.WRITE] / 8,
        "dram_psum_read_bytes": v[K.PSUM_READ] / 8,
        "dram_psum_write_bytes": v[K.PSUM_WRITE] / 8,
        "ifmap_sram_reads": sram["ifmap"] * repeat,
        "filter_sram_reads": sram["filter"] * repeat,
        "ofmap_sram_writes": ofmap_writes * repeat,
        "sram_ifmap_read_bytes": sram["ifmap"] * a_bits / 8 * repeat,
        "sram_filter_read_bytes": sram["filter"] * w_bits / 8 * repeat,
        "sram_ofmap_write_bytes": ofmap_write_bits / 8 * repeat,
        "sram_ofmap_read_bytes": psum_bits / 8 * repeat,
        "closed_form_dram_bits": sum(bits) * repeat,
    }
    # per buffer: array-side accesses plus DRAM-side fills (writes) and drains (reads)
    row["ifmap_buf_read_bytes"] = row["sram_ifmap_read_bytes"]
    row["ifmap_buf_write_bytes"] = dram["ifmap"]
    row["weight_buf_read_bytes"] = row["sram_filter_read_bytes"]
    row["weight_buf_write_bytes"] = dram["filter"]
    row["ofmap_buf_read_bytes"] = row["sram_ofmap_read_bytes"] + row["dram_write_bytes"]
    row["ofmap_buf_write_bytes"] = row["sram_ofmap_write_bytes"] + dram["ofmap"]
    return row
