"""An explicit placement of a grouped conv's groups on an R x C array, fold by fold (an independent check of
simulator/model/grouped.py, which uses closed forms and balanced folds).

Groups are placed one by one, in order, into the current fold while the fold's occupied rows and columns leave room
(ws: a group takes K_g rows and N_g columns, disjoint from the others: block-diagonal; os: N_g columns, the pixel
rows shared, its K_g reduction steps after the previous group's; is: K_g rows, the pixel columns shared, its N_g
steps after the previous group's); a group that does not fit starts a new fold (greedy, not balanced). Each fold
then runs its own packed GEMM: its cycles are counted from its own extents with SCALE-Sim's lines per fold
(os: t + R + C - 2 over ceil(M / R) pixel folds; ws: M + 2R + C - 2; is: t + 2R + C - 2 over ceil(M / C)),
t = the fold's temporal extent. ``block_diagonal_conv`` computes a depthwise/grouped conv's outputs by running
each fold's block-diagonal GEMM on numbers, to check that every output sums its own group only.
"""

from __future__ import annotations

import numpy as np


def place(df: str, groups: int, n_g: int, k_g: int, rows: int, cols: int) -> list[list[int]]:
    """Folds (lists of group indices) of the greedy placement; a group alone when it does not fit an empty fold."""
    folds: list[list[int]] = []
    used_r = used_c = 0
    for j in range(groups):
        need_r = k_g if df in ("ws", "is") else 0
        need_c = n_g if df in ("ws", "os") else 0
        if folds and used_r + need_r <= rows and used_c + need_c <= cols:
            folds[-1].append(j)
            used_r += need_r
            used_c += need_c
        else:
            folds.append([j])
            used_r, used_c = need_r, need_c
    return folds


def cycles(df: str, groups: int, m: int, n_g: int, k_g: int, rows: int, cols: int) -> int:
    """Compute cycles of the greedy placement: sum over folds of (pixel folds x lines of that fold), minus 1; a
    group alone wider than the array (ws/is: K_g > R; ws/os: N_g > C) splits into row/column folds as any GEMM."""
    total = 0
    split = (-(-k_g // rows) if df in ("ws", "is") else 1) * (-(-n_g // cols) if df in ("ws", "os") else 1)
    for fold in place(df, groups, n_g, k_g, rows, cols):
        size = len(fold)
        if df == "os":
            total += split * -(-m // rows) * (size * k_g + rows + cols - 2)
        elif df == "ws":
            total += split * (m + 2 * rows + cols - 2)
        else:
            total += split * -(-m // cols) * (size * n_g + 2 * rows + cols - 2)
    return total - 1


def block_diagonal_conv(x: np.ndarray, w: np.ndarray, folds: list[list[int]]) -> np.ndarray:
    """Outputs (M x g*N_g) of a grouped GEMM: x is g x M x K_g (each group's im2col), w is g x K_g x N_g; each fold's
    groups run as ONE GEMM over a block-diagonal filter (zeros off the diagonal blocks)."""
    g, m, k_g = x.shape
    n_g = w.shape[2]
    out = np.zeros((m, g * n_g))
    for fold in folds:
        xs = np.concatenate([x[j] for j in fold], axis=1)                   # M x (G K_g)
        wd = np.zeros((len(fold) * k_g, len(fold) * n_g))
        for i, j in enumerate(fold):
            wd[i * k_g:(i + 1) * k_g, i * n_g:(i + 1) * n_g] = w[j]
        y = xs @ wd                                                          # M x (G N_g)
        for i, j in enumerate(fold):
            out[:, j * n_g:(j + 1) * n_g] = y[:, i * n_g:(i + 1) * n_g]
    return out
