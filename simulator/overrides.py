"""``--set KEY=VALUE`` (dotted keys, repeated): changes to a hardware mapping applied before it is validated, so an
override is checked exactly as the same change written in the YAML file (a wrong key or value is the one-line
error naming the key). Used by ``run``, ``report``, ``roofline`` and ``sweep`` (``add_set_arg``).

``vector.pipelined=true`` sets ``d["vector"]["pipelined"] = True``; list items by index (``pe.precisions.0.w_bits=4``);
a missing section is created (then refused as an unknown field if the schema has none). VALUE is a YAML scalar
(``true``, ``25.6``, ``lpddr5``, ``null``; a flow list ``[8, 16]`` too); anchors and aliases are refused.
"""

from __future__ import annotations

import re

import yaml

from workloads.errors import InputError

_KEY = re.compile(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*")
MAX_VALUE_CHARS = 1000


def add_set_arg(parser) -> None:
    """``--set KEY=VALUE`` (repeatable) on a command that loads a hardware config; parsed into ``args.overrides``."""
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="change one field of the hardware config before it is validated, e.g. --set "
                             "vector.pipelined=true --set dram.bandwidth_gbps=51.2 (dotted keys as in the YAML; "
                             "repeat for several; VALUE is read as YAML)")


def parse_sets(items) -> tuple[tuple[str, object], ...]:
    """``["a.b=1", ...]`` -> ``(("a.b", 1), ...)``; a malformed item is an ``InputError`` naming it."""
    out = []
    for item in items or ():
        key, sep, text = str(item).partition("=")
        key = key.strip()
        if not sep or not _KEY.fullmatch(key):
            raise InputError("--set", str(item), "expected KEY=VALUE with a dotted KEY",
                             "e.g. vector.pipelined=true, dram.bandwidth_gbps=51.2")
        if len(text) > MAX_VALUE_CHARS or "&" in text or "*" in text:
            raise InputError("--set", key, "value too long or with YAML anchors/aliases",
                             f"a YAML scalar of at most {MAX_VALUE_CHARS} characters")
        try:
            value = yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError:
            raise InputError("--set", key, f"{text!r} is not a YAML value", "a YAML scalar") from None
        out.append((key, value))
    return tuple(out)


def set_path(d, path: str, value, source: str, field_prefix: str = ""):
    """A copy of mapping ``d`` with dotted ``path`` (list items by index, ``a.0.b``) set to ``value``; only the
    containers along the path are copied. A path through a non-container is an ``InputError`` naming
    ``field_prefix + path``."""
    keys = path.split(".")
    fld = f"{field_prefix}{path}"
    if not all(keys):
        raise InputError(source, fld, "empty component in dotted path")

    def put(node, i):
        key = keys[i]
        if isinstance(node, dict):
            new = dict(node)
            new[key] = value if i == len(keys) - 1 else put(node.get(key, {}), i + 1)
            return new
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                raise InputError(source, fld, f"{'.'.join(keys[:i])} is a list; {key!r} is not an index",
                                 f"0 to {len(node) - 1}")
            new = list(node)
            new[int(key)] = value if i == len(keys) - 1 else put(node[int(key)], i + 1)
            return new
        raise InputError(source, fld, f"{'.'.join(keys[:i])} is a {type(node).__name__}, not a mapping")

    return put(d, 0)


def apply_sets(data, overrides, source: str):
    """``data`` (a hardware mapping as read from its file) with every ``(key, value)`` of ``overrides`` set."""
    if not overrides:
        return data
    if not isinstance(data, dict):
        raise InputError(source, "top level", "not a mapping, --set cannot apply")
    for key, value in overrides:
        data = set_path(data, key, value, source)
    return data


def no_sets(overrides, why: str) -> None:
    """Refuse ``--set`` where there is no config to change (``why``)."""
    if overrides:
        raise InputError("--set", overrides[0][0], why)


def describe_sets(overrides) -> str:
    """`` with --set a=1, b=2`` for the ``loaded:`` line ('' without overrides)."""
    if not overrides:
        return ""
    return " with --set " + ", ".join(f"{k}={yaml.safe_dump(v, default_flow_style=True).strip().removesuffix('...').strip()}"
                                      for k, v in overrides)
