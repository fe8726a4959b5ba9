"""Numba-compiled copies of ``simulator.model.kernel`` (the same source, compiled where it pays).

``compiled()`` executes the kernel module's source once more in a private namespace and replaces each
function of ``kernel.JIT_ORDER`` there by its ``numba.njit(cache=True)`` version, so compiled functions call
compiled callees. Numba is imported only here, on first use (about 0.4 s; the on-disk cache avoids
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
    from numba import njit

    from simulator.model import kernel

    path = kernel.__file__
    with open(path) as fh:
        code = compile(fh.read(), path, "exec")
    module = ModuleType(_NAME)
    module.__file__ = path
    sys.modules[_NAME] = module  # Numba's cache finds the functions' globals by module name
    ns = module.__dict__
    exec(code, ns)  # noqa: S102 - our own module's source, run again to bind compiled callees
    for name in kernel.JIT_ORDER:
        ns[name] = njit(cache=True)(ns[name])
    return SimpleNamespace(**{name: ns[name] for name in kernel.JIT_ORDER})
