"""Array-side SRAM counts of one GEMM (SCALE-Sim's conventions), shared by the kernel (simulator/model/kernel.py)
and the roofline's SRAM level (simulator/model/traffic.py). Plain Python compiled with the kernel."""

from __future__ import annotations

from simulator.model.kernel_defs import (
    FILTER_READS,
    IFMAP_READS,
    IS,
    OFMAP_WRITES,
    OS,
    SRAM_FILTER_READ,
    SRAM_IFMAP_READ,
    SRAM_OFMAP_READ,
    SRAM_OFMAP_WRITE,
    WS,
)


def sram_traffic(df, row_dim, col_dim, t, nr, nc, a_bits, w_bits, out_bits, acc, repeat, out):
    """Array-side SRAM accesses (SCALE-Sim's counts, in elements), then bytes at each operand's width, into
    ``out``: X reads = X * col folds; os: filter reads = Y * row folds, ofmap writes = Z; ws/is: stationary
    reads = Z, ofmap writes = Y * row folds, of which Y * (row folds - 1) partial sums at acc_bits are also
    read back. Temporal chunks do not change these (they are linear in the temporal dimension)."""
    x_total = row_dim * t
    y_total = col_dim * t
    z_total = row_dim * col_dim
    sram_ifmap = 0.0
    sram_filter = 0.0
    if df == IS:
        sram_filter = float(x_total * nc)
        sram_ifmap = float(z_total)
    else:
        sram_ifmap = float(x_total * nc)
        if df == WS:
            sram_filter = float(z_total)
    if df == OS:
        sram_filter = float(y_total * nr)
        ofmap_writes = float(z_total)
        psum_bits = 0.0
        ofmap_write_bits = ofmap_writes * out_bits
    else:
        ofmap_writes = float(y_total * nr)
        psum_bits = float(y_total * (nr - 1)) * acc
        ofmap_write_bits = float(y_total) * out_bits + psum_bits
    out[IFMAP_READS] = sram_ifmap * repeat
    out[FILTER_READS] = sram_filter * repeat
    out[OFMAP_WRITES] = ofmap_writes * repeat
    out[SRAM_IFMAP_READ] = sram_ifmap * a_bits / 8 * repeat
    out[SRAM_FILTER_READ] = sram_filter * w_bits / 8 * repeat
    out[SRAM_OFMAP_WRITE] = ofmap_write_bits / 8 * repeat
    out[SRAM_OFMAP_READ] = psum_bits / 8 * repeat
