"""Numba-compiled copies of ``simulator.model.kernel`` (the same source, compiled where it pays).

``compiled()`` executes the kernel modules' sources (``kernel.JIT_MODULES``) once more in one private namespace
and replaces each function of ``kernel.JIT_ORDER`` there by its ``numba.njit(cache=True)`` version, so compiled
functions call compiled callees. Numba is imported only here, on first use (about 0.4 s; the on-disk cache avoids
recompiling). Results are bit-identical to the plain-Python kernel (no fast-math).
"""

from __future__ import annotations

import functools
import sys
from types import ModuleType, SimpleNamespace

_NAME = "simulator.model._kernel_jit"


@functools.cache
def compiled() -> SimpleNamespace:
    """The kernel's functions, compiled: ``compiled().gemm_batch(params, out)``."""
    import importlib

    from numba import njit

    from simulator.model import kernel

    module = ModuleType(_NAME)
    module.__file__ = kernel.__file__
    sys.modules[_NAME] = module  # Numba's cache finds the functions' globals by module name
    ns = module.__dict__
    for modname in kernel.JIT_MODULES:  # callers first: a callee's own definition replaces its import
        path = importlib.import_module(modname).__file__
        with open(path) as fh:
            exec(compile(fh.read(), path, "exec"), ns)  # noqa: S102 - our own modules' sources
    for name in kernel.JIT_ORDER:
        ns[name] = njit(cache=True)(ns[name])
    return SimpleNamespace(**{name: ns[name] for name in kernel.JIT_ORDER})
