"""The assumptions that move a run's headline numbers, each with what it costs in this run and the ``--set`` key
that changes it: one list, shown as the footer of ``vitsim run`` and the first card of ``vitsim report``.

Listed (all from the hardware config, with the share of the run they drive):
- vector unit pipelined or not (``vector.pipelined``; share: vector_cycles / total_cycles) and whether it runs
  beside the array (``vector.overlap``);
- technology table, node and voltage (``tech.node_nm``, ``tech.voltage_v``): every pJ and mm^2;
- leakage density (``tech.leakage_mw_per_mm2``, else the table's; share: energy_static_uj / energy_uj);
- DRAM type and bandwidth (``dram.type``, ``dram.bandwidth_gbps`` x the achievable fraction ``dram.efficiency`` or
  the type's sourced default, simulator/tech/dram.py, or its full rate when the type has none; bounded further when
  ``dram.outstanding`` limits the requests in flight, simulator/model/design.py ``achieved_bytes_per_cycle``; share of
  the cycles spent waiting for DRAM: (stall_memory_cycles + dram_floor_stall_cycles) / total_cycles; pJ/bit of the type);
- clock (``freq_mhz``): latency_us = total_cycles / freq_mhz (+ host_us);
- host overhead when the config has a ``host`` section (share: host_us / latency_us).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Assumption:
    """One assumption: what it is (``topic``), its value here, what it drives in this run, how to change it."""

    topic: str
    value: str
    effect: str
    change: str


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def assumptions(hw, totals) -> list[Assumption]:
    """The assumptions of the module docstring for design ``hw`` and a run's ``totals`` (a mapping with
    total_cycles, vector_cycles, stall_memory_cycles, dram_floor_stall_cycles, energy_uj, energy_static_uj, host_us,
    latency_us)."""
    from simulator.energy import dram_pj_per_bit, hw_costs, leak_density
    from simulator.tech.dram import efficiency_note

    t = totals
    cycles = t["total_cycles"]
    v = hw.vector
    out = [Assumption(
        "vector unit", (f"pipelined (a fixed-function pipeline per op), {v.lanes} lanes" if v.pipelined else
                        f"not pipelined (one primitive op per lane per cycle), {v.lanes} lanes")
        + {"gemm": "; runs beside the array", "none": "; runs after the array",
           "auto": "; runs beside the array where the ofmap buffer holds a tile of its input"}[str(v.overlap)],
        f"{_pct(t['vector_cycles'], cycles)} of the cycles",
        f"--set vector.pipelined={'false' if v.pipelined else 'true'}"
        + ("" if str(v.overlap) == "gemm" else ", --set vector.overlap=gemm"))]
    costs = hw_costs(hw)
    tech = costs.tech
    out.append(Assumption("technology", f"{hw.tech.table} table at {tech.node_nm:g} nm, {tech.voltage_v:g} V",
                          "every pJ and mm2", "--set tech.node_nm=<nm>, --set tech.voltage_v=<V>"))
    dens = leak_density(hw, tech)
    own = "set in the config" if hw.tech.leakage_mw_per_mm2 is not None else "the table's; docs/energy.md"
    out.append(Assumption("leakage", f"{dens:g} mW/mm2 ({own})", f"{_pct(t['energy_static_uj'], t['energy_uj'])} "
                          "of the energy", "--set tech.leakage_mw_per_mm2=<mW/mm2>"))
    from simulator.scalesim_cfg import CALC_BYTES_PER_CYCLE

    unlimited = hw.dram_bytes_per_cycle >= CALC_BYTES_PER_CYCLE
    from simulator.model.design import design_of

    bw = "unlimited bandwidth (SCALE-Sim CALC)" if unlimited else efficiency_note(hw.dram)
    if not unlimited and hw.dram.outstanding is not None:
        achieved = design_of(hw).bytes_per_cycle * hw.freq_mhz / 1e3
        bw += (f", {achieved:.3g} GB/s achieved ({hw.dram.dma_engines} x {hw.dram.outstanding} requests of "
               f"{hw.dram.burst_bytes} B in flight)")
    wait = t["stall_memory_cycles"] + t["dram_floor_stall_cycles"]
    out.append(Assumption("DRAM", f"{hw.dram.type}, {bw}, {dram_pj_per_bit(hw, tech):g} pJ/bit",
                          f"{_pct(wait, cycles)} of the cycles waiting for it",
                          "--set dram.bandwidth_gbps=<GB/s>, --set dram.type=<type>, --set dram.efficiency=<0..1>"))
    out.append(Assumption("clock", f"{hw.freq_mhz:g} MHz", "latency = cycles / clock"
                          + (" + host overhead" if t["host_us"] else ""), "--set freq_mhz=<MHz>"))
    h = hw.host
    if t["host_us"] or h.power_w is not None:
        out.append(Assumption("host", f"{h.overhead_us_per_image:g} us per image + {h.overhead_us_per_batch:g} us per "
                              "run" + ("" if h.power_w is None else f" at {h.power_w:g} W"),
                              f"{_pct(t['host_us'], t['latency_us'])} of the latency",
                              "--set host.overhead_us_per_image=<us>, --set host.overhead_us_per_batch=<us>"))
    return out


def assumptions_text(hw, totals) -> list[str]:
    """One line per assumption, for the terminal: ``vector unit: not pipelined ... -> 62% of the cycles
    (--set vector.pipelined=true)``."""
    return [f"{a.topic}: {a.value} -> {a.effect} ({a.change})" for a in assumptions(hw, totals)]
