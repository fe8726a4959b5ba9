"""simulate(workload, hardware) -> SimResult: each layer through mapping, memory, PPU, vector and energy.

Per GEMM layer: the PE mode from the layer's (dtype, w_bits, a_bits) (``PEConfig.resolve``), p MACs per
PE per cycle into ``map_gemm``; partial sums spill at acc = min(layer acc_bits, PE acc_bits)
(``gemm_memory``); scales and post-processing from ``simulator.quant``: the PPU overlaps the array and the
layer waits ``ppu_stall_cycles = max(0, ppu_cycles - (compute + memory stall))``, counted in stall_cycles.
total_cycles = compute_cycles + stall_cycles (SCALE-Sim's convention; a GEMM's initial fill and final drain
are reported as ``prefetch_cycles``/``drain_cycles`` and assumed overlapped with the neighbouring layers),
but never less than the layer's DRAM time: dram_cycles = (dram_read_bytes + dram_write_bytes) / bytes per
cycle; the excess ``dram_floor_stall_cycles = max(0, dram_cycles - compute - stall)`` is added to
stall_cycles. So a layer's time respects its roofline memory bound even when its neighbours are memory-bound
too and could not have hidden its fill and drain. ``scalesim_total_cycles`` keeps SCALE-Sim's convention
(compute + memory-model stalls, no floor) for side-by-side comparison.
utilization = macs / (total_cycles * R * C * p). Vector layers: ``simulator.vector`` with the configured
non-linear implementation. Energy: ``simulator.energy`` (module docstring there). A post-softmax
quantizer with ``post_softmax_bits`` sets the softmax output bits and the next matmul's (attn@v) input bits.
Identical layers are simulated once; everything that depends only on the hardware is cached (``hw_costs``).
"""

from __future__ import annotations

import weakref
from dataclasses import replace
from functools import lru_cache
from itertools import pairwise
from operator import attrgetter

from simulator.energy import hw_costs, mac_arith_pj, mac_reg_bits, static_pj
from simulator.hardware import ConfigError, Hardware
from simulator.mapping import compute_cycles, map_gemm
from simulator.memory import gemm_memory
from simulator.quant import gemm_quant, ppu_cycles
from simulator.results import SimResult, compute_totals_weighted
from simulator.vector import vector_cost, vector_layer
from workloads.model import GEMM_OPS, Layer, Workload

_KEY_FIELDS = ("op", "m", "n", "k", "repeat", "w_bits", "a_bits", "out_bits", "acc_bits", "dtype", "w_granularity",
               "a_granularity", "weight_operand")
_key = attrgetter(*_KEY_FIELDS)


def simulate(workload: Workload, hw: Hardware) -> SimResult:
    """Simulate every layer of ``workload`` on ``hw``; see the module docstring for the model."""
    return SimResult.build(simulate_rows(workload, hw), workload, hw)


def simulate_totals(workload: Workload, hw: Hardware) -> dict:
    """Network totals only (no DataFrame, no per-layer copies): the fast path for sweeps."""
    costs = hw_costs(hw)
    unique, counts, _ = _plan(workload, hw.nonlinear.post_softmax_bits)
    return compute_totals_weighted([(simulate_layer(layer, hw, costs, attn), n)
                                    for (layer, attn), n in zip(unique, counts)], workload.batch, hw)


def simulate_rows(workload: Workload, hw: Hardware) -> list[dict]:
    """One row dict per layer, in order; identical layers share one simulation."""
    costs = hw_costs(hw)
    unique, _, order = _plan(workload, hw.nonlinear.post_softmax_bits)
    rows = [simulate_layer(layer, hw, costs, attn) for layer, attn in unique]
    return [{"name": layer.name, **rows[i]} for layer, i in zip(workload.layers, order)]


_PLANS: dict = {}


