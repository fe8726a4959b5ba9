"""``StrChoice``: the base of every closed set of names (dataflows, PE types, granularities, device kinds).

A member is a ``str``: it equals, hashes, prints and formats as its plain value (``Dataflow.OS == "os"``,
``f"{Dataflow.OS}" == "os"``, ``{"os": 1}[Dataflow.OS] == 1``), and ``json.dumps`` writes it as that string.
``yaml.safe_dump`` refuses enum objects: writers convert with ``plain``.
"""

from __future__ import annotations

from enum import Enum


class StrChoice(str, Enum):
    """A str enum whose members behave as their values (Python 3.11's ``Enum.__format__`` would print the name)."""

    __str__ = str.__str__
    __format__ = str.__format__
    __hash__ = str.__hash__

    @classmethod
    def values(cls) -> tuple[str, ...]:
        """The plain values, in definition order (for error messages and ``require_choice``)."""
        return tuple(m.value for m in cls)


def plain(obj):
    """``obj`` with every ``Enum`` member inside dicts, lists and tuples replaced by its value (for YAML/CSV)."""
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, dict):
        return {plain(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(plain(v) for v in obj)
    return obj
