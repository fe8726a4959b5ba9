"""Design-space sweeps: a YAML spec -> design points -> network totals, streamed to Parquet.

A *design* is the base hardware mapping with one value set at every axis (a dotted path such as
``array.rows``); a *point* is one design simulating one workload, and becomes one results row:
``point_id, design, workload``, the axis values, every key of ``simulate_totals``, the bound mix
(``<x>_frac = <x>_cycles / total_cycles`` for every ``*_cycles`` total), ``feasible`` (all
constraints hold) and ``error`` (why a design could not run a workload, else empty).

``point_id`` = the first 8 bytes (signed int64) of BLAKE2b over the canonical JSON of
``[[axis values in spec order], workload label]``: stable across runs, so ``resume`` skips
points whose id is already stored.

Results are a directory (``RESULTS.parquet/``) of Parquet part files, each written to a hidden
temporary name, flushed and renamed into place, plus ``_sweep.json`` (the spec's fingerprint);
readers ignore names starting with ``.`` or ``_``, so ``pandas.read_parquet("RESULTS.parquet")``
loads every finished point. A sweep killed at any moment loses only unflushed rows; resuming
removes stale temporary files and runs exactly the missing points.

Execution: chunks of designs go to a local process pool (default: all cores) or, with
``scheduler="tcp://HOST:PORT"``, to a Dask distributed cluster (``dask`` imported only there).
Each worker loads every workload once per spec and validates each design once for all workloads.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from workloads.errors import InputError, require_int, require_mapping

SAMPLING = ("grid", "random")
MANIFEST = "_sweep.json"
_SPEC_KEYS = {"name", "description", "base", "axes", "workloads", "models", "recipes", "batch", "constraints",
              "objectives", "sampling", "samples", "seed", "chunk_size"}
_CONSTRAINT_RE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(<=|>=|==|!=|<|>)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")
_OPS = {"<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b, ">": lambda a, b: a > b,
        "==": lambda a, b: a == b, "!=": lambda a, b: a != b}


# ----------------------------------------------------------------------------- spec types
@dataclass(frozen=True)
class Axis:
    """One swept hardware field: ``labels`` go to the results column, ``values`` into the mapping.

    A tied axis (``tie``) has no values of its own: it takes ``scale`` x the value of another axis.
    """

    path: str
    values: tuple = ()
    labels: tuple = ()
    tie: str | None = None
    scale: float = 1


@dataclass(frozen=True)
class WorkloadRef:
    """A zoo name or workload file, or an analytic model quantized by a recipe."""

    label: str
    spec: str | None = None
    model: str | None = None
    recipe: str | None = None
    batch: int = 1

    def load(self):
        from workloads.registry import build_model, load_workload

        if self.spec is not None:
            w = load_workload(self.spec)
            return w.with_batch(self.batch) if self.batch != w.batch else w
        return build_model(self.model, self.recipe, self.batch)


@dataclass(frozen=True)
class Constraint:
    """``metric op bound``, e.g. ``area_mm2 <= 5``; a missing or NaN metric fails it."""

    metric: str
    op: str
    bound: float

    def holds(self, value) -> bool:
        return value is not None and not (isinstance(value, float) and math.isnan(value)) and _OPS[self.op](
            value, self.bound)

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.bound:g}"


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: base hardware mapping, axes, workloads, constraints, objectives, sampling."""

    name: str
    source: str
    base: dict = field(hash=False)
    axes: tuple[Axis, ...]
    workloads: tuple[WorkloadRef, ...]
    constraints: tuple[Constraint, ...] = ()
    objectives: tuple[str, ...] = ("latency_us", "energy_uj")
    sampling: str = "grid"
    samples: int = 0
    seed: int = 0
    chunk_size: int = 0
    metrics: tuple[str, ...] = ()  # numeric simulate_totals keys, found by simulating the base design once

    @property
    def free_axes(self) -> tuple[Axis, ...]:
        return tuple(a for a in self.axes if a.tie is None)

    @property
    def grid_size(self) -> int:
        return math.prod(len(a.values) for a in self.free_axes)

    @property
    def n_designs(self) -> int:
        return self.grid_size if self.sampling == "grid" else min(self.samples, self.grid_size)

    @property
    def n_points(self) -> int:
        return self.n_designs * len(self.workloads)

    @property
    def fingerprint(self) -> str:
        """Hash of what a stored point's meaning depends on: base mapping, axis paths, workloads."""
        return _digest([self.base, [a.path for a in self.axes], [w.label for w in self.workloads]]).hex()

    def design_indices(self) -> Iterator[int]:
        """Flat grid indices of the designs to run (all of them, or ``samples`` drawn with ``seed``)."""
        total = self.grid_size
        if self.sampling == "grid" or self.samples >= total:
            return iter(range(total))
        import numpy as np

        rng = np.random.default_rng(self.seed)
        # in grid order: neighbouring designs share most fields, so the simulator's caches hit more often
        return iter(int(i) for i in np.sort(rng.choice(total, size=self.samples, replace=False)))

    def design(self, index: int) -> tuple[tuple, tuple]:
        """(labels, values) per axis, spec order, of the design at flat grid ``index`` (last free axis fastest)."""
        chosen: dict[str, int] = {}
        for a in reversed(self.free_axes):
            index, chosen[a.path] = divmod(index, len(a.values))
        labels, values = [], []
        for a in self.axes:
            src = a if a.tie is None else self.axis(a.tie)
            i = chosen[src.path]
            labels.append(_scaled(src.labels[i], a.scale))
            values.append(_scaled(src.values[i], a.scale))
        return tuple(labels), tuple(values)

    def design_labels(self, index: int) -> tuple:
        return self.design(index)[0]

    def design_mapping(self, values: tuple) -> dict:
        """The hardware mapping with each axis path set to its value (copies only what changes)."""
        d = self.base
        for a, v in zip(self.axes, values):
            d = set_path(d, a.path, v, self.source)
        return d

    def axis(self, path: str) -> Axis:
        return next(a for a in self.axes if a.path == path)

    def metric_names(self) -> list[str]:
        """Everything constraints and objectives may name: totals, bound mix, axis paths."""
        numeric = [a.path for a in self.axes if all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                    for v in (self.axis(a.tie) if a.tie else a).labels)]
        return list(self.metrics) + bound_mix_names(self.metrics) + numeric