def _plan(workload: Workload, ps_bits: int | None) -> tuple[list, list, list]:
    """The distinct layers of ``workload`` as (layer, attn_input), how many layers share each, and each
    layer's index into them. Depends only on the workload and ``post_softmax_bits``, so it is cached per
    workload object (a weak reference guards against a reused id)."""
    key = (id(workload), ps_bits)
    hit = _PLANS.get(key)
    if hit is not None and hit[0]() is workload:
        return hit[1]
    index: dict[tuple, int] = {}
    unique, counts, order = [], [], []
    after_softmax = False
    for layer in workload.layers:
        op = layer.op
        attn_input = after_softmax and op == "matmul"
        if ps_bits is not None and layer.dtype == "int":
            if op == "softmax":
                layer = replace(layer, out_bits=ps_bits)
            elif attn_input:
                layer = replace(layer, a_bits=ps_bits)
        k = (_key(layer), attn_input)
        i = index.get(k)
        if i is None:
            i = index[k] = len(unique)
            unique.append((layer, attn_input))
            counts.append(0)
        counts[i] += 1
        order.append(i)
        if op == "softmax":
            after_softmax = True
        elif op in GEMM_OPS:
            after_softmax = False
    plan = (unique, counts, order)
    if len(_PLANS) > 256:
        _PLANS.clear()
    _PLANS[key] = (weakref.ref(workload), plan)
    return plan


def simulate_layer(layer: Layer, hw: Hardware, costs=None, attn_input: bool = False) -> dict:
    """One layer's row (without its name): shape, cycles, traffic in bytes, energy in pJ.

    ``attn_input``: the layer is the attn@v matmul whose ifmap is the post-softmax attention.
    """
    costs = costs or hw_costs(hw)
    row = {"op": layer.op, "m": layer.m, "n": layer.n, "k": layer.k, "repeat": layer.repeat,
           "w_bits": layer.w_bits, "a_bits": layer.a_bits, "out_bits": layer.out_bits,
           "precision": layer.precision, "macs": layer.macs}
    row.update(_gemm(layer, hw, costs, attn_input) if layer.is_gemm else _vector(layer, hw, costs))
    row["dram_read_bytes"] = (row["dram_ifmap_read_bytes"] + row["dram_filter_read_bytes"]
                              + row["dram_ofmap_read_bytes"] + row["dram_scale_read_bytes"])
    # SCALE-Sim's "Total Cycles" convention: compute + memory-model stalls, the initial fill left out
    row["scalesim_total_cycles"] = row["compute_cycles"] + row["stall_cycles"]
    # DRAM floor: a layer never finishes before its DRAM traffic (fill, drain and scales included) has
    # crossed the interface at full bandwidth; the excess over compute + stall counts as stall.
    dram_bytes = row["dram_read_bytes"] + row["dram_write_bytes"]
    row["dram_cycles"] = dram_bytes / hw.dram_bytes_per_cycle
    floor_stall = max(0.0, row["dram_cycles"] - (row["compute_cycles"] + row["stall_cycles"]))
    row["dram_floor_stall_cycles"] = floor_stall
    if floor_stall > 0:
        row["stall_cycles"] += floor_stall
        if not row["stall_buffer"]:
            row["stall_buffer"] = "dram"
    cycles = row["total_cycles"] = row["compute_cycles"] + row["stall_cycles"]
    row["utilization"] = (layer.macs / (cycles * hw.array.rows * hw.array.cols * row["macs_per_pe_cycle"])
                          if layer.is_gemm else 0.0)
    row["achieved_dram_gbps"] = dram_bytes / cycles * hw.freq_mhz / 1e3
    ei, ew, eo = costs.sram_pj_per_bit
    row["energy_mac_pj"] = layer.macs * row["mac_pj"]
    row["energy_sram_pj"] = 8 * (row["sram_ifmap_bytes"] * ei + row["sram_weight_bytes"] * ew
                                 + row["sram_ofmap_bytes"] * eo)
    row["energy_dram_pj"] = 8 * dram_bytes * costs.dram_pj_per_bit
    row["energy_static_pj"] = static_pj(costs.leakage_mw, cycles, hw.freq_mhz)
    row["energy_pj"] = (row["energy_mac_pj"] + row["energy_sram_pj"] + row["energy_dram_pj"]
                        + row["energy_vector_pj"] + row["energy_static_pj"])
    return row


