"""Sweep spec types (axes, workloads, constraints, the validated spec) and point ids."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from analysis.sweep.paths import set_path

_OPS = {"<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b, ">": lambda a, b: a > b,
        "==": lambda a, b: a == b, "!=": lambda a, b: a != b}


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


# per-workload accuracy columns of every results row (docs/accuracy.md): NaN / "" where the workload has none
ACCURACY_COLUMNS = ("top1", "top5", "fp32_top1")


@dataclass(frozen=True)
class WorkloadRef:
    """A zoo name or workload file, or an analytic model quantized by a recipe; ``accuracy`` (optional) is a
    mapping of ``Workload.accuracy`` fields as sorted items, or ``published:METHOD`` (looked up by model and bits
    in the published table)."""

    label: str
    spec: str | None = None
    model: str | None = None
    recipe: str | None = None
    batch: int = 1
    accuracy: tuple | str = ()

    def load(self):
        from dataclasses import replace

        from workloads.resolve import resolve_workload

        # exactly one of spec / model is set (load._parse_workloads); the one resolver reads both
        w = resolve_workload(self.spec, model=self.model, recipe=self.recipe, batch=self.batch)
        if isinstance(self.accuracy, str) and self.accuracy:
            from workloads.accuracy.published import published_accuracy

            return replace(w, accuracy=published_accuracy(w, self.accuracy.split(":", 1)[1]))
        if self.accuracy:
            from workloads.quant_fields import check_accuracy

            return replace(w, accuracy=check_accuracy(self.label, dict(self.accuracy)))
        return w


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
    metrics: tuple[str, ...] = ()  # numeric simulate_totals keys (load.metric_names_for)
    workload_digests: tuple[str, ...] = ()  # hash of each loaded workload's content (load.spec_from_dict)
    version: str = ""                       # the vitsim version that validated the spec
    screen: bool = False                    # two-stage search (analysis/sweep/screen.py): not in the fingerprint
    search: object = None                   # analysis.sweep.search.Search or None: not in the fingerprint

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

    @cached_property
    def fingerprint(self) -> str:
        """Hash of everything a stored row depends on (``fingerprint_parts``): a resume needs it unchanged."""
        return _digest(sorted(self.fingerprint_parts.items())).hex()

    @cached_property
    def fingerprint_parts(self) -> dict[str, str]:
        """The fingerprint part by part, so a refused resume can say what changed: the base hardware content,
        the axes with their values, the workloads (labels, names, recipes, batch and a hash of each loaded
        workload, so an edited file counts), constraints, objectives, result columns and the vitsim version."""
        return {
            "base": _digest(self.base).hex(),
            "axes": _digest([[a.path, list(a.values), list(a.labels), a.tie, a.scale] for a in self.axes]).hex(),
            "workloads": _digest([[w.label, w.spec, w.model, w.recipe, w.batch] for w in self.workloads]
                                 + [list(self.workload_digests)]).hex(),
            "constraints": _digest([str(c) for c in self.constraints]).hex(),
            "objectives": _digest(list(self.objectives)).hex(),
            "metrics": _digest(list(self.metrics)).hex(),
            "version": self.version,
        }

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
        return list(self.metrics) + bound_mix_names(self.metrics) + list(ACCURACY_COLUMNS) + numeric


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


_MASK = (1 << 64) - 1
_MIX = 0x100000001B3          # the 64-bit FNV prime: h = (h XOR part) * _MIX mod 2^64
_SEED = 0xCBF29CE484222325    # the 64-bit FNV offset basis


def _h64(obj) -> int:
    """Unsigned 64-bit BLAKE2b of the canonical JSON of ``obj``."""
    return int.from_bytes(_digest(obj), "little")


def label_hash(position: int, label) -> int:
    """The hash one axis label contributes at its axis ``position`` (spec order)."""
    return _h64([position, label])


def workload_hash(workload: str) -> int:
    return _h64(["workload", workload])


def point_id(labels: tuple, workload: str) -> int:
    """Stable signed 64-bit id of (design axis labels, workload label): FNV-style mixing of the BLAKE2b hashes of
    each axis label (with its position) and of the workload label; ``worker`` computes the same with numpy."""
    h = _SEED
    for i, lab in enumerate(labels):
        h = ((h ^ label_hash(i, lab)) * _MIX) & _MASK
    h = ((h ^ workload_hash(workload)) * _MIX) & _MASK
    return h - (1 << 64) if h >= 1 << 63 else h


def point_ids(tables: list, chosen: list, workload: str):
    """``point_id`` of many designs at once: ``tables[i]`` = uint64 label hashes of axis i (spec order),
    ``chosen[i]`` = each design's label index on axis i."""
    import numpy as np

    h = np.full(len(chosen[0]) if chosen else 1, _SEED, dtype=np.uint64)
    mix = np.uint64(_MIX)
    for table, idx in zip(tables, chosen):
        h = (h ^ table[idx]) * mix
    h = (h ^ np.uint64(workload_hash(workload))) * mix
    return h.view(np.int64)