def _scaled(v, scale):
    if scale == 1 or isinstance(v, str):
        return v
    out = v * scale
    return int(out) if isinstance(v, int) and float(out).is_integer() else out


def scalar_metrics(totals: dict) -> tuple[str, ...]:
    """The totals that become result columns: every number (nested per-precision mappings are left out)."""
    return tuple(k for k, v in totals.items() if isinstance(v, (int, float)))


def bound_mix_names(metrics) -> list[str]:
    """``<x>_frac`` for every ``<x>_cycles`` total other than ``total_cycles``."""
    return [m[:-7] + "_frac" for m in metrics if m.endswith("_cycles") and m != "total_cycles"]


def _digest(obj) -> bytes:
    return hashlib.blake2b(json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str).encode(),
                           digest_size=8).digest()


def point_id(labels: tuple, workload: str) -> int:
    """Stable signed 64-bit id of (design axis labels, workload label); see the module docstring."""
    return int.from_bytes(_digest([list(labels), workload]), "little", signed=True)


# ----------------------------------------------------------------------------- dotted paths
def set_path(d: dict, path: str, value, source: str = "<sweep>") -> dict:
    """A copy of mapping ``d`` with ``path`` (``a.b.c``; list items by index, ``a.0.b``) set to ``value``.

    Only the containers along the path are copied; a path through a non-container is an
    ``InputError`` naming the path.
    """
    keys = path.split(".")
    if not all(keys):
        raise InputError(source, f"axes.{path}", "empty component in dotted path")

    def put(node, i):
        key = keys[i]
        if isinstance(node, dict):
            new = dict(node)
            new[key] = value if i == len(keys) - 1 else put(node.get(key, {}), i + 1)
            return new
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                raise InputError(source, f"axes.{path}", f"{'.'.join(keys[:i])} is a list; {key!r} is not an index",
                                 f"0 to {len(node) - 1}")
            new = list(node)
            new[int(key)] = value if i == len(keys) - 1 else put(node[int(key)], i + 1)
            return new
        raise InputError(source, f"axes.{path}", f"{'.'.join(keys[:i])} is a {type(node).__name__}, not a mapping")

    return put(d, 0)


