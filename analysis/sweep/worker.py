"""Worker side: a chunk of design points -> one Arrow batch, through the batch evaluator.

Grid indices decode straight into arrays (``Decoder``): axes on a numeric hardware field
(``simulator.model.batch.NUMERIC_PATHS``: array rows/cols, buffer KiB, DRAM bandwidth/latency, clock, lanes)
become columns; every other axis (dataflow, a whole ``pe`` section, the technology, ...) selects a
*variant*: the base mapping with those values set, validated and built once per process. No Hardware object
is built per point; ``simulator.model.batch.evaluate`` returns the totals as arrays, identical to
``simulate_totals`` design by design.
"""

from __future__ import annotations

import numpy as np

from analysis.sweep.spec import _OPS, ACCURACY_COLUMNS, SweepSpec, _scaled, bound_mix_names, label_hash, point_ids
from analysis.sweep.store import _to_batch
from simulator.work import over_limit
from workloads.errors import InputError
from workloads.limits import LIMITS, limit

_CACHE: dict[tuple, object] = {}  # per process: (spec fingerprint, axes) -> Decoder


class Decoder:
    """Per spec and process: loaded workloads, axis value tables, variants built so far."""

    def __init__(self, spec: SweepSpec):
        from simulator.model.batch import NUMERIC_PATHS

        self.spec = spec
        self.workloads = [w.load() for w in spec.workloads]
        self.free = spec.free_axes
        self.sizes = [len(a.values) for a in self.free]
        self.columns = {}       # numeric column name -> (free axis position, values array)
        self.structural = []    # (axis, free axis position) of axes that select a variant
        pos = {a.path: i for i, a in enumerate(self.free)}
        for a in spec.axes:
            src = a if a.tie is None else spec.axis(a.tie)
            values = tuple(_scaled(v, a.scale) for v in src.values)
            numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
            if a.path in NUMERIC_PATHS and numeric:
                self.columns[NUMERIC_PATHS[a.path]] = (pos[src.path], np.asarray(values))
            else:
                self.structural.append((a, pos[src.path], values))
        self.labels = [(pos[(a if a.tie is None else spec.axis(a.tie)).path],
                        [_scaled(v, a.scale) for v in (a if a.tie is None else spec.axis(a.tie)).labels])
                       for a in spec.axes]
        self.variants: dict[tuple, tuple] = {}   # structural value indices -> (Hardware | None, error, ppu follows)

    def label_tables(self) -> list:
        """Per axis (spec order): uint64 hashes of its labels (``spec.label_hash``), computed once."""
        if not hasattr(self, "_tables"):
            self._tables = [np.asarray([label_hash(i, lab) for lab in labs], dtype=np.uint64)
                            for i, (_, labs) in enumerate(self.labels)]
        return self._tables

    def label_array(self, path: str):
        """An axis' labels as an array (int64, float64, bool or object) to index by design."""
        if not hasattr(self, "_label_arrays"):
            self._label_arrays = {}
            for a, (_, labs) in zip(self.spec.axes, self.labels):
                kinds = {type(x) for x in labs}
                dtype = (np.bool_ if kinds == {bool} else np.int64 if kinds == {int}
                         else np.float64 if kinds <= {int, float} else object)
                self._label_arrays[a.path] = np.asarray(labs, dtype=dtype)
        return self._label_arrays[path]

    def variant(self, key: tuple):
        """(Hardware or None, error message, PPU lanes follow array cols) of a structural choice."""
        hit = self.variants.get(key)
        if hit is None:
            from simulator.hardware import hardware_from_dict
            from simulator.model.batch import structure

            d = self.spec.base
            for (a, _, values), i in zip(self.structural, key):
                d = self.spec_set(d, a.path, values[i])
            follows = not (isinstance(d.get("ppu"), dict) and "lanes" in d["ppu"])
            try:
                hw = hardware_from_dict(d, self.spec.source)
                hit = (hw, "", follows, structure(hw))
            except InputError as e:
                hit = (None, f"hardware: {e.field}: {e.problem}", follows, None)
            self.variants[key] = hit
        return hit

    def spec_set(self, d, path, value):
        from analysis.sweep.paths import set_path

        return set_path(d, path, value, self.spec.source)

    def positions(self, index: np.ndarray) -> list:
        """The value index of every free axis (spec order) at each flat grid index (the last free axis fastest)."""
        chosen = [None] * len(self.free)
        rem = index.copy()
        for i in range(len(self.free) - 1, -1, -1):
            rem, chosen[i] = np.divmod(rem, self.sizes[i])
        return chosen

    def decode(self, index: np.ndarray):
        """(value index per free axis, DesignBatch, error per design) of flat grid indices."""
        from simulator.model.batch import NUMERIC, DesignBatch, columns

        chosen = self.positions(index)
        if self.structural:
            from simulator.model.bound import design_code

            keys = np.stack([chosen[p] for _, p, _ in self.structural], axis=1)
            _, first, inv = design_code(*keys.T)        # codes in the order of np.unique(keys, axis=0)
            uniq = keys[first]
        else:
            uniq, inv = np.zeros((1, 0), dtype=np.int64), np.zeros(len(index), dtype=np.intp)
        found = [self.variant(tuple(int(x) for x in row)) for row in uniq]
        ok = [v for v in found if v[0] is not None]
        placeholder = ok[0][0] if ok else None
        variants = tuple(v[3] if v[0] is not None else None for v in found)
        errors = np.asarray([v[1] for v in found], dtype=object)[inv].tolist()
        base_cols = columns([v[0] if v[0] is not None else placeholder for v in found]) if placeholder else None
        numbers = {}
        for name in NUMERIC:
            if name in self.columns:
                p, values = self.columns[name]
                numbers[name] = values[chosen[p]].astype(base_cols[name].dtype if base_cols else float)
            elif base_cols is not None:
                numbers[name] = base_cols[name][inv]
        if base_cols is not None and "ppu_lanes" not in self.columns and "cols" in self.columns:
            follows = np.asarray([v[2] for v in found])[inv]
            numbers["ppu_lanes"] = np.where(follows, numbers["cols"], numbers["ppu_lanes"])
        return chosen, DesignBatch(variants, inv.astype(np.intp), numbers), errors


