"""Shipped hardware descriptions (package data), found by short name: the file's stem.

Kinds: ``accelerator`` (vitsim hardware YAMLs: ``hwconfigs/*.yaml``, then ``hwconfigs/published/*.yaml``) and
``gpu`` (roofline devices: ``hwconfigs/gpus/*.yaml``). Nothing is read on import; this package imports nothing of
vitsim.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

FOLDERS = {"accelerator": ("", "published"), "gpu": ("gpus",)}
SUFFIXES = (".yaml", ".yml")


def root() -> Path:
    """The directory the shipped files are in (this package's directory, installed or not)."""
    return Path(str(resources.files(__name__)))


def files(kind: str = "accelerator") -> dict[str, Path]:
    """Short name -> file for every shipped file of ``kind``, sorted by name; earlier folders win a clash."""
    if kind not in FOLDERS:
        raise ValueError(f"unknown kind {kind!r} (allowed: {', '.join(FOLDERS)})")
    out: dict[str, Path] = {}
    for folder in FOLDERS[kind]:
        d = root() / folder if folder else root()
        if d.is_dir():
            for p in sorted(d.iterdir()):
                if p.suffix in SUFFIXES and p.is_file():
                    out.setdefault(p.stem, p)
    return dict(sorted(out.items()))


def names(kind: str = "accelerator") -> list[str]:
    """Short names of the shipped files of ``kind`` (``int4``, ``tpu_v1``; ``rtx4090`` for ``gpu``)."""
    return list(files(kind))


def find(name: str, kind: str = "accelerator") -> Path | None:
    """The shipped file called ``name`` (its stem), or None."""
    return files(kind).get(name)
