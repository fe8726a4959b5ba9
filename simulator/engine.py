"""simulate(workload, hardware) -> SimResult: each layer through mapping, memory, vector and energy.

Per layer: total_cycles = compute_cycles + stall_cycles (SCALE-Sim's convention; a GEMM's initial
fill and final drain are reported as ``prefetch_cycles``/``drain_cycles`` and assumed overlapped
with the neighbouring layers). utilization = macs / (total_cycles * R * C * p) with p the PE's
MACs per cycle at the layer's precision. Identical layers are simulated once.
"""

from __future__ import annotations

from simulator.energy import layer_energy, load_tech
from simulator.hardware import ConfigError, Hardware
from simulator.mapping import compute_cycles, map_gemm
from simulator.memory import gemm_memory
from simulator.results import SimResult, compute_totals
from simulator.vector import vector_layer
from workloads.model import Layer, Workload

_KEY_FIELDS = ("op", "m", "n", "k", "repeat", "w_bits", "a_bits", "out_bits", "acc_bits", "dtype")


def simulate(workload: Workload, hw: Hardware) -> SimResult:
    """Simulate every layer of ``workload`` on ``hw``; see the module docstring for the model."""
    return SimResult.build(simulate_rows(workload, hw), workload, hw)


def simulate_totals(workload: Workload, hw: Hardware) -> dict:
    """Network totals only (no DataFrame): the fast path for sweeps."""
    return compute_totals(simulate_rows(workload, hw), workload.batch, hw)


def simulate_rows(workload: Workload, hw: Hardware) -> list[dict]:
    """One row dict per layer, in order; identical layers share one simulation."""
    cache: dict[tuple, dict] = {}
    rows = []
    for layer in workload.layers:
        key = tuple(getattr(layer, f) for f in _KEY_FIELDS)
        row = cache.get(key)
        if row is None:
            row = cache[key] = simulate_layer(layer, hw)
        rows.append({"name": layer.name, **row})
    return rows


def simulate_layer(layer: Layer, hw: Hardware) -> dict:
    """One layer's row (without its name): shape, cycles, traffic in bytes, energy in pJ."""
    row = {"op": layer.op, "m": layer.m, "n": layer.n, "k": layer.k, "repeat": layer.repeat,
           "w_bits": layer.w_bits, "a_bits": layer.a_bits, "out_bits": layer.out_bits,
           "precision": layer.precision, "macs": layer.macs}
    row.update(_gemm(layer, hw) if layer.is_gemm else _vector(layer, hw))
    row["dram_read_bytes"] = row["dram_ifmap_read_bytes"] + row["dram_filter_read_bytes"] + row["dram_ofmap_read_bytes"]
    row["total_cycles"] = row["compute_cycles"] + row["stall_cycles"]
    row["utilization"] = (layer.macs / (row["total_cycles"] * hw.array.rows * hw.array.cols * row["macs_per_pe_cycle"])
                          if layer.is_gemm else 0.0)
    row["achieved_dram_gbps"] = ((row["dram_read_bytes"] + row["dram_write_bytes"]) / row["total_cycles"]
                                 * hw.freq_mhz / 1e3)
    row.update(layer_energy(load_tech(hw.tech.table), hw, layer.macs, row.pop("_mode"), layer.elements, layer.op,
                            row["sram_ifmap_bytes"], row["sram_weight_bytes"], row["sram_ofmap_bytes"],
                            row["dram_read_bytes"] + row["dram_write_bytes"]))
    return row


def _gemm(layer: Layer, hw: Hardware) -> dict:
    mode, promoted = hw.pe.resolve(layer.dtype, layer.w_bits, layer.a_bits)
    if mode is None:
        raise ConfigError(hw.source, "pe.precisions",
                          f"layer {layer.name} needs {layer.precision} and no PE mode is wide enough",
                          ", ".join(m.label for m in hw.pe.precisions))
    mp = map_gemm(hw.array.dataflow, layer.m, layer.n, layer.k, hw.array.rows, hw.array.cols, mode.macs_per_cycle)
    mem = gemm_memory(mp, layer.a_bits, layer.w_bits, layer.out_bits, hw.pe.acc_bits, hw.buffers.bytes,
                      hw.dram_bytes_per_cycle, hw.dram.latency_cycles, layer.repeat)
    mem.pop("closed_form_dram_bits")
    # every SRAM access per buffer: array-side reads/writes plus DRAM-side fills and drains
    sram_ifmap = mem["sram_ifmap_read_bytes"] + mem["dram_ifmap_read_bytes"]
    sram_weight = mem["sram_filter_read_bytes"] + mem["dram_filter_read_bytes"]
    sram_ofmap = (mem["sram_ofmap_write_bytes"] + mem["sram_ofmap_read_bytes"] + mem["dram_ofmap_read_bytes"]
                  + mem["dram_write_bytes"])
    dram_read = mem["dram_ifmap_read_bytes"] + mem["dram_filter_read_bytes"] + mem["dram_ofmap_read_bytes"]
    return {
        "_mode": mode, "pe_precision": mode.label, "promoted": promoted, "macs_per_pe_cycle": mode.macs_per_cycle,
        "dataflow": mp.dataflow, "folds": mp.folds * layer.repeat,
        "compute_cycles": compute_cycles(mp, layer.repeat), "mapping_efficiency": mp.mapping_efficiency(), **mem,
        "sram_ifmap_bytes": sram_ifmap, "sram_weight_bytes": sram_weight, "sram_ofmap_bytes": sram_ofmap,
        "sram_read_bytes": mem["sram_ifmap_read_bytes"] + mem["sram_filter_read_bytes"]
        + mem["sram_ofmap_read_bytes"] + mem["dram_write_bytes"],
        "sram_write_bytes": dram_read + mem["sram_ofmap_write_bytes"],
    }


def _vector(layer: Layer, hw: Hardware) -> dict:
    v = vector_layer(layer.op, layer.elements, layer.a_bits, layer.out_bits, hw.vector.cost(layer.op),
                     hw.vector.lanes, hw.dram_bytes_per_cycle, hw.dram.latency_cycles)
    io = v["dram_ifmap_read_bytes"] + v["dram_write_bytes"]
    return {
        "_mode": None, "pe_precision": "vector", "promoted": False, "macs_per_pe_cycle": 0.0, "dataflow": "vector",
        "folds": 0, "compute_cycles": v["compute_cycles"], "mapping_efficiency": 0.0, "loop_order": "",
        "stall_cycles": v["stall_cycles"], "prefetch_cycles": 0.0, "drain_cycles": 0.0,
        "stall_buffer": v["stall_buffer"], "dram_ifmap_read_bytes": v["dram_ifmap_read_bytes"],
        "dram_filter_read_bytes": 0.0, "dram_ofmap_read_bytes": 0.0, "dram_write_bytes": v["dram_write_bytes"],
        "ifmap_sram_reads": 0, "filter_sram_reads": 0, "ofmap_sram_writes": 0,
        "sram_ifmap_read_bytes": 0.0, "sram_filter_read_bytes": 0.0, "sram_ofmap_write_bytes": 0.0,
        "sram_ofmap_read_bytes": 0.0,
        # staged through the ofmap buffer: DRAM -> SRAM -> unit -> SRAM -> DRAM
        "sram_ifmap_bytes": 0.0, "sram_weight_bytes": 0.0, "sram_ofmap_bytes": 2 * io,
        "sram_read_bytes": io, "sram_write_bytes": io,
    }
