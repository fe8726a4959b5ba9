"""The public entry points: ``simulate`` (per-layer results and totals) and ``simulate_totals`` (totals only).

The model is in simulator/model/ (its __init__ says where each number is counted); this module assembles
typed results from it for one design. Many designs at once: ``simulator.model.batch``.
"""

from __future__ import annotations

from simulator.energy import hw_costs
from simulator.model import kernel as K
from simulator.model.attention import attention_fusion
from simulator.model.design import design_of, prices_of
from simulator.model.layer import gemm_labels, stall_cause
from simulator.model.memo import per_object
from simulator.model.pipeline import Network, prepare, scalar_kernel
from simulator.model.residency import activation_capacity, describe
from simulator.model.sparsity import sparse_labels
from simulator.model.views import layer_view
from simulator.results import SimResult, Totals
from simulator.work import check_work

_MEMO: dict = {}


def _memo(workload, key: tuple, compute):
    """``compute()`` once per workload object and ``key`` (simulator/model/memo.py)."""
    return per_object(_MEMO, (workload,), key, compute, 512)


def clear_memo() -> None:
    """Forget every prepared workload and its counts (benchmarks measure the uncached path with it)."""
    _MEMO.clear()


def _prepared(workload, hw):
    """The workload as run (simulator/model/pipeline.py ``prepare``), memoized per workload object."""
    fusion = attention_fusion(hw)
    return _memo(workload, ("prepared", fusion), lambda: prepare(workload, fusion))


def _network(workload, hw) -> Network:
    """The pipeline on one design (simulator/model/pipeline.py) on the prepared workload: its counts and energies,
    once per (workload object, hardware) (both immutable; ``simulator.model.network.run_kernel`` caches the
    kernel beneath it). The per-layer columns and totals are views computed on every call."""
    def compute() -> Network:
        check_work(workload, hw)   # refuses a fold walk above limits.folds before it starts (simulator/work.py)
        costs = hw_costs(hw)
        return Network(workload, hw, costs.tech, design_of(hw), prices_of(costs, hw), scalar_kernel,
                       activation_capacity(hw), attention_fusion(hw))

    return _memo(workload, ("network", hw), compute)


_LABELS: dict = {}


def _labels(layer, s, k, k_run, where, hw) -> dict:
    """The per-layer fields that the layer, its setup, its kernel output ``k`` (GEMMs) and its placement say (not
    counts): once per (layer, hardware) objects, placement and kernel output (simulator/model/memo.py)."""
    def compute() -> dict:
        row = {"op": layer.op, "m": layer.m, "n": layer.n, "k": layer.k, "repeat": layer.repeat,
               "w_bits": layer.w_bits, "a_bits": layer.a_bits, "out_bits": layer.out_bits,
               "precision": layer.precision, "macs": layer.macs}
        if k is not None:
            q = s.quant
            row.update(pe_precision=s.pe_precision, promoted=s.promoted, macs_per_pe_cycle=s.p, impl=s.impl,
                       dataflow=str(hw.array.dataflow), acc_bits_used=s.acc_bits, cycles_per_element=0.0,
                       k_segments=q["k_segments"], w_scales=q["w_scales"], a_scales=q["a_scales"],
                       requant_ops=q["requant_ops"], rescale_ops=q["rescale_ops"], absmax_ops=q["absmax_ops"],
                       zero_point_ops=q["zp_sum_ops"] + q["zp_ops"], zero_point_bytes=q["zero_point_bytes"],
                       **gemm_labels(k), **sparse_labels(layer, s.sparse, k_run))
        else:
            row.update(pe_precision="vector", promoted=False, macs_per_pe_cycle=0.0, impl=s.impl, dataflow="vector",
                       acc_bits_used=0, cycles_per_element=s.cycles_per_element, k_segments=0, w_scales=0,
                       a_scales=0, requant_ops=0, rescale_ops=0, absmax_ops=0, zero_point_ops=0,
                       zero_point_bytes=0.0, mapping_efficiency=0.0, loop_order="", outer_operand="",
                       refetched_operand="", conv_tile_rows=0, conv_filter_groups=0, conv_loop_order="",
                       **sparse_labels(layer, None, 0))
        row.update(ifmap_source=describe(where.ifmap), ofmap_dest=describe(where.ofmap),
                   filter_source=describe(where.filter) if layer.is_gemm or layer.op == "add" else "")
        return row

    return per_object(_LABELS, (layer, hw), (where, k, k_run), compute, 4096)