# ----------------------------------------------------------------------------- spec loading
def load_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep spec YAML; relative paths inside it are relative to the spec file."""
    from workloads.io import read_structured

    path = Path(path)
    return spec_from_dict(read_structured(path), str(path), base_dir=path.parent)


def spec_from_dict(d, source: str = "<sweep>", base_dir: str | Path | None = None) -> SweepSpec:
    """Validate a sweep mapping once (every error names ``source`` and the field) -> ``SweepSpec``.

    ``base`` is a hardware YAML path or an inline hardware mapping. Every axis value is applied to
    the base alone and validated by ``hardware_from_dict``; the base design then simulates the first
    workload once to learn the totals names that constraints and objectives may use.
    """
    from simulator.hardware import hardware_from_dict
    from workloads.io import read_structured

    d = require_mapping(source, "", d)
    for key in d:
        if key not in _SPEC_KEYS:
            raise InputError(source, key, "unknown field", ", ".join(sorted(_SPEC_KEYS)))
    base_dir = Path(base_dir) if base_dir is not None else Path.cwd()

    raw_base = d.get("base")
    if isinstance(raw_base, str):
        p = Path(raw_base)
        p = p if p.is_absolute() or p.exists() else base_dir / p
        try:
            base = read_structured(p)
        except InputError as e:
            raise InputError(source, "base", f"{p}: {e.problem}") from None
        base_src = str(p)
    elif isinstance(raw_base, dict):
        base, base_src = raw_base, f"{source}: base"
    else:
        raise InputError(source, "base", "missing or not a hardware YAML path / mapping")
    try:
        base_hw = hardware_from_dict(base, base_src)
    except InputError as e:
        raise InputError(source, f"base ({e.field})", e.problem, e.allowed) from None

    axes = _parse_axes(source, d.get("axes"), base)
    workloads = _parse_workloads(source, d)
    sampling = d.get("sampling", "grid")
    if sampling not in SAMPLING:
        raise InputError(source, "sampling", f"unknown value {sampling!r}", ", ".join(SAMPLING))
    samples = _req_int(source, "samples", d.get("samples", 0), 0)
    if sampling == "random" and samples < 1:
        raise InputError(source, "samples", "random sampling needs samples >= 1")
    seed = _req_int(source, "seed", d.get("seed", 0), 0)
    chunk = _req_int(source, "chunk_size", d.get("chunk_size", 0), 0)

    # simulate the base design once: workloads load, and the totals names are known
    from simulator.engine import simulate_totals

    loaded = []
    for i, w in enumerate(workloads):
        try:
            loaded.append(w.load())
        except InputError as e:
            raise InputError(source, f"workloads[{i}] ({w.label})", e.problem, e.allowed) from None
    totals = None
    for w in loaded:
        try:
            totals = simulate_totals(w, base_hw)
            break
        except InputError:
            continue
    if totals is None:  # the base cannot run any workload: learn the names from a permissive PE
        totals = simulate_totals(loaded[0], hardware_from_dict(
            set_path(base, "pe.precisions", [{"dtype": "fp", "w_bits": 32, "a_bits": 32}]), base_src))
    metrics = scalar_metrics(totals)

    spec = SweepSpec(str(d.get("name", Path(source).stem)), source, base, axes, workloads, (), (), sampling,
                     samples, seed, chunk, metrics)
    names = spec.metric_names()
    constraints = tuple(_parse_constraint(source, i, c, names) for i, c in enumerate(_as_list(
        source, "constraints", d.get("constraints", []))))
    from analysis.pareto import parse_objectives

    objectives = d.get("objectives", ["latency_us", "energy_uj"])
    objectives = tuple(o.text for o in parse_objectives(objectives, names, source, "objectives"))
    from dataclasses import replace

    return replace(spec, constraints=constraints, objectives=objectives)


def _req_int(source, fld, v, minimum):
    return require_int(source, fld, v, minimum)


def _as_list(source, fld, v) -> list:
    if isinstance(v, (str, dict)):
        v = [v]
    if not isinstance(v, list):
        raise InputError(source, fld, f"expected a list, got {type(v).__name__}")
    return v


def _parse_constraint(source, i, c, names) -> Constraint:
    fld = f"constraints[{i}]"
    m = _CONSTRAINT_RE.match(c) if isinstance(c, str) else None
    if not m:
        raise InputError(source, fld, f"cannot parse {c!r}", "'METRIC OP NUMBER' with OP one of <= < >= > == !=")
    if m.group(1) not in names:
        raise InputError(source, fld, f"unknown metric {m.group(1)!r}", ", ".join(names))
    return Constraint(m.group(1), m.group(2), float(m.group(3)))


def _number_list(source, fld, v, n_min, n_max) -> list:
    if not isinstance(v, list) or not n_min <= len(v) <= n_max or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
        raise InputError(source, fld, f"expected a list of {n_min}-{n_max} numbers, got {v!r}")
    return v


def _expand(source: str, fld: str, spec) -> tuple[tuple, tuple]:
    """(values, labels) of one axis spec: a list, range, log_range or choices mapping."""
    if isinstance(spec, list):
        if not spec:
            raise InputError(source, fld, "empty list of values")
        if any(isinstance(v, (dict, list)) for v in spec):
            raise InputError(source, fld, "list values must be scalars", "use {choices: {label: value}}")
        vals = tuple(spec)
        return vals, vals
    if not isinstance(spec, dict):
        vals = (spec,)
        return vals, vals
    kinds = [k for k in ("range", "log_range", "choices", "values") if k in spec]
    if len(kinds) != 1:
        raise InputError(source, fld, "expected exactly one of range, log_range, choices, values",
                         "[v1, v2, ...], {range: [start, stop, step]}, {log_range: [start, stop], num: N | factor: F},"
                         " {choices: {label: value}}, {tie: other.path, scale: S}")
    kind = kinds[0]
    extra = set(spec) - {kind, "num", "factor"}
    if extra:
        raise InputError(source, f"{fld}.{min(extra)}", "unknown field", f"{kind}, num, factor")
    if kind == "values":
        return _expand(source, fld, spec["values"])
    if kind == "choices":
        ch = spec["choices"]
        if not isinstance(ch, dict) or not ch:
            raise InputError(source, f"{fld}.choices", "expected a non-empty mapping of label to value")
        return tuple(ch.values()), tuple(str(k) for k in ch)
    if kind == "range":
        start, stop, *step = _number_list(source, f"{fld}.range", spec["range"], 2, 3)
        step = step[0] if step else 1
        if step <= 0 or stop < start:
            raise InputError(source, f"{fld}.range", "need start <= stop and step > 0")
        n = math.floor((stop - start) / step + 1e-9) + 1
        ints = all(isinstance(x, int) for x in (start, stop, step))
        vals = tuple(start + i * step if ints else round(start + i * step, 12) for i in range(n))
        return vals, vals
    start, stop = _number_list(source, f"{fld}.log_range", spec["log_range"], 2, 2)
    if start <= 0 or stop < start:
        raise InputError(source, f"{fld}.log_range", "need 0 < start <= stop")
    if ("num" in spec) == ("factor" in spec):
        raise InputError(source, fld, "log_range needs exactly one of num, factor")
    if "num" in spec:
        num = require_int(source, f"{fld}.num", spec["num"], 1)
        raw = [start] if num == 1 else [start * (stop / start) ** (i / (num - 1)) for i in range(num)]
    else:
        factor = spec["factor"]
        if not isinstance(factor, (int, float)) or factor <= 1:
            raise InputError(source, f"{fld}.factor", f"{factor!r} is not a number > 1")
        raw, v = [], float(start)
        while v <= stop * (1 + 1e-9):
            raw.append(v)
            v *= factor
    ints = isinstance(start, int) and isinstance(stop, int)
    vals = tuple(dict.fromkeys(round(v) if ints else round(v, 12) for v in raw))
    return vals, vals


def _parse_axes(source: str, raw, base: dict) -> tuple[Axis, ...]:
    from simulator.hardware import hardware_from_dict

    if raw is None:
        return ()
    raw = require_mapping(source, "axes", raw)
    axes = []
    for path, spec in raw.items():
        fld = f"axes.{path}"
        if not isinstance(path, str) or not path:
            raise InputError(source, "axes", f"axis path {path!r} is not a dotted string")
        if isinstance(spec, dict) and "tie" in spec:
            extra = set(spec) - {"tie", "scale"}
            if extra:
                raise InputError(source, f"{fld}.{min(extra)}", "unknown field", "tie, scale")
            scale = spec.get("scale", 1)
            if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0:
                raise InputError(source, f"{fld}.scale", f"{scale!r} is not a number > 0")
            if scale != 1 and not all(isinstance(v, (int, float)) for v in _expand(
                    source, f"axes.{spec['tie']}", raw.get(spec["tie"], [0]))[0]):
                raise InputError(source, f"{fld}.scale", "a scale needs a numeric axis to tie to")
            axes.append(Axis(path, tie=str(spec["tie"]), scale=scale))
            continue
        values, labels = _expand(source, fld, spec)
        kinds = {"num" if isinstance(v, (int, float)) and not isinstance(v, bool) else type(v).__name__
                 for v in labels}
        if len(kinds) > 1:
            raise InputError(source, fld, f"mixed value types {sorted(kinds)}", "all numbers, or all strings")
        if len(set(labels)) != len(labels):
            raise InputError(source, fld, "duplicate values")
        axes.append(Axis(path, values, labels))
    paths = [a.path for a in axes]
    for a in axes:
        if a.tie is not None:
            src = next((x for x in axes if x.path == a.tie), None)
            if src is None or src.tie is not None:
                raise InputError(source, f"axes.{a.path}.tie", f"{a.tie!r} is not an untied axis of this spec",
                                 ", ".join(x.path for x in axes if x.tie is None))
    # validate every value of every axis once, alone on the base
    for a in axes:
        vals = a.values if a.tie is None else tuple(
            _scaled(v, a.scale) for v in next(x for x in axes if x.path == a.tie).values)
        for v in vals:
            try:
                hardware_from_dict(set_path(base, a.path, v, source), source)
            except InputError as e:
                if e.field.startswith("axes."):
                    raise
                raise InputError(source, f"axes.{a.path}", f"value {v!r}: {e.field}: {e.problem}",
                                 e.allowed) from None
    if len(set(paths)) != len(paths):
        raise InputError(source, "axes", "an axis path appears twice")
    return tuple(axes)


def _parse_workloads(source: str, d: dict) -> tuple[WorkloadRef, ...]:
    batch = require_int(source, "batch", d.get("batch", 1), 1)
    refs = []
    for i, w in enumerate(_as_list(source, "workloads", d.get("workloads", []))):
        if isinstance(w, str):
            refs.append(WorkloadRef(Path(w).stem if w.endswith((".yaml", ".yml", ".json")) else w, spec=w,
                                    batch=batch))
        elif isinstance(w, dict) and "model" in w and set(w) <= {"model", "recipe", "batch", "label"}:
            b = require_int(source, f"workloads[{i}].batch", w.get("batch", batch), 1)
            lab = w.get("label") or f"{w['model']}-{w.get('recipe') or 'none'}" + (f"-b{b}" if b != 1 else "")
            refs.append(WorkloadRef(str(lab), model=str(w["model"]), recipe=w.get("recipe"), batch=b))
        else:
            raise InputError(source, f"workloads[{i}]", f"cannot read {w!r}",
                             "a zoo name, a workload file, or {model, recipe, batch}")
    models = _as_list(source, "models", d.get("models", []))
    recipes = _as_list(source, "recipes", d.get("recipes", [None])) or [None]
    if "recipes" in d and not models:
        raise InputError(source, "recipes", "recipes apply to models; list them under models")
    for m in models:
        for r in recipes:
            refs.append(WorkloadRef(f"{m}-{r or 'none'}" + (f"-b{batch}" if batch != 1 else ""),
                                    model=str(m), recipe=r, batch=batch))
    if not refs:
        raise InputError(source, "workloads", "no workloads", "workloads: [zoo names or files] and/or models x recipes")
    labels = [r.label for r in refs]
    if len(set(labels)) != len(labels):
        raise InputError(source, "workloads", f"duplicate workload labels {labels}")
    return tuple(refs)


# ----------------------------------------------------------------------------- worker side
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


def arrow_schema(spec: SweepSpec):
    """Results schema: ids, axis columns (int64, float64 or string by their values), float64 totals."""
    import pyarrow as pa

    fields = [pa.field("point_id", pa.int64()), pa.field("design", pa.int64()), pa.field("workload", pa.string())]
    for a in spec.axes:
        labels = a.labels if a.tie is None else tuple(_scaled(v, a.scale) for v in spec.axis(a.tie).labels)
        if all(isinstance(v, bool) for v in labels):
            t = pa.bool_()
        elif all(isinstance(v, int) and not isinstance(v, bool) for v in labels):
            t = pa.int64()
        elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in labels):
            t = pa.float64()
        else:
            t = pa.string()
        fields.append(pa.field(a.path, t))
    fields += [pa.field(m, pa.float64()) for m in list(spec.metrics) + bound_mix_names(spec.metrics)]
    fields += [pa.field("feasible", pa.bool_()), pa.field("error", pa.string())]
    return pa.schema(fields)


def _to_batch(spec: SweepSpec, cols: dict):
    import pyarrow as pa

    schema = arrow_schema(spec)
    return pa.RecordBatch.from_arrays([pa.array(cols[f.name], type=f.type) for f in schema], schema=schema)


# ----------------------------------------------------------------------------- results directory
class ResultsWriter:
    """Append-only results directory: each flush is one part file, written hidden then renamed."""

    def __init__(self, path: Path, spec: SweepSpec, resume: bool, force: bool):
        self.path = Path(path)
        self.spec = spec
        self.buffer: list = []
        self.rows = 0
        self.seq = 0
        self.run = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        manifest = {"name": spec.name, "spec": spec.source, "fingerprint": spec.fingerprint,
                    "axes": [a.path for a in spec.axes], "workloads": [w.label for w in spec.workloads],
                    "constraints": [str(c) for c in spec.constraints], "objectives": list(spec.objectives),
                    "metrics": list(spec.metrics)}
        if self.path.exists() and not self.path.is_dir():
            raise InputError(str(self.path), "", "exists and is not a sweep results directory")
        old = read_manifest(self.path)
        existing = [p for p in self.path.iterdir()] if self.path.is_dir() else []
        if existing and not resume:
            if not force:
                raise InputError(str(self.path), "", "already exists", "--resume to continue it, --force to replace it")
            if old is None and any(p.suffix != ".parquet" and not p.name.startswith(".") for p in existing):
                raise InputError(str(self.path), "", "is a directory that is not a sweep's results; not replacing it")
            for p in existing:
                p.unlink()
            old = None
        if resume and old is not None and old.get("fingerprint") != manifest["fingerprint"]:
            raise InputError(str(self.path), "", "was written by a different spec (base, axes or workloads differ)",
                             "the same spec, or a new output")
        self.path.mkdir(parents=True, exist_ok=True)
        for p in self.path.glob(".tmp-*"):  # parts a killed run did not finish
            p.unlink()
        from workloads.io import atomic_write_text

        atomic_write_text(self.path / MANIFEST, json.dumps(manifest, indent=1) + "\n")

    def done_ids(self) -> set[int]:
        parts = sorted(self.path.glob("part-*.parquet"))
        if not parts:
            return set()
        import pyarrow.parquet as pq

        return {i for p in parts for i in pq.read_table(p, columns=["point_id"]).column(0).to_pylist()}

    def add(self, batch) -> None:
        self.buffer.append(batch)
        self.rows += batch.num_rows

    def flush(self) -> None:
        if not self.rows:
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_batches(self.buffer)
        name = f"part-{self.run}-{self.seq:06d}.parquet"
        tmp = self.path / f".tmp-{name}"
        with open(tmp, "wb") as fh:
            pq.write_table(table, fh, compression="zstd")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path / name)
        fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        self.seq += 1
        self.buffer, self.rows = [], 0


def read_manifest(path: str | Path) -> dict | None:
    p = Path(path) / MANIFEST
    return json.loads(p.read_text()) if p.is_file() else None


def read_results(path: str | Path):
    """All finished rows as a DataFrame: the same as ``pandas.read_parquet(path)``."""
    import pandas as pd

    p = Path(path)
    if not p.exists():
        raise InputError(str(p), "", "no such results file or directory")
    if p.is_dir() and not any(p.glob("*.parquet")) and not any(p.glob("**/*.parquet")):
        raise InputError(str(p), "", "holds no finished results yet")
    try:
        return pd.read_parquet(p)
    except (OSError, ValueError) as e:
        raise InputError(str(p), "", f"cannot read as Parquet: {e.__class__.__name__}: {e}") from None


# ----------------------------------------------------------------------------- driver
@dataclass
class SweepSummary:
    output: str
    points_total: int
    points_skipped: int
    points_run: int
    errors: int
    feasible: int
    seconds: float
    first_error: str = ""

    @property
    def points_per_s(self) -> float:
        return self.points_run / self.seconds if self.seconds else 0.0


def _chunks(spec: SweepSpec, done: set[int], size: int) -> Iterator[list[tuple[int, list[int]]]]:
    chunk: list = []
    n_wl = len(spec.workloads)
    for index in spec.design_indices():
        if done:
            labels = spec.design_labels(index)
            wl = [i for i, w in enumerate(spec.workloads) if point_id(labels, w.label) not in done]
            if not wl:
                continue
        else:
            wl = list(range(n_wl))
        chunk.append((index, wl))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _count_todo(spec: SweepSpec, done: set[int]) -> int:
    """How many of the spec's points have no stored row (a pass over the ids when resuming)."""
    if not done:
        return spec.n_points
    return sum(point_id(spec.design_labels(i), w.label) not in done
               for i in spec.design_indices() for w in spec.workloads)


