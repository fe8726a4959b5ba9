"""Many designs at once: designs as columns, totals as arrays, bit-identical to the one-design path.

A ``DesignBatch`` holds, per design, an index into ``variants`` (Hardware objects that give the structure:
PE type and modes, dataflow, temporal tiling, technology, non-linear units, PPU arithmetic and scale bits, DRAM
type) and the numbers that vary freely (``NUMERIC``: array rows and cols, buffer KiB, DRAM bandwidth and
latency, clock, vector and PPU lanes). ``evaluate(workload, batch)`` runs, per variant, the one pipeline of
``simulator.model.pipeline`` (``Network``: counts, schedule, prices, the schema's views) with numpy arrays over
designs and the compiled GEMM kernel over every (design, distinct GEMM) pair in one call; only the kernel runner
differs from one design's, so every total equals ``simulate_totals`` bit for bit (tests/simulator/test_batch.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.energy import hw_tech
from simulator.hardware import ConfigError
from simulator.model import kernel as K
from simulator.model.design import INT_NUMERIC, NUMERIC, NUMERIC_PATHS, design_columns, structure
from simulator.model.network import plan, schedule_flags
from simulator.model.pipeline import Network, prepare
from simulator.schema import TOTAL_NAMES

__all__ = ["NUMERIC", "NUMERIC_PATHS", "DesignBatch", "columns", "evaluate", "evaluate_planned", "evaluate_variant",
           "structure"]


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
            if hasattr(hw, "engines"):   # a chip of several engines: simulator/multi.py, one design at a time
                from simulator.hardware.config import ConfigError

                raise ConfigError(hw.source, "engines", "a chip of several engines; the batch evaluator runs "
                                  "one-engine designs", "simulator.simulate (python -m simulator run)")
            variant.append(index.setdefault(structure(hw), len(index)))
        variants = [None] * len(index)
        for hw, v in zip(hws, variant):
            if variants[v] is None:
                variants[v] = structure(hw)
        return cls(tuple(variants), np.asarray(variant, dtype=np.intp), columns(hws))


def columns(hws) -> dict:
    """NUMERIC columns of a list of Hardware objects."""
    return {name: np.asarray([get(hw) for hw in hws], dtype=np.int64 if name in INT_NUMERIC else np.float64)
            for name, get in NUMERIC.items()}


def evaluate(workload, designs: DesignBatch) -> tuple[dict, list]:
    """Totals of ``workload`` on every design: ({TOTAL_NAMES: float64 array}, [error message or '' per design]).
    A design whose structure cannot run the workload (no PE mode wide enough) gets NaN totals and the error."""
    return per_variant(designs, TOTAL_NAMES, lambda hw, nums: evaluate_planned(workload, hw, nums))


def per_variant(designs: DesignBatch, names, fn) -> tuple[dict, list]:
    """``fn(structure, numbers)`` on each variant's designs, into ({name: float64 array}, [error or '' per design]):
    a variant whose structure raises ``ConfigError`` gets NaN and ``field: problem`` on each of its designs."""
    n = len(designs)
    out = {name: np.full(n, np.nan) for name in names}
    errors = [""] * n
    for v, hw in enumerate(designs.variants):
        sel = np.flatnonzero(designs.variant == v)
        if not len(sel) or hw is None:
            continue
        try:
            values = fn(hw, {k: c[sel] for k, c in designs.numbers.items()})
        except ConfigError as e:
            for i in sel:
                errors[i] = f"{e.field}: {e.problem}"
            continue
        for name in names:
            out[name][sel] = values[name]
    return out, errors


def evaluate_planned(workload, hw, nums: dict) -> dict:
    """``evaluate_variant`` per group of designs with the same memory plan (simulator/model/residency.py): under
    ``memory.activations: on_chip`` the plan depends on each design's ifmap buffer (its activation capacity), under
    ``memory.attention: fused`` on its ofmap buffer (the key tile, simulator/model/attention.py; with the network
    schedule on, the key tile also sets a fused chain's pipeline tiles: designs group by it too)."""
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
    scheduled = schedule_flags(hw) is not None
    groups: dict = {}
    for j, (cap, ob) in enumerate(pairs):
        cap, fusion = (int(cap) if on_chip else None), ((int(ob), hw.pe.acc_bits) if fused else None)
        unique, _, order = plan(prepare(workload, fusion), ps, cap, fusion)
        key = (tuple((u[0], u[2]) for u in unique), tuple(order), fusion if scheduled else None)
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
    ``fusion``: their fused-attention (ofmap bytes, accumulator bits), None when attention is not fused. The one
    pipeline (simulator/model/pipeline.py) with every design's kernel outputs from one compiled call."""
    d, prices, area = design_columns(hw, nums)
    n = len(nums["rows"])

    def kernel(params: list) -> list:
        table = np.empty((len(params), n, K.N_PARAMS))
        for j, vec in enumerate(params):
            for col, v in enumerate(vec):
                table[j, :, col] = v
        kout = np.zeros((len(params) * n, K.N_OUT))
        run_batch(table.reshape(-1, K.N_PARAMS), kout)
        return list(kout.reshape(len(params), n, K.N_OUT).transpose(0, 2, 1))

    net = Network(prepare(workload, fusion), hw, hw_tech(hw), d, prices, kernel, capacity, fusion)
    t = net.totals(hw, d, prices, area, workload.batch)
    return {k: np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)) for k, v in t.items()}


def run_batch(params: np.ndarray, out: np.ndarray) -> None:
    """The compiled kernel over every row of ``params`` (n x N_PARAMS) into ``out`` (n x N_OUT)."""
    from simulator.model.jit import compiled

    compiled().gemm_batch(params, out, np.zeros(K.N_OUT), np.zeros(K.N_OUT))
