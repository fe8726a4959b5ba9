"""Input errors shared by every floor: one line naming the file, the field and what is allowed."""

from __future__ import annotations


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
        super().__init__(msg)


class WorkloadError(InputError):
    """A workload, recipe or model name is wrong."""


def retyped(err: InputError, cls: type[InputError], field: str | None = None) -> InputError:
    """The same error as ``cls`` (e.g. a ``WorkloadError``), optionally under another field name."""
    return cls(err.source, field if field is not None else err.field, err.problem, err.allowed)


def require_int(source: str, field: str, value, minimum: int = 1) -> int:
    """Return ``value`` as an int >= ``minimum`` or raise ``InputError`` naming ``field``."""
    if isinstance(value, bool) or not isinstance(value, (int,)):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise InputError(source, field, f"expected an integer, got {value!r}", f"integers >= {minimum}")
    if value < minimum:
        raise InputError(source, field, f"{value} is below {minimum}", f"integers >= {minimum}")
    return int(value)


def require_number(source: str, field: str, value, minimum: float = 0.0, strict: bool = True) -> float:
    """Return ``value`` as a float > ``minimum`` (>= when not strict) or raise ``InputError``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(source, field, f"expected a number, got {value!r}",
                         f"numbers {'>' if strict else '>='} {minimum}")
    if value < minimum or (strict and value == minimum):
        raise InputError(source, field, f"{value} is out of range",
                         f"numbers {'>' if strict else '>='} {minimum}")
    return float(value)


def require_choice(source: str, field: str, value, choices) -> str:
    """Return ``value`` if it is one of ``choices`` or raise ``InputError`` listing them."""
    if value not in choices:
        raise InputError(source, field, f"unknown value {value!r}", ", ".join(map(str, choices)))
    return value


def require_mapping(source: str, field: str, value) -> dict:
    """Return ``value`` if it is a mapping (YAML dict) or raise ``InputError``."""
    if not isinstance(value, dict):
        raise InputError(source, field or "top level", f"expected a mapping, got {type(value).__name__}")
    return value
