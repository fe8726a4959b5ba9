"""Grouped and depthwise convolutions packed onto the array (``array.grouped: packed``).

A conv of g groups is g independent GEMMs (each M x N_g x K_g: M = images * Ho * Wo output pixels, N_g output
channels and K_g = Fh * Fw * C / g reduction elements per group; a depthwise conv has N_g = 1, K_g = Fh * Fw).
``serial`` (SCALE-Sim's convention, .cfg files) runs them one after another, each alone on the array (a depthwise
conv on a ws array fills K_g rows of one column). ``packed`` places G groups side by side in one fold as ONE GEMM
M x (G * N_g) x (G * K_g) with a block-diagonal filter: group j's filter occupies reduction rows [j K_g, (j+1) K_g)
and output columns [j N_g, (j+1) N_g), zeros elsewhere, so every output sums its own group only. Where the
reduction sits (module docstring of simulator/model/kernel.py):

| dataflow | rows hold       | columns hold | temporal   | groups per fold G_max                  |
| ws       | G K_g (reduct.) | G N_g        | M          | min(floor(B / K_g), floor(C / N_g))    |
| os       | M (pixels)      | G N_g        | G K_g      | floor(C / N_g)                         |
| is       | G K_g (reduct.) | M (pixels)   | G N_g      | floor(B / K_g)                         |

B = the row block of reduction elements (R, or floor(R p) when a PE does p >= 1 MACs per cycle), R x C the array.
On ws and is the groups sit on disjoint rows (and on ws disjoint columns): each row carries its own group's
operand, as in any GEMM; on os every group shares the pixel rows and its filter streams only during its own K_g
reduction steps. G_max is clipped to [1, g]; the groups are balanced over the folds:
    copies = ceil(g / G_max),  G = ceil(g / copies)   (G <= G_max; every copy is one packed GEMM)
and the kernel runs ``copies`` copies of the packed GEMM (``repeat``), so its fold count, lines per fold and
compute cycles are the packed GEMM's (a fold holding fewer than G groups takes as long as a full one). Operands:
the packed GEMM's ifmap (M x G K_g) and ofmap (M x G N_g) are the G groups' own; its filter holds G^2 K_g N_g
elements of which G K_g N_g are real (the zero blocks are cleared on chip, never read): the kernel reads filter
bits w_bits / G. Traffic, SRAM counts and closed-form bits are then scaled by
    frac = g / (copies * G)   (<= 1: the groups the copies really hold),
and the mapping efficiency (useful PE-cycles / PE-cycles) by frac / G (the zero blocks do no useful MAC).
G_max = 1: the serial mapping, bit-identical. Plain scalar-or-array arithmetic (``arith``): designs of a batch
may pack differently.
"""

from __future__ import annotations

from simulator.model import arith
from simulator.model.kernel_defs import IS, OS


def row_block(rows, p):
    """Reduction elements per row fold: R, or floor(R p) when p >= 1 (``kernel.mapping``)."""
    return rows if p < 1 else arith.maximum(rows, (rows * p) // 1)


def groups_per_fold(df, groups, n_g, k_g, rows, cols, p):
    """G_max: groups one fold can hold (module docstring table), clipped to [1, groups]."""
    by_cols = cols // n_g
    by_rows = row_block(rows, p) // k_g
    g_max = by_cols if df == OS else by_rows if df == IS else arith.minimum(by_rows, by_cols)
    return arith.minimum(arith.maximum(g_max, 1), groups)


def packing(df, groups, n_g, k_g, rows, cols, p):
    """(G, copies): groups per packed GEMM and packed GEMMs (copies) of a conv of ``groups`` groups, each
    M x n_g x k_g, on an R x C array of dataflow code ``df`` (kernel_defs OS/WS/IS) with p MACs per PE cycle."""
    g_max = groups_per_fold(df, groups, n_g, k_g, rows, cols, p)
    copies = arith.ceil(groups / g_max)
    return arith.ceil(groups / copies), copies