def _decoder(spec: SweepSpec) -> Decoder:
    key = (spec.fingerprint, repr(spec.axes), repr(spec.workloads))
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = Decoder(spec)
    return _CACHE[key]


def warm(spec: SweepSpec) -> None:
    """Load the workloads and the compiled kernel in this process (before forking workers, they inherit it)."""
    from simulator.model.jit import warm_up

    _decoder(spec)
    warm_up()   # compiled (or loaded from Numba's disk cache) once, here: forked workers inherit it


def is_chip(spec: SweepSpec) -> bool:
    """Whether the spec's base hardware is a chip of several engines (docs/engines.md)."""
    return isinstance(spec.base, dict) and "engines" in spec.base


def run_chunk(spec: SweepSpec, tasks: list[tuple[int, list[int]]]):
    """Evaluate a chunk: ``tasks`` = [(flat design index, [workload indices])] -> Arrow batch, one row per
    (design, workload) in task order."""
    from simulator.model.batch import evaluate

    dec = _decoder(spec)
    if is_chip(spec):
        return _run_chips(spec, dec, tasks)
    index = np.asarray([t[0] for t in tasks], dtype=np.int64)
    chosen, designs, errors = dec.decode(index)
    live = np.asarray([designs.variants[v] is not None for v in designs.variant], dtype=bool)
    n_wl = len(spec.workloads)
    need = np.zeros((len(tasks), n_wl), dtype=bool)
    for i, (_, wl) in enumerate(tasks):
        need[i, wl] = True
    metrics = spec.metrics
    per_wl = []
    for wi in range(n_wl):
        rows = np.flatnonzero(need[:, wi])
        if not len(rows):
            continue
        vals = {m: np.full(len(rows), np.nan) for m in metrics}
        errs = [errors[r] for r in rows]
        run = rows[live[rows]]
        if len(run):  # a design whose fold walk exceeds limits.folds is an error row, not an hour-long point
            steps = _steps(dec.workloads[wi], designs, run)
            heavy = np.asarray(over_limit(steps), dtype=bool)
            for r, s in zip(run[heavy], steps[heavy]):
                errs[int(np.searchsorted(rows, r))] = (f"work limit: {s:,.0f} fold-walk steps exceed "
                                                       f"{LIMITS['folds'].variable}={limit('folds'):,}")
            run = run[~heavy]
        if len(run):
            sub = designs.take(run)
            tot, e2 = evaluate(dec.workloads[wi], sub)
            fpga = [m for m in metrics if m.startswith("fpga_")]
            if fpga:   # FPGA totals (simulator/fpga/totals.py): resources from each design's numbers
                from simulator.fpga.totals import batch_fpga_totals

                tot = {**tot, **batch_fpga_totals(sub.variants, sub.variant, sub.numbers, tot["latency_us"],
                                                  dec.workloads[wi].batch, fpga)}
            pos = np.searchsorted(rows, run)
            for m in metrics:
                vals[m][pos] = tot[m]
            for j, p in enumerate(pos):
                if e2[j]:
                    errs[p] = e2[j]
        per_wl.append((wi, rows, vals, errs))
    return _assemble(spec, dec, index, chosen, per_wl)


