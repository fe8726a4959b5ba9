"""File helpers: read YAML/JSON with one-line errors, write atomically."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

import yaml

from workloads.errors import InputError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_structured(path: str | Path):
    """Parse a YAML or JSON file; a missing file or a syntax error is an ``InputError`` naming it."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise InputError(str(path), "", "file not found") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise InputError(str(path), "", f"cannot read: {exc.__class__.__name__}") from None
    try:
        if path.suffix == ".json":
            return json.loads(text)
        return yaml.load(text, Loader=_Loader)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f"line {line + 1}" if line is not None else ""
        raise InputError(str(path), where, "not valid YAML/JSON") from None


def atomic_write(path: str | Path, write: Callable[[IO], None], binary: bool = False) -> Path:
    """Call ``write(fh)`` on a temporary file beside ``path``, then rename it into place (mode 0666 & ~umask).

    A reader never sees a half-written file, and a failure leaves no temporary file behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb" if binary else "w") as fh:
            write(fh)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (``atomic_write``)."""
    return atomic_write(path, lambda fh: fh.write(text))


def looks_like_path(spec: str | Path, suffixes: tuple[str, ...]) -> bool:
    """True for a ``Path``, or a string with a path separator or one of ``suffixes``; otherwise it is a name."""
    if isinstance(spec, Path):
        return True
    seps = [s for s in (os.sep, os.altsep, "/") if s]
    return any(s in spec for s in seps) or Path(spec).suffix.lower() in suffixes