def default_chunk_size(n_designs: int, workers: int) -> int:
    """Designs per task: about 1/8 of each worker's share, between 1 and 256 (bounded memory, even load)."""
    return max(1, min(256, math.ceil(n_designs / max(1, workers * 8))))


def run_sweep(spec: SweepSpec, output: str | Path, *, scheduler=None, resume: bool = False, force: bool = False,
              workers: int | None = None, chunk_size: int | None = None, progress: bool = True,
              flush_rows: int = 50_000, flush_seconds: float = 5.0, on_rows=None) -> SweepSummary:
    """Run ``spec``, streaming rows into the results directory ``output``.

    ``scheduler``: None for a local process pool of ``workers`` processes (default: all cores;
    ``workers=0`` runs in this process), or a Dask scheduler address / ``distributed.Client``.
    Rows are buffered and flushed as one part file every ``flush_rows`` rows or ``flush_seconds``.
    ``on_rows(n)`` (optional) is called after each finished chunk with its number of rows.
    """
    t0 = time.perf_counter()
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise InputError(str(output), "", "Parquet results need pyarrow", "pip install 'pyarrow>=14'") from None
    writer = ResultsWriter(Path(output), spec, resume, force)
    done = writer.done_ids() if resume else set()
    total = spec.n_points
    todo = _count_todo(spec, done)
    skipped = total - todo
    with _Backend.make(scheduler, spec, workers) as backend:
        size = chunk_size or spec.chunk_size or default_chunk_size(spec.n_designs, backend.workers)
        stats = {"run": 0, "errors": 0, "feasible": 0, "first_error": ""}
        last = time.monotonic()
        try:
            with _progress(progress, todo, spec.name) as advance:
                for batch in backend.map(spec, _chunks(spec, done, size)):
                    writer.add(batch)
                    _tally(stats, batch)
                    advance(batch.num_rows)
                    if on_rows is not None:
                        on_rows(batch.num_rows)
                    if writer.rows >= flush_rows or time.monotonic() - last >= flush_seconds:
                        writer.flush()
                        last = time.monotonic()
        finally:  # finished chunks are complete results: keep them even on Ctrl-C or an error
            writer.flush()
    return SweepSummary(str(output), total, skipped, stats["run"], stats["errors"], stats["feasible"],
                        time.perf_counter() - t0, stats["first_error"])


