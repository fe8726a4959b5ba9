"""Reading input files: text with a size cap, YAML/JSON with aliases, nesting and size bounded; every problem is
one ``InputError`` line naming the file. Writing (temporary file + rename, sets of files): ``workloads.outputs``,
re-exported here.

YAML documents are scanned as parser events before anything is built: the node count with every alias
expanded (``limits.yaml_nodes``), the nesting depth (``limits.yaml_depth``) and recursive aliases are checked
first, so an alias bomb of a few hundred bytes is refused in milliseconds instead of expanding to gigabytes,
and a deeply nested document cannot overflow the parser's C stack.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import yaml
from yaml import events as _ev

from workloads.errors import InputError
from workloads.limits import LIMITS, limit
from workloads.outputs import atomic_write, atomic_write_text, check_output_dir, check_output_file, write_set

__all__ = ["atomic_write", "atomic_write_text", "check_output_dir", "check_output_file", "looks_like_path",
           "read_structured", "read_text", "write_set"]

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPEN = (_ev.SequenceStartEvent, _ev.MappingStartEvent)
_CLOSE = (_ev.SequenceEndEvent, _ev.MappingEndEvent)


def read_text(path: str | Path) -> str:
    """The UTF-8 text of an input file, at most ``limits.input_bytes`` long; anything else is an ``InputError``."""
    path = Path(path)
    cap = limit("input_bytes")
    try:
        with open(path, "rb") as fh:
            data = fh.read(cap + 1)
    except FileNotFoundError:
        raise InputError(str(path), "", "file not found") from None
    except IsADirectoryError:
        raise InputError(str(path), "", "is a directory, not a file") from None
    except OSError as exc:
        raise InputError(str(path), "", f"cannot read: {exc.strerror or exc.__class__.__name__}") from None
    if len(data) > cap:
        lim = LIMITS["input_bytes"]
        raise InputError(str(path), "", f"larger than {cap:,} bytes", f"smaller files, or set {lim.variable} higher")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"byte {exc.start}", "not UTF-8 text") from None


def read_structured(path: str | Path):
    """Parse a YAML or JSON file (``.json``: JSON, else YAML) within the limits of the module docstring."""
    path = Path(path)
    text = read_text(path)
    try:
        if path.suffix == ".json":
            data = json.loads(text)
            _check_depth(str(path), data)
            return data
        _check_yaml(str(path), text)
        return yaml.load(text, Loader=_Loader)
    except RecursionError:
        raise InputError(str(path), "", "nested too deeply", f"at most {limit('yaml_depth')} levels") from None
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else getattr(exc, "lineno", None)
        raise InputError(str(path), f"line {line}" if line is not None else "", "not valid YAML/JSON") from None


def _check_yaml(source: str, text: str) -> None:
    """Count the nodes of ``text`` with aliases expanded and its depth, from parser events (nothing is built)."""
    max_nodes, max_depth = limit("yaml_nodes"), limit("yaml_depth")
    sizes: dict[str, int] = {}   # anchor -> expanded node count
    stack: list[list] = []       # open collections: [node count so far, anchor]
    total = 0
    for ev in yaml.parse(text, Loader=_Loader):
        if isinstance(ev, _OPEN):
            stack.append([1, ev.anchor])
            if len(stack) > max_depth:
                raise InputError(source, f"line {ev.start_mark.line + 1}", "nested too deeply",
                                 f"at most {max_depth} levels, or set {LIMITS['yaml_depth'].variable} higher")
            continue
        if isinstance(ev, _CLOSE):
            n, anchor = stack.pop()
        elif isinstance(ev, _ev.ScalarEvent):
            n, anchor = 1, ev.anchor
        elif isinstance(ev, _ev.AliasEvent):
            if ev.anchor not in sizes:
                raise InputError(source, f"line {ev.start_mark.line + 1}",
                                 f"alias *{ev.anchor} refers to an undefined or enclosing anchor", "defined anchors")
            n, anchor = sizes[ev.anchor], None
        else:
            continue
        if anchor:
            sizes[anchor] = n
        if stack:
            stack[-1][0] += n
        else:
            total += n
        if total + sum(s[0] for s in stack) > max_nodes:
            raise InputError(source, f"line {ev.start_mark.line + 1}",
                             f"more than {max_nodes:,} YAML nodes with aliases expanded",
                             f"fewer aliases, or set {LIMITS['yaml_nodes'].variable} higher")


def _check_depth(source: str, data) -> None:
    """Refuse JSON nested deeper than ``limits.yaml_depth`` (iterative walk)."""
    max_depth = limit("yaml_depth")
    todo = [(data, 1)]
    while todo:
        node, depth = todo.pop()
        if isinstance(node, (dict, list)):
            if depth > max_depth:
                raise InputError(source, "", "nested too deeply", f"at most {max_depth} levels")
            todo.extend((v, depth + 1) for v in (node.values() if isinstance(node, dict) else node))


def looks_like_path(spec: str | Path, suffixes: tuple[str, ...]) -> bool:
    """True for a ``Path``, or a string with a path separator or one of ``suffixes``; otherwise it is a name."""
    if isinstance(spec, Path):
        return True
    seps = [s for s in (os.sep, os.altsep, "/") if s]
    return any(s in spec for s in seps) or Path(spec).suffix.lower() in suffixes
