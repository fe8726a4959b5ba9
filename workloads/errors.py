"""Input errors shared by every floor: one line naming the file, the field and what is allowed."""

from __future__ import annotations

import math


class InputError(ValueError):
    """Bad user input. The CLI prints ``str(err)`` as one line and exits with code 2."""

    def __init__(self, source: str, field: str, problem: str, allowed: str | None = None):
        self.source = str(source)
        self.field = field
        self.problem = problem
        self.allowed = allowed
        msg = f"{self.source}: {field}: {problem}" if field else f"{self.source}: {problem}"
        if allowed:
            msg += f" (allowed: {allowed})"
        super().__init__(msg.replace("\r", "\\r").replace("\n", "\\n"))  # always one line


class WorkloadError(InputError):
    """A workload, recipe or model name is wrong."""


class OutputError(InputError):
    """An output place is wrong (a directory where a file goes, a path under a file, no permission): exit 2."""


class RunError(RuntimeError):
    """The run could not finish for a reason that is not the input: the disk filled up, or a result came out
    NaN or infinite (a bug, refused rather than written). The CLI prints one line and exits with code 1."""


def retyped(err: InputError, cls: type[InputError], field: str | None = None) -> InputError:
    """The same error as ``cls`` (e.g. a ``WorkloadError``), optionally under another field name."""
    return cls(err.source, field if field is not None else err.field, err.problem, err.allowed)


# The largest integer a float64 holds exactly (2^53): the cost model computes in float64, so a count above it
# would be rounded. Integer fields are bounded by it unless their own range is narrower.
MAX_EXACT_INT = 2 ** 53


def _is_number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float))


def _finite(value) -> bool:
    return isinstance(value, int) or math.isfinite(value)


def require_int(source: str, field: str, value, minimum: int = 1, maximum: int = MAX_EXACT_INT) -> int:
    """Return ``value`` as an int in [``minimum``, ``maximum``] or raise ``InputError`` naming ``field``.
    A float with an integer value (``4.0``) is accepted; NaN, +-inf, booleans and strings are not."""
    allowed = f"integers {minimum} to {_big(maximum)}"
    if not _is_number(value) or not _finite(value) or (isinstance(value, float) and not value.is_integer()):
        raise InputError(source, field, f"expected an integer, got {_short(value)}", allowed)
    value = int(value)
    if value < minimum:
        raise InputError(source, field, f"{value} is below {minimum}", allowed)
    if value > maximum:
        raise InputError(source, field, f"{_big(value)} is above {_big(maximum)}", allowed)
    return value


def require_number(source: str, field: str, value, minimum: float = 0.0, strict: bool = True,
                   maximum: float | None = None) -> float:
    """Return ``value`` as a finite float > ``minimum`` (>= when not strict) and <= ``maximum`` (when given),
    or raise ``InputError``. NaN and +-inf are refused (a NaN passes every comparison unnoticed otherwise)."""
    allowed = f"numbers {'>' if strict else '>='} {minimum:g}" + (f" and <= {maximum:g}" if maximum is not None else "")
    if not _is_number(value):
        raise InputError(source, field, f"expected a number, got {_short(value)}", allowed)
    if not _finite(value):
        raise InputError(source, field, f"{value!r} is not a finite number", allowed)
    if value < minimum or (strict and value == minimum) or (maximum is not None and value > maximum):
        raise InputError(source, field, f"{value:g} is out of range", allowed)
    return float(value)


def require_finite(source: str, field: str, value, allowed: str) -> float:
    """``value`` as a float if it is a finite number of any sign, else an ``InputError``."""
    if not _is_number(value) or not _finite(value):
        raise InputError(source, field, f"expected a finite number, got {_short(value)}", allowed)
    return float(value)


def check_size(source: str, where: str, m: int, n: int, k: int, repeat: int, batch: int | None = None) -> None:
    """Refuse a layer whose m * n * max(k, 1) * repeat (MACs; elements for a vector op) exceeds 2^53
    (``MAX_EXACT_INT``): its counts stay exact in float64 and, times at most 64 bits, fit int64."""
    size = m * n * max(k, 1) * repeat
    if size > MAX_EXACT_INT:
        what = "m * n * k * repeat" if k else "m * n * repeat"
        hint = (f"batch <= {max(1, MAX_EXACT_INT // (size // batch)):,}" if batch and batch > 1 and size % batch == 0
                else "smaller dimensions")
        raise InputError(source, where, f"{what} = {size:.3e} is above 2^53", hint)


def require_str(source: str, field: str, value, empty: bool = True) -> str:
    """Return ``value`` if it is a string (non-empty unless ``empty``) or raise ``InputError``; nothing is
    converted with ``str()`` (a list would silently become its repr)."""
    if not isinstance(value, str) or (not empty and not value):
        raise InputError(source, field, f"expected a {'' if empty else 'non-empty '}string, got {_short(value)}")
    return value


def require_known(source: str, where: str, d: dict, allowed) -> None:
    """Raise ``InputError`` naming the first key of mapping ``d`` not in ``allowed`` (``where``: its path)."""
    for key in d:
        if key not in allowed:
            raise InputError(source, f"{where}.{key}" if where else str(key), "unknown field",
                             ", ".join(sorted(map(str, allowed))))


def _big(n: int) -> str:
    """An integer for a message: ``2^53`` for MAX_EXACT_INT, 3 significant digits above 1e12, else with commas."""
    return "2^53" if n == MAX_EXACT_INT else f"{n:.3e}" if abs(n) > 10 ** 12 else f"{n:,}"


def _short(value, limit: int = 40) -> str:
    """``repr(value)`` cut to ``limit`` characters (an error line stays one short line)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


# YAML 1.1 (PyYAML) reads the words on/off, yes/no, true/false as booleans: where a field's allowed words include
# one of them, the boolean is read back as that word (``temporal_tiling: off`` is "off", not False).
_BOOL_WORDS = {True: ("on", "yes", "true"), False: ("off", "no", "false")}


def require_choice(source: str, field: str, value, choices) -> str:
    """Return ``value`` if it is one of ``choices`` or raise ``InputError`` listing them. A YAML 1.1 boolean
    stands for the first of on/yes/true (off/no/false) that ``choices`` allows."""
    if isinstance(value, bool):
        word = next((w for w in _BOOL_WORDS[value] if _has(choices, w)), None)
        value = word if word is not None else value
    try:
        known = value in choices
    except TypeError:  # an unhashable value (a list, a mapping) against a set or dict of choices
        known = False
    if not known:
        raise InputError(source, field, f"unknown value {_short(value)}", ", ".join(map(str, choices)))
    return value


def require_mapping(source: str, field: str, value) -> dict:
    """Return ``value`` if it is a mapping (YAML dict) or raise ``InputError``."""
    if not isinstance(value, dict):
        raise InputError(source, field or "top level", f"expected a mapping, got {type(value).__name__}")
    return value


def _has(choices, word: str) -> bool:
    try:
        return word in choices
    except TypeError:
        return False
