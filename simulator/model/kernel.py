"""The GEMM kernel: mapping, loop order, DRAM/SRAM traffic and the fold walk of one GEMM layer.

Plain Python on scalars, and the same source compiled by Numba (``simulator.model.jit``): the two give
bit-identical results (IEEE float64, no fast-math), so the CLI runs it uncompiled and sweeps compiled.

Mapping (M x K ifmap, K x N filter, M x N ofmap, ``repeat`` copies; p MACs per PE per cycle):
| dataflow | rows hold | columns hold | temporal | lines per fold       |
| os       | M         | N            | K'       | K' + R + C - 2       |
| ws       | K         | N            | M        | M*s + 2R + C - 2     |
| is       | K         | M            | N        | N*s + 2R + C - 2     |
K' = ceil(K / p); a row fold holds R*p reduction elements (R when p < 1); s = 1/p for bit-serial PEs
(p < 1), else 1. folds = ceil(rows dim / row block) * ceil(cols dim / C); compute cycles =
repeat * folds * lines - 1 (SCALE-Sim 3.0's convention). Mapping efficiency = rows*cols/(R*C*folds).
Array organisation (``foldwalk.fold_timing``): compute = repeat * folds * P + (L - P) - 1 (serial: L = P = lines).

Operands per dataflow (X by row folds, Y by column folds, Z by both; t = temporal dim):
  os: X ifmap (input), Y filter (input), Z ofmap (output)
  ws: X ifmap (input), Y ofmap partial sums, Z filter (stationary input)
  is: X filter (input), Y ofmap partial sums, Z ifmap (stationary input)
Residency, loop order and timing: docs/memory.md. In short: each buffer is double-buffered; an operand
that fits its whole buffer is fetched once (with fold 0: the initial fill); otherwise the outer operand's
tile stays across the inner loop when it fits half its buffer (else ``refetch``), and the inner operand is
re-read on every outer iteration unless all of it fits. Partial sums that do not stay spill at acc_bits
(written after every reduction fold but the last, read back before every one but the first). Of the two
loop orders the one with fewer closed-form DRAM bits runs; on equal bits the one whose fold walk stalls less
(ties again: row folds outer).
Timing: one DRAM channel of B bytes/cycle and latency L, first come first served in the order
R_0, R_1, W_0, R_2, W_1, ... (R_f fold f's reads, W_f its writes, issued when fold f ends);
fold f starts at max(S_{f-1} + lines, arrival of R_f); prefetch = S_0; stall_f = S_f - S_{f-1} - lines,
attributed to R_f's operands and W_{f-2} by bytes; drain = end of the last write - end of the last fold.
``repeat`` copies continue the fold sequence; once a copy ends in the same state as the one before, every
later copy repeats it and is counted without being walked.

Convolutions with geometry (P_CV_H > 0, ``memory.conv: tiles``): the array runs the im2col GEMM as above
(cycles, SRAM counts, the output side's traffic) with the input and filters on chip; they come from DRAM as raw
input-row tiles and filter groups, ``convtile.conv_plan``'s loop order and tile size, timed by ``conv_inputs``.

Splitting the streamed dimension (``gemm_tiled``, ttile = 1, ``array.temporal_tiling: auto``): a ws/is GEMM may run
as ceil(T / T') sub-GEMMs along its temporal dimension T (M for ws, N for is), an os GEMM along M or N; T' is
the candidate of ``simulator.model.tchunk`` (buffer-natural sizes) that moves the fewest DRAM bytes, then takes
the fewest cycles (``_cheaper``; no split is the first candidate). Chunks run back to back (``chunked``):
compute = sum(compute_i + 1) - 1, traffic and memory stalls add up, and each later chunk's initial fill not
hidden behind the previous chunk's compute is a separate stall cause (``CHUNK_FILL``). docs/memory.md
"Splitting the streamed dimension, chosen by cost".
"""

from __future__ import annotations

import math

