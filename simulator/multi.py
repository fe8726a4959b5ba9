"""A workload on a chip of several engines (simulator/hardware/chip.py ``Chip``): assign, count, schedule, price.

  1. prepare   the workload as run (simulator/model/pipeline.py ``prepare``, the first engine's attention mode:
               every engine has the same one); at batch B > 1 the engines work image by image: the unit of work is
               the batch-1 workload (``Workload.with_batch(1)``), run B times (images pipelined across engines)
  2. assign    each layer to an engine (simulator/model/engines.py: rules or auto); ``split: batch`` puts image b
               on engine b mod k; ``split: rows`` gives every engine ceil(m / k) rows of every layer (heads of an
               attention matmul: its ``repeat``; a conv is then read as its im2col GEMM)
  3. count     each engine's layers, in workload order, through the single-engine pipeline on that engine's
               ``Hardware`` (``Network``: its own memory plan, PE modes with promotion, stalls at the full DRAM
               bandwidth): Counts per layer, with the engine's index
  4. schedule  simulator/model/chipsched.py over one task per (image, layer) or (layer, engine): engines
               concurrent where the chain of layers allows, pipelined over tiles across engines, DRAM
               processor-shared. An activation crossing engines moves over ``shared.transfer``
               (engines.move_s): the consumer takes at least that long; through DRAM its bytes are counted
               (written once, read once) and priced on the consumer's engine
  5. price     each engine's counts at its own prices (price.py, in the pipeline); totals are the declared views
               over the summed counts (simulator/schema.py) with the schedule's makespan as total_cycles (in the
               first engine's clock) and the chip's peak (every engine's) as the utilization's denominator
The per-layer rows are one image's (batch B: the totals count B images).
"""

from __future__ import annotations

from dataclasses import replace

from simulator.model.chipsched import Task, schedule
from simulator.model.counts import weighted_sum
from simulator.model.design import design_of, prices_of
from simulator.model.engines import auto, by_rules, move_s, runnable, via_dram
from simulator.model.memo import per_object
from simulator.model.price import energy_sum, price
from simulator.model.views import total_view
from simulator.results import EngineResult, SimResult, Totals

_PLANS: dict = {}


