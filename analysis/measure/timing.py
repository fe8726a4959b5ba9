"""Timing on this machine: torch on one thread, the best of ``repeats`` runs after a warm-up."""

from __future__ import annotations

import time

from workloads.errors import InputError


def require_torch():
    try:
        import torch
    except ImportError:  # pragma: no cover
        raise InputError("host", "torch", "torch is not installed", "pip install -e '.[trace]'") from None
    torch.set_num_threads(1)
    return torch


def best_time(fn, repeats: int) -> float:
    """Seconds of the fastest of ``repeats`` calls of ``fn`` (after one untimed call)."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best
