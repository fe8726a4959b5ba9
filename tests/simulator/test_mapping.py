"""Folds, lines and compute cycles of a GEMM on the array (SCALE-Sim 3.0's convention)."""

import pytest

from simulator.model.mapping import compute_cycles, map_gemm, packed_k


@pytest.mark.parametrize("dataflow, folds, lines, cycles", [
    ("os", 4, 13, 51),
    ("ws", 4, 16, 63),
    ("is", 4, 15, 59),
])
def test_hand_computed_4x4_partial_folds(dataflow, folds, lines, cycles):
    """M=6, N=5, K=7 on a 4x4 array: every dataflow has a partial fold in both dimensions.

    os: rows M=6 -> folds of 4+2, cols N=5 -> 4+1: 4 folds; lines K+R+C-2 = 7+4+4-2 = 13; 4*13-1 = 51.
    ws: rows K=7 -> 4+3, cols N=5 -> 4+1: 4 folds; lines M+2R+C-2 = 6+8+4-2 = 16; 4*16-1 = 63.
    is: rows K=7 -> 4+3, cols M=6 -> 4+2: 4 folds; lines N+2R+C-2 = 5+8+4-2 = 15; 4*15-1 = 59.
    (SCALE-Sim 3.0 reports the same three numbers: tests/scalesim/test_vs_scalesim.py.)
    """
    mp = map_gemm(dataflow, 6, 5, 7, 4, 4)
    assert (mp.folds, mp.lines) == (folds, lines)
    assert compute_cycles(mp) == cycles


def test_block_sizes_and_efficiency():
    """os, M=6 N=5 on 4x4: row folds [4, 2], col folds [4, 1]; PEs used 6*5 of 4 folds * 16 = 30/64."""
    mp = map_gemm("os", 6, 5, 7, 4, 4)
    assert mp.row_sizes() == [4, 2] and mp.col_sizes() == [4, 1]
    assert mp.mapping_efficiency() == pytest.approx(30 / 64)


def test_repeat_runs_copies_back_to_back():
    """repeat copies: repeat * folds * lines - 1 (os M=6 N=5 K=7 on 4x4: 3*4*13-1 = 155)."""
    assert compute_cycles(map_gemm("os", 6, 5, 7, 4, 4), repeat=3) == 155


def test_exact_fit_has_no_partial_fold():
    """M=N=8, K=4 on 4x4 os: 2x2 full folds, lines 4+4+4-2 = 10, 4*10-1 = 39."""
    mp = map_gemm("os", 8, 8, 4, 4, 4)
    assert mp.row_sizes() == [4, 4] and mp.folds == 4 and compute_cycles(mp) == 39
    assert mp.mapping_efficiency() == 1.0


def test_packed_reduction():
    """A PE doing p=2 MACs per cycle halves the reduction steps: K=7 -> 4 (os lines 4+4+4-2 = 10);
    on ws the K rows hold 2 elements each: K=7 fits one 4-row fold (block 8)."""
    assert packed_k(7, 2) == 4
    assert map_gemm("os", 6, 5, 7, 4, 4, macs_per_cycle=2).lines == 10
    ws = map_gemm("ws", 6, 5, 7, 4, 4, macs_per_cycle=2)
    assert ws.row_folds == 1 and ws.row_sizes() == [7]


def test_unknown_dataflow():
    with pytest.raises(ValueError):
        map_gemm("xs", 1, 1, 1, 4, 4)
