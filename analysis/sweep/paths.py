"""Dotted paths into a hardware mapping, and expansion of one axis spec into its values."""

from __future__ import annotations

import math

from simulator.overrides import set_path as _set
from workloads.errors import InputError, require_int
from workloads.limits import check


def set_path(d: dict, path: str, value, source: str = "<sweep>") -> dict:
    """A copy of mapping ``d`` with ``path`` (``a.b.c``; list items by index, ``a.0.b``) set to ``value``
    (``simulator.overrides.set_path``; errors name ``axes.<path>``)."""
    return _set(d, path, value, source, field_prefix="axes.")


def _number_list(source, fld, v, n_min, n_max) -> list:
    if not isinstance(v, list) or not n_min <= len(v) <= n_max or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in v):
        raise InputError(source, fld, f"expected a list of {n_min}-{n_max} finite numbers, got {v!r}"[:200])
    return v


def _count(source: str, fld: str, n: float) -> int:
    """The number of values an axis spec expands to, refused above ``limits.axis_values`` before expanding."""
    check("axis_values", n, source, fld, "fewer values (a larger step or factor, a smaller num)")
    return int(n)


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
        _count(source, f"{fld}.range", (stop - start) / step + 1)  # a float estimate, refused before any floor
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
        num = _count(source, f"{fld}.num", require_int(source, f"{fld}.num", spec["num"], 1))
        raw = [start] if num == 1 else [start * (stop / start) ** (i / (num - 1)) for i in range(num)]
    else:
        factor = spec["factor"]
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not math.isfinite(factor) or factor <= 1:
            raise InputError(source, f"{fld}.factor", f"{factor!r} is not a finite number > 1")
        _count(source, f"{fld}.factor", (math.log(stop) - math.log(start)) / math.log(factor) + 1)
        raw, v = [], float(start)
        while v <= stop * (1 + 1e-9):
            raw.append(v)
            v *= factor
    ints = isinstance(start, int) and isinstance(stop, int)
    vals = tuple(dict.fromkeys(round(v) if ints else round(v, 12) for v in raw))
    return vals, vals
