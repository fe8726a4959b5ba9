"""Reading input files: text with a size cap, YAML/JSON with aliases, nesting and size bounded; every problem is
one ``InputError`` line naming the file. Writing (temporary file + rename, sets of files): ``workloads.outputs``,
re-exported here.

YAML documents are scanned as parser events before anything is built: the node count with every alias
expanded (``limits.yaml_nodes``), the nesting depth (``limits.yaml_depth``) and recursive aliases are checked
first, so an alias bomb of a few hundred bytes is refused in milliseconds instead of expanding to gigabytes,
and a deeply nested document cannot overflow the parser's C stack. JSON is bounded by the same node count
(commas and brackets, counted before parsing). Inputs are regular files only (``open_input``: a FIFO would
block); a key given twice in a mapping is refused with its line (YAML would keep the last silently).
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import yaml
from yaml import events as _ev

from workloads.errors import InputError
from workloads.limits import LIMITS, limit
from workloads.outputs import atomic_write, atomic_write_text, check_output_dir, check_output_file, write_set

__all__ = ["atomic_write", "atomic_write_text", "check_input_file", "check_output_dir", "check_output_file",
           "looks_like_path", "open_input", "read_structured", "read_text", "write_set"]

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPEN = (_ev.SequenceStartEvent, _ev.MappingStartEvent)
_CLOSE = (_ev.SequenceEndEvent, _ev.MappingEndEvent)


def open_input(path: str | Path) -> int:
    """A read-only descriptor of the input file ``path``, opened without blocking and only if it is a regular
    file: a FIFO (which would block until a writer appears), a device, a socket or a directory is an
    ``InputError`` naming the path. The caller closes the descriptor."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise InputError(str(path), "", "file not found") from None
    except IsADirectoryError:
        raise InputError(str(path), "", "is a directory, not a file") from None
    except OSError as exc:
        raise InputError(str(path), "", f"cannot read: {exc.strerror or exc.__class__.__name__}") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        what = ("a directory" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode)
                else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "a socket"
                if stat.S_ISSOCK(st.st_mode) else "not a regular file")
        raise InputError(str(path), "", f"is {what}, not a regular file", "a regular file")
    return fd


def check_input_file(path: str | Path) -> Path:
    """Refuse (``InputError``) an input that is missing or not a regular file, without reading it."""
    os.close(open_input(path))
    return Path(path)


def read_text(path: str | Path) -> str:
    """The UTF-8 text of an input file (a regular file only: ``open_input``), at most ``limits.input_bytes`` long;
    anything else is an ``InputError``."""
    path = Path(path)
    cap = limit("input_bytes")
    fd = open_input(path)
    try:
        with os.fdopen(fd, "rb") as fh:
            data = fh.read(cap + 1)
    except OSError as exc:
        raise InputError(str(path), "", f"cannot read: {exc.strerror or exc.__class__.__name__}") from None
    if len(data) > cap:
        lim = LIMITS["input_bytes"]
        raise InputError(str(path), "", f"larger than {cap:,} bytes", f"smaller files, or set {lim.variable} higher")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"byte {exc.start}", "not UTF-8 text") from None


class _DuplicateKey(Exception):
    def __init__(self, key, line: int | None):
        super().__init__(key)
        self.key, self.line = key, line


class _Loader(_BaseLoader):
    """The safe loader, refusing a mapping that names a key twice (YAML would keep the last one silently).
    Keys brought in by a merge (``<<: *base``) may be overridden, as YAML intends."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    dup = key in seen
                    seen.add(key)
                except TypeError:  # an unhashable key: the constructor refuses it with its own message
                    continue
                if dup:
                    raise _DuplicateKey(key, key_node.start_mark.line + 1)
        return super().construct_mapping(node, deep=deep)


def _json_pairs(pairs):
    """``object_pairs_hook`` of JSON: a dict, or ``_DuplicateKey`` for a key named twice in one object."""
    out = {}
    for k, v in pairs:
        if k in out:
            raise _DuplicateKey(k, None)
        out[k] = v
    return out


def _line_of_second(text: str, key) -> int | None:
    """The line of the second ``"key":`` in JSON ``text`` (where a duplicate key is reported)."""
    import re

    hits = [m.start() for m in re.finditer(re.escape(json.dumps(key)) + r"\s*:", text)]
    return text.count("\n", 0, hits[1]) + 1 if len(hits) > 1 else None


def read_structured(path: str | Path):
    """Parse a YAML or JSON file (``.json``: JSON, else YAML) within the limits of the module docstring. A key
    named twice in one mapping is refused with its line; so is an integer longer than Python converts (4,300
    digits)."""
    path = Path(path)
    text = read_text(path)
    try:
        if path.suffix == ".json":
            _check_json_size(str(path), text)
            data = json.loads(text, object_pairs_hook=_json_pairs)
            _check_depth(str(path), data)
            return data
        _check_yaml(str(path), text)
        return yaml.load(text, Loader=_Loader)
    except _DuplicateKey as d:
        line = d.line if d.line is not None else _line_of_second(text, d.key)
        raise InputError(str(path), f"line {line}" if line else str(d.key), f"duplicate key {_key(d.key)}",
                         "each key once per mapping") from None
    except RecursionError:
        raise InputError(str(path), "", "nested too deeply", f"at most {limit('yaml_depth')} levels") from None
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else getattr(exc, "lineno", None)
        raise InputError(str(path), f"line {line}" if line is not None else "", "not valid YAML/JSON") from None
    except ValueError as exc:  # Python refuses to convert an integer of more than 4,300 digits
        if "digits" not in str(exc):
            raise
        import re

        m = re.search(r"\d{" + str(_MAX_DIGITS) + ",}", text)
        line = text.count("\n", 0, m.start()) + 1 if m else None
        raise InputError(str(path), f"line {line}" if line else "", f"an integer of more than {_MAX_DIGITS:,} digits",
                         "numbers a float64 can hold (at most 2^53 for integer fields)") from None


_MAX_DIGITS = 4300  # sys.get_int_max_str_digits()'s default


def _key(key) -> str:
    text = repr(key)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_yaml(source: str, text: str) -> None:
    """Count the nodes of ``text`` with aliases expanded and its depth, from parser events (nothing is built)."""
    max_nodes, max_depth = limit("yaml_nodes"), limit("yaml_depth")
    sizes: dict[str, int] = {}   # anchor -> expanded node count
    stack: list[list] = []       # open collections: [node count so far, anchor]
    total = 0
    for ev in yaml.parse(text, Loader=_BaseLoader):
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


def _check_json_size(source: str, text: str) -> None:
    """Refuse JSON with more than ``limits.yaml_nodes`` values before parsing it: commas and brackets bound the
    number of values from above (a comma inside a string only makes the bound looser)."""
    bound = text.count(",") + text.count("[") + text.count("{") + 1
    cap = limit("yaml_nodes")
    if bound > cap:
        raise InputError(source, "", f"more than {cap:,} JSON values (commas and brackets)",
                         f"a smaller document, or set {LIMITS['yaml_nodes'].variable} higher")


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
