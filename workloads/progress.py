"""One line on stderr before a step that takes seconds (tracing a timm model, importing an ONNX file, deriving a
mixed-precision recipe), and a ``wrote FILE`` line after every file a command writes.

Printed only while a command line runs (``workloads.cli_common.run_main`` calls ``enable``): the Python API stays
quiet. stdout keeps the command's output (tables, JSON, CSV), so ``> file`` and pipes see only that.
"""

from __future__ import annotations

import sys

_STATE = {"on": False}


def enable(on: bool = True) -> None:
    """Print progress and ``wrote`` lines from now on (``on``) or not."""
    _STATE["on"] = on


def enabled() -> bool:
    return _STATE["on"]


def progress(message: str) -> None:
    """``message...`` on stderr when enabled."""
    if _STATE["on"]:
        print(f"{message}...", file=sys.stderr, flush=True)


def wrote(path, detail: str = "") -> None:
    """``wrote PATH (detail)`` on stderr when enabled."""
    if _STATE["on"]:
        print(f"wrote {path}" + (f" ({detail})" if detail else ""), file=sys.stderr, flush=True)
