"""Quantization recipes: bit widths and scale granularity per layer, by glob on the layer name.

A recipe YAML has ``name``, ``description``, ``default`` (layer fields) and ``rules``: a list of
``{match: GLOB, op: OP (optional), <field>: value ...}`` applied in order, later rules winning.
A rule that matches no layer is an error naming it (a typo would silently change nothing), except a rule on
every name of one op (``match: "*"`` with ``op``): it applies to the layers of that op if the model has any
(the shipped recipes' ``matmul`` rule on a CNN such as ResNet-50, which has no activation x activation matmul).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from workloads.attention_sparsity import AttentionMask, apply_attention_mask
from workloads.errors import InputError, WorkloadError, require_known, require_str, retyped
from workloads.io import looks_like_path, read_structured
from workloads.model import OPS, Layer, Workload, check_quant_combination
from workloads.sparsity import SPARSITY_FIELDS
from workloads.tokens import KeepSchedule, apply_schedule

RECIPE_FIELDS = ("w_bits", "a_bits", "out_bits", "acc_bits", "dtype", "w_granularity", "a_granularity",
                 "w_quantizer", "a_quantizer", "w_zero_point", "a_zero_point", "scale_pow2", "outlier_channels",
                 "outlier_bits", "calibration") + SPARSITY_FIELDS

RECIPE_KEYS = ("name", "description", "default", "rules", "tokens", "attention")
RECIPE_FIELDS += ("w_scale_bits", "a_scale_bits")   # stored scale widths (block formats: workloads/block_formats.py)


@dataclass(frozen=True)
class Rule:
    match: str
    op: str | None
    values: tuple[tuple[str, object], ...]

    def applies(self, layer: Layer) -> bool:
        return fnmatch.fnmatchcase(layer.name, self.match) and (self.op is None or layer.op == self.op)


@dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    default: tuple[tuple[str, object], ...]
    rules: tuple[Rule, ...]
    source: str = "<recipe>"
    tokens: KeepSchedule | None = None     # token pruning/merging after the bit rules (workloads/tokens.py)
    attention: AttentionMask | None = None  # fixed sparse attention masks, last (workloads/attention_sparsity.py)

    @classmethod
    def from_dict(cls, d, source: str) -> Recipe:
        """Validate a recipe mapping: known fields only, values checked by building a probe Layer."""
        if not isinstance(d, dict):
            raise WorkloadError(source, "top level", f"expected a mapping, got {type(d).__name__}")
        require_known(source, "", d, RECIPE_KEYS)  # a typo (``rule:``) would silently leave every layer at default
        name = d.get("name")
        if not isinstance(name, str) or not name:
            raise WorkloadError(source, "name", "missing or not a string")
        require_str(source, "description", d.get("description", ""))
        if not isinstance(d.get("default", {}), dict):
            raise WorkloadError(source, "default", "expected a mapping of layer fields")
        default = _values(source, "default", d.get("default", {}))
        rules = []
        raw_rules = d.get("rules") or []
        if not isinstance(raw_rules, list):
            raise WorkloadError(source, "rules", "expected a list")
        for i, r in enumerate(raw_rules):
            if not isinstance(r, dict):
                raise WorkloadError(source, f"rules[{i}]", "expected a mapping")
            match = r.get("match", "*")
            if not isinstance(match, str):
                raise WorkloadError(source, f"rules[{i}].match", "expected a glob string")
            op = r.get("op")
            if op is not None and op not in OPS:
                raise WorkloadError(source, f"rules[{i}].op", f"unknown op {op!r}", ", ".join(OPS))
            rest = {k: v for k, v in r.items() if k not in ("match", "op")}
            rules.append(Rule(match, op, _values(source, f"rules[{i}]", rest)))
        tokens = None if d.get("tokens") is None else KeepSchedule.from_dict(d["tokens"], source)
        attention = None if d.get("attention") is None else AttentionMask.from_dict(d["attention"], source)
        return cls(name, str(d.get("description", "")), default, tuple(rules), source, tokens, attention)

    def apply(self, workload: Workload) -> Workload:
        """Set each layer's bits and granularity; error if a rule matches no layer."""
        used = [False] * len(self.rules)
        layers = []
        for layer in workload.layers:
            values = {"w_scale_bits": 0, "a_scale_bits": 0, "w_block_format": "", "a_block_format": "",
                      **dict(self.default)}   # no format: the hardware's scale width
            for i, rule in enumerate(self.rules):
                if rule.applies(layer):
                    values.update(rule.values)
                    used[i] = True
            new = replace(layer, **values)
            check_quant_combination(self.source, f"layers[{layer.name}]", new.to_dict())
            if new.w_sparsity != "dense" and not (new.is_gemm and new.weight_operand):
                raise WorkloadError(self.source, f"layers[{layer.name}].w_sparsity",
                                    f"{new.w_sparsity} on a {new.op} without weights", "dense (add op: gemm to the rule)")
            layers.append(new)
        for i, ok in enumerate(used):
            r = self.rules[i]
            if not ok and not (r.match == "*" and r.op is not None):
                raise WorkloadError(self.source, f"rules[{i}].match",
                                    f"{r.match!r}{' op ' + r.op if r.op else ''} matches no layer of {workload.model}")
        out = replace(workload, layers=tuple(layers), recipe=self.name, accuracy=None)
        out = out if self.tokens is None else apply_schedule(out, self.tokens, self.source)
        return out if self.attention is None else apply_attention_mask(out, self.attention, self.source)


def _values(source: str, where: str, d: dict) -> tuple[tuple[str, object], ...]:
    from workloads.block_formats import FORMAT_KEYS, expand

    for key in d:
        if key in FORMAT_KEYS:
            continue
        if key not in RECIPE_FIELDS:
            raise WorkloadError(source, f"{where}.{key}", "unknown field", ", ".join(RECIPE_FIELDS + FORMAT_KEYS))
    d = expand(source, where, d)    # block_format: mxfp4 -> its bits, group granularity and scale width
    probe = {"name": "probe", "op": "gemm", "m": 1, "n": 1, "k": 1, **d}
    try:
        Layer.from_dict(probe, source, combinations=False)  # each field; combinations per layer in apply
    except InputError as e:
        raise retyped(e, WorkloadError, e.field.replace("layers[probe]", where)) from None
    return tuple(d.items())


def recipe_names() -> list[str]:
    """Names of the recipes shipped in ``workloads/recipes``."""
    return sorted(p.name[:-5] for p in resources.files("workloads.recipes").iterdir() if p.name.endswith(".yaml"))


def load_recipe(name_or_path: str) -> Recipe:
    """A recipe YAML file when ``name_or_path`` looks like a path (a separator, or .yaml/.yml), else a shipped
    recipe by name, else an existing file without a suffix: a file in the working directory named like a shipped
    recipe does not shadow it."""
    path = Path(name_or_path)
    if looks_like_path(name_or_path, (".yaml", ".yml")) or (
            str(name_or_path) not in recipe_names() and path.is_file()):
        try:
            data = read_structured(path)
        except InputError as e:
            raise retyped(e, WorkloadError) from None
        return Recipe.from_dict(data, str(path))
    if name_or_path not in recipe_names():
        raise WorkloadError("recipe", "", f"unknown recipe {name_or_path!r}", ", ".join(recipe_names()))
    ref = resources.files("workloads.recipes") / f"{name_or_path}.yaml"
    return Recipe.from_dict(read_structured(Path(str(ref))), f"recipes/{name_or_path}.yaml")
