"""A readable view of how a GEMM maps onto the array (the formulas are ``kernel.mapping``'s: module docstring
of simulator/model/kernel.py). Sizes are in real (unpacked) elements of each dimension."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.model import kernel as K

DATAFLOW_CODES = {"os": K.OS, "ws": K.WS, "is": K.IS}
packed_k = K.packed_k


@dataclass(frozen=True)
class Mapping:
    """Folds of one GEMM on an R x C array."""

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

    def row_sizes(self) -> list[int]:
        """Elements in each row fold: full blocks, then the remainder."""
        return _block_sizes(self.row_dim, self.row_block)

    def col_sizes(self) -> list[int]:
        return _block_sizes(self.col_dim, self.cols)

    def mapping_efficiency(self) -> float:
        """Mean over folds of used PEs / (R*C); packed rows count as used when any slot is."""
        return self.row_dim / self.row_block * self.rows * self.col_dim / (self.rows * self.cols * self.folds)


def _block_sizes(total: int, block: int) -> list[int]:
    n = -(-total // block)
    return [block] * (n - 1) + [total - block * (n - 1)]


def map_gemm(dataflow: str, m: int, n: int, k: int, rows: int, cols: int, macs_per_cycle: float = 1.0) -> Mapping:
    """The ``Mapping`` of an M x N x K GEMM."""
    if dataflow not in DATAFLOW_CODES:
        raise ValueError(f"unknown dataflow {dataflow!r}")
    row_dim, col_dim, t, block, lines = K.mapping(DATAFLOW_CODES[dataflow], m, n, k, rows, cols, macs_per_cycle)
    return Mapping(str(dataflow), rows, cols, row_dim, col_dim, t, block, lines)


def compute_cycles(mp: Mapping, repeat: int = 1) -> int:
    """Stall-free compute cycles = repeat * folds * lines - 1 (SCALE-Sim convention)."""
    return repeat * mp.folds * mp.lines - 1
