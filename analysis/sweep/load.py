"""Reading and validating a sweep spec (YAML or mapping) into a ``SweepSpec``."""

from __future__ import annotations

import math
import re
from pathlib import Path

from analysis.sweep.paths import _expand, set_path
from analysis.sweep.spec import Axis, Constraint, SweepSpec, WorkloadRef, _digest, _scaled
from workloads.errors import InputError, require_int, require_mapping, require_str
from workloads.limits import check

SAMPLING = ("grid", "random")
_SPEC_KEYS = {"name", "description", "base", "axes", "workloads", "models", "recipes", "batch", "constraints",
              "objectives", "sampling", "samples", "seed", "chunk_size", "accuracy", "screen",
              "search"}
_CONSTRAINT_RE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(<=|>=|==|!=|<|>)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


def load_spec(path: str | Path, overrides=()) -> SweepSpec:
    """Read and validate a sweep spec YAML; relative paths inside it are relative to the spec file; ``overrides``
    (``--set``) change its base hardware (``spec_from_dict``)."""
    from workloads.io import read_structured

    path = Path(path)
    return spec_from_dict(read_structured(path), str(path), base_dir=path.parent, overrides=overrides)


def spec_from_dict(d, source: str = "<sweep>", base_dir: str | Path | None = None, overrides=()) -> SweepSpec:
    """Validate a sweep mapping once (every error names ``source`` and the field) -> ``SweepSpec``.

    ``base`` is a hardware YAML path or an inline hardware mapping. Every axis value is applied to
    the base alone and validated by ``hardware_from_dict``; every workload is loaded once, and
    ``metric_names_for`` gives the totals names that constraints and objectives may use. ``overrides``
    (``(dotted key, value)`` pairs, ``--set``) are set in the base mapping before it is validated.
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
        p = _beside(p, base_dir)
        try:
            base = read_structured(p)
        except InputError as e:
            raise InputError(source, "base", f"{p}: {e.problem}") from None
        base_src = str(p)
    elif isinstance(raw_base, dict):
        base, base_src = raw_base, f"{source}: base"
    else:
        raise InputError(source, "base", "missing or not a hardware YAML path / mapping")
    from simulator.overrides import apply_sets

    base = apply_sets(base, overrides, base_src)
    try:
        built = hardware_from_dict(base, base_src)
    except InputError as e:
        raise InputError(source, f"base ({e.field})", e.problem, e.allowed) from None
    if hasattr(built, "engines") and d.get("screen"):   # the screening bound is per one-engine design
        raise InputError(source, "screen", "true on a chip of several engines (the screening bound is per "
                         "one-engine design)", "false")

    axes = _parse_axes(source, d.get("axes"), base)
    workloads = _parse_workloads(source, d, base_dir)
    sampling = d.get("sampling", "grid")
    if sampling not in SAMPLING:
        raise InputError(source, "sampling", f"unknown value {sampling!r}", ", ".join(SAMPLING))
    samples = _req_int(source, "samples", d.get("samples", 0), 0)
    if sampling == "random" and samples < 1:
        raise InputError(source, "samples", "random sampling needs samples >= 1")
    seed = _req_int(source, "seed", d.get("seed", 0), 0)
    chunk = _req_int(source, "chunk_size", d.get("chunk_size", 0), 0)
    screen = d.get("screen", False)
    if not isinstance(screen, bool):
        raise InputError(source, "screen", f"{screen!r} is not true or false", "true, false")
    search = parse_search(source, d.get("search"))

    digests = []
    for i, w in enumerate(workloads):  # every workload loads here: a bad one is a spec error, not a worker failure
        try:
            digests.append(_digest(w.load().to_dict()).hex())  # the content, so an edited file changes it
        except InputError as e:
            raise InputError(source, f"workloads[{i}] ({w.label})", e.problem, e.allowed) from None
    metrics = metric_names_for(isinstance(base, dict) and "fpga" in base)
    for key in ("name", "description"):
        require_str(source, key, d.get(key, ""))
    from workloads.version import package_version

    spec = SweepSpec(d.get("name") or Path(source).stem, source, base, axes, workloads, (), (), sampling,
                     samples, seed, chunk, metrics, tuple(digests), package_version())
    if spec.grid_size > 2 ** 62:  # grid indices are int64 (the ``design`` column)
        raise InputError(source, "axes", f"{spec.grid_size:.3e} designs cannot be indexed", "at most 2^62 designs")
    if search is not None:   # a search runs its trials, not the grid: the points limit applies to those
        check("points", search.trials * len(workloads), source, "search.trials", "fewer trials")
    else:
        check("points", spec.n_points, source, "axes",
              f"{spec.n_designs:,} designs x {len(workloads)} workloads: fewer axis values, sampling: random with "
              "fewer samples, or fewer workloads")
    names = spec.metric_names()
    constraints = tuple(_parse_constraint(source, i, c, names) for i, c in enumerate(_as_list(
        source, "constraints", d.get("constraints", []))))
    from analysis.pareto import parse_objectives

    objectives = d.get("objectives", ["latency_us", "energy_uj"])
    objectives = tuple(o.text for o in parse_objectives(objectives, names, source, "objectives"))
    from dataclasses import replace

    return replace(spec, constraints=constraints, objectives=objectives, screen=screen, search=search)


def parse_search(source: str, raw, field: str = "search"):
    """A spec's ``search`` block (analysis/sweep/search.py) -> ``Search``, or None when absent; ``raw`` may be a
    method name alone."""
    from analysis.sweep.search import METHODS, Search

    if raw is None:
        return None
    if isinstance(raw, str):
        raw = {"method": raw}
    raw = require_mapping(source, field, raw)
    keys = ("method", "trials", "population", "seed")
    for key in raw:
        if key not in keys:
            raise InputError(source, f"{field}.{key}", "unknown field", ", ".join(keys))
    method = raw.get("method", "nsga2")
    if method not in METHODS:
        raise InputError(source, f"{field}.method", f"unknown value {method!r}", ", ".join(METHODS))
    trials = _req_int(source, f"{field}.trials", raw.get("trials", Search.trials), 1)
    population = _req_int(source, f"{field}.population", raw.get("population", Search.population), 2)
    seed = _req_int(source, f"{field}.seed", raw.get("seed", 0), 0)
    return Search(method, trials, population, seed)


def metric_names_for(fpga: bool = False) -> tuple[str, ...]:
    """The totals every results row carries (``SweepSpec.metrics``): the schema's numeric totals
    (simulator/schema.py), declared, not learned by simulating; with the FPGA totals when the base hardware has an
    ``fpga`` section (``fpga``), so constraints such as ``fpga_fits == 1`` can name them."""
    from simulator.schema import total_metric_names

    return total_metric_names(fpga)


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
    bound = float(m.group(3))
    if not math.isfinite(bound):
        raise InputError(source, fld, f"bound {m.group(3)} is not a finite number", "finite numbers")
    return Constraint(m.group(1), m.group(2), bound)


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
            if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not math.isfinite(scale) or scale <= 0:
                raise InputError(source, f"{fld}.scale", f"{scale!r} is not a finite number > 0")
            if not isinstance(spec["tie"], str):
                raise InputError(source, f"{fld}.tie", f"expected an axis path, got {spec['tie']!r}"[:120])
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


def _beside(p: Path, base_dir: Path) -> Path:
    """A relative path in a spec: beside the spec file when it exists there, else as given (the working directory)."""
    return p if p.is_absolute() or not (base_dir / p).exists() else base_dir / p


def _parse_workloads(source: str, d: dict, base_dir: Path | None = None) -> tuple[WorkloadRef, ...]:
    batch = require_int(source, "batch", d.get("batch", 1), 1)
    refs = []
    for i, w in enumerate(_as_list(source, "workloads", d.get("workloads", []))):
        if isinstance(w, str):
            is_file = w.endswith((".yaml", ".yml", ".json"))
            spec = str(_beside(Path(w), base_dir)) if is_file and base_dir is not None else w
            refs.append(WorkloadRef(Path(w).stem if is_file else w, spec=spec, batch=batch))
        elif isinstance(w, dict) and "model" in w and set(w) <= {"model", "recipe", "batch", "label", "accuracy"}:
            require_str(source, f"workloads[{i}].model", w["model"], empty=False)
            for key in ("recipe", "label"):
                if w.get(key) is not None:
                    require_str(source, f"workloads[{i}].{key}", w[key], empty=False)
            b = require_int(source, f"workloads[{i}].batch", w.get("batch", batch), 1)
            lab = w.get("label") or f"{w['model']}-{w.get('recipe') or 'none'}" + (f"-b{b}" if b != 1 else "")
            refs.append(WorkloadRef(str(lab), model=str(w["model"]), recipe=w.get("recipe"), batch=b,
                                    accuracy=_accuracy_ref(source, f"workloads[{i}].accuracy", w.get("accuracy"))))
        else:
            raise InputError(source, f"workloads[{i}]", f"cannot read {w!r}",
                             "a zoo name, a workload file, or {model, recipe, batch}")
    models = _as_list(source, "models", d.get("models", []))
    recipes = _as_list(source, "recipes", d.get("recipes", [None])) or [None]
    if "recipes" in d and not models:
        raise InputError(source, "recipes", "recipes apply to models; list them under models")
    for key, values in (("models", models), ("recipes", recipes)):
        for i, v in enumerate(values):
            if not (isinstance(v, str) and v) and not (key == "recipes" and v is None):
                raise InputError(source, f"{key}[{i}]", f"expected a name, got {v!r}"[:120])
    for m in models:
        for r in recipes:
            refs.append(WorkloadRef(f"{m}-{r or 'none'}" + (f"-b{batch}" if batch != 1 else ""),
                                    model=str(m), recipe=r, batch=batch))
    if not refs:
        raise InputError(source, "workloads", "no workloads", "workloads: [zoo names or files] and/or models x recipes")
    labels = [r.label for r in refs]
    if len(set(labels)) != len(labels):
        raise InputError(source, "workloads", f"duplicate workload labels {labels}")
    acc = d.get("accuracy")
    if acc is not None:
        if not isinstance(acc, dict):
            raise InputError(source, "accuracy", "expected a mapping of workload label (or '*') to an accuracy",
                             "{LABEL: published:METHOD | {kind, top1, ...}}")
        for key in acc:
            if key != "*" and key not in labels:
                raise InputError(source, f"accuracy.{key}", "no such workload label", ", ".join(labels))
        from dataclasses import replace

        refs = [r if r.accuracy else replace(r, accuracy=_accuracy_ref(source, f"accuracy.{r.label}",
                                                                        acc.get(r.label, acc.get("*"))))
                for r in refs]
    return tuple(refs)


def _accuracy_ref(source: str, fld: str, v):
    """A workload's accuracy in a spec: ``published:METHOD`` or a mapping of Workload.accuracy fields."""
    if v is None:
        return ()
    if isinstance(v, str):
        if not v.startswith("published:") or not v[10:]:
            raise InputError(source, fld, f"cannot read {v!r}", "published:METHOD, or {kind, top1, ...}")
        return v
    from workloads.quant_fields import check_accuracy

    try:
        return tuple(sorted(check_accuracy(source, v).items()))
    except InputError as e:
        raise InputError(source, fld + e.field[len("accuracy"):], e.problem, e.allowed) from None