def _gemm(layer: Layer, hw: Hardware, costs, attn_input: bool) -> dict:
    mode, promoted = hw.pe.resolve(layer.dtype, layer.w_bits, layer.a_bits)
    if mode is None:
        raise ConfigError(hw.source, "pe.precisions",
                          f"layer {layer.name} needs {layer.precision} and no PE mode is wide enough",
                          ", ".join(m.label for m in hw.pe.precisions))
    p = mode.macs_per_cycle
    acc = min(layer.acc_bits, hw.pe.acc_bits)
    args = (hw.array.dataflow, layer.m, layer.n, layer.k, hw.array.rows, hw.array.cols, p, layer.a_bits,
            layer.w_bits, layer.out_bits, acc, hw.buffers.bytes, hw.dram_bytes_per_cycle, hw.dram.latency_cycles,
            layer.repeat)
    mp, mem, compute = _array_and_memory(*args)
    chunks = 1
    if hw.array.temporal_tiling == "auto" and mem["dram_psum_write_bytes"] > 0:
        mp, mem, compute, chunks = _temporal_tiles(args, mp, mem, compute)
    mem = dict(mem)
    # scales and the post-processing unit
    q = gemm_quant(layer.m, layer.n, layer.k, layer.repeat, layer.w_granularity, layer.a_granularity,
                   layer.weight_operand, layer.dtype, hw.ppu.scale_bits)
    ppu = ppu_cycles(q["requant_ops"], q["rescale_ops"], q["absmax_ops"], layer.repeat, hw.ppu.lanes)
    ppu_stall = max(0.0, ppu - (compute + mem["stall_cycles"]))
    pj = costs.ppu_pj
    ppu_energy = ((q["requant_ops"] * pj["requant"] if layer.dtype == "int" else q["requant_ops"] * pj["float_out"])
                  + q["rescale_ops"] * pj["rescale"] + q["absmax_ops"] * pj["absmax"])
    scale_w, scale_a = q["scale_dram_w_bytes"], q["scale_dram_a_bytes"]
    # every SRAM access per buffer: array-side reads/writes plus DRAM-side fills and drains (+ scales: fill, read)
    sram_ifmap = mem["sram_ifmap_read_bytes"] + mem["dram_ifmap_read_bytes"] + 2 * scale_a
    sram_weight = mem["sram_filter_read_bytes"] + mem["dram_filter_read_bytes"] + 2 * scale_w
    sram_ofmap = (mem["sram_ofmap_write_bytes"] + mem["sram_ofmap_read_bytes"] + mem["dram_ofmap_read_bytes"]
                  + mem["dram_write_bytes"])
    dram_read = (mem["dram_ifmap_read_bytes"] + mem["dram_filter_read_bytes"] + mem["dram_ofmap_read_bytes"]
                 + scale_w + scale_a)
    quantizer = hw.nonlinear.post_softmax if attn_input else "uniform"
    mac_pj = (mac_arith_pj(costs.tech, hw.pe.type, mode.dtype, layer.w_bits if not promoted else mode.w_bits,
                           layer.a_bits if not promoted else mode.a_bits, acc, p, hw.pe.float_format, quantizer)
              + costs.tech.reg_pj_per_bit * mac_reg_bits(hw.array.dataflow, mode.w_bits, mode.a_bits, acc, p))
    stall_buffer = mem.pop("stall_buffer")
    if ppu_stall > mem["stall_cycles"]:
        stall_buffer = "ppu"
    mem["stall_cycles"] += ppu_stall
    return {
        "pe_precision": mode.label, "promoted": promoted, "macs_per_pe_cycle": p, "impl": hw.pe.type,
        "dataflow": mp.dataflow, "folds": mp.folds * layer.repeat * chunks, "temporal_chunks": chunks,
        "acc_bits_used": acc,
        "compute_cycles": compute, "mapping_efficiency": mp.mapping_efficiency(), **mem,
        "stall_buffer": stall_buffer,
        "ppu_cycles": ppu, "ppu_stall_cycles": ppu_stall, "k_segments": q["k_segments"],
        "w_scales": q["w_scales"], "a_scales": q["a_scales"], "dram_scale_read_bytes": scale_w + scale_a,
        "requant_ops": q["requant_ops"], "rescale_ops": q["rescale_ops"], "absmax_ops": q["absmax_ops"],
        "sram_ifmap_bytes": sram_ifmap, "sram_weight_bytes": sram_weight, "sram_ofmap_bytes": sram_ofmap,
        "sram_read_bytes": mem["sram_ifmap_read_bytes"] + mem["sram_filter_read_bytes"]
        + mem["sram_ofmap_read_bytes"] + mem["dram_write_bytes"] + scale_w + scale_a,
        "sram_write_bytes": dram_read + mem["sram_ofmap_write_bytes"],
        "mac_pj": mac_pj, "energy_vector_pj": ppu_energy, "ppu_energy_pj": ppu_energy, "cycles_per_element": 0.0,
    }


