"""The public entry points: ``simulate`` (per-layer results and totals) and ``simulate_totals`` (totals only).

The model is in simulator/model/ (its __init__ says where each number is counted); this module assembles
typed results from it for one design. Many designs at once: ``simulator.model.batch``.
"""

from __future__ import annotations

from simulator.energy import hw_costs
from simulator.fpga.totals import fpga_totals
from simulator.model.attention import attention_fusion, fuse_workload
from simulator.model.layer import design_of
from simulator.model.memo import per_object
from simulator.model.network import (
    evaluate_layer,
    network_totals,
    peak_tops,
    schedule_flags,
    schedule_plan,
    scheduled_rows,
)
from simulator.model.residency import activation_capacity
from simulator.quant import split_outliers
from simulator.results import SimResult, Totals
from simulator.work import check_work

_MEMO: dict = {}


def _memo(workload, key: tuple, compute):
    """``compute()`` once per workload object and ``key`` (simulator/model/memo.py)."""
    return per_object(_MEMO, (workload,), key, compute, 512)


def _prepared(workload, hw):
    """The workload as run: outlier GEMMs split (simulator/quant.py), fused attention's rescale layers added
    (simulator/model/attention.py). Memoized per workload object."""
    fusion = attention_fusion(hw)

    def compute():
        w = split_outliers(workload)
        return fuse_workload(w, *fusion) if fusion else w

    return _memo(workload, ("prepared", fusion), compute)


def _distinct(workload, hw):
    """The distinct layers' fields of the prepared workload (``_prepared``)."""
    # refuses a fold walk above limits.folds before it starts (simulator/work.py); once per workload and design
    _memo(workload, ("work", hw), lambda: check_work(workload, hw))
    costs = hw_costs(hw)
    d = design_of(hw, costs)
    unique, counts, order, sched = schedule_plan(workload, hw.nonlinear.post_softmax_bits, activation_capacity(hw),
                                                 attention_fusion(hw), schedule_flags(hw))
    base = unique if sched is None else sched.base
    rows = [evaluate_layer(layer, hw, attn, costs, where, d) for layer, attn, where in base]
    if sched is not None:   # the network schedule (simulator/model/schedule.py)
        rows = scheduled_rows(sched, rows, d, lambda b, hidden, pref: evaluate_layer(
            base[b][0], hw, base[b][1], costs, base[b][2], d, hidden, pref))
    return rows, counts, order, costs


def _totals(rows, counts, batch, hw, costs) -> Totals:
    d = design_of(hw, costs)
    t = network_totals(rows, counts, d, batch, peak_tops(hw.array.rows, hw.array.cols, hw.freq_mhz,
                                                         hw.pe.precisions), costs.area)
    f_hz = hw.freq_mhz * 1e6
    by_prec: dict[str, list[float]] = {}
    for r, n in zip(rows, counts):
        if r["macs"] > 0:
            acc = by_prec.setdefault(r["pe_precision"], [0.0, 0.0])
            acc[0] += r["macs"] * n
            acc[1] += r["total_cycles"] * n
    effective = {k: float(2 * m / (c / f_hz) / 1e12) for k, (m, c) in by_prec.items()}
    fpga = fpga_totals(hw, float(t["latency_us"]), batch) if hw.fpga is not None else {}
    return Totals(**{k: float(v) for k, v in t.items()}, peak_tops_by_precision=hw.peak_tops(),
                  effective_tops_by_precision=effective, **fpga)


def simulate(workload, hw) -> SimResult:
    """Simulate every layer of ``workload`` on ``hw`` (identical layers once): a typed ``SimResult``."""
    workload = _prepared(workload, hw)
    rows, counts, order, costs = _distinct(workload, hw)
    macs = sum(r["macs"] * n for r, n in zip(rows, counts))
    info = {"model": workload.model, "recipe": workload.recipe, "batch": workload.batch,
            "img_size": workload.img_size, "layers": len(workload.layers), "macs": macs,
            "source": workload.source}
    return SimResult(hw, info, tuple(rows), tuple(order), tuple(lay.name for lay in workload.layers),
                     _totals(rows, counts, workload.batch, hw, costs))


def simulate_totals(workload, hw) -> Totals:
    """Network totals only (no per-layer table)."""
    rows, counts, _, costs = _distinct(_prepared(workload, hw), hw)
    return _totals(rows, counts, workload.batch, hw, costs)


def simulate_layer(layer, hw, costs=None, attn_input: bool = False) -> dict:
    """One layer's fields (without its name); ``attn_input``: the attn@v matmul fed by the softmax."""
    return evaluate_layer(layer, hw, attn_input, costs)


def simulate_rows(workload, hw) -> list[dict]:
    """One dict per layer, in order (``simulate(...).layer_results`` as dicts)."""
    return [r.to_dict() for r in simulate(workload, hw).layer_results]