def _rows(net: Network, hw) -> list[dict]:
    """Every per-layer field of the distinct layers (simulator/schema.py): what the layer and its setup say
    (``_labels``), the largest stall cause, then the declared views of its counts and energy."""
    d = design_of(hw)
    view = layer_view()
    rows = []
    for (layer, _, where), s, c, e, k, prm, g in zip(net.base, net.setups, net.counts, net.energies, net.kernel_out,
                                                     net.params, net.gemm):
        row = dict(_labels(layer, s, k, prm[K.P_K] if g else 0, where, hw))
        row["stall_buffer"] = stall_cause(c)
        row.update(view(c, e, d, s if g else _VECTOR))
        rows.append(row)
    return rows


class _Vector:
    """The setup a vector layer's views see: no MACs per PE cycle."""

    p = 0.0


_VECTOR = _Vector()


def _totals(net: Network, batch, hw) -> Totals:
    costs = hw_costs(hw)
    t = net.totals(hw, design_of(hw), prices_of(costs, hw), costs.area, batch)
    f_hz = hw.freq_mhz * 1e6
    by_prec: dict[str, list[float]] = {}
    for (layer, _, _), s, c, n in zip(net.base, net.setups, net.counts, net.occurrences):
        if layer.is_gemm:
            acc = by_prec.setdefault(s.pe_precision, [0.0, 0.0])
            acc[0] += layer.macs * n
            acc[1] += c.total * n
    effective = {k: float(2 * m / (c / f_hz) / 1e12) for k, (m, c) in by_prec.items()}
    fpga = {}
    if hw.fpga is not None:   # FPGA designs only (simulator/fpga/, docs/fpga.md)
        from simulator.fpga.totals import fpga_totals

        fpga = fpga_totals(hw, float(t["latency_us"]), batch)
    return Totals(**{k: float(v) for k, v in t.items()}, peak_tops_by_precision=hw.peak_tops(),
                  effective_tops_by_precision=effective, **fpga)


class _Single:
    """The one-design helpers a chip of several engines evaluates each engine with (simulator/multi.py)."""

    prepared = staticmethod(_prepared)
    network = staticmethod(_network)
    rows = staticmethod(_rows)
    costs = staticmethod(hw_costs)


def simulate(workload, hw) -> SimResult:
    """Simulate every layer of ``workload`` on ``hw`` (identical layers once): a typed ``SimResult``. A chip of
    several engines (``simulator.hardware.chip.Chip``) is scheduled by simulator/multi.py."""
    if hasattr(hw, "engines"):
        from simulator.multi import simulate_chip

        return simulate_chip(workload, hw, _Single)
    workload = _prepared(workload, hw)
    net = _network(workload, hw)
    rows = _rows(net, hw)
    macs = sum(r["macs"] * n for r, n in zip(rows, net.occurrences))
    info = {"model": workload.model, "recipe": workload.recipe, "batch": workload.batch,
            "img_size": workload.img_size, "layers": len(workload.layers), "macs": macs,
            "source": workload.source}
    return SimResult(hw, info, tuple(rows), tuple(net.order), tuple(lay.name for lay in workload.layers),
                     _totals(net, workload.batch, hw))


def simulate_totals(workload, hw) -> Totals:
    """Network totals only (no per-layer table)."""
    if hasattr(hw, "engines"):
        return simulate(workload, hw).totals
    return _totals(_network(_prepared(workload, hw), hw), workload.batch, hw)


def simulate_layer(layer, hw) -> dict:
    """One layer's fields (without its name), alone with every operand in DRAM: a one-layer workload through the
    same pipeline (simulator/model/pipeline.py)."""
    from workloads.model import Workload

    costs = hw_costs(hw)
    net = Network(Workload(model="layer", layers=(layer,)), hw, costs.tech, design_of(hw), prices_of(costs, hw),
                  scalar_kernel)
    return _rows(net, hw)[0]


def simulate_rows(workload, hw) -> list[dict]:
    """One dict per layer, in order (``simulate(...).layer_results`` as dicts)."""
    return [r.to_dict() for r in simulate(workload, hw).layer_results]
