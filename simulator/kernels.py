"""Numba kernels: the per-fold loop of one GEMM layer (plain arrays and scalars in, array out).

The loop visits folds in the controller's order (outer index o over ``p_sizes``, inner index i
over ``q_sizes``). Operands of a fold:
  P tile = p_sizes[o] * t elements (indexed by the outer loop only),
  Q tile = q_sizes[i] * t elements (indexed by the inner loop only),
  Z tile = p_sizes[o] * q_sizes[i] elements (indexed by both).
kind 0 = input read from DRAM, 1 = partial sums accumulated across the row (reduction) folds,
2 = output written to DRAM. Which operand is which per dataflow is set in ``simulator/memory.py``.

Timing (double buffering): fold f's reads are prefetched during fold f-1, together with fold f-1's
write-back: stall_f = max(0, latency + (reads_f + writes_{f-1}) / bytes_per_cycle - lines).
Fold 0's reads are the initial fill (``prefetch_cycles``, not a stall); the last write-back is
the drain (``drain_cycles``). With ``repeat`` > 1 independent copies, copy 2 is simulated
(its first fold overlaps copy 1's last) and counted repeat - 1 times.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# indices of the output vector
STALL, PREFETCH, DRAIN, READ_P, READ_Q, READ_Z, WRITE, STALL_P, STALL_Q, STALL_Z, STALL_W, FOLDS = range(12)
N_OUT = 12


@njit(cache=True)
def fold_loop(p_sizes, q_sizes, t, p_kind, q_kind, z_kind, p_bits, q_bits, z_bits, acc_bits,
              p_stream, q_resident, psum_resident, reduction_outer, lines, bytes_per_cycle,
              latency, repeat):
    """Walk the folds of one GEMM; return the vector indexed by the module constants (bits, cycles).

    p_stream: the P tile does not fit its half buffer, so it is fetched again every fold.
    q_resident: the whole Q operand fits its buffer, so it is fetched on the first outer pass only.
    psum_resident: partial sums stay on chip (no spill) across the reduction folds.
    reduction_outer: the reduction (row-fold) index is the outer loop (else the inner one).
    """
    out = np.zeros(N_OUT)
    n_o = p_sizes.shape[0]
    n_i = q_sizes.shape[0]
    copies = 2 if repeat > 1 else 1
    prev_write = 0.0
    first = True
    for c in range(copies):
        weight = 1.0 if c == 0 else float(repeat - 1)
        for o in range(n_o):
            for i in range(n_i):
                rp = 0.0
                rq = 0.0
                rz = 0.0
                w = 0.0
                # reduction fold index and whether it is the first/last of the reduction
                r_idx = o if reduction_outer else i
                r_last = (n_o - 1) if reduction_outer else (n_i - 1)
                # P: indexed by the outer loop
                ptile = p_sizes[o] * t
                if p_kind == 0:
                    if i == 0 or p_stream:
                        rp = ptile * p_bits
                # Q: indexed by the inner loop
                qtile = q_sizes[i] * t
                if q_kind == 0:
                    if o == 0 or not q_resident:
                        rq = qtile * q_bits
                # Z: indexed by both
                ztile = p_sizes[o] * q_sizes[i]
                if z_kind == 0:
                    rz = ztile * z_bits
                elif z_kind == 2:
                    w += ztile * z_bits
                # partial sums (P or Q has kind 1; its bits slot holds the output width):
                # resident -> one write at output width when the reduction completes;
                # spilled -> read back (acc width) after the first reduction fold, written at
                # acc width before the last and at output width after it
                if p_kind == 1 or q_kind == 1:
                    stile = ptile if p_kind == 1 else qtile
                    obits = p_bits if p_kind == 1 else q_bits
                    if r_idx == r_last:
                        w += stile * obits
                    elif not psum_resident:
                        w += stile * acc_bits
                    if r_idx > 0 and not psum_resident:
                        if p_kind == 1:
                            rp += stile * acc_bits
                        else:
                            rq += stile * acc_bits
                reads = rp + rq + rz
                out[READ_P] += weight * rp
                out[READ_Q] += weight * rq
                out[READ_Z] += weight * rz
                out[WRITE] += weight * w
                out[FOLDS] += weight
                if first:
                    out[PREFETCH] = latency + reads / 8.0 / bytes_per_cycle
                    first = False
                else:
                    busy = (reads + prev_write) / 8.0 / bytes_per_cycle
                    if reads > 0:
                        busy += latency
                    stall = busy - lines
                    if stall > 0:
                        out[STALL] += weight * stall
                        tot = reads + prev_write
                        out[STALL_P] += weight * stall * rp / tot
                        out[STALL_Q] += weight * stall * rq / tot
                        out[STALL_Z] += weight * stall * rz / tot
                        out[STALL_W] += weight * stall * prev_write / tot
                prev_write = w
    out[DRAIN] = prev_write / 8.0 / bytes_per_cycle
    return out

