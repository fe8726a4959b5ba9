"""On-chip buffers and DRAM around the fold loop: who holds what, what is fetched again, stalls.

Roles per dataflow (X indexed by row folds, Y by column folds, Z by both; t = temporal dim):
  os: X = ifmap rows (M-block x K, ifmap buffer), Y = filter columns (K x N-block, weight buffer),
      Z = ofmap tile (output).
  ws: X = ifmap (M x K-block, ifmap buffer), Y = partial sums (M x N-block, ofmap buffer),
      Z = stationary weights (K-block x N-block).
  is: X = filter (K-block x N, weight buffer), Y = partial sums (M-block x N, ofmap buffer),
      Z = stationary ifmap (K-block x M-block).
Each buffer is double-buffered: a tile that is reused while its loop index holds must fit in half
of its buffer, else it is fetched again every fold; an operand that is revisited on every outer
iteration stays resident only if all of it fits in the whole buffer (with cyclic reuse an LRU
buffer that holds less than all of it hits nothing). Partial sums stay on chip if they fit
(whole ofmap buffer when the reduction is the outer loop, half when it is the inner loop),
else they spill to DRAM at ``acc_bits`` and are read back.

Loop order: the controller picks the order (row folds outer, or column folds outer) with the
least DRAM traffic, ties going to row-outer. DRAM traffic in closed form (bits):
  row-outer: X*b_X*(nc if X tile > half buf else 1) + Y*b_Y*(1 if Y <= buf else nr) + Z*b_Z
  col-outer: Y*b_Y*(nr if Y tile > half buf else 1) + X*b_X*(1 if X <= buf else nc) + Z*b_Z
with partial sums adding (nr-1) * Y * acc_bits of writes and of reads when they spill.
``fold_loop`` (simulator/kernels.py) walks the same folds for timing and must give the same bits.

SRAM accesses (elements, SCALE-Sim's counts): X reads = X * nc, Y: os filter reads = Y * nr,
ws/is ofmap writes = Y * nr (one per reduction fold); os ofmap writes = Z; ws/is stationary
reads = Z. Bytes = elements * bits / 8 (INT4 packs two per byte).
"""

from __future__ import annotations

from dataclasses import dataclass

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


def _traffic(outer: Operand, inner: Operand, z: Operand, outer_total, inner_total, outer_tile_max,
             n_outer, n_inner, z_total, acc_bits, reduction_outer: bool, n_red: int):
    """Closed-form DRAM bits (reads of outer, inner, z; writes) and the flags the kernel needs."""
    r_o = r_i = r_z = wr = 0.0
    p_stream = outer_tile_max * (acc_bits if outer.kind == PSUM else outer.bits) > outer.buffer_bits / 2
    q_resident = inner_total * (acc_bits if inner.kind == PSUM else inner.bits) <= inner.buffer_bits
    if outer.kind == INPUT:
        r_o = outer_total * outer.bits * (n_inner if p_stream else 1)
    if inner.kind == INPUT:
        r_i = inner_total * inner.bits * (1 if q_resident else n_outer)
    if z.kind == INPUT:
        r_z = z_total * z.bits
    else:
        wr += z_total * z.bits
    psum_resident = True
    for op, total, is_outer in ((outer, outer_total, True), (inner, inner_total, False)):
        if op.kind == PSUM:
            psum_resident = (not p_stream) if is_outer else q_resident
            wr += total * op.bits
            if not psum_resident:
                wr += total * acc_bits * (n_red - 1)
                spill = total * acc_bits * (n_red - 1)
                if is_outer:
                    r_o += spill
                else:
                    r_i += spill
    return (r_o, r_i, r_z, wr), p_stream, q_resident, psum_resident


def gemm_memory(mp: Mapping, a_bits: int, w_bits: int, out_bits: int, acc_bits: int, buffers_bytes,
                bytes_per_cycle: float, latency_cycles: int, repeat: int = 1) -> dict:
    """DRAM and SRAM traffic, stalls and loop order of one GEMM layer (units: bytes, cycles)."""
    x, y, z = roles(mp.dataflow, a_bits, w_bits, out_bits, buffers_bytes)
    rs, cs, t = mp.row_sizes(), mp.col_sizes(), mp.t_dim
    nr, nc = len(rs), len(cs)
    x_total, y_total, z_total = mp.row_dim * t, mp.col_dim * t, mp.row_dim * mp.col_dim
    best = None
    for row_outer in (True, False):
        if row_outer:
            res = _traffic(x, y, z, x_total, y_total, int(rs.max()) * t, nr, nc, z_total, acc_bits, True, nr)
        else:
            res = _traffic(y, x, z, y_total, x_total, int(cs.max()) * t, nc, nr, z_total, acc_bits, False, nr)
        if best is None or sum(res[0]) < sum(best[1][0]):
            best = (row_outer, res)
    row_outer, ((r_o, r_i, r_z, wr), p_stream, q_resident, psum_resident) = best
    outer, inner = (x, y) if row_outer else (y, x)
    p_sizes, q_sizes = (rs, cs) if row_outer else (cs, rs)
    v = K.fold_loop(p_sizes, q_sizes, t, outer.kind, inner.kind, z.kind, outer.bits, inner.bits, z.bits,
                    acc_bits, p_stream, q_resident, psum_resident, row_outer, mp.lines, bytes_per_cycle,
                    latency_cycles, repeat)
    reads = {outer.name: v[K.READ_P], inner.name: v[K.READ_Q], z.name: v[K.READ_Z]}
    stalls = {outer.name: v[K.STALL_P], inner.name: v[K.STALL_Q], z.name: v[K.STALL_Z], "ofmap_write": v[K.STALL_W]}
    stall_buffer = max(stalls, key=stalls.get) if v[K.STALL] > 0 else ""
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
    ofmap_write_bits = (ofmap_writes * out_bits if y.kind == INPUT else y_total * out_bits + psum_bits)
    return {
        "loop_order": "row_outer" if row_outer else "col_outer",
        "stall_cycles": v[K.STALL],
        "prefetch_cycles": v[K.PREFETCH],
        "drain_cycles": v[K.DRAIN],
        "stall_buffer": stall_buffer,
        "dram_ifmap_read_bytes": reads.get("ifmap", 0.0) / 8,
        "dram_filter_read_bytes": reads.get("filter", 0.0) / 8,
        "dram_ofmap_read_bytes": reads.get("ofmap", 0.0) / 8,
        "dram_write_bytes": v[K.WRITE] / 8,
        "ifmap_sram_reads": sram["ifmap"] * repeat,
        "filter_sram_reads": sram["filter"] * repeat,
        "ofmap_sram_writes": ofmap_writes * repeat,
        "sram_ifmap_read_bytes": sram["ifmap"] * a_bits / 8 * repeat,
        "sram_filter_read_bytes": sram["filter"] * w_bits / 8 * repeat,
        "sram_ofmap_write_bytes": ofmap_write_bits / 8 * repeat,
        "sram_ofmap_read_bytes": psum_bits / 8 * repeat,
        "closed_form_dram_bits": (r_o + r_i + r_z + wr) * repeat,
    }

