"""What the code running a torch op declares about it to whoever watches the dispatch (the tracer).

The one state fake quantization (``workloads.fakequant``, which declares) and tracing (``workloads.trace``, which
reads) share; neither imports the other for it.
- ``hiding()``: the ops run inside are bookkeeping (quantizer arithmetic), not layers of the model.
- ``declaring(bits)``: the GEMM op dispatched inside runs at these bit widths (``Layer`` bit fields, e.g.
  ``{"w_bits": 4, "a_bits": 8, "dtype": "int", ...}``).
Context variables: each thread (and asyncio task) has its own; every block restores the previous value on exit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_HIDDEN: ContextVar[int] = ContextVar("vitsim_hidden_ops", default=0)
_BITS: ContextVar[dict | None] = ContextVar("vitsim_declared_bits", default=None)


def hidden() -> bool:
    """True inside ``hiding()``: the op being dispatched is bookkeeping, not a layer."""
    return _HIDDEN.get() > 0


def declared_bits() -> dict | None:
    """Bit widths declared by the innermost ``declaring(bits)`` block, if any."""
    return _BITS.get()


@contextmanager
def hiding() -> Iterator[None]:
    token = _HIDDEN.set(_HIDDEN.get() + 1)
    try:
        yield
    finally:
        _HIDDEN.reset(token)


@contextmanager
def declaring(bits: dict) -> Iterator[None]:
    token = _BITS.set(bits)
    try:
        yield
    finally:
        _BITS.reset(token)
