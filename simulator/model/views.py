"""Declared views: the per-layer columns and the network totals of simulator/schema.py as formulas over ``Counts``.

Each schema field with a ``view`` is a Python expression over
  C.<part>            a layer's counts (simulator/model/counts.py; N.<part> for the network's summed counts):
                      a scalar part (``C.total``), an access ``C.<level>_<operand>_<direction>``
                      (``C.dram_ifmap_rd``), a level's reads or writes over every operand (``C.ibuf_rd``: ifmap,
                      filter, ofmap, psum, scale in that order), a primitive op count ``C.<kind>_ops``
  E.<part>            energy parts in pJ (simulator/model/price.py ``Energy``)
  D.<number>          the design's numbers (rows, cols, freq_mhz, ...; simulator/model/design.py ``Design``)
  P.<price>           the design's prices (leakage_mw, ...; ``Prices``)
  S.p                 the layer's MACs per PE cycle (0 on the vector unit)
  A.<area field>      the design's area (simulator/area.py), batch, p_used, peak_tops (totals only)
  div0(a, b)          a / b, 0 where b == 0
and earlier totals by name (formulas run in declaration order). ``layer_view`` and ``total_view`` are generated
once from the declarations: one expression per field, no hand-built dictionary.
"""

from __future__ import annotations

import re
from functools import cache

from simulator.model import arith
from simulator.model.counts import ACCESS_NAMES, DIRECTIONS, LEVELS, OPERANDS, PRIMITIVES, access

_REF = re.compile(r"\b([CN])\.([a-z_0-9]+)")


class _Translation:
    """View formulas as Python over one counts argument ``X`` (C or N): a scalar part is ``X.part``, an access
    ``a[i]`` (a = X.acc), an op count ``o[i]`` (o = X.ops), a level's reads or writes a local computed once in the
    prelude (the sum over OPERANDS in order)."""

    def __init__(self):
        self.levels: dict[str, str] = {}

    def part(self, prefix: str, name: str) -> str:
        if name in ACCESS_NAMES:
            return f"a[{ACCESS_NAMES.index(name)}]"
        if name.endswith("_ops") and name[:-4] in PRIMITIVES:
            return f"o[{PRIMITIVES.index(name[:-4])}]"
        level, _, direction = name.rpartition("_")
        if level in LEVELS and direction in DIRECTIONS:
            local = f"_{level}_{direction}"
            self.levels[local] = " + ".join(f"a[{access(o, level, direction)}]" for o in OPERANDS)
            return local
        return f"{prefix}.{name}"

    def __call__(self, expr: str) -> str:
        return _REF.sub(lambda m: self.part(m.group(1), m.group(2)), expr)

    def prelude(self, counts: str) -> list[str]:
        return [f"    a = {counts}.acc", f"    o = {counts}.ops", *(f"    {k} = {v}" for k, v in self.levels.items())]


def translate(expr: str) -> str:
    """A view formula as Python over the generated function's locals (``_Translation``)."""
    return _Translation()(expr)


def _compile(name: str, args: str, body: list[str]):
    namespace = {"div0": arith.div_or_zero}
    exec(compile("\n".join([f"def {name}({args}):", *body]), f"<simulator.model.views.{name}>", "exec"),  # noqa: S102
         namespace)
    return namespace[name]


@cache
def layer_view():
    """``layer_view(C, E, D, S) -> dict`` of every per-layer field with a view (schema.LAYER_FIELDS)."""
    from simulator.schema import LAYER_FIELDS

    tr = _Translation()
    items = [f"        {f.name!r}: {tr(f.view)}," for f in LAYER_FIELDS if f.view]
    return _compile("layer_view", "C, E, D, S", [*tr.prelude("C"), "    return {", *items, "    }"])


@cache
def total_view():
    """``total_view(pairs, E, D, P, A, batch, p_used, peak_tops) -> dict`` of every total (schema.TOTAL_FIELDS)
    from the distinct layers' (Counts, occurrences) ``pairs`` and the summed energy ``E``: the parts the views
    read are summed as ``counts.weighted_sum`` sums them (pair order, from 0.0), then the formulas run."""
    from simulator.schema import TOTAL_FIELDS, TOTAL_LETS

    tr = _Translation()
    body = [f"    {name} = {tr(expr)}" for name, expr in TOTAL_LETS]
    body += [f"    {f.name} = {tr(f.view)}" for f in TOTAL_FIELDS]
    body.append("    return {" + ", ".join(f"{f.name!r}: {f.name}" for f in TOTAL_FIELDS) + "}")
    text = "\n".join(body)
    scalars = sorted(set(re.findall(r"\bN\.([a-z_0-9]+)", text)))
    accesses = sorted({int(i) for i in re.findall(r"\ba\[(\d+)\]", text + "".join(tr.levels.values()))})
    loop = ["    " + " = ".join([*(f"s_{f}" for f in scalars), *(f"a_{i}" for i in accesses)]) + " = 0.0",
            "    for X, n in pairs:", "        a = X.acc"]
    loop += [f"        s_{f} = s_{f} + X.{f} * n" for f in scalars]
    loop += [f"        a_{i} = a_{i} + a[{i}] * n" for i in accesses]
    levels = [f"    {k} = " + re.sub(r"\ba\[(\d+)\]", r"a_\1", v) for k, v in tr.levels.items()]
    text = re.sub(r"\bN\.([a-z_0-9]+)", r"s_\1", re.sub(r"\ba\[(\d+)\]", r"a_\1", text))
    return _compile("total_view", "pairs, E, D, P, A, batch, p_used, peak_tops",
                    [*loop, *levels, *text.split("\n")])


def layer_fields(c, e, d, p) -> dict:
    """The per-layer fields of counts ``c``, energy ``e`` on design ``d`` with MACs per PE cycle ``p``."""
    return layer_view()(c, e, d, _Setup(p))


class _Setup:
    __slots__ = ("p",)

    def __init__(self, p):
        self.p = p
