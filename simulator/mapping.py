"""Map a GEMM (M x K ifmap, K x N filter, M x N ofmap) onto an R x C systolic array.

| dataflow | rows hold | columns hold | temporal | lines per fold       |
|----------|-----------|--------------|----------|----------------------|
| os       | M         | N            | K'       | K' + R + C - 2       |
| ws       | K'        | N            | M        | M + 2R + C - 2       |
| is       | K'        | M            | N        | N + 2R + C - 2       |

K' = ceil(K / p): a PE doing p MACs per cycle at the layer's precision packs p reduction
elements into one (Bit Fusion style); bit-serial PEs have p = 1/bits (one bit per cycle).
folds = ceil(rows dim / R) * ceil(cols dim / C); stall-free compute cycles =
repeat * folds * lines - 1 (SCALE-Sim 3.0's convention: folds back to back, each with its
own fill and drain, counted from cycle 0). Mapping efficiency is the unweighted mean over folds
of used PEs / (R*C) = rows*cols / (R*C*row_folds*col_folds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

DATAFLOW_CODES = {"os": 0, "ws": 1, "is": 2}


def packed_k(k: int, macs_per_cycle: float) -> int:
    """K' = ceil(K / p): reduction steps when a PE does p MACs per cycle."""
    return max(1, math.ceil(k / macs_per_cycle - 1e-9))


@dataclass(frozen=True)
class Mapping:
    """Folds of one GEMM on the array; sizes in real (unpacked) elements of each dimension."""

    dataflow: str
    rows: int          # R
    cols: int          # C
    row_dim: int       # elements of the dimension on the rows (M for os, K for ws/is)
    col_dim: int       # elements of the dimension on the columns (N for os/ws, M for is)
    t_dim: int         # elements of the temporal dimension (K for os, M for ws, N for is)
    row_block: int     # elements per full row fold (R, or R*p when K is on the rows)
    lines: int         # cycles per fold

    @property
    def row_folds(self) -> int:
        return -(-self.row_dim // self.row_block)

    @property
    def col_folds(self) -> int:
        return -(-self.col_dim // self.cols)

    @property
    def folds(self) -> int:
        return self.row_folds * self.col_folds

    def row_sizes(self) -> np.ndarray:
        """Elements in each row fold: full blocks, then the remainder."""
        return _block_sizes(self.row_dim, self.row_block)

    def col_sizes(self) -> np.ndarray:
        return _block_sizes(self.col_dim, self.cols)

    def mapping_efficiency(self) -> float:
        """Mean over folds of used PEs / (R*C); packed rows count as used when any slot is."""
        used_rows = self.row_dim / self.row_block * self.rows
        return used_rows * self.col_dim / (self.rows * self.cols * self.folds)


def _block_sizes(total: int, block: int) -> np.ndarray:
    n = -(-total // block)
    sizes = np.full(n, block, dtype=np.int64)
    sizes[-1] = total - block * (n - 1)
    return sizes


def map_gemm(dataflow: str, m: int, n: int, k: int, rows: int, cols: int, macs_per_cycle: float = 1.0) -> Mapping:
    """Build the ``Mapping`` of an M x N x K GEMM (formulas in the module docstring)."""
    kp = packed_k(k, macs_per_cycle)
    # row block in real K elements when K is on the rows: R * p (at least R when p < 1: bit-serial
    # PEs stretch time, not space)
    k_block = max(rows, int(rows * macs_per_cycle)) if macs_per_cycle >= 1 else rows
    if dataflow == "os":
        return Mapping("os", rows, cols, m, n, k, rows, kp + rows + cols - 2)
    t_scale = 1.0 if macs_per_cycle >= 1 else 1.0 / macs_per_cycle
    if dataflow == "ws":
        return Mapping("ws", rows, cols, k, n, m, k_block, math.ceil(m * t_scale) + 2 * rows + cols - 2)
    if dataflow == "is":
        return Mapping("is", rows, cols, k, m, n, k_block, math.ceil(n * t_scale) + 2 * rows + cols - 2)
    raise ValueError(f"unknown dataflow {dataflow!r}")


def compute_cycles(mp: Mapping, repeat: int = 1) -> int:
    """Stall-free compute cycles = repeat * folds * lines - 1 (SCALE-Sim convention)."""
    return repeat * mp.folds * mp.lines - 1
