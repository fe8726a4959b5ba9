"""Numba kernel: the per-fold loop of one GEMM layer (plain arrays and scalars in, array out).

The loop visits folds in the controller's order (outer index o over ``p_sizes``, inner index i
over ``q_sizes``). Operands of a fold:
  P tile = p_sizes[o] * t elements (indexed by the outer loop only),
  Q tile = q_sizes[i] * t elements (indexed by the inner loop only),
  Z tile = p_sizes[o] * q_sizes[i] elements (indexed by both).
kind 0 = input read from DRAM, 1 = partial sums accumulated across the row (reduction) folds,
2 = output written to DRAM. Which operand is which per dataflow is set in ``simulator/memory.py``.

Fetches: an input P tile is read when o starts (i == 0), and again every fold when
``p_refetch[o]`` (it does not stay on chip across the inner loop); a Q tile on the first outer
pass only when ``q_resident``, else every fold; a Z input every fold. Partial sums stay on chip
(P: not ``p_refetch[o]``; Q: ``q_resident``) or spill: written at ``acc_bits`` after every
reduction fold but the last and read back before every one but the first. Outputs and completed
partial sums are written at their output width.

Timing (double buffering, one DRAM channel of B bytes/cycle and latency L): requests are served
first come first served in the order R_0, R_1, W_0, R_2, W_1, R_3, ... R_f = fold f's reads (for
the first copy R_0 also carries every input that fits its whole buffer: the initial fill); R_0
and R_1 are issued at 0; when fold f ends, W_f (its writes) and then R_{f+2} are issued (fold f+2
fills the halves fold f has released). A request starts at max(issue, channel free), holds the
channel bytes/B cycles, and its data arrive L cycles after the transfer (transfers pipeline;
empty requests take no time). Fold f starts at S_f = max(S_{f-1} + lines, arrival of R_f),
S_0 = arrival of R_0. prefetch_cycles = S_0 (initial fill, not a stall);
stall_f = S_f - S_{f-1} - lines; drain_cycles = end of the last write - (S_last + lines), at
least 0. The stall of fold f is attributed to R_f's operands and W_{f-2} (the write served just
before it) by bytes.
With ``repeat`` > 1 independent copies (the fold sequence continues across them), copies are
simulated until one ends in the same state as the one before (same stall, same channel backlog
and spacing relative to its last fold start); the timing being shift-invariant, every later copy
repeats it exactly and is counted without being walked. Bytes scale exactly by ``repeat``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# indices of the output vector
(STALL, PREFETCH, DRAIN, READ_P, READ_Q, READ_Z, WRITE, STALL_P, STALL_Q, STALL_Z, STALL_W, FOLDS,
 PSUM_READ, PSUM_WRITE) = range(14)
N_OUT = 14


@njit(cache=True)
def fold_traffic(p_sizes, q_sizes, p_refetch, t, p_kind, q_kind, z_kind, p_bits, q_bits, z_bits, acc_bits,
                 q_resident, reduction_outer, p_whole, z_whole, first_copy):
    """Per-fold bits of one copy, in loop order: columns (read P, read Q, read Z, write, psum read, psum write).

    With ``first_copy`` the inputs that fit their whole buffer (P: ``p_whole``, Q: ``q_resident``,
    Z: ``z_whole``) are all read with fold 0 (the initial fill); otherwise each tile at its first use.
    """
    n_o = p_sizes.shape[0]
    n_i = q_sizes.shape[0]
    tr = np.zeros((n_o * n_i, 6))
    r_last = (n_o - 1) if reduction_outer else (n_i - 1)
    for o in range(n_o):
        ptile = p_sizes[o] * t
        for i in range(n_i):
            f = o * n_i + i
            qtile = q_sizes[i] * t
            # an operand preloaded with fold 0 (first copy, fits its whole buffer) goes to row 0
            fp = 0 if (first_copy and p_whole) else f
            fq = 0 if (first_copy and q_resident) else f
            fz = 0 if (first_copy and z_whole) else f
            if p_kind == 0 and (i == 0 or p_refetch[o]):
                tr[fp, 0] += ptile * p_bits
            if q_kind == 0 and (o == 0 or not q_resident):
                tr[fq, 1] += qtile * q_bits
            ztile = p_sizes[o] * q_sizes[i]
            if z_kind == 0:
                tr[fz, 2] += ztile * z_bits
            elif z_kind == 2:
                tr[f, 3] += ztile * z_bits
            if p_kind == 1 or q_kind == 1:
                stile = ptile if p_kind == 1 else qtile
                obits = p_bits if p_kind == 1 else q_bits
                resident = (not p_refetch[o]) if p_kind == 1 else q_resident
                r_idx = o if reduction_outer else i
                if r_idx == r_last:
                    tr[f, 3] += stile * obits
                elif not resident:
                    tr[f, 3] += stile * acc_bits
                    tr[f, 5] += stile * acc_bits
                if r_idx > 0 and not resident:
                    tr[f, 4] += stile * acc_bits
                    if p_kind == 1:
                        tr[f, 0] += stile * acc_bits
                    else:
                        tr[f, 1] += stile * acc_bits
    return tr


@njit(cache=True)
def _issue(ch, release, nbytes, bytes_per_cycle):
    """Serve ``nbytes`` issued at ``release`` on a channel free at ``ch``: (new ch, transfer end)."""
    if nbytes <= 0.0:
        return ch, release
    start = max(ch, release)
    end = start + nbytes / bytes_per_cycle
    return end, end


@njit(cache=True)
def fold_loop(p_sizes, q_sizes, p_refetch, t, p_kind, q_kind, z_kind, p_bits, q_bits, z_bits, acc_bits,
              q_resident, reduction_outer, p_whole, z_whole, lines, bytes_per_cycle, latency, repeat):
    """Walk the folds of one GEMM; return the vector indexed by the module constants (bits, cycles)."""
    out = np.zeros(N_OUT)
    tr0 = fold_traffic(p_sizes, q_sizes, p_refetch, t, p_kind, q_kind, z_kind, p_bits, q_bits, z_bits, acc_bits,
                       q_resident, reduction_outer, p_whole, z_whole, True)
    tr = fold_traffic(p_sizes, q_sizes, p_refetch, t, p_kind, q_kind, z_kind, p_bits, q_bits, z_bits, acc_bits,
                      q_resident, reduction_outer, p_whole, z_whole, False)
    nf = tr.shape[0]
    for f in range(nf):
        out[READ_P] += tr[f, 0]
        out[READ_Q] += tr[f, 1]
        out[READ_Z] += tr[f, 2]
        out[WRITE] += tr[f, 3]
        out[PSUM_READ] += tr[f, 4]
        out[PSUM_WRITE] += tr[f, 5]
    for j in (READ_P, READ_Q, READ_Z, WRITE, PSUM_READ, PSUM_WRITE):
        out[j] *= repeat
    out[FOLDS] = nf * repeat
    ch = 0.0
    s_prev2 = 0.0
    s_prev = 0.0
    s_cur = 0.0
    acc = np.zeros(5)     # this copy's stall and its attribution (P, Q, Z, W)
    last = np.zeros(5)    # the previous copy's
    state = np.zeros(2)   # (channel free - last start, last start - the one before) after a copy
    g = 0
    c = 0
    while c < repeat:
        acc[:] = 0.0
        cur = tr0 if c == 0 else tr
        for f in range(nf):
            wbytes = 0.0
            release = 0.0
            if g >= 2:
                release = s_prev2 + lines  # fold g-2 has ended: its halves are free
                wbytes = tr[(g - 2) % nf, 3] / 8.0
                ch, _ = _issue(ch, release, wbytes, bytes_per_cycle)
            rbytes = (cur[f, 0] + cur[f, 1] + cur[f, 2]) / 8.0
            ch, done = _issue(ch, release, rbytes, bytes_per_cycle)
            arrive = done + latency if rbytes > 0.0 else release
            if g == 0:
                s_cur = arrive
                out[PREFETCH] = arrive
            else:
                s_cur = s_prev + lines
                if arrive > s_cur:
                    stall = arrive - s_cur
                    s_cur = arrive
                    tot = rbytes + wbytes
                    acc[0] += stall
                    acc[1] += stall * cur[f, 0] / 8.0 / tot
                    acc[2] += stall * cur[f, 1] / 8.0 / tot
                    acc[3] += stall * cur[f, 2] / 8.0 / tot
                    acc[4] += stall * wbytes / tot
            s_prev2 = s_prev
            s_prev = s_cur
            g += 1
        c += 1
        # steady state: same stalls and same channel/fold state as after the previous copy ->
        # every further copy repeats this one exactly (the timing is shift-invariant)
        steady = (c >= 3 and acc[0] == last[0] and ch - s_prev == state[0] and s_prev - s_prev2 == state[1])
        n_same = (repeat - c + 1) if steady else 1
        out[STALL] += n_same * acc[0]
        out[STALL_P] += n_same * acc[1]
        out[STALL_Q] += n_same * acc[2]
        out[STALL_Z] += n_same * acc[3]
        out[STALL_W] += n_same * acc[4]
        if steady:
            break
        last[:] = acc
        state[0] = ch - s_prev
        state[1] = s_prev - s_prev2
    g_total = g
    # the last two folds' writes
    if g_total >= 2:
        ch, _ = _issue(ch, s_prev2 + lines, tr[(g_total - 2) % nf, 3] / 8.0, bytes_per_cycle)
    ch, _ = _issue(ch, s_prev + lines, tr[(g_total - 1) % nf, 3] / 8.0, bytes_per_cycle)
    end = s_prev + lines
    out[DRAIN] = ch - end if ch > end else 0.0
    return out
