"""Network-level schedule: the vector unit working beside the array, and weights fetched across layers.

Two hardware options let neighbouring layers share time; each is ``auto`` by default, i.e. on where the buffers
allow it (docs/memory.md "Overlap from the design"); ``none`` / ``layer``: every layer alone, as SCALE-Sim.

``vector.overlap: gemm`` -- the vector unit is an engine of its own that works on a neighbouring GEMM's stream
tile by tile. Groups (``groups``), from the layer order:
  a fused attention chain (``memory.attention: fused``, simulator/model/attention.py): array layers q@k^T and
      attn@v, vector layers the softmax and its online rescale; n = repeat x ceil(N / Tk) key tiles;
  otherwise a vector layer joins the GEMM just before it (its epilogue: GELU after fc1, the softmax after q@k^T,
      the residual add after a projection), else the GEMM just after it (its prologue: the LayerNorm that feeds
      the next GEMM row by row); a vector layer between two vector layers joins nothing. A GEMM's group: it and
      the vector layers that joined it; n = its output tiles (``output_tiles``: folds for os; column folds x
      copies x temporal chunks for ws/is, whose outputs complete only after every reduction fold).
  The group is a two-stage pipeline over n equal tiles, array stage a = A / n, vector stage v = V / n (A: the
  group's array layers' total_cycles, V: its vector layers'; the vector unit runs its layers one after another).
  It takes a + v + (n - 1) max(a, v) = A + V - (n - 1) min(a, v) cycles, so the vector cycles hidden are
      hidden = min((n - 1) / n * min(A, V), max(0, A + V - D))        (``group_hidden``)
  D: the group's DRAM cycles (a group never beats its DRAM time). Exposed: one tile's worth of the shorter stage
  (the fill or drain), or more when the vector stage is the longer. The hidden cycles are shared among the
  group's vector layers in proportion to their total_cycles, and each one's total_cycles drops by its share
  (``overlap_hidden_cycles``; the one composition: simulator/model/layer.py ``compose_stalls``). Under
  ``vector.overlap: auto`` a group overlaps only where a tile of its intermediate fits the ofmap buffer's free
  slots (``vector_buffered``): tile = max over its vector layers of max(input, output bytes) / n <=
  ofmap_bytes * (depth - 1) / depth, else hidden = 0 (``gemm``: the vector unit has its own tile buffer).

``memory.prefetch: network`` -- a GEMM with weights (``weight_operand``) may have its first weights fetched
before it starts, into the free slots of the weight buffer (``slot_bytes``: half when double-buffered; auto: only
when it has 2 or more slots, ``Hardware.prefetches_weights``), during the DRAM-idle cycles of its
window (``windows``): the units (an overlap group, or a layer alone) from the one holding the previous GEMM with
weights (its compute-bound stretch included) up to its own unit, excluded:
      prefetched_bytes = min(weight_slot_bytes, dram_filter_read_bytes, sum over the window of
                             (total_cycles - dram_cycles) * DRAM bytes per cycle)
(window totals after the overlap above, taken without prefetch: a unit's idle DRAM time only grows when its own
GEMM was prefetched, so no idle cycle is counted that is not there, and each unit lends to one window). Those bytes leave the
GEMM's DRAM floor (``compose_stalls``: floor = max(0, dram_cycles - prefetched / B - (compute + stalls))); the
fold walk already treats the first fold's reads as prefetched (docs/memory.md), so the walk's stalls stay.
A GEMM shortened by prefetch hides no more vector time than before, nor more than its new total allows.

Worked example (tests/simulator/test_schedule.py; int4_sparse.yaml as first shipped, i.e. with int4.yaml's op-count
vector unit, and both options; DeiT-S W4A4 2:4, block 0): fc1 16,703 cycles,
96 output tiles, DRAM 8,760 cycles, with its prologue norm2 (9,456, no DRAM) and epilogue GELU (85,104, DRAM 5,910):
V = 94,560, D = 14,670, hidden = min(95/96 * 16,703, 16,703 + 94,560 - 14,670) = 16,529.01, GELU's share
16,529.01 * 85,104 / 94,560 = 14,876.11. fc2's window is that unit, idle (16,703 + 94,560 - 16,529.01 - 14,670)
cycles x 25.6 B > half the 256 KiB weight buffer: prefetched = min(131,072, 221,184, ...) = 131,072 B = 5,120
cycles off its DRAM floor (total 14,580 -> 9,460).
"""

