"""The network's distinct layers: which layers are evaluated once, where their operands are, what the schedule
reads around them; the GEMM kernel's cached one-design call; peak TOPS.

Identical layers (same shape, bits, granularity, attention role and placement) are evaluated once: DeiT-S has 160
layers but 13 distinct ones; each distinct layer's counts enter the totals times its occurrences
(simulator/model/pipeline.py). The totals' formulas are declared in simulator/schema.py (``TOTAL_FIELDS``' views):
  utilization = macs / (total_cycles * R * C * p_used), p_used = the largest macs_per_pe_cycle among the PE
  modes the GEMM layers ran in (0 without GEMMs): the share of the array's MAC slots, at the fastest mode the
  workload uses, doing work over the whole run (vector-unit time and every stall included);
  gemm_utilization = macs / sum over GEMM layers of total_cycles * p * R * C (GEMM time only);
  peak_tops = max over PE modes of 2 * R * C * p * freq_mhz / 1e6.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from operator import attrgetter

from simulator.model import arith
from simulator.model import kernel as K
from simulator.model import schedule as S
from simulator.model.attention import streamed
from simulator.model.memo import per_object
from simulator.model.residency import DRAM, plan_residency
from simulator.work import STEADY_COPIES
from workloads.model import GEMM_OPS

_KEY_FIELDS = ("op", "m", "n", "k", "repeat", "w_bits", "a_bits", "out_bits", "acc_bits", "dtype", "w_granularity",
               "a_granularity", "weight_operand", "w_quantizer", "a_quantizer", "w_zero_point", "a_zero_point",
               "outlier_channels", "outlier_bits", "w_sparsity", "w_density", "w_format", "a_density", "w_col_nnz")
_key = attrgetter(*_KEY_FIELDS)
_PLANS: dict = {}
# folds walked above which the compiled kernel pays for importing Numba (~0.4 s) and loading its cache
JIT_FOLDS = 100_000

def plan(workload, ps_bits: int | None, capacity: int | None = None, fusion: tuple | None = None
         ) -> tuple[list, list, list]:
    """The distinct layers of ``workload`` as (layer, attn_input, placement), how many layers share each, and each
    layer's index into them. A post-softmax quantizer of ``ps_bits`` sets the softmax output bits and the next
    matmul's (attn@v) input bits. ``capacity``: the activation buffer's bytes when activations stay on chip
    (the memory plan, simulator/model/residency.py; None: every operand from DRAM); ``fusion``: (ofmap bytes,
    accumulator bits) when attention is fused (simulator/model/attention.py; the workload already carries its
    online-rescale layers). Cached per workload object (simulator/model/memo.py)."""
    return per_object(_PLANS, (workload,), (ps_bits, capacity, fusion),
                      lambda: _plan(workload, ps_bits, capacity, fusion), 256)


def _plan(workload, ps_bits, capacity, fusion) -> tuple[list, list, list]:
    layers, attn = [], []
    after_softmax = False
    for layer in workload.layers:
        op = layer.op
        attn_input = after_softmax and op == "matmul"
        if ps_bits is not None and layer.dtype == "int":
            if op == "softmax":
                layer = replace(layer, out_bits=ps_bits)
            elif attn_input:
                layer = replace(layer, a_bits=ps_bits)
        layers.append(layer)
        attn.append(attn_input)
        if op == "softmax":
            after_softmax = True
        elif op in GEMM_OPS:
            after_softmax = False
    tiles = streamed(layers, *fusion) if fusion else set()
    where = [DRAM] * len(layers) if capacity is None and not tiles else plan_residency(layers, capacity or 0, tiles)
    index: dict[tuple, int] = {}
    unique, counts, order = [], [], []
    for layer, attn_input, placement in zip(layers, attn, where):
        k = (_key(layer), attn_input, placement)
        i = index.get(k)
        if i is None:
            i = index[k] = len(unique)
            unique.append((layer, attn_input, placement))
            counts.append(0)
        counts[i] += 1
        order.append(i)
    return unique, counts, order


def schedule_flags(hw) -> tuple | None:
    """(vector overlap, network prefetch) when the hardware asks for either (simulator/model/schedule.py), else
    None."""
    flags = (hw.vector.overlap != "none", hw.prefetches_weights)
    return flags if any(flags) else None


@dataclass(frozen=True)
class Schedule:
    """How ``schedule_plan``'s distinct layers derive from ``plan``'s (``base``): ``base_of[u]``, the position
    ``rep[u]`` that stands for them, whether the schedule touches them (``affected``); groups, windows and each
    position's base layer (``base_order``) for ``schedule.adjust``."""

    base: list
    base_of: list
    rep: list
    affected: list
    base_order: list
    groups: list
    group_of: list
    windows: dict