def _run_chips(spec: SweepSpec, dec: Decoder, tasks):
    """A chunk of chips of several engines: each design's mapping validated and built (a Chip), then
    ``simulate_totals`` design by design (simulator/multi.py's schedule: the batch evaluator runs one-engine designs
    only), into the same rows as the batch path; a design that does not validate or cannot run is an error row."""
    from dataclasses import asdict

    from simulator.engine import simulate_totals
    from simulator.hardware import hardware_from_dict

    index = np.asarray([t[0] for t in tasks], dtype=np.int64)
    chosen = dec.positions(index)
    chips, errors = [], []
    for i in index:
        try:
            chips.append(hardware_from_dict(spec.design_mapping(spec.design(int(i))[1]), spec.source))
            errors.append("")
        except InputError as e:
            chips.append(None)
            errors.append(f"hardware: {e.field}: {e.problem}")
    per_wl = []
    for wi in range(len(spec.workloads)):
        rows = np.asarray([r for r, (_, wl) in enumerate(tasks) if wi in wl], dtype=np.intp)
        if not len(rows):
            continue
        vals = {m: np.full(len(rows), np.nan) for m in spec.metrics}
        errs = [errors[r] for r in rows]
        for j, r in enumerate(rows):
            if chips[r] is None:
                continue
            try:
                tot = asdict(simulate_totals(dec.workloads[wi], chips[r]))
            except InputError as e:
                errs[j] = f"{e.field}: {e.problem}"
                continue
            for m in spec.metrics:
                v = tot.get(m)
                vals[m][j] = v if isinstance(v, (int, float)) else np.nan
        per_wl.append((wi, rows, vals, errs))
    return _assemble(spec, dec, index, chosen, per_wl)


def _steps(workload, designs, run: np.ndarray) -> np.ndarray:
    """Fold-walk steps of ``workload`` on each design ``run`` (``simulator.work``), one call per variant."""
    from simulator.work import workload_steps

    out = np.zeros(len(run))
    var = designs.variant[run]
    nums = designs.numbers
    for v in np.unique(var):
        sel = var == v
        idx = run[sel]
        out[sel] = workload_steps(workload, designs.variants[v], rows=nums["rows"][idx], cols=nums["cols"][idx],
                                  ofmap_bytes=np.floor(nums["ofmap_kib"][idx] * 1024))
    return out


def _assemble(spec: SweepSpec, dec: Decoder, index, chosen, per_wl):
    """Columns of the Arrow batch, rows grouped by workload; ids, labels and constraints as arrays."""
    metrics = spec.metrics
    cols: dict[str, object] = {}
    rows_all = np.concatenate([r for _, r, _, _ in per_wl]) if per_wl else np.zeros(0, dtype=np.intp)
    tables = dec.label_tables()
    picks = [chosen[p] for p, _ in dec.labels]
    ids, wls, errs = [], [], []
    for wi, rows, _, e in per_wl:
        label = spec.workloads[wi].label
        ids.append(point_ids(tables, [c[rows] for c in picks], label))
        wls.extend([label] * len(rows))
        errs.extend(e)
    cols["point_id"] = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
    cols["design"] = index[rows_all]
    cols["workload"] = wls
    for a, (p, lab) in zip(spec.axes, dec.labels):
        cols[a.path] = dec.label_array(a.path)[chosen[p][rows_all]]
    for m in metrics:
        cols[m] = np.concatenate([v[m] for _, _, v, _ in per_wl]) if per_wl else np.zeros(0)
    for name in ACCURACY_COLUMNS:  # a property of the workload: the same on every design
        cols[name] = np.concatenate([np.full(len(r), _acc(dec.workloads[wi], name)) for wi, r, _, _ in per_wl]) \
            if per_wl else np.zeros(0)
    for name, get in (("accuracy_kind", lambda w: (w.accuracy or {}).get("kind", "")), ("model", lambda w: w.model),
                      ("recipe", lambda w: w.recipe)):
        cols[name] = [get(dec.workloads[wi]) for wi, r, _, _ in per_wl for _ in r]
    tc = cols.get("total_cycles")
    with np.errstate(divide="ignore", invalid="ignore"):
        for name in bound_mix_names(metrics):
            cols[name] = np.where(tc != 0, cols[name[:-5] + "_cycles"] / tc, np.nan)
    feasible = np.asarray([not e for e in errs], dtype=bool)
    for c in spec.constraints:
        v = np.asarray(cols[c.metric], dtype=float)
        with np.errstate(invalid="ignore"):
            feasible &= ~np.isnan(v) & np.asarray(_OPS[c.op](v, c.bound), dtype=bool)
    cols["feasible"] = feasible
    cols["error"] = errs
    return _to_batch(spec, cols)


def _acc(workload, name: str) -> float:
    v = (workload.accuracy or {}).get(name)
    return float("nan") if v is None else float(v)


def _columns(spec: SweepSpec) -> list[str]:
    return (["point_id", "design", "workload"] + [a.path for a in spec.axes] + list(spec.metrics)
            + bound_mix_names(spec.metrics) + list(ACCURACY_COLUMNS) + ["accuracy_kind", "model", "recipe"]
            + ["feasible", "error"])
