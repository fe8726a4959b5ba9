"""Scalar-or-array arithmetic: the leaf formulas run on Python numbers (one design) and on numpy arrays
(many designs, ``simulator.model.batch``) with the same IEEE operations, so both give identical bits."""

from __future__ import annotations

import math

import numpy as np


def ceil(x):
    """ceil(x): an int for a number, a float array for an array."""
    return np.ceil(x) if isinstance(x, np.ndarray) else math.ceil(x)


def max0(x):
    """max(0, x)."""
    return np.maximum(x, 0.0) if isinstance(x, np.ndarray) else max(0.0, x)


def maximum(a, b):
    """max(a, b) elementwise."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.maximum(a, b)
    return max(a, b)


def div_or_zero(a, b):
    """a / b, or 0.0 where b == 0."""
    if isinstance(b, np.ndarray) or isinstance(a, np.ndarray):
        b = np.broadcast_to(b, np.broadcast(a, b).shape)
        out = np.zeros(b.shape)
        np.divide(a, b, out=out, where=b != 0)
        return out
    return a / b if b else 0.0