def schedule_plan(workload, ps_bits: int | None, capacity: int | None = None, fusion: tuple | None = None,
                  flags: tuple | None = None) -> tuple[list, list, list, Schedule | None]:
    """``plan`` with its distinct layers split by what the network schedule reads around them (their context,
    ``schedule.contexts``): (unique, counts, order, Schedule); without ``flags`` plan's own and None."""
    unique, counts, order = plan(workload, ps_bits, capacity, fusion)
    if not flags:
        return unique, counts, order, None
    return per_object(_PLANS, (workload,), ("schedule", ps_bits, capacity, fusion, flags),
                      lambda: _split(unique, order, flags, fusion), 256)


def _split(unique, order, flags, fusion) -> tuple[list, list, list, Schedule]:
    grp, of, win, ctx = S.contexts([unique[b][0] for b in order], order, *flags, fusion)
    index: dict = {}
    base_of, rep, affected, fcounts, forder = [], [], [], [], []
    for pos, (b, c) in enumerate(zip(order, ctx)):
        u = index.get((b, c))
        if u is None:
            u = index[(b, c)] = len(base_of)
            base_of.append(b)
            rep.append(pos)
            affected.append(bool(c))
            fcounts.append(0)
        fcounts[u] += 1
        forder.append(u)
    return ([unique[b] for b in base_of], fcounts, forder,
            Schedule(unique, base_of, rep, affected, list(order), grp, of, win))


def scheduled_rows(sched: Schedule, base_rows: list, d, evaluate, hw) -> list:
    """The ``Counts`` of ``schedule_plan``'s distinct layers from ``plan``'s standalone ``base_rows``: each one
    the schedule touches re-counted by ``evaluate(base index, hidden cycles, prefetched weight bytes)``. The free
    slots of ``hw``'s buffers (``schedule.slot_bytes``): the weight buffer's take prefetched weights, the ofmap
    buffer's a tile of a vector layer's intermediate (unless ``vector.overlap: gemm`` gives the vector unit its
    own)."""
    vector_slot = None if hw.vector.overlap == "gemm" else S.slot_bytes(d.ofmap_bytes, hw.buffers.slots("ofmap"))
    hidden, pref = S.adjust(lambda q: base_rows[sched.base_order[q]], sched.groups, sched.group_of,
                            sched.windows, S.slot_bytes(d.weight_bytes, hw.buffers.slots("weight")),
                            d.bytes_per_cycle, vector_slot)
    return [evaluate(b, hidden.get(q, 0.0), pref.get(q, 0.0)) if hit else base_rows[b]
            for b, q, hit in zip(sched.base_of, sched.rep, sched.affected)]


@lru_cache(maxsize=8192)
def run_kernel(params: tuple) -> tuple:
    """Kernel output of one GEMM (cached: designs differing only in energy, PPU, vector unit or clock reuse
    it); plain Python unless the fold walk is long enough for the compiled kernel to pay."""
    df, m, n, k, rows, cols, p = (params[K.P_DF], params[K.P_M], params[K.P_N], params[K.P_K], params[K.P_ROWS],
                                  params[K.P_COLS], params[K.P_MACS])
    row_dim, col_dim, _, row_block, _ = K.mapping(df, m, n, k, rows, cols, p)
    folds = -(-row_dim // row_block) * -(-col_dim // cols) * min(params[K.P_REPEAT], STEADY_COPIES)
    if folds > JIT_FOLDS:
        import numpy as np

        from simulator.model.jit import compiled

        out = np.zeros((1, K.N_OUT))
        compiled().gemm_batch(np.array([params], dtype=float), out, np.zeros(K.N_OUT), np.zeros(K.N_OUT))
        return tuple(float(x) for x in out[0])
    out, full, part = [0.0] * K.N_OUT, [0.0] * K.N_OUT, [0.0] * K.N_OUT
    K.gemm([float(x) for x in params], out, full, part)
    return tuple(out)


def peak_tops(rows, cols, freq_mhz, modes) -> object:
    """max over PE modes of 2 * R * C * p * freq_mhz / 1e6 (TOPS)."""
    best = None
    for m in modes:
        v = 2 * rows * cols * m.macs_per_cycle * freq_mhz / 1e6
        best = v if best is None else arith.maximum(best, v)
    return best
