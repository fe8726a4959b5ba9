"""How much work a simulation is, estimated before it starts, and the limit on it (``workloads.limits``: folds).

The cost of simulating a GEMM is its fold walk (simulator/model/foldwalk.py): one step per fold of each copy
walked. Per GEMM layer on R x C PEs with p MACs per PE per cycle (the PE mode it runs at):
    os: folds = ceil(M / R) * ceil(N / C);   ws: ceil(K / B) * ceil(N / C);   is: ceil(K / B) * ceil(M / C)
    B = max(R, floor(R * p)) for p >= 1, else R (the row block of simulator/model/kernel.py::mapping);
    steps = folds * min(repeat, 4) * (1 + chunks)
min(repeat, 4): the walk stops once a copy repeats the one before (steady state, usually after 3 copies: the
same estimate ``simulator.model.network.run_kernel`` uses to pick the compiled kernel); chunks = ceil(T / T')
when temporal tiling may split a ws/is layer's temporal dimension T (M for ws, N for is) into chunks of
T' = floor(ofmap_bytes * 8 / 2 / (C * acc_bits)), else 0: an estimate (the kernel tries up to four chunk sizes,
simulator/model/tchunk.py, and walks at most two sub-GEMMs for each). Vector layers
are closed-form (no walk). Rows, cols and ofmap bytes may be numpy arrays (many designs at once).
"""

from __future__ import annotations

from simulator.model import arith
from workloads.limits import check, limit

STEADY_COPIES = 4  # copies walked at most before the steady state repeats (simulator/model/foldwalk.py)


def _floor(x):
    np = arith._np(x)
    return np.floor(x) if np else float(int(x // 1))


def _where(cond, a, b):
    np = arith._np(cond, a, b)
    return np.where(cond, a, b) if np else (a if cond else b)


def gemm_steps(layer, p: float, dataflow: str, temporal_tiling: str, rows, cols, ofmap_bytes, acc_bits: int):
    """Fold-walk steps of one GEMM layer (module docstring); numbers, or numpy arrays over designs (numpy is
    imported only then: ``simulator.model.arith``)."""
    block = arith.maximum(rows, _floor(rows * p)) if p >= 1 else rows
    m, n, k = layer.m, layer.n, layer.k
    if dataflow == "os":
        folds, t = arith.ceil(m / rows) * arith.ceil(n / cols), None
    elif dataflow == "ws":
        folds, t = arith.ceil(k / block) * arith.ceil(n / cols), m
    else:
        folds, t = arith.ceil(k / block) * arith.ceil(m / cols), n
    steps = folds * min(layer.repeat, STEADY_COPIES)
    if t is not None and temporal_tiling == "auto":
        t_chunk = _floor(ofmap_bytes * 8 / 2 / (cols * acc_bits))
        chunks = arith.ceil(t / arith.maximum(t_chunk, 1))
        steps = steps + steps * _where((t_chunk >= 1) & (t_chunk < t), chunks, 0)
    return steps


def workload_steps(workload, hw, rows=None, cols=None, ofmap_bytes=None):
    """Fold-walk steps of ``workload`` on ``hw`` (its own rows, cols and ofmap buffer unless given as arrays), each
    distinct GEMM once; layers no PE mode can run count 0 (the simulation reports them)."""
    rows = hw.array.rows if rows is None else rows
    cols = hw.array.cols if cols is None else cols
    ofmap_bytes = hw.buffers.bytes[2] if ofmap_bytes is None else ofmap_bytes
    total = 0.0
    seen: dict = {}
    for layer in workload.layers:
        if not layer.is_gemm:
            continue
        mode, _ = hw.pe.resolve(layer.dtype, layer.w_bits, layer.a_bits)
        if mode is None:
            continue
        key = (layer.m, layer.n, layer.k, layer.repeat, mode.macs_per_cycle, layer.acc_bits)
        if key not in seen:  # identical layers are simulated once (simulator/model/network.py::plan)
            seen[key] = gemm_steps(layer, mode.macs_per_cycle, str(hw.array.dataflow), str(hw.array.temporal_tiling),
                                   rows, cols, ofmap_bytes, min(layer.acc_bits, hw.pe.acc_bits))
            total = total + seen[key]
    return total


def check_work(workload, hw) -> float:
    """Refuse (``InputError``, exit 2) a simulation whose fold walk exceeds ``limits.folds``; returns the steps."""
    steps = float(workload_steps(workload, hw))
    check("folds", steps, hw.source, "array",
          f"{workload.name} at batch {workload.batch} on a {hw.array.rows}x{hw.array.cols} array: a larger array or "
          "a smaller batch")
    return steps


def over_limit(steps):
    """Boolean mask (or bool) of step counts above ``limits.folds`` (sweeps mark those designs as errors)."""
    return steps > limit("folds")
