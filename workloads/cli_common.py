"""What every command line shares: one-line errors with exit 2, output formats, atomic writes."""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from workloads.errors import InputError

FORMATS = ("table", "json", "csv")
EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2


def run_main(main: Callable[[list[str] | None], int], argv: list[str] | None = None) -> int:
    """Run ``main``; bad input -> one line on stderr and exit 2; a bug -> traceback and exit 1."""
    try:
        return main(argv)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception:  # noqa: BLE001 - an internal error is reported in full
        traceback.print_exc()
        return EXIT_INTERNAL


def add_output_args(parser, default: str = "table") -> None:
    """``--format table|json|csv`` and ``-o/--output FILE``."""
    parser.add_argument("--format", choices=FORMATS, default=default, help="output format (default: %(default)s)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of stdout")


def emit(text: str, output: str | None) -> None:
    """Print ``text`` or write it atomically to ``output``."""
    if output:
        from workloads.io import atomic_write_text

        atomic_write_text(Path(output), text)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def json_text(obj) -> str:
    return json.dumps(obj, indent=1, default=float)


def rich_table(title: str, columns: list[str], rows: list[list]) -> str:
    """Render a table with rich to a string (no colours when not a terminal)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_lines=False, header_style="bold")
    for c in columns:
        table.add_column(c, justify="left" if c in ("name", "op", "layer") else "right", no_wrap=True)
    for r in rows:
        table.add_row(*[fmt_cell(v) for v in r])
    import io

    console = Console(width=400, record=True, file=io.StringIO(),
                      force_terminal=False, color_system=None)
    console.print(table)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines()) + "\n"


def fmt_cell(v) -> str:
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
