"""Scalar-or-array arithmetic: the leaf formulas run on Python numbers (one design) and on numpy arrays
(many designs, ``simulator.model.batch``) with the same IEEE operations, so both give identical bits.
numpy is imported only when an array comes in (the one-design path and the CLI never import it)."""

from __future__ import annotations

import math


def _np(*xs):
    """numpy, if any of ``xs`` is a numpy array (or numpy scalar), else None."""
    for x in xs:
        if type(x).__module__ == "numpy":
            import numpy

            return numpy
    return None


def ceil(x):
    """ceil(x): an int for a number, a float array for an array."""
    np = _np(x)
    return np.ceil(x) if np else math.ceil(x)


def max0(x):
    """max(0, x)."""
    np = _np(x)
    return np.maximum(x, 0.0) if np else max(0.0, x)


def maximum(a, b):
    """max(a, b) elementwise."""
    np = _np(a, b)
    return np.maximum(a, b) if np else max(a, b)


def minimum(a, b):
    """min(a, b) elementwise."""
    np = _np(a, b)
    return np.minimum(a, b) if np else min(a, b)


def div_or_zero(a, b):
    """a / b, or 0.0 where b == 0."""
    np = _np(a, b)
    if np:
        b = np.broadcast_to(b, np.broadcast(a, b).shape)
        out = np.zeros(b.shape)
        np.divide(a, b, out=out, where=b != 0)
        return out
    return a / b if b else 0.0
