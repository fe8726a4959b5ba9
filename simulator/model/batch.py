"""Many designs at once: designs as columns, totals as arrays, bit-identical to the one-design path.

A ``DesignBatch`` holds, per design, an index into ``variants`` (Hardware objects that give the structure:
PE type and modes, dataflow, temporal tiling, technology, non-linear units, PPU arithmetic and scale bits, DRAM
type) and the numbers that vary freely (``NUMERIC``: array rows and cols, buffer KiB, DRAM bandwidth and
latency, clock, vector and PPU lanes). ``evaluate(workload, batch)`` runs, per variant, the compiled GEMM
kernel over every (design, distinct GEMM) pair in one call and the same leaf formulas as
``simulator.model.network`` (layer.py, price.py, ``network_totals``) with numpy arrays over designs; only the
loop around them differs, so every total equals ``simulate_totals`` bit for bit (tests/simulator/test_batch.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from simulator.area import area_breakdown
from simulator.energy import dram_pj_per_bit, hw_tech, leak_density
from simulator.hardware import ConfigError
from simulator.model import kernel as K
from simulator.model.attention import fuse_workload
from simulator.model.layer import Design, gemm_counts, gemm_setup, kernel_params, vector_counts, vector_setup
from simulator.model.network import network_totals, peak_tops, plan, schedule_flags, schedule_plan, scheduled_rows
from simulator.model.price import price
from simulator.quant import split_outliers
from simulator.schema import TOTAL_NAMES

# per-design numbers: column name -> how to read it from a Hardware
NUMERIC = {
    "rows": lambda hw: hw.array.rows,
    "cols": lambda hw: hw.array.cols,
    "ifmap_kib": lambda hw: hw.buffers.ifmap_kib,
    "weight_kib": lambda hw: hw.buffers.weight_kib,
    "ofmap_kib": lambda hw: hw.buffers.ofmap_kib,
    "bandwidth_gbps": lambda hw: hw.dram.bandwidth_gbps,
    "latency_cycles": lambda hw: hw.dram.latency_cycles,
    "freq_mhz": lambda hw: hw.freq_mhz,
    "vector_lanes": lambda hw: hw.vector.lanes,
    "ppu_lanes": lambda hw: hw.ppu.lanes,
}
_INT = ("rows", "cols", "latency_cycles", "vector_lanes", "ppu_lanes")
# hardware YAML path of each numeric column (sweep axes on these paths become columns)
NUMERIC_PATHS = {"array.rows": "rows", "array.cols": "cols", "buffers.ifmap_kib": "ifmap_kib",
                 "buffers.weight_kib": "weight_kib", "buffers.ofmap_kib": "ofmap_kib",
                 "dram.bandwidth_gbps": "bandwidth_gbps", "dram.latency_cycles": "latency_cycles",
                 "freq_mhz": "freq_mhz", "vector.lanes": "vector_lanes", "ppu.lanes": "ppu_lanes"}


@dataclass(frozen=True)
class DesignBatch:
    """Designs as columns: ``variant[i]`` indexes ``variants``; ``numbers[name][i]`` for each NUMERIC name."""

    variants: tuple
    variant: np.ndarray
    numbers: dict

    def __len__(self) -> int:
        return len(self.variant)

    def take(self, sel: np.ndarray) -> DesignBatch:
        return DesignBatch(self.variants, self.variant[sel], {k: v[sel] for k, v in self.numbers.items()})

    @classmethod
    def from_hardware(cls, hws) -> DesignBatch:
        """Columns from Hardware objects; designs that differ only in NUMERIC share a variant."""
        index: dict = {}
        variant = []
        for hw in hws:
            variant.append(index.setdefault(structure(hw), len(index)))
        variants = [None] * len(index)
        for hw, v in zip(hws, variant):
            if variants[v] is None:
                variants[v] = structure(hw)
        return cls(tuple(variants), np.asarray(variant, dtype=np.intp), columns(hws))


def structure(hw):
    """``hw`` with every NUMERIC field zeroed (and its name dropped): what designs of one variant share. The
    batch path reads numbers only from its columns, so a zero here can never leak into a result unnoticed."""
    return replace(hw, name="", description="", freq_mhz=0.0,
                   array=replace(hw.array, rows=0, cols=0),
                   buffers=replace(hw.buffers, ifmap_kib=0.0, weight_kib=0.0, ofmap_kib=0.0),
                   dram=replace(hw.dram, bandwidth_gbps=0.0, latency_cycles=0),
                   vector=replace(hw.vector, lanes=0), ppu=replace(hw.ppu, lanes=0))


def columns(hws) -> dict:
    """NUMERIC columns of a list of Hardware objects."""
    return {name: np.asarray([get(hw) for hw in hws], dtype=np.int64 if name in _INT else np.float64)
            for name, get in NUMERIC.items()}


def evaluate(workload, designs: DesignBatch) -> tuple[dict, list]:
    """Totals of ``workload`` on every design: ({TOTAL_NAMES: float64 array}, [error message or '' per design]).
    A design whose structure cannot run the workload (no PE mode wide enough) gets NaN totals and the error."""
    n = len(designs)
    out = {name: np.full(n, np.nan) for name in TOTAL_NAMES}
    errors = [""] * n
    for v, hw in enumerate(designs.variants):
        sel = np.flatnonzero(designs.variant == v)
        if not len(sel):
            continue
        try:
            totals = evaluate_planned(workload, hw, {k: c[sel] for k, c in designs.numbers.items()})
        except ConfigError as e:
            for i in sel:
                errors[i] = f"{e.field}: {e.problem}"
            continue
        for name in TOTAL_NAMES:
            out[name][sel] = totals[name]
    return out, errors


def _per_value(fn, values: np.ndarray) -> np.ndarray:
    """fn(value) for each element, computed once per distinct value (scalar code: same bits as one design)."""
    uniq, inv = np.unique(values, return_inverse=True)
    return np.asarray([fn(float(u)) for u in uniq], dtype=np.float64)[inv]


def design_columns(hw, nums: dict) -> tuple[Design, dict]:
    """The ``Design`` (arrays) and area of one variant's designs."""
    tech = hw_tech(hw)
    kib = (nums["ifmap_kib"], nums["weight_kib"], nums["ofmap_kib"])
    area = area_breakdown(tech, hw, nums["rows"], nums["cols"], kib, nums["vector_lanes"], nums["ppu_lanes"])
    d = Design(nums["rows"], nums["cols"], *((x * 1024).astype(np.int64) for x in kib),
               nums["bandwidth_gbps"] * 1e3 / nums["freq_mhz"], nums["latency_cycles"], nums["freq_mhz"],
               nums["vector_lanes"], nums["ppu_lanes"], tuple(_per_value(tech.sram_pj_per_bit, x) for x in kib),
               dram_pj_per_bit(hw, tech), leak_density(hw, tech) * area["area_mm2"])
    return d, area