def evaluate(spec: SweepSpec, *, scheduler=None, workers: int | None = None, chunk_size: int | None = None):
    """Run a (small) sweep in memory and return its rows as a DataFrame (no files, no resume)."""
    import pyarrow as pa

    with _Backend.make(scheduler, spec, workers) as backend:
        size = chunk_size or spec.chunk_size or default_chunk_size(spec.n_designs, backend.workers)
        batches = list(backend.map(spec, _chunks(spec, set(), size)))
    table = pa.Table.from_batches(batches, schema=arrow_schema(spec))
    return table.to_pandas().sort_values(["design", "workload"], kind="stable").reset_index(drop=True)


def _tally(stats: dict, batch) -> None:
    stats["run"] += batch.num_rows
    feas = batch.column(batch.schema.get_field_index("feasible")).to_pylist()
    errs = batch.column(batch.schema.get_field_index("error")).to_pylist()
    stats["feasible"] += sum(feas)
    bad = [e for e in errs if e]
    stats["errors"] += len(bad)
    if bad and not stats["first_error"]:
        stats["first_error"] = bad[0]


class _progress:
    """A rich progress bar (points, rate, ETA) on stderr, or nothing."""

    def __init__(self, enabled: bool, total: int, name: str):
        self.enabled, self.total, self.name = enabled, total, name

    def __enter__(self):
        if not self.enabled:
            return lambda n: None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[rate]} points/s"), TimeElapsedColumn(),
                            TextColumn("ETA"), TimeRemainingColumn(), console=Console(stderr=True),
                            refresh_per_second=4)
        self.bar.__enter__()
        self.task = self.bar.add_task(self.name, total=self.total, rate="-")
        self.t0 = time.perf_counter()
        self.n = 0

        def advance(n):
            self.n += n
            rate = self.n / max(time.perf_counter() - self.t0, 1e-9)
            self.bar.update(self.task, advance=n, rate=f"{rate:,.0f}")
        return advance

    def __exit__(self, *exc):
        if self.enabled:
            self.bar.__exit__(*exc)
        return False