@lru_cache(maxsize=4096)
def _array_and_memory(dataflow, m, n, k, rows, cols, p, a_bits, w_bits, out_bits, acc_bits, buffers_bytes,
                      bytes_per_cycle, latency_cycles, repeat):
    """(Mapping, gemm_memory dict, stall-free compute cycles) of one GEMM: a pure function of its arguments,
    cached so that configs differing only in PE energy, PPU, vector unit, non-linear ops, technology or clock
    reuse the array and memory simulation. Callers must not mutate the returned dict."""
    mp = map_gemm(dataflow, m, n, k, rows, cols, p)
    mem = gemm_memory(mp, a_bits, w_bits, out_bits, acc_bits, buffers_bytes, bytes_per_cycle, latency_cycles, repeat)
    mem.pop("closed_form_dram_bits", None)
    return mp, mem, compute_cycles(mp, repeat)


def _temporal_tiles(args: tuple, mp, mem: dict, compute: int):
    """Split a ws/is GEMM's temporal dimension (M for ws, N for is) into chunks whose partial sums fit half
    the ofmap buffer, as a compiler does for TPU-style accumulators, when that moves fewer DRAM bytes than
    spilling partial sums. T' = floor(ofmap_bits / 2 / (C * acc_bits)); the layer becomes ceil(T / T')
    sub-GEMMs run back to back: compute = sum(compute_i + 1) - 1, stalls, traffic and SRAM counts add up,
    the first chunk's fill is the layer's prefetch and the last chunk's write-back its drain (each later
    chunk's fill counts as a stall if the previous chunk could not hide it). Returns (mapping of a full
    chunk, combined memory dict, compute cycles, chunks); the inputs unchanged when tiling does not help."""
    dataflow, m, n, k, rows, cols, p, a_bits, w_bits, out_bits, acc, bufs, bpc, lat, repeat = args
    t = m if dataflow == "ws" else n
    t_chunk = int(bufs[2] * 8 / 2 // (cols * acc))
    if t_chunk < 1 or t_chunk >= t:
        return mp, mem, compute, 1
    sizes = [t_chunk] * (t // t_chunk) + ([t % t_chunk] if t % t_chunk else [])
    parts = []
    for size in sizes:
        sub = (dataflow, size, n, k) if dataflow == "ws" else (dataflow, m, size, k)
        parts.append(_array_and_memory(*sub, rows, cols, p, a_bits, w_bits, out_bits, acc, bufs, bpc, lat, repeat))
    combined = {}
    for key, value in parts[0][1].items():
        if isinstance(value, str) or key == "prefetch_cycles":
            combined[key] = value
        elif key == "drain_cycles":
            combined[key] = parts[-1][1][key]
        else:
            combined[key] = sum(part[1][key] for part in parts)
    # each later chunk's initial fill: hidden behind the previous chunk's compute, else a stall
    for (_, prev, prev_compute), (_, cur, _) in pairwise(parts):
        exposed = prev["drain_cycles"] + cur["prefetch_cycles"] - (prev_compute + 1)
        combined["stall_cycles"] += max(0.0, exposed)
    moved = ("dram_ifmap_read_bytes", "dram_filter_read_bytes", "dram_ofmap_read_bytes", "dram_write_bytes")
    if sum(combined[x] for x in moved) >= sum(mem[x] for x in moved):
        return mp, mem, compute, 1
    return parts[0][0], combined, sum(part[2] + 1 for part in parts) - 1, len(parts)


def _vector(layer: Layer, hw: Hardware, costs) -> dict:
    cycles_per_element, pj_per_element, impl = vector_cost(hw, layer.op, layer.dtype, layer.a_bits, costs.primitives)
    v = vector_layer(layer.op, layer.elements, layer.a_bits, layer.out_bits, cycles_per_element,
                     hw.vector.lanes, hw.dram_bytes_per_cycle, hw.dram.latency_cycles)
    io = v["dram_ifmap_read_bytes"] + v["dram_write_bytes"]
    return {
        "pe_precision": "vector", "promoted": False, "macs_per_pe_cycle": 0.0, "impl": impl,
        "dataflow": "vector", "folds": 0, "temporal_chunks": 0, "acc_bits_used": 0,
        "compute_cycles": v["compute_cycles"], "mapping_efficiency": 0.0, "loop_order": "",
        "stall_cycles": v["stall_cycles"], "prefetch_cycles": 0.0, "drain_cycles": 0.0,
        "dram_ifmap_read_bytes": v["dram_ifmap_read_bytes"],
        "dram_filter_read_bytes": 0.0, "dram_ofmap_read_bytes": 0.0, "dram_write_bytes": v["dram_write_bytes"],
        "ifmap_sram_reads": 0, "filter_sram_reads": 0, "ofmap_sram_writes": 0,
        "sram_ifmap_read_bytes": 0.0, "sram_filter_read_bytes": 0.0, "sram_ofmap_write_bytes": 0.0,
        "sram_ofmap_read_bytes": 0.0, "stall_buffer": v["stall_buffer"],
        "dram_psum_read_bytes": 0.0, "dram_psum_write_bytes": 0.0, "outer_operand": "", "refetched_operand": "",
        # staged through the ofmap buffer (below): reads = inputs in + output out, writes = the reverse
        "ifmap_buf_read_bytes": 0.0, "ifmap_buf_write_bytes": 0.0, "weight_buf_read_bytes": 0.0,
        "weight_buf_write_bytes": 0.0, "ofmap_buf_read_bytes": io, "ofmap_buf_write_bytes": io,
        "ppu_cycles": 0, "ppu_stall_cycles": 0.0, "k_segments": 0, "w_scales": 0, "a_scales": 0,
        "dram_scale_read_bytes": 0.0, "requant_ops": 0, "rescale_ops": 0, "absmax_ops": 0,
        # staged through the ofmap buffer: DRAM -> SRAM -> unit -> SRAM -> DRAM
        "sram_ifmap_bytes": 0.0, "sram_weight_bytes": 0.0, "sram_ofmap_bytes": 2 * io,
        "sram_read_bytes": io, "sram_write_bytes": io,
        "mac_pj": 0.0, "energy_vector_pj": layer.elements * pj_per_element, "ppu_energy_pj": 0.0,
        "cycles_per_element": cycles_per_element,
    }
