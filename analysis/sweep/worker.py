"""Worker side: simulate a chunk of design points into one Arrow batch."""

from __future__ import annotations

from analysis.sweep.spec import SweepSpec, bound_mix_names, point_id
from analysis.sweep.store import _to_batch
from workloads.errors import InputError

_CACHE: dict[str, list] = {}  # per process: spec fingerprint -> loaded workloads


def _workloads_for(spec: SweepSpec) -> list:
    key = spec.fingerprint
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = [w.load() for w in spec.workloads]
    return _CACHE[key]


def run_chunk(spec: SweepSpec, tasks: list[tuple[int, list[int]]]):
    """Simulate a chunk of designs: ``tasks`` = [(flat design index, [workload indices])] -> Arrow batch.

    Each design's mapping is built and validated once, then simulates each listed workload.
    """
    from simulator.engine import simulate_totals
    from simulator.hardware import hardware_from_dict

    workloads = _workloads_for(spec)
    metrics = spec.metrics
    mix = [(m, m[:-7] + "_frac") for m in metrics if m.endswith("_cycles") and m != "total_cycles"]
    cols: dict[str, list] = {k: [] for k in _columns(spec)}
    nan = float("nan")
    fill = [k for k in cols if k not in ("point_id", "design", "workload", "feasible", "error")]
    for index, wl in tasks:
        labels, values = spec.design(index)
        try:
            hw, err = hardware_from_dict(spec.design_mapping(values), spec.source), ""
        except InputError as e:
            hw, err = None, f"hardware: {e.field}: {e.problem}"
        for wi in wl:
            wlabel = spec.workloads[wi].label
            totals, e2 = {}, err
            if hw is not None:
                try:
                    totals = simulate_totals(workloads[wi], hw)
                except InputError as e:
                    e2 = f"{e.field}: {e.problem}"
            row = {m: float(totals.get(m, nan)) for m in metrics}
            tc = row.get("total_cycles", nan)
            for m, f in mix:
                row[f] = row[m] / tc if tc else nan
            for a, lab in zip(spec.axes, labels):
                row[a.path] = lab
            cols["point_id"].append(point_id(labels, wlabel))
            cols["design"].append(index)
            cols["workload"].append(wlabel)
            for k in fill:
                cols[k].append(row[k])
            cols["feasible"].append(not e2 and all(c.holds(row.get(c.metric)) for c in spec.constraints))
            cols["error"].append(e2)
    return _to_batch(spec, cols)


def _columns(spec: SweepSpec) -> list[str]:
    return (["point_id", "design", "workload"] + [a.path for a in spec.axes] + list(spec.metrics)
            + bound_mix_names(spec.metrics) + ["feasible", "error"])