class _Backend:
    """Where chunks run. ``map`` yields one Arrow batch per chunk, in completion order, with a
    bounded number of chunks in flight so memory stays flat however long the sweep is."""

    workers = 1

    @staticmethod
    def make(scheduler, spec: SweepSpec, workers: int | None) -> _Backend:
        if scheduler is not None:
            return _DaskBackend(scheduler)
        workers = os.cpu_count() or 1 if workers is None else workers
        return _InlineBackend() if workers == 0 else _PoolBackend(workers)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _InlineBackend(_Backend):
    def map(self, spec, chunks):
        for c in chunks:
            yield run_chunk(spec, c)


class _PoolBackend(_Backend):
    def __init__(self, workers: int):
        from concurrent.futures import ProcessPoolExecutor

        self.workers = workers
        self.pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker)

    def map(self, spec, chunks):
        from concurrent.futures import FIRST_COMPLETED, wait

        pending = set()
        chunks = iter(chunks)
        limit = 3 * self.workers
        while True:
            for c in itertools.islice(chunks, limit - len(pending)):
                pending.add(self.pool.submit(run_chunk, spec, c))
            if not pending:
                return
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in finished:
                yield f.result()

    def __exit__(self, *exc):
        self.pool.shutdown(wait=exc[0] is None, cancel_futures=True)
        return False


