"""The closed-form DRAM bits of one loop order of a GEMM's folds (docs/memory.md "Loop order").

Plain Python compiled with the GEMM kernel (``kernel.JIT_MODULES``); ``kernel.gemm_core`` evaluates both orders
(row folds outer, column folds outer) with ``_order`` and runs the one moving fewer bits (on a tie, the one whose
fold walk stalls less).
"""

from __future__ import annotations

from simulator.model.kernel_defs import INPUT, PSUM


def _order(o_kind, i_kind, z_kind, o_bits, i_bits, z_bits, o_buf, i_buf, z_buf, n_o, p_full, p_last, n_i,
           q_full, q_last, t, acc, reduction_outer):
    """Residency and closed-form DRAM bits of one loop order (outer P over n_o blocks, inner Q over n_i).

    Returns (refetch of a full P tile, refetch of the last P tile, q_resident, p_whole, z_whole, bits)."""
    w_o = acc if o_kind == PSUM else o_bits
    w_i = acc if i_kind == PSUM else i_bits
    p_sum = p_full * (n_o - 1) + p_last
    q_sum = q_full * (n_i - 1) + q_last
    o_total = p_sum * t
    i_total = q_sum * t
    spills = o_total * w_o > o_buf
    rf_full = (p_full * t * w_o > o_buf / 2) and spills
    rf_last = (p_last * t * w_o > o_buf / 2) and spills
    q_resident = i_total * w_i <= i_buf
    n_red = n_o if reduction_outer else n_i
    r_o = 0.0
    r_i = 0.0
    r_z = 0.0
    wr = 0.0
    psum = 0.0
    refetched = (n_o - 1) * p_full * t * (1 if rf_full else 0) + p_last * t * (1 if rf_last else 0)
    if o_kind == INPUT:
        r_o = float((n_o - 1) * p_full * t * (n_i if rf_full else 1) + p_last * t * (n_i if rf_last else 1)) * o_bits
    if i_kind == INPUT:
        r_i = float(i_total) * i_bits * (1 if q_resident else n_o)
    z_total = p_sum * q_sum
    if z_kind == INPUT:
        r_z = float(z_total) * z_bits
    else:
        wr += float(z_total) * z_bits
    if o_kind == PSUM:
        wr += float(o_total) * o_bits
        psum = float(refetched) * acc * (n_red - 1)
        r_o += psum
    if i_kind == PSUM:
        wr += float(i_total) * i_bits
        psum = 0.0 if q_resident else float(i_total) * acc * (n_red - 1)
        r_i += psum
    wr += psum
    p_whole = o_total * w_o <= o_buf
    z_whole = z_total * z_bits <= z_buf
    return rf_full, rf_last, q_resident, p_whole, z_whole, r_o + r_i + r_z + wr