def evaluate_planned(workload, hw, nums: dict) -> dict:
    """``evaluate_variant`` per group of designs with the same memory plan (simulator/model/residency.py): under
    ``memory.activations: on_chip`` the plan depends on each design's ifmap buffer (its activation capacity), under
    ``memory.attention: fused`` on its ofmap buffer (the key tile, simulator/model/attention.py)."""
    on_chip, fused = hw.memory.activations == "on_chip", hw.memory.attention == "fused"
    if not on_chip and not fused:
        return evaluate_variant(workload, hw, nums)
    n = len(nums["ifmap_kib"])
    none = np.zeros(n, dtype=np.int64)
    caps = (nums["ifmap_kib"] * 1024).astype(np.int64) if on_chip else none   # = Design.ifmap_bytes
    obufs = (nums["ofmap_kib"] * 1024).astype(np.int64) if fused else none
    pairs, inv = np.unique(np.stack([caps, obufs], axis=1), axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    ps = hw.nonlinear.post_softmax_bits
    groups: dict = {}
    for j, (cap, ob) in enumerate(pairs):
        cap, fusion = (int(cap) if on_chip else None), ((int(ob), hw.pe.acc_bits) if fused else None)
        wl = split_outliers(workload)
        unique, _, order = plan(fuse_workload(wl, *fusion) if fusion else wl, ps, cap, fusion)
        key = (tuple((u[0], u[2]) for u in unique), tuple(order))
        groups.setdefault(key, (cap, fusion, []))[2].append(j)
    out: dict = {}
    for cap, fusion, members in groups.values():
        sel = np.flatnonzero(np.isin(inv, members))
        t = evaluate_variant(workload, hw, {k: v[sel] for k, v in nums.items()}, cap, fusion)
        for name, v in t.items():
            out.setdefault(name, np.full(n, np.nan))[sel] = v
    return out


def evaluate_variant(workload, hw, nums: dict, capacity: int | None = None, fusion: tuple | None = None) -> dict:
    """Totals (arrays) of ``workload`` on designs of one structure ``hw`` with per-design numbers ``nums``;
    ``capacity``: the activation bytes of the memory plan all these designs share (None: every operand in DRAM);
    ``fusion``: their fused-attention (ofmap bytes, accumulator bits), None when attention is not fused."""
    tech = hw_tech(hw)
    prims = tech.primitives()
    d, area = design_columns(hw, nums)
    n = len(nums["rows"])
    wl = split_outliers(workload)
    unique, counts, _, sched = schedule_plan(fuse_workload(wl, *fusion) if fusion else wl,
                                             hw.nonlinear.post_softmax_bits, capacity, fusion, schedule_flags(hw))
    base = unique if sched is None else sched.base
    setups = [gemm_setup(layer, hw, tech, attn) if layer.is_gemm else vector_setup(layer, hw)
              for layer, attn, _ in base]
    gemms = [i for i, (layer, _, _) in enumerate(base) if layer.is_gemm]
    kout = None
    if gemms:
        params = np.empty((len(gemms), n, K.N_PARAMS))
        for j, i in enumerate(gemms):
            for col, v in enumerate(kernel_params(base[i][0], setups[i], hw.array.dataflow,
                                                  hw.array.temporal_tiling, d, base[i][2],
                                                  hw.array.timing_code)):
                params[j, :, col] = v
        kout = np.zeros((len(gemms) * n, K.N_OUT))
        run_batch(params.reshape(-1, K.N_PARAMS), kout)
        kout = kout.reshape(len(gemms), n, K.N_OUT)
    slot = {i: j for j, i in enumerate(gemms)}

    def row(i, hidden=0.0, prefetched=0.0):
        layer, _, where = base[i]
        s = setups[i]
        if layer.is_gemm:
            c = gemm_counts(layer, s, d, kout[slot[i]].T, where, hidden, prefetched)
            c.update(macs=layer.macs, macs_per_pe_cycle=s.p, promoted=s.promoted)
            c.update(price(c, layer.macs, s.mac_pj, d, prims, True))
        else:
            c = vector_counts(layer, s, d, where, hidden)
            c.update(macs=0, macs_per_pe_cycle=0.0, promoted=False)
            c.update(price(c, 0, 0.0, d, prims, False))
        return c

    rows = [row(i) for i in range(len(base))]
    if sched is not None:   # the network schedule (simulator/model/schedule.py), as simulator.engine
        rows = scheduled_rows(sched, rows, d, row)
    pk = peak_tops(d.rows, d.cols, d.freq_mhz, hw.pe.precisions)
    t = network_totals(rows, counts, d, workload.batch, pk, area)
    return {k: np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)) for k, v in t.items()}


def run_batch(params: np.ndarray, out: np.ndarray) -> None:
    """The compiled kernel over every row of ``params`` (n x N_PARAMS) into ``out`` (n x N_OUT)."""
    from simulator.model.jit import compiled

    compiled().gemm_batch(params, out, np.zeros(K.N_OUT), np.zeros(K.N_OUT))
