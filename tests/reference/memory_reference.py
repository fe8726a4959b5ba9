"""Plain-Python, cycle-stepped reference of vitsim's double-buffered memory (small layers only).

Written independently of simulator/{mapping,memory,kernels}.py from the model's specification
(docs/memory.md), to check the Numba fold-level kernel:

- folds: the GEMM's spatial dimensions cut into R- and C-blocks per dataflow (os: M on rows, N
  on columns, K in time; ws: K, N, M; is: K, M, N), lines per fold os K+R+C-2, ws/is T+2R+C-2;
- buffers: every operand has its own buffer holding whole tiles. If the operand's whole size fits
  the whole buffer nothing is evicted. Otherwise the buffer is two halves and keeps at most two
  tiles, least recently used evicted; a tile larger than a half streams through and empties the
  buffer. A tile missing when its fold needs it is read from DRAM. Partial sums (ws, is) live in
  the ofmap buffer at ``acc_bits``: a tile evicted before its reduction is complete is written
  back at ``acc_bits`` (charged to the fold that produced it) and read back when next needed;
  the completed tile is written at ``out_bits``;
- initial fill: with fold 0's reads come all the tiles of every input that fits its whole buffer
  (first copy only; later copies fetch each tile at its first use);
- time, one cycle at a time: one DRAM channel moving B bytes per cycle, requests first come first
  served; the reads of folds 0 and 1 are queued at cycle 0, when fold f ends its writes are queued
  and then the reads of fold f+2 (the halves fold f used are free); data arrive
  ``latency`` cycles after their last byte; a fold starts at the first cycle where the previous
  one has finished and its data are there. Fold starts are whole cycles here, so the result
  equals the fold-level kernel's exactly when B divides every request's bytes and can round up
  by under a cycle per stalled fold otherwise.
"""

from __future__ import annotations

from collections import OrderedDict, deque