def _unit(prepared, chip):
    """(workload each task list is made of, copies): the batch-1 workload B times, or rows split over k engines."""
    from workloads.errors import InputError

    if chip.split == "rows":
        k = len(chip.engines)
        layers = tuple(replace(la, repeat=-(-la.repeat // k)) if la.op == "matmul" else
                       replace(la, m=-(-la.m // k), **_NO_GEOMETRY) for la in prepared.layers)
        return replace(prepared, layers=layers), 1
    if prepared.batch > 1:
        try:
            return prepared.with_batch(1), prepared.batch
        except InputError:       # a batch the layers do not divide: one task per layer for the whole batch
            return prepared, 1
    return prepared, 1


# a conv's rows split over cores is read as its im2col GEMM (a share of the output pixels has no image geometry)
_NO_GEOMETRY = {f: 0 for f in ("conv_in_h", "conv_in_w", "conv_in_channels", "conv_kernel_h", "conv_kernel_w",
                               "conv_stride", "conv_padding", "conv_groups")}


def _out_bytes(layer) -> float:
    return layer.elements * layer.out_bits / 8


def _plan(workload, chip, single):
    """Assignment, per-engine sub-workloads and their Networks, once per (workload object, chip object)."""
    def compute():
        prepared = single.prepared(workload, chip.engines[0].hw)
        unit, copies = _unit(prepared, chip)
        layers = unit.layers
        ok = runnable(chip, layers)
        n_e = len(chip.engines)
        if chip.split != "none":
            assign = None
        elif chip.assign == "auto":
            times = [[None] * n_e for _ in layers]
            for e, eng in enumerate(chip.engines):
                idx = [i for i in range(len(layers)) if ok[i][e]]
                net = single.network(replace(unit, layers=tuple(layers[i] for i in idx)), eng.hw)
                for j, i in enumerate(idx):
                    times[i][e] = net.counts[net.order[j]].total / (eng.hw.freq_mhz * 1e6)
            assign = auto(chip, times, [_out_bytes(la) for la in layers])
        else:
            assign = by_rules(chip, layers, ok)
        subs, nets, where = [], [], [None] * len(layers)   # where[i]: (engine, position in its sub-workload)
        for e, eng in enumerate(chip.engines):
            idx = list(range(len(layers))) if assign is None else [i for i in range(len(layers)) if assign[i] == e]
            sub = replace(unit, layers=tuple(layers[i] for i in idx))
            subs.append(sub)
            nets.append(single.network(sub, eng.hw) if idx else None)
            if assign is not None:
                for j, i in enumerate(idx):
                    where[i] = (e, j)
        tagged = [[replace(c, engine=e) for c in net.counts] if net else [] for e, net in enumerate(nets)]
        costs = [single.costs(eng.hw) for eng in chip.engines]
        return (unit, copies, assign, subs, nets, where, _tasks(chip, unit, copies, assign, nets, where), tagged,
                costs)

    return per_object(_PLANS, (workload, chip), (), compute, 256)


def _tasks(chip, unit, copies, assign, nets, where):
    """The task list (priority order); per task (engine, layer index, image); transfer bytes per engine; per task
    its chain (the image: on one engine a chain's later tasks cannot start before its earlier ones)."""
    n_e = len(chip.engines)
    layers = unit.layers
    f = [e.hw.freq_mhz * 1e6 for e in chip.engines]
    tasks, meta = [], []
    xfer = [0.0] * n_e

    def counts(e, j):
        net = nets[e]
        return net.counts[net.order[j]]

    def dram(c):
        return sum(c.acc[i] for i in _DRAM_IDX)

    if chip.split == "rows":
        prev = []
        for i in range(len(layers)):
            cur = []
            for e in range(n_e):
                c = counts(e, i)
                cur.append(len(tasks))
                tasks.append(Task(e, c.total / f[e], dram(c), tuple((p, 0) for p in prev)))
                meta.append((e, i, 0))
            prev = cur
        return tasks, meta, xfer, None
    for b in range(copies):
        prev = -1
        for i in range(len(layers)):
            e, j = (b % n_e, i) if assign is None else where[i]
            c = counts(e, j)
            work, nbytes, dep = c.total / f[e], dram(c), ()
            if prev >= 0:
                pe_ = tasks[prev].engine
                if pe_ != e:
                    pc = counts(*where[i - 1])
                    moved = _out_bytes(layers[i - 1])
                    work = max(work, move_s(chip, moved))
                    if via_dram(chip, moved):
                        nbytes += 2 * moved
                        xfer[e] += 2 * moved
                    dep = ((prev, max(1, int(pc.output_tiles))),)
                else:
                    dep = ((prev, 0),)
            prev = len(tasks)
            tasks.append(Task(e, work, nbytes, dep))
            meta.append((e, i, b))
    return tasks, meta, xfer, [b for _, _, b in meta]


def _dram_indices():
    from simulator.model.counts import ACCESS_NAMES

    return tuple(i for i, n in enumerate(ACCESS_NAMES) if n.startswith("dram_"))


_DRAM_IDX = _dram_indices()


def _transfer_energy(nbytes, hw, costs):
    """DRAM energy of ``nbytes`` of cross-engine activations (half written, half read) at ``hw``'s prices."""
    from simulator.model.counts import access

    c = weighted_sum(())
    acc = list(c.acc)
    acc[access("ofmap", "dram", "wr")] = nbytes / 2
    acc[access("ifmap", "dram", "rd")] = nbytes / 2
    c = replace(c, acc=tuple(acc))
    return c, price(c, 0.0, 0.0, prices_of(costs), hw.freq_mhz, False)


def simulate_chip(workload, chip, single) -> SimResult:
    """``workload`` on ``chip`` (module docstring). ``single``: the one-design helpers of simulator/engine.py
    (prepared, network, rows, costs), passed in so that this module does not import it."""
    unit, copies, _, subs, nets, where, (tasks, meta, xfer, groups), tagged, all_costs = _plan(workload, chip, single)
    sch = schedule(tasks, len(chip.engines), chip.dram_bytes_per_s, groups)
    f0 = chip.freq_mhz * 1e6
    pairs, energies, engines = [], [], []
    area_sum: dict = {}
    leak = peak = slots = mac_slots_pe = 0.0
    peak_by: dict = {}
    eff: dict = {}
    layer_rows = {}
    for e, (eng, net) in enumerate(zip(chip.engines, nets)):
        hw = eng.hw
        costs = all_costs[e]
        area = dict(costs.area)
        if not eng.gemm:   # a vector-only engine: no array
            area["area_mm2"] -= area["area_pe_mm2"]
            area["area_pe_mm2"] = 0.0
        for k, v in area.items():
            area_sum[k] = area_sum.get(k, 0.0) + v
        leak += costs.leakage_mw
        p_max = max(m.macs_per_cycle for m in hw.pe.precisions) if eng.gemm else 0.0
        slots += hw.array.rows * hw.array.cols * p_max * hw.freq_mhz * 1e6 / f0 if eng.gemm else 0.0
        if eng.gemm:
            for lab, v in hw.peak_tops().items():
                peak_by[lab] = peak_by.get(lab, 0.0) + v
            peak += max(hw.peak_tops().values())
        macs = executed = e_energy = 0.0
        if net is not None:
            n_rep = copies if chip.split != "batch" else sum(1 for b in range(copies) if b % len(chip.engines) == e)
            e_pairs = [(c, n * n_rep) for c, n in zip(tagged[e], net.occurrences)]
            e_energies = [(en, n * n_rep) for en, n in zip(net.energies, net.occurrences)]
            pairs += e_pairs
            energies += e_energies
            e_energy = energy_sum(e_energies).total
            macs = sum(c.macs * n for c, n in e_pairs)
            executed = sum(c.executed_macs * n for c, n in e_pairs)
            for c, n in e_pairs:
                mac_slots_pe += c.mac_slots * n * hw.array.rows * hw.array.cols
            for (layer, _, _), s, c, n, g in zip(net.base, net.setups, net.counts, net.occurrences, net.gemm):
                if g:
                    acc = eff.setdefault(s.pe_precision, [0.0, 0.0])
                    acc[0] += layer.macs * n * n_rep
                    acc[1] += c.total * n * n_rep / (hw.freq_mhz * 1e6)
            if chip.split == "none" or e == 0:   # the rows shown: each layer's engine (split: the first core's)
                rows = single.rows(net, hw)
                layer_rows[e] = ([dict(r, engine=e) for r in rows], net.order)   # distinct rows, each layer's
        if xfer[e]:
            tc, te = _transfer_energy(xfer[e], hw, costs)
            pairs.append((tc, 1))
            energies.append((te, 1))
            e_energy += te.total
        fe = hw.freq_mhz * 1e6
        span_cycles = sch.makespan_s * fe
        engines.append(EngineResult(
            name=eng.name, engine=e, freq_mhz=hw.freq_mhz,
            layers=len(subs[e].layers) if chip.split == "none" else len(unit.layers),
            busy_cycles=sch.busy_s[e] * fe, wait_dram_cycles=sch.wait_dram_s[e] * fe,
            wait_dependency_cycles=sch.wait_dep_s[e] * fe, idle_cycles=sch.idle_s[e] * fe,
            busy_share=sch.busy_s[e] / sch.makespan_s if sch.makespan_s else 0.0,
            utilization=executed / (span_cycles * hw.array.rows * hw.array.cols * p_max) if eng.gemm and span_cycles
            else 0.0,
            macs=float(macs), energy_uj=e_energy / 1e6, area_mm2=area["area_mm2"],
            dram_bytes=sch.dram_bytes[e],
            achieved_dram_gbps=sch.dram_bytes[e] / sch.makespan_s / 1e9 if sch.makespan_s else 0.0,
            transfer_dram_bytes=xfer[e]))
    summed = weighted_sum(pairs)
    span_ref = sch.makespan_s * f0
    n = replace(summed, total=span_ref)
    d = replace(design_of(chip.engines[0].hw), rows=1, cols=slots)
    prices = replace(prices_of(all_costs[0]), leakage_mw=leak)
    t = total_view()(((n, 1),), energy_sum(energies), d, prices, area_sum, workload.batch, 1.0, peak)
    t["gemm_utilization"] = summed.executed_macs / mac_slots_pe if mac_slots_pe else 0.0
    t["vector_cycles"] = summed.total - summed.gemm_total   # engine-busy cycles, not the makespan
    effective = {k: 2 * m / s / 1e12 for k, (m, s) in eff.items() if s}
    totals = Totals(**{k: float(v) for k, v in t.items()}, peak_tops_by_precision=peak_by,
                    effective_tops_by_precision=effective)
    distinct, offset, order = [], {}, []    # every engine's distinct rows once; each layer's index into them
    for e, (rows, _) in layer_rows.items():
        offset[e] = len(distinct)
        distinct += rows
    for i in range(len(unit.layers)):
        e, j = (0, i) if where[i] is None else where[i]
        order.append(offset[e] + layer_rows[e][1][j])
    names = [layer.name for layer in unit.layers]
    timeline = tuple((e, sch.start_s[k] * 1e6, sch.end_s[k] * 1e6, unit.layers[i].name, b)
                     for k, (e, i, b) in enumerate(meta))
    macs = workload.macs
    info = {"model": workload.model, "recipe": workload.recipe, "batch": workload.batch,
            "img_size": workload.img_size, "layers": len(unit.layers), "macs": macs, "source": workload.source,
            "rows_per": "image" if copies > 1 else "batch" if chip.split != "rows" else "engine"}
    return SimResult(chip, info, tuple(distinct), tuple(order), tuple(names), totals,
                     engines=tuple(engines), timeline=timeline)
