"""The fold walk of one GEMM: per-fold traffic and the DRAM channel's timing (model: the docstring of
simulator/model/kernel.py). Plain Python, compiled together with kernel.py by simulator/model/jit.py."""

from __future__ import annotations

from simulator.model.kernel_defs import ARR_PIPELINED, ARR_SERIAL, DEFAULT_DEPTH, INPUT, OS, OUTPUT, PSUM


def fold_timing(df, arr, rows, t_steps, lines):
    """(L, P): cycles one fold occupies the array and the pitch between fold starts (module docstring).
    SCALE-Sim (ARR_SERIAL): L = P = lines. Pipelined systolic: L = lines; the next fold enters as the previous
    drains, P = T (os: outputs drain in the background) or max(T, R) (ws, is: the next stationary tile shifts in
    over R cycles behind the current stream, hidden only when T >= R). Broadcast (inputs broadcast, adder trees, no
    skew): L = T + 1 (os) or R + T + ceil(log2 R) (ws, is: load, stream, tree), P as pipelined. T = t_steps."""
    if arr == ARR_SERIAL:
        return lines, lines
    pitch = t_steps if df == OS else max(t_steps, rows)
    if arr == ARR_PIPELINED:
        return lines, pitch
    depth = 0
    while (1 << depth) < rows:
        depth += 1
    if df == OS:
        return t_steps + 1, pitch
    return rows + t_steps + depth, pitch


def _tile(o, n, full, last):
    """Size of block ``o`` of ``n`` blocks: ``full``, the last one ``last``."""
    return last if o == n - 1 else full


def _fold_bits(o, i, n_o, n_i, p_full, p_last, q_full, q_last, t, p_kind, q_kind, z_kind, p_bits, q_bits,
               z_bits, acc, rf_full, rf_last, q_resident, reduction_outer):
    """Bits of fold (o, i) in a copy after the first: (read P input, read Q input, read Z, psum read of P,
    psum read of Q, write, psum read total, psum write)."""
    ptile = _tile(o, n_o, p_full, p_last) * t
    qsize = _tile(i, n_i, q_full, q_last)
    qtile = qsize * t
    refetch = rf_last if o == n_o - 1 else rf_full
    rp = 0.0
    rq = 0.0
    rz = 0.0
    pp = 0.0
    pq = 0.0
    w = 0.0
    pr = 0.0
    pw = 0.0
    if p_kind == INPUT and (i == 0 or refetch):
        rp = float(ptile) * p_bits
    if q_kind == INPUT and (o == 0 or not q_resident):
        rq = float(qtile) * q_bits
    ztile = _tile(o, n_o, p_full, p_last) * qsize
    if z_kind == INPUT:
        rz = float(ztile) * z_bits
    elif z_kind == OUTPUT:
        w = float(ztile) * z_bits
    if p_kind == PSUM or q_kind == PSUM:
        stile = ptile if p_kind == PSUM else qtile
        obits = p_bits if p_kind == PSUM else q_bits
        resident = (not refetch) if p_kind == PSUM else q_resident
        r_idx = o if reduction_outer else i
        r_last = (n_o - 1) if reduction_outer else (n_i - 1)
        if r_idx == r_last:
            w += float(stile) * obits
        elif not resident:
            w += float(stile) * acc
            pw = float(stile) * acc
        if r_idx > 0 and not resident:
            pr = float(stile) * acc
            if p_kind == PSUM:
                pp = pr
            else:
                pq = pr
    return rp, rq, rz, pp, pq, w, pr, pw



def _issue(ch, release, nbytes, bpc):
    """Serve ``nbytes`` issued at ``release`` on a channel free at ``ch``: (channel free, transfer end)."""
    if nbytes <= 0.0:
        return ch, release
    end = max(ch, release) + nbytes / bpc
    return end, end


