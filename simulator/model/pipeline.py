"""The one pipeline, for one design or a column batch of designs: plan -> counts -> schedule -> price -> views.

  prepare   the workload as run: outlier GEMMs split (simulator/quant.py), fused attention's rescale layers
            added (simulator/model/attention.py)
  plan      its distinct layers, their placements (the memory plan) and the network schedule's contexts
            (simulator/model/network.py ``schedule_plan``)
  setups    per distinct layer and hardware structure: PE mode, p, scale counts, ops (simulator/model/layer.py)
  kernel    the GEMM kernel's outputs per distinct GEMM: ``kernel(params)`` on the list of parameter vectors,
            one per GEMM (simulator/model/kernel.py: the only step that differs between one design, a cached
            scalar call per GEMM, and a batch, one compiled call over every (design, GEMM) pair)
  counts    ``layer.gemm_counts`` / ``vector_counts`` -> ``Counts`` per distinct layer
  schedule  the network schedule re-counts the layers it touches with their hidden cycles and prefetched bytes
            (simulator/model/schedule.py)
  price     ``price.price`` -> ``Energy`` per distinct layer
  views     the totals (``views.total_view`` over the counts and energies summed with each layer's occurrences)
            and, for one design, the per-layer columns (``views.layer_view``)
``network`` runs it; ``simulator.engine`` (one design) and ``simulator.model.batch`` (many) call it with their
Design/Prices and kernel runner, nothing else.
"""

from __future__ import annotations

from simulator.model.attention import fuse_workload
from simulator.model.counts import weighted_sum
from simulator.model.layer import gemm_counts, gemm_setup, kernel_params, vector_counts, vector_setup
from simulator.model.memo import per_object
from simulator.model.network import peak_tops, schedule_flags, schedule_plan, scheduled_rows
from simulator.model.price import energy_sum, price
from simulator.model.views import total_view
from simulator.quant import split_outliers

_SETUPS: dict = {}


def prepare(workload, fusion):
    """The workload as run (module docstring); ``fusion``: attention.py's (ofmap bytes, accumulator bits) or None."""
    w = split_outliers(workload)
    return fuse_workload(w, *fusion) if fusion else w


def setup(layer, hw, tech, attn_input: bool):
    """A layer's setup on a hardware structure (``gemm_setup`` / ``vector_setup``: pure functions of both), once
    per (layer object, hardware object) (simulator/model/memo.py)."""
    if layer.is_gemm:
        return per_object(_SETUPS, (layer, hw), (attn_input,), lambda: gemm_setup(layer, hw, tech, attn_input), 4096)
    return per_object(_SETUPS, (layer, hw), (False,), lambda: vector_setup(layer, hw), 4096)


class Network:
    """The distinct layers of a prepared workload on designs of one structure ``hw`` with numbers ``d`` and
    prices ``prices`` (numbers, or arrays over designs): counts, energies, totals."""

    __slots__ = ("base", "counts", "energies", "gemm", "kernel_out", "occurrences", "order", "params", "setups")

    def __init__(self, workload, hw, tech, d, prices, kernel, capacity=None, fusion=None):
        unique, self.occurrences, self.order, sched = schedule_plan(
            workload, hw.nonlinear.post_softmax_bits, capacity, fusion, schedule_flags(hw))
        base = unique if sched is None else sched.base     # the standalone layers the schedule derives from
        setups = [setup(layer, hw, tech, attn) for layer, attn, _ in base]
        gemms = [i for i, (layer, _, _) in enumerate(base) if layer.is_gemm]
        params = {i: kernel_params(base[i][0], setups[i], hw.array.dataflow, hw.array.temporal_tiling, d,
                                   base[i][2], hw.array.timing_code, hw.buffers.depths) for i in gemms}
        kout = dict(zip(gemms, kernel([params[i] for i in gemms]) if gemms else []))

        def count(i, hidden=0.0, prefetched=0.0):
            layer, _, where = base[i]
            if layer.is_gemm:
                return gemm_counts(layer, setups[i], d, kout[i], where, hidden, prefetched)
            return vector_counts(layer, setups[i], d, where, hidden)

        counts = [count(i) for i in range(len(base))]
        of = range(len(base))
        if sched is not None:   # the network schedule (simulator/model/schedule.py)
            counts = scheduled_rows(sched, counts, d, count, hw)
            of = sched.base_of
        self.base = unique
        self.gemm = [layer.is_gemm for layer, _, _ in unique]
        self.setups = [setups[b] for b in of]
        self.params = [params.get(b) for b in of]
        self.kernel_out = [kout.get(b) for b in of]
        self.counts = counts
        self.energies = [price(c, s.mac_pj, s.sparse.decode_pj, prices, d.freq_mhz, True) if g
                         else price(c, 0.0, 0.0, prices, d.freq_mhz, False)
                         for c, s, g in zip(counts, self.setups, self.gemm)]

    def p_used(self):
        """The largest MACs per PE cycle among the PE modes the GEMM layers ran in (0 without GEMMs)."""
        return max((s.p for s, g in zip(self.setups, self.gemm) if g), default=0.0)

    def totals(self, hw, d, prices, area, batch) -> dict:
        """Every total of simulator/schema.py (``views.total_view``)."""
        e = energy_sum(zip(self.energies, self.occurrences))
        pk = peak_tops(d.rows, d.cols, d.freq_mhz, hw.pe.precisions)
        return total_view()(tuple(zip(self.counts, self.occurrences)), e, d, prices, area, batch, self.p_used(), pk)

    def summed(self):
        """The network's counts: every distinct layer's times its occurrences (``counts.weighted_sum``)."""
        return weighted_sum(zip(self.counts, self.occurrences))


def scalar_kernel(params: list) -> list:
    """One design's kernel outputs: ``network.run_kernel`` per GEMM (cached)."""
    from simulator.model.network import run_kernel

    return [run_kernel(tuple(p)) for p in params]
