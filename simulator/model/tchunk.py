"""Temporal chunks of a ws/is GEMM: the candidate chunk sizes the controller chooses among, by cost.

Plain Python compiled with the GEMM kernel (``kernel.JIT_MODULES``). A ws GEMM streams its temporal dimension
T = M (tokens x images) through every fold, an is GEMM T = N; splitting T into chunks of T' runs ceil(T / T')
sub-GEMMs back to back (``kernel.gemm_tiled``). Which T' runs is a minimum over candidates of the ONE traffic
model (the kernel itself): the candidate moving the fewest DRAM bytes (ifmap + filter + ofmap reads + writes)
runs; among splits of equal bytes the fewest cycles (compute + memory stall + chunk fills); among equal both the
earlier candidate in this order (``candidates``). A split runs only when it moves fewer bytes than no split: its
later chunks' initial fills are modelled as hidden behind the chunk before, optimistic when a chunk's operand fills
its whole buffer, so cycles alone never split a layer:
  T                                       no split (SCALE-Sim's convention: the only one under ``off``);
  floor(O / 2 / (C x acc_bits))           a chunk's partial sums of one column fold fit half the ofmap buffer O
                                          (bits), so they stay while the other half drains;
  floor(O / (D_y x acc_bits))             every partial sum of the chunk fits the whole ofmap buffer
                                          (D_y: the column dimension, N for ws, M for is);
  floor(X / (K x x_bits))                 the chunk's whole streamed operand (ws: ifmap T' x K at a_bits in the
                                          ifmap buffer; is: filter K x T' at w_bits in the weight buffer) fits
                                          its buffer X, so it is read once;
  floor(X / 2 / (B x x_bits))             one row fold's tile of it (B: the row block) fits half its buffer, so the
                                          outer operand is not fetched again within a chunk.
A size below 1 or at least T gives no candidate (the latter is the no-split one); repeated sizes are tried once; an
operand the memory plan keeps on chip (0 DRAM bits) gives no candidate. Every candidate is a size some buffer
makes natural: a bigger buffer keeps the candidates of the others and can only move its own to a larger chunk.
Pruning (exact): a split re-reads its unsplit operand (ws: the filter; is and os by N: the ifmap; os by M: the
filter) once per chunk, so it moves at least compulsory + (chunks - 1) x that operand's bytes; a candidate whose
floor exceeds the fewest bytes found so far is not walked (``kernel.gemm_tiled``).
"""

from __future__ import annotations

from simulator.model.kernel_defs import CHUNK_FILL, COMPUTE, DRAM_FILTER, DRAM_IFMAP, DRAM_OFMAP, DRAM_WRITE, STALL


def _clip(raw, t):
    """floor(raw) when 1 <= it < T, else 0 (no candidate: below one element, or no split)."""
    c = int(min(raw, float(t)))
    return c if 1 <= c < t else 0


def candidates(df_ws, m, n, k, cols, row_block, a_bits, w_bits, acc, ib_bits, wb_bits, ob_bits):
    """(T, c1, c2, c3, c4): the no-split size and the four candidate chunk sizes of the module docstring in its
    order, 0 for none or a repeat. ``df_ws``: True for ws (T = M, streamed operand the ifmap), False for is
    (T = N, the filter)."""
    t = m if df_ws else n
    y_dim = n if df_ws else m
    x_bits = a_bits if df_ws else w_bits
    x_buf = ib_bits if df_ws else wb_bits
    c1 = _clip(ob_bits / 2 // (cols * acc), t) if acc > 0 else 0
    c2 = _clip(ob_bits // (y_dim * acc), t) if acc > 0 else 0
    c3 = _clip(x_buf // (k * x_bits), t) if x_bits > 0 else 0
    c4 = _clip(x_buf / 2 // (row_block * x_bits), t) if x_bits > 0 else 0
    if c2 == c1:
        c2 = 0
    if c3 == c1 or c3 == c2:
        c3 = 0
    if c4 == c1 or c4 == c2 or c4 == c3:
        c4 = 0
    return t, c1, c2, c3, c4


def os_candidates(m, n, k, rows, cols, a_bits, w_bits, ib_bits, wb_bits):
    """(M, c1, c2, c3, c4) of an os GEMM, whose temporal dimension is the reduction K (never split): chunks of M
    (c1, c2) or of N (c3, c4) whose operand fits its whole buffer, so it is read once per chunk while the other
    operand is read once per chunk: c1 = floor(I / (K x a_bits)) rows of the ifmap, rounded down to whole row
    folds (a multiple of R) when at least R, c3 = floor(W / (K x w_bits)) columns of the filter, to whole column
    folds (C); c2, c4: 0 (reserved). A size below 1 or at least the dimension gives no candidate."""
    c1 = 0
    c3 = 0
    if a_bits > 0:
        c1 = int(min(ib_bits // (k * a_bits), float(m)))
        if c1 >= rows:
            c1 = c1 // rows * rows
        if c1 >= m:
            c1 = 0
    if w_bits > 0:
        c3 = int(min(wb_bits // (k * w_bits), float(n)))
        if c3 >= cols:
            c3 = c3 // cols * cols
        if c3 >= n:
            c3 = 0
    return m, c1, 0, c3, 0


def _moved(o):
    """DRAM bytes a kernel output moves (reads and writes)."""
    return o[DRAM_IFMAP] + o[DRAM_FILTER] + o[DRAM_OFMAP] + o[DRAM_WRITE]


def _cheaper(a, b):
    """Kernel output ``a`` costs less than ``b``: fewer DRAM bytes, or as many and fewer cycles (compute + memory
    stall + chunk fills) (simulator/model/tchunk.py)."""
    ma = _moved(a)
    mb = _moved(b)
    if ma != mb:
        return ma < mb
    return a[COMPUTE] + a[STALL] + a[CHUNK_FILL] < b[COMPUTE] + b[STALL] + b[CHUNK_FILL]
