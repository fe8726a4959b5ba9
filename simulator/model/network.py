"""A workload on one design: the distinct-layer plan, per-layer results and the network totals.

Identical layers (same shape, bits, granularity and attention role) are evaluated once: DeiT-S has 160
layers but 13 distinct ones. Totals (``network_totals``, shared with the batch evaluator):
  sums over layers of cycles, bytes and energies (each distinct layer times its count);
  gemm_cycles = total_cycles of GEMM layers, vector_cycles = total - gemm; latency_us = total / freq_mhz;
  throughput_fps = batch / latency; energy_uj = energy_pj / 1e6; power_w = energy / latency;
  effective_tops = 2 * macs / latency / 1e12; tops_per_w = effective_tops / power_w;
  tops_per_w_on_chip = 2 * macs / (energy - DRAM energy) [ops/pJ]; images_per_s_per_w = batch / energy_J;
  utilization = macs / (total_cycles * R * C * p_used), p_used = the largest macs_per_pe_cycle among the PE
  modes the GEMM layers ran in (0 without GEMMs): the share of the array's MAC slots, at the fastest mode the
  workload uses, doing work over the whole run (vector-unit time and every stall included);
  gemm_utilization = macs / sum over GEMM layers of total_cycles * p * R * C (GEMM time only);
  peak_tops = max over PE modes of 2 * R * C * p * freq_mhz / 1e6; area from simulator/area.py;
  leakage_w = leakage_mw / 1e3.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from operator import attrgetter

from simulator.energy import hw_costs
from simulator.model import arith
from simulator.model import kernel as K
from simulator.model import schedule as S
from simulator.model.attention import streamed
from simulator.model.layer import (
    design_of,
    gemm_counts,
    gemm_labels,
    gemm_setup,
    kernel_params,
    stall_cause,
    vector_counts,
    vector_setup,
)
from simulator.model.memo import per_object
from simulator.model.price import price
from simulator.model.residency import DRAM, describe, plan_residency
from simulator.model.sparsity import sparse_labels
from simulator.work import STEADY_COPIES
from workloads.model import GEMM_OPS

_KEY_FIELDS = ("op", "m", "n", "k", "repeat", "w_bits", "a_bits", "out_bits", "acc_bits", "dtype", "w_granularity",
               "a_granularity", "weight_operand", "w_quantizer", "a_quantizer", "w_zero_point", "a_zero_point",
               "outlier_channels", "outlier_bits", "w_sparsity", "w_density", "w_format", "a_density", "w_col_nnz")
_key = attrgetter(*_KEY_FIELDS)
_PLANS: dict = {}
# folds walked above which the compiled kernel pays for importing Numba (~0.4 s) and loading its cache
JIT_FOLDS = 100_000

SUMMED = ("total_cycles", "energy_pj", "macs", "compute_cycles", "stall_cycles", "stall_memory_cycles",
          "stall_chunk_fill_cycles", "ppu_stall_cycles", "dram_floor_stall_cycles", "sram_read_bytes",
          "sram_write_bytes", "dram_read_bytes", "dram_write_bytes", "dram_scale_read_bytes", "energy_mac_pj",
          "energy_sram_pj", "energy_dram_pj", "energy_vector_pj", "energy_static_pj", "ppu_energy_pj",
          "onchip_activation_bytes", "executed_macs", "dram_metadata_read_bytes", "energy_sparse_pj",
          "overlap_hidden_cycles", "prefetched_weight_bytes")


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
    flags = (hw.vector.overlap == "gemm", hw.memory.prefetch == "network")
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


def scheduled_rows(sched: Schedule, base_rows: list, d, evaluate) -> list:
    """The rows of ``schedule_plan``'s distinct layers from ``plan``'s standalone ``base_rows``: each one the
    schedule touches re-evaluated by ``evaluate(base index, hidden cycles, prefetched weight bytes)``."""
    hidden, pref = S.adjust(lambda q: base_rows[sched.base_order[q]], sched.groups, sched.group_of,
                            sched.windows, d.weight_bytes, d.bytes_per_cycle)
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


_SETUPS: dict = {}


def _setup(layer, hw, attn_input: bool, compute):
    """A layer's setup on a hardware structure (``gemm_setup``/``vector_setup``: pure functions of both), computed
    once per (layer object, hardware object) (simulator/model/memo.py)."""
    return per_object(_SETUPS, (layer, hw), (attn_input,), compute, 4096)


def evaluate_layer(layer, hw, attn_input: bool = False, costs=None, placement=DRAM, design=None, hidden=0.0,
                   prefetched=0.0) -> dict:
    """Every field of one layer on one design except its name (simulator/schema.py): counts, then prices.
    ``placement``: where its operands are (the memory plan, simulator/model/residency.py); ``design``: the
    hardware's ``Design`` when the caller has it; ``hidden``, ``prefetched``: its network schedule terms
    (``scheduled_rows``)."""
    costs = costs or hw_costs(hw)
    d = design or design_of(hw, costs)
    base = {"op": layer.op, "m": layer.m, "n": layer.n, "k": layer.k, "repeat": layer.repeat,
            "w_bits": layer.w_bits, "a_bits": layer.a_bits, "out_bits": layer.out_bits,
            "precision": layer.precision, "macs": layer.macs}
    if layer.is_gemm:
        s = _setup(layer, hw, attn_input, lambda: gemm_setup(layer, hw, costs.tech, attn_input))
        params = tuple(kernel_params(layer, s, hw.array.dataflow, hw.array.temporal_tiling, d, placement,
                                     hw.array.timing_code))
        k = run_kernel(params)
        c = gemm_counts(layer, s, d, k, placement, hidden, prefetched)
        q = s.quant
        base.update(pe_precision=s.pe_precision, promoted=s.promoted, macs_per_pe_cycle=s.p, impl=s.impl,
                    dataflow=str(hw.array.dataflow), acc_bits_used=s.acc_bits, cycles_per_element=0.0,
                    k_segments=q["k_segments"], w_scales=q["w_scales"], a_scales=q["a_scales"],
                    requant_ops=q["requant_ops"], rescale_ops=q["rescale_ops"], absmax_ops=q["absmax_ops"],
                    zero_point_ops=q["zp_sum_ops"] + q["zp_ops"], zero_point_bytes=q["zero_point_bytes"],
                    **gemm_labels(k), **sparse_labels(layer, s.sparse, params[K.P_K]))
        mac_pj = s.mac_pj
    else:
        s = _setup(layer, hw, False, lambda: vector_setup(layer, hw))
        c = vector_counts(layer, s, d, placement, hidden)
        base.update(pe_precision="vector", promoted=False, macs_per_pe_cycle=0.0, impl=s.impl, dataflow="vector",
                    acc_bits_used=0, cycles_per_element=s.cycles_per_element, k_segments=0, w_scales=0, a_scales=0,
                    requant_ops=0, rescale_ops=0, absmax_ops=0, zero_point_ops=0, zero_point_bytes=0.0,
                    loop_order="", outer_operand="",
                    refetched_operand="", conv_tile_rows=0, conv_filter_groups=0, conv_loop_order="",
                    **sparse_labels(layer, None, 0))
        mac_pj = 0.0
    base.update(c, ifmap_source=describe(placement.ifmap), ofmap_dest=describe(placement.ofmap),
                filter_source=describe(placement.filter) if layer.is_gemm or layer.op == "add" else "")
    base["stall_buffer"] = stall_cause(c, layer.is_gemm)
    base.update(price(c, layer.macs, mac_pj, d, costs.primitives, layer.is_gemm))
    return base


def network_totals(rows: list, counts: list, d, batch: int, peak_tops, area: dict) -> dict:
    """Scalar totals from the distinct layers' fields ``rows`` (numbers, or arrays over designs) and how many
    layers share each (module docstring for the formulas)."""
    sums = dict.fromkeys(SUMMED, 0.0)
    gemm_cycles = 0
    slots = 0
    p_used = 0.0
    promoted = 0
    for r, n in zip(rows, counts):
        for key in SUMMED:
            sums[key] = sums[key] + r[key] * n
        if r["macs"] > 0:
            gemm_cycles = gemm_cycles + r["total_cycles"] * n
            slots = slots + r["total_cycles"] * r["macs_per_pe_cycle"] * n
            p_used = arith.maximum(p_used, r["macs_per_pe_cycle"])
        if r["promoted"]:
            promoted += n
    slots = slots * d.rows * d.cols
    cycles = sums["total_cycles"]
    latency_s = cycles / (d.freq_mhz * 1e6)
    energy_pj = sums["energy_pj"]
    macs = sums["macs"]
    power_w = energy_pj * 1e-12 / latency_s
    tops = 2 * macs / latency_s / 1e12
    energy_j = energy_pj * 1e-12
    t = {key: sums[key] for key in ("total_cycles", "compute_cycles", "stall_cycles", "stall_memory_cycles",
                                    "stall_chunk_fill_cycles", "ppu_stall_cycles", "dram_floor_stall_cycles",
                                    "overlap_hidden_cycles", "prefetched_weight_bytes")}
    t.update({
        "gemm_cycles": gemm_cycles + 0.0,
        "vector_cycles": cycles - gemm_cycles,
        "latency_us": latency_s * 1e6,
        "throughput_fps": batch / latency_s,
        "images_per_s": batch / latency_s,
        "macs": macs,
        "utilization": arith.div_or_zero(sums["executed_macs"], cycles * d.rows * d.cols * p_used),
        "gemm_utilization": arith.div_or_zero(sums["executed_macs"], slots),
        "sram_read_bytes": sums["sram_read_bytes"],
        "sram_write_bytes": sums["sram_write_bytes"],
        "dram_read_bytes": sums["dram_read_bytes"],
        "dram_write_bytes": sums["dram_write_bytes"],
        "dram_scale_read_bytes": sums["dram_scale_read_bytes"],
        "energy_uj": energy_pj / 1e6,
        "energy_per_image_uj": energy_pj / 1e6 / batch,
        "energy_mac_uj": sums["energy_mac_pj"] / 1e6,
        "energy_sram_uj": sums["energy_sram_pj"] / 1e6,
        "energy_dram_uj": sums["energy_dram_pj"] / 1e6,
        "energy_vector_uj": sums["energy_vector_pj"] / 1e6,
        "energy_static_uj": sums["energy_static_pj"] / 1e6,
        "energy_ppu_uj": sums["ppu_energy_pj"] / 1e6,
        "power_w": power_w,
        "leakage_w": d.leakage_mw / 1e3,
        "effective_tops": tops,
        "tops_per_w": arith.div_or_zero(tops, power_w),
        "tops_per_w_on_chip": arith.div_or_zero(2 * macs, energy_pj - sums["energy_dram_pj"]),
        "images_per_s_per_w": arith.div_or_zero(batch, energy_j),
        "peak_tops": peak_tops,
        "area_mm2": area["area_mm2"],
        "area_pe_mm2": area["area_pe_mm2"],
        "area_sram_mm2": area["area_sram_mm2"],
        "area_vector_mm2": area["area_vector_mm2"],
        "area_ppu_mm2": area["area_ppu_mm2"],
        "peak_tops_per_mm2": peak_tops / area["area_mm2"],
        "promoted_layers": float(promoted),
        "executed_macs": sums["executed_macs"],
        "dram_metadata_read_bytes": sums["dram_metadata_read_bytes"],
        "energy_sparse_uj": sums["energy_sparse_pj"] / 1e6,
        "onchip_activation_bytes": sums["onchip_activation_bytes"],
    })
    return t


def peak_tops(rows, cols, freq_mhz, modes) -> object:
    """max over PE modes of 2 * R * C * p * freq_mhz / 1e6 (TOPS)."""
    best = None
    for m in modes:
        v = 2 * rows * cols * m.macs_per_cycle * freq_mhz / 1e6
        best = v if best is None else arith.maximum(best, v)
    return best