def _init_worker() -> None:
    import gc
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver handles Ctrl-C and shuts the pool down
    gc.freeze()  # objects inherited from the driver by fork: keep the collector from re-scanning them


class _DaskBackend(_Backend):
    def __init__(self, scheduler):
        try:
            from distributed import Client
        except ImportError:
            raise InputError("--scheduler", "scheduler", "Dask distributed is not installed",
                             "pip install -e '.[distributed]'") from None
        if isinstance(scheduler, Client):
            self.client, self.own = scheduler, False
        else:
            try:
                self.client, self.own = Client(scheduler, timeout="10s"), True
            except (OSError, TimeoutError, ValueError) as e:
                raise InputError("--scheduler", "scheduler", f"cannot connect to {scheduler!r}: {e}") from None
        self.workers = max(1, sum(self.client.nthreads().values()))

    def map(self, spec, chunks):
        from distributed import as_completed

        spec_f = self.client.scatter(spec, broadcast=True)
        chunks = iter(chunks)
        limit = 3 * self.workers
        first = [self.client.submit(run_chunk, spec_f, c, pure=False) for c in itertools.islice(chunks, limit)]
        ac = as_completed(first)
        for f in ac:
            batch = f.result()
            f.release()
            for c in itertools.islice(chunks, 1):
                ac.add(self.client.submit(run_chunk, spec_f, c, pure=False))
            yield batch

    def __exit__(self, *exc):
        if self.own:
            self.client.close()
        return False
