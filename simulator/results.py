"""Typed results: ``LayerResult`` and ``Totals`` (fields from simulator/schema.py), ``SimResult`` and its writers.

A ``SimResult`` keeps the distinct layers' results once and each layer's index into them; the per-layer
table (``layer_results``, ``layers`` as a pandas DataFrame, ``columns()`` as plain lists) is expanded from
them on demand. JSON is ``{"hardware", "workload", "layers", "totals"}`` (and ``"engines"`` on a chip of several engines); CSV has one row per layer with
every column of ``schema.LAYER_FIELDS`` in that order.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, make_dataclass
from dataclasses import field as dataclass_field
from functools import cached_property
from operator import itemgetter
from pathlib import Path

from simulator.schema import FPGA_TOTAL_FIELDS, FPGA_TOTAL_NAMES, LAYER_FIELDS, TOTAL_FIELDS, TOTAL_MAPPINGS
from simulator.schema_engines import ENGINE_FIELDS


def _getitem(self, key):
    """Mapping-style access (``result["total_cycles"]``), kept for code written against the old dicts."""
    try:
        return getattr(self, key)
    except AttributeError:
        raise KeyError(key) from None


def _to_dict(self) -> dict:
    return {f.name: getattr(self, f.name) for f in fields(self)}


LayerResult = make_dataclass(
    "LayerResult", [(f.name, f.type) for f in LAYER_FIELDS], frozen=True, slots=True,
    namespace={"__doc__": "One layer's result: the fields of simulator.schema.LAYER_FIELDS (units there).",
               "__getitem__": _getitem, "to_dict": _to_dict, "__module__": __name__})


EngineResult = make_dataclass(
    "EngineResult", [(f.name, f.type) for f in ENGINE_FIELDS], frozen=True, slots=True,
    namespace={"__doc__": "One engine's totals on a chip of several engines: simulator.schema.ENGINE_FIELDS.",
               "__getitem__": _getitem, "to_dict": _to_dict, "__module__": __name__})


class _TotalsMapping(Mapping):
    """A mapping of the totals present: the FPGA totals only on FPGA designs (None otherwise: absent)."""

    __slots__ = ()

    def __getitem__(self, key):
        if key in FPGA_TOTAL_NAMES and getattr(self, key) is None:
            raise KeyError(key)
        return _getitem(self, key)

    def __iter__(self):
        return iter(f.name for f in fields(self) if f.name not in FPGA_TOTAL_NAMES or getattr(self, f.name) is not None)

    def __len__(self):
        return sum(1 for _ in self)

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self}


Totals = make_dataclass(
    "Totals", [(f.name, f.type) for f in TOTAL_FIELDS + TOTAL_MAPPINGS]
    + [(f.name, f.type | None, dataclass_field(default=None)) for f in FPGA_TOTAL_FIELDS], bases=(_TotalsMapping,),
    frozen=True, slots=True,
    namespace={"__doc__": "Network totals: simulator.schema.TOTAL_FIELDS and TOTAL_MAPPINGS (units there), and "
                          "FPGA_TOTAL_FIELDS on FPGA designs (None otherwise). Also a read-only mapping of the "
                          "field names present to their values.", "__module__": __name__})


@functools.cache
def _by_type() -> tuple:
    """(numpy dtype, field names, getter of their values as a tuple) of the per-layer fields but ``name``, grouped by
    declared type."""
    import numpy as np

    kinds = {int: np.int64, float: np.float64, bool: np.bool_}
    groups: dict = {}
    for f in LAYER_FIELDS[1:]:
        groups.setdefault(kinds.get(f.type, object), []).append(f.name)
    return tuple((kind, names, itemgetter(*names) if len(names) > 1 else lambda d, n=names[0]: (d[n],))
                 for kind, names in groups.items())


@dataclass(frozen=True)
class SimResult:
    """A workload on one design: per-layer results and totals, with the hardware and workload described."""

    hw: object                   # the Hardware simulated
    workload: dict               # model, recipe, batch, img_size, layers, macs, source
    distinct: tuple              # field dicts of the distinct layers (without names)
    order: tuple                 # each layer's index into ``distinct``
    names: tuple                 # each layer's name
    totals: Totals
    engines: tuple = ()          # EngineResult per engine of a chip of several engines (empty: one engine)
    timeline: tuple = ()         # (engine, start_us, end_us, layer name, image) per scheduled task (several engines)

    @cached_property
    def hardware(self) -> dict:
        """The hardware as a plain mapping (``Hardware.to_dict()``)."""
        return self.hw.to_dict()

    def columns(self) -> dict[str, list]:
        """Column name -> per-layer values (schema order), from the distinct layers."""
        cols = {"name": list(self.names)}
        for f in LAYER_FIELDS[1:]:
            values = [f.type(d[f.name]) for d in self.distinct]   # the declared type (e.g. whole cycles as float)
            cols[f.name] = [values[i] for i in self.order]
        return cols

    @cached_property
    def layer_results(self) -> tuple:
        """One ``LayerResult`` per layer, in order."""
        typed = [{f.name: f.type(d[f.name]) for f in LAYER_FIELDS[1:]} for d in self.distinct]
        return tuple(LayerResult(name=n, **typed[i]) for n, i in zip(self.names, self.order))

    @cached_property
    def layers(self):
        """Per-layer pandas DataFrame (pandas is imported here, on first use)."""
        import numpy as np
        import pandas as pd

        order = np.asarray(self.order, dtype=np.intp)
        data = {"name": np.asarray(self.names, dtype=object)}
        blocks = {}
        for kind, names, get in _by_type():   # one array per type: rows = distinct layers, then every layer
            table = np.array([get(d) for d in self.distinct], dtype=kind)
            blocks.update(zip(names, table[order].T))   # column views: pandas stacks each type into one block
        data.update((f.name, blocks[f.name]) for f in LAYER_FIELDS[1:])
        try:  # 10x faster than the public constructor for ~100 columns; the arrays are already validated
            return pd.DataFrame._from_arrays(list(data.values()), columns=list(data), index=pd.RangeIndex(len(order)),
                                             verify_integrity=False)
        except (AttributeError, TypeError):  # a pandas without the private constructor
            return pd.DataFrame(data, copy=False)

    def to_dict(self) -> dict:
        """One JSON-ready object: hardware, workload, layers (records), totals."""
        cols = self.columns()
        layers = [dict(zip(cols, row)) for row in zip(*cols.values())]
        out = {"hardware": self.hardware, "workload": self.workload, "layers": layers,
               "totals": self.totals.to_dict()}
        if self.engines:
            out["engines"] = [e.to_dict() for e in self.engines]
        return out

    def to_json(self) -> str:
        """Strict JSON (no NaN or Infinity: a non-finite number is an internal error)."""
        return json_dumps(self.to_dict())

    def to_csv(self) -> str:
        """One row per layer, every column of the schema."""
        return csv_text(self.columns())

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write layers.csv, result.json and hardware.yaml into ``out_dir`` as one set with a MANIFEST.json
        (``workloads.outputs.write_set``: all three files of this run, or the previous set untouched)."""
        import yaml

        from workloads.enums import plain
        from workloads.io import write_set
        from workloads.version import package_version

        return write_set(out_dir, {"layers.csv": self.to_csv(), "result.json": self.to_json(),
                                   "hardware.yaml": yaml.safe_dump(plain(self.hardware), sort_keys=False)},
                         written_by=f"vitsim {package_version()}")


def _finite(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        from workloads.outputs import check_finite

        check_finite(obj, "result")  # raises RunError (exit 1, one line)
    return obj


def json_dumps(obj) -> str:
    """Strict JSON with floats for numpy numbers; NaN/inf refused (``workloads.outputs.check_finite``:
    ``RunError``, exit 1)."""
    from workloads.outputs import check_finite

    def default(o):
        try:
            return _finite(float(o))
        except TypeError:
            return str(o)

    check_finite(obj, "result")
    return json.dumps(obj, indent=1, default=default, allow_nan=False)


def csv_text(cols: dict[str, list]) -> str:
    """CSV of columns (name -> values); floats written with repr precision, booleans as True/False, text cells
    that a spreadsheet would run as formulas escaped (``workloads.csvcells``)."""
    from workloads.csvcells import csv_rows

    return csv_rows(cols, ([_finite(v) for v in row] for row in zip(*cols.values())))