def depth_of(stated, buf_bits, tile_bits):
    """Slots of a buffer for the walk: ``stated`` (> 0) as stated; else DEFAULT_DEPTH when that many tiles of
    ``tile_bits`` fit its ``buf_bits``, else as many as fit, at least 1 (a tile that does not fit beside the current
    one waits for it: its DRAM time adds to compute)."""
    if stated > 0:
        return stated
    if tile_bits <= 0.0:
        return DEFAULT_DEPTH
    fit = int(buf_bits // tile_bits)
    return max(1, min(DEFAULT_DEPTH, fit))


def _slot_free(d, g, s1, s2, s3, s4, lines):
    """When a depth-``d`` buffer has a slot for fold g's tile: the end of fold g - d (s1..s4: starts of folds
    g-1..g-4), 0.0 before fold d (the first d tiles have their slots from the start)."""
    if g < d:
        return 0.0
    if d == 1:
        return s1 + lines
    if d == 2:
        return s2 + lines
    if d == 3:
        return s3 + lines
    return s4 + lines


def walk(n_o, n_i, p_full, p_last, q_full, q_last, t, p_kind, q_kind, z_kind, p_bits, q_bits, z_bits, acc,
         rf_full, rf_last, q_resident, row_outer, pre_p, pre_q, pre_z, lines, bpc, lat, repeat, dp, dq, dz, dw):
    """Traffic of one copy and the timed walk over every fold of ``repeat`` copies (simulator/model/kernel.py
    docstring): (read P, read Q, read Z, write, psum read, psum write bits of one copy; stall, its parts on P,
    Q, Z and the write queue; prefetch; drain cycles). ``pre_*``: bits of inputs preloaded with fold 0;
    ``dp, dq, dz``: depths (slots, 1..4) of the buffers holding P, Q and Z, ``dw``: of the one the outputs leave
    from (1: fold f waits for fold f-1's write-back)."""
    # traffic of one copy (exact integer sums in float64), then the timed walk
    read_p = 0.0
    read_q = 0.0
    read_z = 0.0
    write = 0.0
    psum_r = 0.0
    psum_w = 0.0
    for o in range(n_o):
        for i in range(n_i):
            rp, rq, rz, pp, pq, w, pr, pw = _fold_bits(o, i, n_o, n_i, p_full, p_last, q_full, q_last, t, p_kind,
                                                       q_kind, z_kind, p_bits, q_bits, z_bits, acc, rf_full,
                                                       rf_last, q_resident, row_outer)
            read_p += rp + pp
            read_q += rq + pq
            read_z += rz
            write += w
            psum_r += pr
            psum_w += pw
    deep = dp > 2 or dq > 2 or dz > 2
    uniform = dp == dq and dq == dz
    ch = 0.0
    s_prev4 = 0.0
    s_prev3 = 0.0
    s_prev2 = 0.0
    s_prev = 0.0
    s_cur = 0.0
    w_m1 = 0.0          # write bits of the fold before this one
    w_m2 = 0.0          # ... and of the one before that
    prefetch = 0.0
    st = 0.0
    sp = 0.0
    sq = 0.0
    sz = 0.0
    sw = 0.0
    last0 = 0.0
    state0 = 0.0
    state1 = 0.0
    state2 = 0.0
    state3 = 0.0
    g = 0
    c = 0
    while c < repeat:
        a0 = 0.0
        a1 = 0.0
        a2 = 0.0
        a3 = 0.0
        a4 = 0.0
        first = c == 0
        for o in range(n_o):
            for i in range(n_i):
                rp, rq, rz, pp, pq, w, pr, pw = _fold_bits(o, i, n_o, n_i, p_full, p_last, q_full, q_last, t,
                                                           p_kind, q_kind, z_kind, p_bits, q_bits, z_bits, acc,
                                                           rf_full, rf_last, q_resident, row_outer)
                if first:
                    f0 = o == 0 and i == 0
                    if pre_p > 0.0:
                        rp = pre_p if f0 else 0.0
                    if pre_q > 0.0:
                        rq = pre_q if f0 else 0.0
                    if pre_z > 0.0:
                        rz = pre_z if f0 else 0.0
                cp = rp + pp
                cq = rq + pq
                wbytes = 0.0
                wdone = 0.0
                if dw == 1:
                    if g >= 1:                                 # the one output slot empties before fold g
                        wbytes = w_m1 / 8.0
                        ch, wdone = _issue(ch, s_prev + lines, wbytes, bpc)
                        w_m1 = 0.0
                elif g >= 2:
                    wbytes = w_m2 / 8.0                        # fold g-2 has ended: its outputs leave
                    ch, _ = _issue(ch, s_prev2 + lines, wbytes, bpc)
                rbytes = (cp + cq + rz) / 8.0
                arrive = wdone
                if uniform:                                    # one slot time for every operand: one request
                    if rbytes > 0.0:
                        rel = 0.0
                        if g >= dp:                            # = _slot_free(dp, ...), written out (hot loop)
                            rel = (s_prev2 if dp == 2 else s_prev if dp == 1 else s_prev3 if dp == 3
                                   else s_prev4) + lines
                        ch, done = _issue(ch, rel, rbytes, bpc)
                        arrive = max(arrive, done + lat)
                else:
                    # the DMA serves fold g's reads in the order their slots free (equal times: one request)
                    rel_p = _slot_free(dp, g, s_prev, s_prev2, s_prev3, s_prev4, lines)
                    rel_q = _slot_free(dq, g, s_prev, s_prev2, s_prev3, s_prev4, lines)
                    rel_z = _slot_free(dz, g, s_prev, s_prev2, s_prev3, s_prev4, lines)
                    lo = -1.0
                    for _k in range(3):
                        r = 1e308
                        if rel_p > lo and rel_p < r:
                            r = rel_p
                        if rel_q > lo and rel_q < r:
                            r = rel_q
                        if rel_z > lo and rel_z < r:
                            r = rel_z
                        if r == 1e308:
                            break
                        nb = ((cp if rel_p == r else 0.0) + (cq if rel_q == r else 0.0)
                              + (rz if rel_z == r else 0.0)) / 8.0
                        if nb > 0.0:
                            ch, done = _issue(ch, r, nb, bpc)
                            arrive = max(arrive, done + lat)
                        lo = r
                if g == 0:
                    s_cur = arrive
                    prefetch = arrive
                else:
                    s_cur = s_prev + lines
                    if arrive > s_cur:
                        stall = arrive - s_cur
                        s_cur = arrive
                        tot = rbytes + wbytes
                        a0 += stall
                        a1 += stall * cp / 8.0 / tot
                        a2 += stall * cq / 8.0 / tot
                        a3 += stall * rz / 8.0 / tot
                        a4 += stall * wbytes / tot
                s_prev4 = s_prev3
                s_prev3 = s_prev2
                s_prev2 = s_prev
                s_prev = s_cur
                w_m2 = w_m1
                w_m1 = w
                g += 1
        c += 1
        # steady state: same stalls and channel/fold state as after the previous copy -> every further
        # copy repeats this one exactly (the timing is shift-invariant)
        steady = c >= 3 and a0 == last0 and ch - s_prev == state0 and s_prev - s_prev2 == state1
        if deep:
            steady = steady and s_prev2 - s_prev3 == state2 and s_prev3 - s_prev4 == state3
        n_same = (repeat - c + 1) if steady else 1
        st += n_same * a0
        sp += n_same * a1
        sq += n_same * a2
        sz += n_same * a3
        sw += n_same * a4
        if steady:
            break
        last0 = a0
        state0 = ch - s_prev
        state1 = s_prev - s_prev2
        state2 = s_prev2 - s_prev3
        state3 = s_prev3 - s_prev4
    if g >= 2:
        ch, _ = _issue(ch, s_prev2 + lines, w_m2 / 8.0, bpc)
    ch, _ = _issue(ch, s_prev + lines, w_m1 / 8.0, bpc)
    end = s_prev + lines
    drain = ch - end if ch > end else 0.0
    return read_p, read_q, read_z, write, psum_r, psum_w, st, sp, sq, sz, sw, prefetch, drain