from __future__ import annotations

from simulator.model import arith
from simulator.model.attention import ONLINE, is_chain, key_tile
from simulator.model.layer import dram_floor


def groups(layers, fusion) -> tuple[list, list]:
    """(groups, group index per position or -1); a group is (array positions, vector positions, tiles), tiles an
    int for a fused chain, None for a GEMM's group (its row's ``output_tiles``). ``fusion``: attention.py's
    (ofmap bytes, accumulator bits) when attention is fused, else None."""
    n = len(layers)
    of = [-1] * n
    out: list = []
    i = 0
    while fusion and i < n:
        qk = layers[i]
        tk = key_tile(qk.m, qk.n, fusion[0], min(qk.acc_bits, fusion[1])) if is_chain(layers, i) else 0
        if tk >= 1:
            vec = [i + 1] + ([i + 3] if i + 3 < n and layers[i + 3].name.endswith(ONLINE) else [])
            for q in (i, i + 2, *vec):
                of[q] = len(out)
            out.append(((i, i + 2), vec, qk.repeat * -(-qk.n // tk)))
            i += 2 + len(vec)
        else:
            i += 1
    own: dict = {}
    for i, layer in enumerate(layers):
        if layer.is_gemm or of[i] >= 0:
            continue
        for j in (i - 1, i + 1):
            if 0 <= j < n and layers[j].is_gemm and (of[j] < 0 or j in own):
                if j not in own:
                    own[j] = of[j] = len(out)
                    out.append(((j,), [], None))
                out[of[j]][1].append(i)
                of[i] = of[j]
                break
    return [(a, tuple(sorted(v)), t) for a, v, t in out], of


def windows(layers, grp: list | None = None, of: list | None = None) -> dict:
    """{position of a GEMM with weights: its prefetch window}: the positions from the first of the unit holding the
    previous GEMM with weights (0 for the first) to the last before its own unit; a unit is an overlap group
    (``groups``: contiguous positions) or a layer alone."""
    def start(q):
        return q if of is None or of[q] < 0 else min(*grp[of[q]][0], *grp[of[q]][1])

    out, last = {}, 0
    for i, layer in enumerate(layers):
        if layer.is_gemm and layer.weight_operand:
            out[i] = tuple(range(last, start(i)))
            last = start(i)
    return out


def contexts(layers, base: list, overlap: bool, prefetch: bool, fusion) -> tuple[list, list, dict, list]:
    """(groups, group per position, windows, contexts): per position, a hashable context: everything its schedule
    terms read (the base layer ids and roles of the positions that influence it, relative to it); () when the
    options leave the position alone. Positions with equal (base id, context) get equal results."""
    grp, of = groups(layers, fusion) if overlap else ([], [-1] * len(layers))
    win = windows(layers, grp, of) if prefetch else {}

    def members(q):
        return () if of[q] < 0 else (*grp[of[q]][0], *grp[of[q]][1])

    ctx = []
    for i in range(len(layers)):
        infl = set()
        gemms = [i] if i in win else []
        if of[i] >= 0 and not layers[i].is_gemm:
            infl.update(members(i))
            gemms += [a for a in grp[of[i]][0] if a in win]
        for g in gemms:
            infl.add(g)
            infl.update(members(g))
            for q in win[g]:
                infl.add(q)
                infl.update(members(q))
        ctx.append(tuple((q - i, base[q], -1 if of[q] < 0 else
                          (tuple(a - i for a in grp[of[q]][0]), tuple(v - i for v in grp[of[q]][1]), grp[of[q]][2]),
                          tuple(w - i for w in win[q]) if q in win else None) for q in sorted(infl)))
    return grp, of, win, ctx


def group_hidden(array_cycles, vector_cycles, dram_cycles, tiles):
    """min((n - 1) / n * min(A, V), max(0, A + V - D)): vector cycles a two-stage pipeline of n tiles hides."""
    return arith.minimum((tiles - 1) / tiles * arith.minimum(array_cycles, vector_cycles),
                         arith.max0(array_cycles + vector_cycles - dram_cycles))


def floored_total(scalesim_total, dram_cycles, prefetched_cycles):
    """A layer's total before any overlap: scalesim_total + layer.dram_floor(...)."""
    return scalesim_total + dram_floor(scalesim_total, dram_cycles, prefetched_cycles)


def slot_bytes(buffer_bytes, depth):
    """Bytes of a depth-``depth`` buffer free beside the slot in use: buffer_bytes * (depth - 1) / depth."""
    return buffer_bytes * (depth - 1) / depth


def intermediate_tile_bytes(rows: list, tiles) -> object:
    """Bytes of one tile of a group's intermediate: the largest tensor a vector layer of the group reads or writes
    (its bytes staged through the ofmap buffer, ``layer.vector_counts``) over the group's n tiles."""
    most = 0.0
    for c in rows:
        most = arith.maximum(most, arith.maximum(c.bytes("ifmap", "obuf", "wr"), c.bytes("ofmap", "obuf", "wr")))
    return most / tiles


def vector_buffered(tile_bytes, slot) -> object:
    """1.0 where a tile of the intermediate fits the free slot(s) of the ofmap buffer (the array writes tile i + 1
    while the vector unit works on tile i), else 0.0; ``slot`` None: the vector unit has its own tile buffer
    (``vector.overlap: gemm``), always 1."""
    if slot is None:
        return 1.0
    np = arith._np(tile_bytes, slot)
    return (np.asarray(tile_bytes <= slot, dtype=np.float64) if np else (1.0 if tile_bytes <= slot else 0.0))


def adjust(row, grp: list, of: list, win: dict, weight_slot, bytes_per_cycle, vector_slot=None) -> tuple[dict, dict]:
    """({position: hidden cycles}, {position: prefetched weight bytes}) from ``row(position)``, the standalone
    counts of a position (numbers, or arrays over designs). ``weight_slot``: bytes of the weight buffer free for a
    prefetch (``slot_bytes``); ``vector_slot``: bytes of the ofmap buffer free for a tile of a group's
    intermediate, None when the vector unit has its own (``vector_buffered``). Module docstring for the formulas."""
    def tiles(g):
        return g[2] if g[2] is not None else row(g[0][0]).output_tiles

    gates = [vector_buffered(intermediate_tile_bytes([row(q) for q in g[1]], tiles(g)), vector_slot)
             if vector_slot is not None else None for g in grp]

    def hidden_of(j, totals, dram):
        g = grp[j]
        a = sum((totals(q) for q in g[0]), 0.0)
        v = sum((row(q).total for q in g[1]), 0.0)
        d = sum((dram(q) for q in (*g[0], *g[1])), 0.0)
        h = group_hidden(a, v, d, tiles(g))
        gate = gates[j]
        return (h if gate is None else h * gate), v

    h0 = [hidden_of(j, lambda q: row(q).total, lambda q: row(q).dram) for j in range(len(grp))]

    def share(q, hs):
        h, v = hs[of[q]]
        return arith.div_or_zero(h * row(q).total, v)

    hidden = {q: share(q, h0) for g in grp for q in g[1]}
    pref: dict = {}
    for g, window in win.items():
        slack = sum((row(q).total - hidden.get(q, 0.0) - row(q).dram for q in window), 0.0)
        pref[g] = arith.minimum(arith.minimum(weight_slot, row(g).bytes("filter", "dram", "rd")),
                                arith.max0(slack) * bytes_per_cycle)   # max0: rounding only (each unit >= 0)
    if pref and grp:   # a GEMM shortened by prefetch hides no more than before, nor more than its new total allows
        pc = {g: p / bytes_per_cycle for g, p in pref.items()}
        h1 = [hidden_of(j, lambda q: floored_total(row(q).scalesim_total, row(q).dram,
                                                   pc.get(q, 0.0)),
                        lambda q: row(q).dram - pc.get(q, 0.0)) for j in range(len(grp))]
        h1 = [(arith.minimum(a[0], b[0]), b[1]) for a, b in zip(h0, h1)]
        hidden = {q: share(q, h1) for q in hidden}
    return hidden, pref
