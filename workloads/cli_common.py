"""What every command line shares: one-line errors with exit 2, output formats, atomic writes."""

from __future__ import annotations

import argparse
import errno
import json
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from workloads.errors import InputError, RunError

FORMATS = ("table", "json", "csv")
EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2


def run_main(main: Callable[[list[str] | None], int], argv: list[str] | None = None) -> int:
    """Run ``main``; bad input -> one line on stderr and exit 2; a run that cannot finish (disk full, a
    non-finite result refused, out of memory) -> one line and exit 1; a bug -> traceback and exit 1. Everything
    printed goes through ``terminal_safe`` (no control sequence from a name in a file reaches the terminal).
    Progress and ``wrote`` lines go to stderr while it runs (``workloads.progress``)."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _SafeStream(out), _SafeStream(err, keep="\t\n\r")  # \r: progress bars
    try:
        return _run(main, argv)
    finally:
        sys.stdout, sys.stderr = out, err


def _run(main, argv) -> int:
    from workloads import progress

    was = progress.enabled()
    progress.enable()
    try:
        return main(argv)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except RunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except MemoryError:
        print("error: out of memory (the limits of workloads/limits.py did not stop this input: please report it)",
              file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:
        if exc.errno in (errno.ENAMETOOLONG, errno.ELOOP):
            # a path given by the user that the system refuses to look up, wherever it was first touched
            why = "name longer than the system allows" if exc.errno == errno.ENAMETOOLONG else "too many symbolic links"
            print(f"error: {InputError(str(exc.filename or '?'), '', why, 'a shorter path')}", file=sys.stderr)
            return EXIT_INPUT
        traceback.print_exc()
        return EXIT_INTERNAL
    except Exception:  # noqa: BLE001 - an internal error is reported in full
        traceback.print_exc()
        return EXIT_INTERNAL
    finally:
        progress.enable(was)


# C0 and C1 control characters, DEL and the bidirectional overrides (which reorder what a terminal shows)
_CONTROLS = [*range(0x20), 0x7F, *range(0x80, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A)]


def terminal_safe(text: str, keep: str = "\t\n") -> str:
    """``text`` with every control character but those in ``keep`` written as a visible escape (``\\x1b``): a
    hardware or layer name holding an escape sequence cannot recolour, move or retitle the terminal."""
    table = _TABLES.get(keep)
    if table is None:
        table = _TABLES[keep] = {c: f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}" for c in _CONTROLS
                                 if chr(c) not in keep}
    return text.translate(table)


_TABLES: dict[str, dict] = {}


class _SafeStream:
    """A text stream that writes ``terminal_safe(text)`` to ``stream``; everything else is the stream's own."""

    def __init__(self, stream, keep: str = "\t\n"):
        self._stream, self._keep = stream, keep

    def write(self, text: str) -> int:
        self._stream.write(terminal_safe(text, self._keep))
        return len(text)

    def __getattr__(self, name):
        return getattr(self._stream, name)


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr and exit 2, like every other bad input,
    instead of argparse's usage block."""

    def error(self, message: str):
        print(f"error: {InputError(self.prog, '', message, f'see {self.prog} --help')}", file=sys.stderr)
        raise SystemExit(EXIT_INPUT)

    def parse_args(self, args=None, namespace=None):
        """As argparse, and an empty (or blank) value of any argument is refused: ``--workload ""`` would
        otherwise read as "not given" and silently run the default."""
        ns = super().parse_args(args, namespace)
        names = _option_names(self)
        for dest, value in vars(ns).items():
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, str) and not v.strip():
                    self.error(f"argument {names.get(dest, dest)}: empty value")
        return ns


def _option_names(parser) -> dict[str, str]:
    """dest -> how the user wrote it (``--workload``, or the positional's metavar), over every subcommand."""
    out = {}
    for a in parser._actions:
        if isinstance(a, argparse._SubParsersAction):
            for sub in a.choices.values():
                out.update({k: v for k, v in _option_names(sub).items() if k not in out})
        else:
            out.setdefault(a.dest, "/".join(a.option_strings) or a.metavar or a.dest)
    return out


def add_output_args(parser, default: str = "table") -> None:
    """``--format table|json|csv`` and ``-o/--output FILE``; without --format the format follows FILE's suffix
    (.json, .csv), else ``default`` (call ``output_format(args)`` after parsing)."""
    parser.add_argument("--format", choices=FORMATS, default=None,
                        help=f"output format (default: from -o FILE's suffix, else {default})")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of stdout")
    parser.set_defaults(default_format=default, output_is_file=True)


def output_format(args) -> str:
    """The format asked for: --format, else -o FILE's suffix (.json, .csv), else the command's default.
    Also stores it in ``args.format``, and checks the -o place before any work (``outputs.check_output_file``)."""
    if getattr(args, "output_is_file", False) and getattr(args, "output", None):
        from workloads.outputs import check_output_file

        check_output_file(args.output)
    fmt = getattr(args, "format", None)
    if fmt is None:
        out = getattr(args, "output", None) or ""
        suffix = Path(out).suffix.lower()
        default = getattr(args, "default_format", "table")
        if suffix in (".json", ".csv"):
            fmt = suffix[1:]
        elif out and getattr(args, "output_is_file", False) and suffix not in TEXT_SUFFIXES.get(default, ()):
            raise InputError("-o", "output", f"unknown suffix {suffix!r} of {out!r}",
                             f".json, .csv, {', '.join(s or 'no suffix' for s in TEXT_SUFFIXES[default])}; "
                             "or --format table|json|csv")
        else:
            fmt = default
        args.format = fmt
    return fmt


