"""vitsim's version: the installed package's metadata, else the ``version`` in the checkout's pyproject.toml."""

from __future__ import annotations

import re
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def package_version() -> str:
    """``importlib.metadata.version("vitsim")``; without an installed distribution (a bare checkout on
    PYTHONPATH) the ``[project] version`` of pyproject.toml beside the packages; ``unknown`` when neither."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vitsim")
    except PackageNotFoundError:
        return pyproject_version(PYPROJECT) or "unknown"


def pyproject_version(path: Path) -> str | None:
    """The ``version = "..."`` line of the ``[project]`` table of ``path`` (None if absent or unreadable)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    project = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.MULTILINE | re.DOTALL)
    m = re.search(r'^version\s*=\s*"([^"]+)"', project.group(1), re.MULTILINE) if project else None
    return m.group(1) if m else None


def add_version_arg(parser) -> None:
    """``-V/--version`` on ``parser``: prints ``vitsim X.Y.Z`` and exits."""
    import argparse

    class Version(argparse.Action):
        def __init__(self, option_strings, dest, **kw):
            super().__init__(option_strings, dest, nargs=0, help="print vitsim's version and exit")

        def __call__(self, parser, namespace, values, option_string=None):
            print(f"vitsim {package_version()}")
            parser.exit()

    parser.add_argument("-V", "--version", action=Version)
