"""Numba-compiled copies of ``simulator.model.kernel`` (the same source, compiled where it pays).

``compiled()`` executes the kernel modules' sources (``kernel.JIT_MODULES``) once more in one private namespace
and replaces each function of ``kernel.JIT_ORDER`` there by its ``numba.njit(cache=True)`` version, so compiled
functions call compiled callees. Numba is imported only here, on first use (about 0.4 s; the on-disk cache avoids
recompiling). Results are bit-identical to the plain-Python kernel (no fast-math). Numba's cache checks only each
function's own source file, so a caller compiled with a callee from another module (kernel.gemm with
convtile.conv_plan) would keep the old callee: ``_drop_stale_cache`` deletes the cached code of every kernel module
when any of their sources changed.
"""

from __future__ import annotations

import functools
import hashlib
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

_NAME = "simulator.model._kernel_jit"


@functools.cache
def compiled() -> SimpleNamespace:
    """The kernel's functions, compiled: ``compiled().gemm_batch(params, out)``."""
    import importlib

    from numba import njit

    from simulator.model import kernel

    paths = [importlib.import_module(m).__file__ for m in kernel.JIT_MODULES]
    _drop_stale_cache(paths)
    module = ModuleType(_NAME)
    module.__file__ = kernel.__file__
    sys.modules[_NAME] = module  # Numba's cache finds the functions' globals by module name
    ns = module.__dict__
    for path in paths:  # callers first: a callee's own definition replaces its import
        with open(path) as fh:
            exec(compile(fh.read(), path, "exec"), ns)  # noqa: S102 - our own modules' sources
    for name in kernel.JIT_ORDER:
        ns[name] = njit(cache=True)(ns[name])
    return SimpleNamespace(**{name: ns[name] for name in kernel.JIT_ORDER})


def _drop_stale_cache(paths: list) -> None:
    """Delete the Numba cache files of the modules at ``paths`` unless their sources hash as they did when the cache
    was written (a stamp file beside the cache)."""
    digest = hashlib.sha256(b"".join(Path(p).read_bytes() for p in paths)).hexdigest()
    cache = Path(paths[0]).parent / "__pycache__"
    stamp = cache / "kernel_jit.sources"
    try:
        if stamp.read_text() == digest:
            return
    except OSError:
        pass
    for p in paths:
        for f in cache.glob(Path(p).stem + ".*.nb[ic]"):
            f.unlink(missing_ok=True)
    try:
        cache.mkdir(exist_ok=True)
        stamp.write_text(digest)
    except OSError:
        pass


def cache_ready() -> bool:
    """Whether Numba's on-disk cache holds the compiled batch kernel for the current sources (then ``warm_up`` only
    loads it, well under a second; otherwise it compiles, about 10 s)."""
    from simulator.model import kernel

    cache = Path(kernel.__file__).parent / "__pycache__"
    stamp = cache / "kernel_jit.sources"
    import importlib

    paths = [importlib.import_module(m).__file__ for m in kernel.JIT_MODULES]
    digest = hashlib.sha256(b"".join(Path(p).read_bytes() for p in paths)).hexdigest()
    try:
        fresh = stamp.read_text() == digest
    except OSError:
        return False
    return fresh and any(cache.glob("kernel.gemm_batch-*.nbi"))


def warm_up() -> None:
    """Compile (or load from the disk cache) the batch kernel now, on a 4 x 4 x 4 GEMM, so that processes forked
    afterwards inherit it and no sweep compiles twice."""
    import numpy as np

    from simulator.model import kernel as K

    prm = np.zeros((1, K.N_PARAMS))
    for i, v in ((K.P_DF, K.OS), (K.P_M, 4), (K.P_N, 4), (K.P_K, 4), (K.P_ROWS, 2), (K.P_COLS, 2), (K.P_MACS, 1),
                 (K.P_ABITS, 8), (K.P_WBITS, 8), (K.P_OBITS, 8), (K.P_ACC, 32), (K.P_IFMAP_B, 1024),
                 (K.P_WEIGHT_B, 1024), (K.P_OFMAP_B, 1024), (K.P_BPC, 1.0), (K.P_REPEAT, 1)):
        prm[0, i] = v
    compiled().gemm_batch(prm, np.zeros((1, K.N_OUT)), np.zeros(K.N_OUT), np.zeros(K.N_OUT))