from simulator.model.convtile import conv_inputs
from simulator.model.foldwalk import depth_of, fold_timing, walk
from simulator.model.grouped_kernel import filter_bits, packed_groups
from simulator.model.kernel_defs import *
from simulator.model.kernel_defs import (
    _ADDED,
    CHUNK_FILL,
    CHUNKS,
    CLOSED_FORM_BITS,
    COL_FOLDS,
    COMPUTE,
    DRAIN,
    DRAM_FILTER,
    DRAM_IFMAP,
    DRAM_OFMAP,
    DRAM_PSUM_READ,
    DRAM_PSUM_WRITE,
    DRAM_WRITE,
    FILTER,
    FOLDS,
    IFMAP,
    INNER,
    INPUT,
    LINES,
    MAP_EFF,
    N_OUT,
    OFMAP,
    ON_FILTER,
    ON_IFMAP,
    ON_OFMAP,
    OS,
    OUTER,
    OUTPUT,
    P_ABITS,
    P_ACC,
    P_ARRAY,
    P_BPC,
    P_COLS,
    P_CV_H,
    P_DEPTH_I,
    P_DEPTH_O,
    P_DEPTH_W,
    P_DF,
    P_GROUPS,
    P_IFMAP_B,
    P_K,
    P_LAT,
    P_M,
    P_MACS,
    P_N,
    P_OBITS,
    P_OFMAP_B,
    P_ONCHIP,
    P_REPEAT,
    P_ROWS,
    P_TTILE,
    P_WEIGHT_B,
    PREFETCH,
    PSUM,
    REFETCH_INNER,
    REFETCH_OUTER,
    ROLES,
    ROW_FOLDS,
    ROW_OUTER,
    STALL,
    STALL_FILTER,
    STALL_IFMAP,
    STALL_OFMAP,
    STALL_WRITE,
    WS,
    ZOP,
)
from simulator.model.looporder import _order
from simulator.model.sramcount import sram_traffic
from simulator.model.tchunk import _cheaper, _moved, candidates, os_candidates


def packed_k(k, p):
    """K' = ceil(K / p): reduction steps when a PE does p MACs per cycle."""
    return max(1, math.ceil(k / p - 1e-9))


def mapping(df, m, n, k, rows, cols, p):
    """(row_dim, col_dim, t_dim, row_block, lines) of an M x N x K GEMM (module docstring)."""
    if df == OS:
        return m, n, k, rows, packed_k(k, p) + rows + cols - 2
    k_block = max(rows, int(rows * p)) if p >= 1 else rows
    t_scale = 1.0 if p >= 1 else 1.0 / p
    if df == WS:
        return k, n, m, k_block, math.ceil(m * t_scale) + 2 * rows + cols - 2
    return k, m, n, k_block, math.ceil(n * t_scale) + 2 * rows + cols - 2