def _blocks(total: int, block: int) -> list[int]:
    n = -(-total // block)
    return [block] * (n - 1) + [total - block * (n - 1)]


class Buffer:
    """Tiles held by one buffer (policy in the module docstring); sizes in bits."""

    def __init__(self, capacity_bits: float, operand_bits: float):
        self.cap = capacity_bits
        self.everything_fits = operand_bits <= capacity_bits
        self.tiles: OrderedDict = OrderedDict()

    def has(self, key) -> bool:
        if key in self.tiles:
            self.tiles.move_to_end(key)
            return True
        return False

    def put(self, key, bits: float) -> list:
        """Insert a tile; return the keys evicted."""
        if self.everything_fits:
            self.tiles[key] = bits
            return []
        if bits > self.cap / 2:  # streams through the whole buffer
            evicted = [k for k in self.tiles if k != key]
            self.tiles.clear()
            return evicted
        self.tiles[key] = bits
        self.tiles.move_to_end(key)
        evicted = []
        while len(self.tiles) > 2:
            evicted.append(self.tiles.popitem(last=False)[0])
        return evicted


def fold_requests(dataflow, m, n, k, rows, cols, a_bits, w_bits, out_bits, acc_bits, buffers_bytes, row_outer,
                  repeat=1):
    """Per fold in loop order: (dict of read bits per operand, write bits, psum read bits, psum write bits)."""
    if dataflow == "os":
        row_dim, col_dim, t = m, n, k
    elif dataflow == "ws":
        row_dim, col_dim, t = k, n, m
    else:
        row_dim, col_dim, t = k, m, n
    rs, cs = _blocks(row_dim, rows), _blocks(col_dim, cols)
    ib, wb, ob = (8.0 * b for b in buffers_bytes)
    # operand name -> (buffer, bits, tile key and elements of fold (r, c))
    if dataflow == "os":
        ops = {"ifmap": (Buffer(ib, m * k * a_bits), a_bits, lambda r, c: (("i", r), rs[r] * t)),
               "filter": (Buffer(wb, k * n * w_bits), w_bits, lambda r, c: (("f", c), cs[c] * t))}
        out = None
    elif dataflow == "ws":
        ops = {"ifmap": (Buffer(ib, m * k * a_bits), a_bits, lambda r, c: (("i", r), rs[r] * t)),
               "filter": (Buffer(wb, k * n * w_bits), w_bits, lambda r, c: (("f", r, c), rs[r] * cs[c]))}
        out = Buffer(ob, m * n * acc_bits)
    else:
        ops = {"filter": (Buffer(wb, k * n * w_bits), w_bits, lambda r, c: (("f", r), rs[r] * t)),
               "ifmap": (Buffer(ib, m * k * a_bits), a_bits, lambda r, c: (("i", r, c), rs[r] * cs[c]))}
        out = Buffer(ob, m * n * acc_bits)
    order = ([(r, c) for r in range(len(rs)) for c in range(len(cs))] if row_outer
             else [(r, c) for c in range(len(cs)) for r in range(len(rs))])
    folds = []
    for copy in range(repeat):
        pending_psum: dict = {}  # psum tile key -> fold index (global) that produced its latest value
        for r, c in order:
            fi = len(folds)
            reads, psum_r = {"ifmap": 0.0, "filter": 0.0, "ofmap": 0.0}, 0.0
            if fi == 0:  # initial fill: every input that fits its whole buffer, all of it
                for name, (buf, bits, tile) in ops.items():
                    if buf.everything_fits:
                        for rr, cc in order:
                            key, elems = tile(rr, cc)
                            if not buf.has((copy,) + key):
                                reads[name] += elems * bits
                                buf.put((copy,) + key, elems * bits)
            for name, (buf, bits, tile) in ops.items():
                key, elems = tile(r, c)
                key = (copy,) + key
                if not buf.has(key):
                    reads[name] += elems * bits
                    buf.put(key, elems * bits)
            folds.append([reads, 0.0, 0.0, 0.0])
            if out is None:  # os: the finished ofmap tile
                folds[fi][1] += rs[r] * cs[c] * out_bits
                continue
            key, elems = (copy, "p", c), cs[c] * t
            if r > 0 and not out.has(key):  # partial sums were spilled: read them back
                reads["ofmap"] += elems * acc_bits
                psum_r += elems * acc_bits
            folds[fi][2] = psum_r
            final = r == len(rs) - 1
            if not final:
                pending_psum[key] = fi
            evicted = out.put(key, elems * acc_bits) + ([key] if key not in out.tiles else [])
            if final:  # the completed tile leaves at output width
                folds[fi][1] += elems * out_bits
                out.tiles.pop(key, None)
            for ev in evicted:
                if ev in pending_psum:  # evicted before its reduction completed: spill at acc width
                    src = pending_psum.pop(ev)
                    spill = cs[ev[2]] * t * acc_bits
                    folds[src][1] += spill
                    folds[src][3] += spill
    lines = (t + rows + cols - 2) if dataflow == "os" else (t + 2 * rows + cols - 2)
    return folds, lines


def simulate(dataflow, m, n, k, rows, cols, a_bits=8, w_bits=8, out_bits=8, acc_bits=32,
             buffers_bytes=(1024, 1024, 1024), bytes_per_cycle=1, latency=0, row_outer=True, repeat=1) -> dict:
    """Cycle-stepped run of one GEMM: traffic (bits) and cycles, for comparison with ``gemm_memory``."""
    folds, lines = fold_requests(dataflow, m, n, k, rows, cols, a_bits, w_bits, out_bits, acc_bits, buffers_bytes,
                                 row_outer, repeat)
    nf = len(folds)
    read_bytes = [sum(f[0].values()) / 8 for f in folds]
    write_bytes = [f[1] / 8 for f in folds]
    queue: deque = deque()  # [bytes left, fold, is_read]
    arrival = [None] * nf
    start = [None] * nf
    last_write_done = 0
    writes_left = sum(1 for w in write_bytes if w > 0)

    def issue(cycle, f, is_read):
        b = read_bytes[f] if is_read else write_bytes[f]
        if b > 0:
            queue.append([b, f, is_read])
        elif is_read:
            arrival[f] = cycle

    issue(0, 0, True)
    if nf > 1:
        issue(0, 1, True)
    cycle, f, ended = 0, 0, 0
    while f < nf or ended < nf or queue or writes_left:
        # a fold ends: queue its writes, then the reads of the fold two ahead (its halves are free)
        while ended < f and cycle == start[ended] + lines:
            issue(cycle, ended, False)
            if ended + 2 < nf:
                issue(cycle, ended + 2, True)
            ended += 1
        if f < nf and arrival[f] is not None and arrival[f] <= cycle and (f == 0 or cycle >= start[f - 1] + lines):
            start[f] = cycle
            f += 1
        cap = float(bytes_per_cycle)
        while cap > 1e-12 and queue:
            head = queue[0]
            take = min(cap, head[0])
            head[0] -= take
            cap -= take
            if head[0] <= 1e-9:
                queue.popleft()
                if head[2]:
                    arrival[head[1]] = cycle + 1 + latency
                else:
                    writes_left -= 1
                    last_write_done = cycle + 1
        cycle += 1
        if cycle > 10**8:
            raise RuntimeError("reference did not finish")
    end = start[-1] + lines
    stall = start[-1] - start[0] - (nf - 1) * lines
    totals = {"ifmap": 0.0, "filter": 0.0, "ofmap": 0.0}
    for fo in folds:
        for key, v in fo[0].items():
            totals[key] += v
    return {
        "lines": lines, "folds": nf, "fold_starts": start,
        "prefetch_cycles": start[0], "stall_cycles": stall, "drain_cycles": max(0, last_write_done - end),
        "dram_ifmap_read_bits": totals["ifmap"], "dram_filter_read_bits": totals["filter"],
        "dram_ofmap_read_bits": totals["ofmap"], "dram_write_bits": sum(fo[1] for fo in folds),
        "dram_psum_read_bits": sum(fo[2] for fo in folds), "dram_psum_write_bits": sum(fo[3] for fo in folds),
    }