# -o FILE suffixes that write the command's default (text) format; anything else needs --format
TEXT_SUFFIXES = {"table": (".txt", ".text", "")}


def emit(text: str, output: str | None, announce: bool = True) -> None:
    """Print ``text`` or write it atomically to ``output`` (rules: workloads/outputs.py), then say ``wrote FILE``
    on stderr (``workloads.progress``; ``announce=False``: the caller says it its own way)."""
    if output:
        from workloads.io import atomic_write_text
        from workloads.progress import wrote

        atomic_write_text(Path(output), text)
        if announce:
            wrote(output, f"{len(text.encode()):,} bytes")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def json_text(obj) -> str:
    """Strict JSON (numpy numbers as floats); a NaN or infinity is refused (``outputs.check_finite``)."""
    from workloads.outputs import check_finite

    def default(o):
        try:
            return float(o)
        except (TypeError, ValueError):
            return str(o)

    text = json.dumps(obj, indent=1, default=default, allow_nan=True)
    if "NaN" in text or "Infinity" in text:  # only then walk the object to name the culprit
        check_finite(json.loads(text), "JSON output")
    return text


def terminal_width() -> int:
    """Columns of the terminal (COLUMNS, else the tty's size, else 120)."""
    import shutil

    return shutil.get_terminal_size((120, 24)).columns


def text_table(title: str, columns: list[str], rows: list[list], width: int | None = None,
               max_cell: int = 40) -> str:
    """A plain-text table that fits ``width`` columns (default: the terminal's): columns are kept left to right
    while they fit (the first always) and a last line says how many were left out; cells are cut at
    ``max_cell`` characters. No colours, no box drawing: pipes and files get the same text."""
    from workloads.outputs import check_finite

    width = terminal_width() if width is None else width
    check_finite(rows, f"table {title!r}")
    cells = [[fmt_cell(v) for v in r] for r in rows]
    cells = [[c if len(c) <= max_cell else c[:max_cell - 1] + "~" for c in r] for r in cells]
    widths = [max([len(str(h))] + [len(r[i]) for r in cells]) for i, h in enumerate(columns)]
    keep, used = [], 0
    for i, w in enumerate(widths):
        if i and used + 2 + w > width:
            break
        keep.append(i)
        used += w + (2 if i else 0)
    left = ("name", "op", "layer", "metric", "workload", "unit")

    def line(values):
        out = []
        for i in keep:
            v = str(values[i])
            out.append(v.ljust(widths[i]) if columns[i] in left else v.rjust(widths[i]))
        return "  ".join(out).rstrip()

    text = [title, line(columns), "  ".join("-" * widths[i] for i in keep)]
    text += [line(r) for r in cells]
    if len(keep) < len(columns):
        text.append(f"({len(columns) - len(keep)} more columns: {', '.join(columns[len(keep):][:6])}"
                    f"{', ...' if len(columns) - len(keep) > 6 else ''}; widen the terminal, or --format csv/json)")
    return "\n".join(text) + "\n\n"


# the older name: every table is plain text now
rich_table = text_table


def fmt_cell(v) -> str:
    if v is None:  # not applicable / not available
        return "-"
    if isinstance(v, float):
        if v == 0:
            return "0"
        if abs(v) >= 1e6:
            return f"{v:.3e}"
        if abs(v) >= 100:
            return f"{v:,.0f}"
        return f"{v:.3g}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)


def add_columns_arg(parser, what: str = "table") -> None:
    """``--columns all|A,B,...``: which columns a text table shows (``select_columns``)."""
    parser.add_argument("--columns", metavar="all|A,B,...",
                        help=f"{what} columns: 'all' (no column left out, however wide) or a comma-separated list; "
                             "by default those that fit the terminal; json and csv always carry every column")


def select_columns(spec: str | None, available, default, first: str | None = None) -> tuple[list[str], int | None]:
    """(columns, width) for ``--columns spec``: ``default`` and the terminal's width when not given; every
    column of ``available`` and no width limit for ``all``; else the named ones (``first`` kept in front),
    each checked against ``available`` (an ``InputError`` naming --columns otherwise)."""
    available = list(available)
    if spec is None:
        return list(default), None
    if spec.strip() == "all":
        return available, 1 << 30
    names = [c.strip() for c in spec.split(",") if c.strip()]
    bad = [c for c in names if c not in available]
    if bad or not names:
        raise InputError("--columns", "columns", f"unknown column {bad[0] if bad else spec!r}",
                         "all, or " + ", ".join(available))
    if first and first in available and names[0] != first:
        names = [first] + [c for c in names if c != first]
    return names, 1 << 30