def gemm_core(df, m, n, k, rows, cols, p, a_bits, w_bits, out_bits, acc, ib, wb, ob, bpc, lat, repeat, onchip, arr,
              out, d_i, d_w, d_o):
    """One GEMM without temporal tiling into ``out`` (module docstring). ``onchip``: ON_* bits of operands kept on chip
    by the memory plan (DRAM width 0, SRAM unchanged); ``arr``: ARR_* (``foldwalk.fold_timing``); ``d_i, d_w, d_o``:
    stated depths of the ifmap, weight and ofmap buffers (0: ``depth_of`` derives them from the fold's tiles)."""
    row_dim, col_dim, t, row_block, lines = mapping(df, m, n, k, rows, cols, p)
    span, pitch = fold_timing(df, arr, rows, lines - (rows + cols - 2 if df == OS else 2 * rows + cols - 2), lines)
    nr = -(-row_dim // row_block)
    nc = -(-col_dim // cols)
    r_last = row_dim - row_block * (nr - 1)
    c_last = col_dim - cols * (nc - 1)
    folds = nr * nc
    # operand kinds, bits and buffers of X, Y, Z
    bufs = (ib * 8.0, wb * 8.0, ob * 8.0)
    xop, yop, zop = ROLES[df]
    bits = (0.0 if onchip & ON_IFMAP else a_bits, 0.0 if onchip & ON_FILTER else w_bits,
            0.0 if onchip & ON_OFMAP else out_bits)
    x_kind = INPUT
    y_kind = INPUT if df == OS else PSUM
    z_kind = OUTPUT if df == OS else INPUT
    a = _order(x_kind, y_kind, z_kind, bits[xop], bits[yop], bits[zop], bufs[xop], bufs[yop], bufs[zop],
               nr, row_block, r_last, nc, cols, c_last, t, acc, True)
    b = _order(y_kind, x_kind, z_kind, bits[yop], bits[xop], bits[zop], bufs[yop], bufs[xop], bufs[zop],
               nc, cols, c_last, nr, row_block, r_last, t, acc, False)
    # the order with fewer closed-form DRAM bits runs; on a tie both are walked and the one with the smaller
    # memory stall runs (ties again: row folds outer)
    stated = (d_i, d_w, d_o)
    native = (a_bits, w_bits, out_bits)
    tries = 2 if a[5] == b[5] else 1
    best = -1.0
    for attempt in range(tries):
        if attempt == 1 and best <= 0.0:
            break    # the first order does not stall: the second cannot stall less
        ro = a[5] < b[5] or (a[5] == b[5] and attempt == 0)
        if ro:
            c_rf_full, c_rf_last, c_q_resident, c_p_whole, c_z_whole, c_cf_bits = a
            c_p_kind, c_q_kind, c_pop, c_qop = x_kind, y_kind, xop, yop
            c_n_o, c_p_full, c_p_last, c_n_i, c_q_full, c_q_last = nr, row_block, r_last, nc, cols, c_last
        else:
            c_rf_full, c_rf_last, c_q_resident, c_p_whole, c_z_whole, c_cf_bits = b
            c_p_kind, c_q_kind, c_pop, c_qop = y_kind, x_kind, yop, xop
            c_n_o, c_p_full, c_p_last, c_n_i, c_q_full, c_q_last = nc, cols, c_last, nr, row_block, r_last
        c_p_bits, c_q_bits, c_z_bits = bits[c_pop], bits[c_qop], bits[zop]
        # inputs preloaded with fold 0 of the first copy (they fit their whole buffer): their copy totals
        pre_p = 0.0
        pre_q = 0.0
        pre_z = 0.0
        if c_p_kind == INPUT and c_p_whole:
            pre_p = float((c_p_full * (c_n_o - 1) + c_p_last) * t) * c_p_bits
        if c_q_kind == INPUT and c_q_resident:
            pre_q = float((c_q_full * (c_n_i - 1) + c_q_last) * t) * c_q_bits
        if z_kind == INPUT and c_z_whole:
            pre_z = float((c_p_full * (c_n_o - 1) + c_p_last) * (c_q_full * (c_n_i - 1) + c_q_last)) * c_z_bits
        # slots of the buffer holding each operand, from its tile of one fold at its on-chip width
        wp = acc if c_p_kind == PSUM else native[c_pop]
        wq = acc if c_q_kind == PSUM else native[c_qop]
        dp = depth_of(stated[c_pop], bufs[c_pop], float(c_p_full * t) * wp)
        dq = depth_of(stated[c_qop], bufs[c_qop], float(c_q_full * t) * wq)
        dz = depth_of(stated[zop], bufs[zop], float(c_p_full * c_q_full) * native[zop])
        dw = dz if zop == OFMAP else (dp if c_pop == OFMAP else dq)
        res = walk(c_n_o, c_n_i, c_p_full, c_p_last, c_q_full, c_q_last, t, c_p_kind, c_q_kind, z_kind, c_p_bits,
                   c_q_bits, c_z_bits, acc, c_rf_full, c_rf_last, c_q_resident, ro, pre_p, pre_q, pre_z, pitch, bpc,
                   lat, repeat, dp, dq, dz, dw)
        if attempt == 0 or res[6] < best:
            best = res[6]
            row_outer = ro
            rf_full, rf_last, q_resident, cf_bits = c_rf_full, c_rf_last, c_q_resident, c_cf_bits
            pop, qop = c_pop, c_qop
            read_p, read_q, read_z, write, psum_r, psum_w, st, sp, sq, sz, sw, prefetch, drain = res
    sram_traffic(df, row_dim, col_dim, t, nr, nc, a_bits, w_bits, out_bits, acc, repeat, out)
    reads = (0.0, 0.0, 0.0)
    stalls = (0.0, 0.0, 0.0)
    if pop == IFMAP:
        if qop == FILTER:
            reads = (read_p, read_q, read_z)
            stalls = (sp, sq, sz)
        else:
            reads = (read_p, read_z, read_q)
            stalls = (sp, sz, sq)
    elif pop == FILTER:
        if qop == IFMAP:
            reads = (read_q, read_p, read_z)
            stalls = (sq, sp, sz)
        else:
            reads = (read_z, read_p, read_q)
            stalls = (sz, sp, sq)
    else:
        if qop == IFMAP:
            reads = (read_q, read_z, read_p)
            stalls = (sq, sz, sp)
        else:
            reads = (read_z, read_q, read_p)
            stalls = (sz, sq, sp)
    out[COMPUTE] = repeat * folds * pitch + (span - pitch) - 1
    out[LINES] = span
    out[ROW_FOLDS] = nr
    out[COL_FOLDS] = nc
    out[MAP_EFF] = row_dim / row_block * rows * col_dim / (rows * cols * folds)
    out[STALL] = st
    out[STALL_IFMAP] = stalls[0]
    out[STALL_FILTER] = stalls[1]
    out[STALL_OFMAP] = stalls[2]
    out[STALL_WRITE] = sw
    out[PREFETCH] = prefetch
    out[DRAIN] = drain
    out[DRAM_IFMAP] = reads[0] * repeat / 8
    out[DRAM_FILTER] = reads[1] * repeat / 8
    out[DRAM_OFMAP] = reads[2] * repeat / 8
    out[DRAM_WRITE] = write * repeat / 8
    out[DRAM_PSUM_READ] = psum_r * repeat / 8
    out[DRAM_PSUM_WRITE] = psum_w * repeat / 8
    out[ROW_OUTER] = 1.0 if row_outer else 0.0
    out[OUTER] = pop
    out[INNER] = qop
    out[ZOP] = zop
    out[REFETCH_OUTER] = 1.0 if (rf_full or rf_last) else 0.0
    out[REFETCH_INNER] = 0.0 if q_resident else 1.0
    out[CLOSED_FORM_BITS] = cf_bits * repeat
    out[FOLDS] = folds * repeat
    out[CHUNKS] = 1.0
    out[CHUNK_FILL] = 0.0


def gemm(prm, out, full, part):
    """One GEMM from its parameter vector ``prm`` (P_* constants) into ``out``, with temporal tiling when
    ``prm[P_TTILE]`` is set and it helps (module docstring); a conv with geometry (``prm[P_CV_H]`` > 0) reads its
    input and filters as ``conv_inputs`` says; a packed grouped conv (``prm[P_GROUPS]`` > 0) is scaled to the
    groups its copies hold (``packed_groups``). ``full`` and ``part`` are scratch vectors of N_OUT."""
    onchip = int(prm[P_ONCHIP])
    gemm_tiled(prm, (onchip | ON_IFMAP | ON_FILTER) if prm[P_CV_H] > 0.0 else onchip, out, full, part)
    conv_inputs(prm, onchip, out)
    if prm[P_GROUPS] > 0.0:
        packed_groups(prm, out)


def gemm_tiled(prm, onchip, out, full, part):
    """``gemm`` of the im2col GEMM with the ON_* bits ``onchip`` (the memory plan's, and a conv's input and
    filters, which ``conv_inputs`` reads)."""
    df = int(prm[P_DF])
    m = int(prm[P_M])
    n = int(prm[P_N])
    k = int(prm[P_K])
    rows = int(prm[P_ROWS])
    cols = int(prm[P_COLS])
    p = prm[P_MACS]
    a_bits = float(int(prm[P_ABITS]))
    w_bits = filter_bits(prm)
    out_bits = float(int(prm[P_OBITS]))
    acc = int(prm[P_ACC])
    ib = int(prm[P_IFMAP_B])
    wb = int(prm[P_WEIGHT_B])
    ob = int(prm[P_OFMAP_B])
    bpc = prm[P_BPC]
    lat = int(prm[P_LAT])
    repeat = int(prm[P_REPEAT])
    arr = int(prm[P_ARRAY])
    d_i = int(prm[P_DEPTH_I])
    d_w = int(prm[P_DEPTH_W])
    d_o = int(prm[P_DEPTH_O])
    gemm_core(df, m, n, k, rows, cols, p, a_bits, w_bits, out_bits, acc, ib, wb, ob, bpc, lat, repeat, onchip, arr,
              out, d_i, d_w, d_o)
    if prm[P_TTILE] == 0.0:
        return
    row_block = mapping(df, m, n, k, rows, cols, p)[3]
    xa = 0 if onchip & ON_IFMAP else a_bits
    xw = 0 if onchip & ON_FILTER else w_bits
    if df == OS:
        sizes = os_candidates(m, n, k, rows, cols, xa, xw, ib * 8.0, wb * 8.0)
    else:
        sizes = candidates(df == WS, m, n, k, cols, row_block, xa, xw, acc, ib * 8.0, wb * 8.0, ob * 8.0)
    # a split re-reads its unsplit operand (ws: the filter; is: the ifmap; os: the other one) once per chunk, so
    # it moves at least the compulsory bytes + (chunks - 1) x that operand: a candidate whose floor exceeds the
    # best bytes so far cannot win and is not walked (exact pruning)
    f_bytes = repeat * (float(k) * n * xw) / 8
    i_bytes = repeat * (float(m) * k * xa) / 8
    ob_bits = 0 if onchip & ON_OFMAP else out_bits
    floor0 = i_bytes + f_bytes + repeat * (float(m) * n * ob_bits) / 8
    for i in range(1, 5):
        size = sizes[i]
        if size < 1:
            continue
        split_m = df == WS or (df == OS and i <= 2)
        dim = m if split_m else n
        again = f_bytes if split_m else i_bytes
        floor = floor0 + ((dim + size - 1) // size - 1) * again
        if floor > _moved(out) or (floor == _moved(out) and out[CHUNKS] == 1.0):
            continue
        chunked(df, m, n, k, rows, cols, p, a_bits, w_bits, out_bits, acc, ib, wb, ob, bpc, lat, repeat, onchip,
                arr, split_m, m if split_m else n, size, full, part, d_i, d_w, d_o)
        # against no split a split must move fewer bytes: its later chunks' fills are modelled as hidden behind
        # the chunk before, optimistic when a chunk's operand fills its whole buffer, so cycles alone never split
        if (_moved(full) < _moved(out)) if out[CHUNKS] == 1.0 else _cheaper(full, out):
            for j in range(N_OUT):
                out[j] = full[j]


def chunked(df, m, n, k, rows, cols, p, a_bits, w_bits, out_bits, acc, ib, wb, ob, bpc, lat, repeat, onchip, arr,
            split_m, t, t_chunk, full, part, d_i, d_w, d_o):
    """The GEMM split along M (``split_m``) or N, of ``t`` elements, into chunks of ``t_chunk`` (the last one the
    rest), run back to back, into ``full`` (module docstring); ``part``: scratch. Chunks of one size give one
    result: each size is walked once and added once per chunk, in chunk order."""
    n_full = t // t_chunk
    rem = t % t_chunk
    chunks = n_full + (1 if rem else 0)
    compute = 0.0
    fill = 0.0
    folds = 0.0
    prev_drain = 0.0
    prev_compute = 0.0
    for last in range(2):
        size = rem if last else t_chunk
        count = (1 if rem else 0) if last else n_full
        if count == 0:
            continue
        if split_m:
            gemm_core(df, size, n, k, rows, cols, p, a_bits, w_bits, out_bits, acc, ib, wb, ob, bpc, lat, repeat,
                      onchip, arr, part, d_i, d_w, d_o)
        else:
            gemm_core(df, m, size, k, rows, cols, p, a_bits, w_bits, out_bits, acc, ib, wb, ob, bpc, lat, repeat,
                      onchip, arr, part, d_i, d_w, d_o)
        for c in range(count):
            if last == 0 and c == 0:
                for j in range(N_OUT):
                    full[j] = part[j]
            else:
                for j in _ADDED:
                    full[j] += part[j]
                exposed = prev_drain + part[PREFETCH] - (prev_compute + 1)
                fill += max(0.0, exposed)
            compute += part[COMPUTE] + 1
            folds += part[FOLDS]
            prev_drain = part[DRAIN]
            prev_compute = part[COMPUTE]
    full[DRAIN] = prev_drain
    full[COMPUTE] = compute - 1
    full[FOLDS] = folds
    full[CHUNKS] = chunks
    full[CHUNK_FILL] = fill


def gemm_batch(params, out, full, part):
    """``gemm`` for every row of ``params`` (n x N_PARAMS) into ``out`` (n x N_OUT); ``full``, ``part``: scratch
    vectors of N_OUT."""
    for r in range(params.shape[0]):
        gemm(params[r], out[r], full, part)


# compiled together by simulator.model.jit: the modules whose sources run in one namespace (callers first), and
# the functions compiled there (callees first)
JIT_MODULES = ("simulator.model.kernel", "simulator.model.foldwalk", "simulator.model.convtile",
               "simulator.model.grouped_kernel", "simulator.model.looporder", "simulator.model.sramcount",
               "simulator.model.tchunk")
JIT_ORDER = ("_tile", "_fold_bits", "_issue", "_slot_free", "walk", "depth_of", "packed_k", "mapping", "fold_timing",
             "_order", "sram_traffic", "gemm_core", "window_rows", "tiles_rows", "input_bits", "conv_plan",
             "filter_bits", "conv_inputs", "_clip", "candidates", "os_candidates", "_moved", "_cheaper", "chunked",
             "gemm_tiled", "packed_groups", "gemm", "gemm_batch")
