"""The Numba fold kernels on hand-built inputs (simulator/kernels.py)."""

import numpy as np
import pytest

from simulator import kernels as K

INPUT, PSUM, OUTPUT = 0, 1, 2


def _traffic(p_sizes, q_sizes, t, kinds, bits, refetch=None, q_res=True, red_outer=True, p_whole=False,
             z_whole=False, first=False, acc=32):
    p = np.array(p_sizes, dtype=np.int64)
    q = np.array(q_sizes, dtype=np.int64)
    rf = np.array(refetch if refetch is not None else [False] * len(p_sizes))
    return K.fold_traffic(p, q, rf, t, *kinds, *bits, acc, q_res, red_outer, p_whole, z_whole, first)


def test_fold_traffic_os_like():
    """P tiles of 2 and 1 rows, one Q tile of 3 columns, t=4, 8 bits, Q resident, Z output.

    fold 0: P 2*4*8 = 64, Q 3*4*8 = 96, write 2*3*8 = 48; fold 1: P 1*4*8 = 32, Q on chip, write 24.
    """
    tr = _traffic([2, 1], [3], 4, (INPUT, INPUT, OUTPUT), (8, 8, 8))
    assert tr[:, :4].tolist() == [[64, 96, 0, 48], [32, 0, 0, 24]]


def test_fold_traffic_preload_moves_whole_operands_to_fold_0():
    """first copy + P fits its buffer: all 96 bits of P come with fold 0."""
    tr = _traffic([2, 1], [3], 4, (INPUT, INPUT, OUTPUT), (8, 8, 8), p_whole=True, first=True)
    assert tr[:, 0].tolist() == [96, 0] and tr[:, 0].sum() == 96


def test_fold_traffic_refetch_and_streamed_q():
    """P tile 0 refetched on every inner fold, Q not resident (read on every outer pass): 2x2 folds."""
    tr = _traffic([2, 1], [3, 3], 4, (INPUT, INPUT, OUTPUT), (8, 8, 8), refetch=[True, False], q_res=False)
    assert tr[:, 0].tolist() == [64, 64, 32, 0]
    assert tr[:, 1].tolist() == [96, 96, 96, 96]


def test_fold_traffic_spilled_partial_sums():
    """ws-like, reduction outer over 2 row folds, Q = partial sums (3 cols * t=4 = 12 elements) not
    resident: fold 0 spills 12*32 bits, fold 1 reads them back (12*32) and writes 12*8 at the end."""
    tr = _traffic([2, 2], [3], 4, (INPUT, PSUM, INPUT), (8, 8, 8), q_res=False)
    assert tr[:, 3].tolist() == [12 * 32, 12 * 8]          # writes
    assert tr[:, 4].tolist() == [0, 12 * 32]                # psum reads
    assert tr[:, 5].tolist() == [12 * 32, 0]                # psum writes
    assert tr[:, 1].tolist() == [0, 12 * 32]                # counted as reads of Q


def test_fold_loop_totals_scale_with_repeat():
    p = np.array([2, 1], dtype=np.int64)
    q = np.array([3], dtype=np.int64)
    rf = np.array([False, False])
    args = (p, q, rf, 4, INPUT, INPUT, OUTPUT, 8, 8, 8, 32, True, True, False, False, 10, 1.0, 0)
    one = K.fold_loop(*args, 1)
    five = K.fold_loop(*args, 5)
    assert one[K.FOLDS] == 2 and five[K.FOLDS] == 10
    assert five[K.READ_P] == 5 * one[K.READ_P] == 5 * 96
    assert five[K.WRITE] == 5 * 72


def test_fold_loop_no_bandwidth_limit_no_stall():
    """Bandwidth 1e12 B/cycle, no latency: prefetch and drain are ~0, nothing stalls."""
    p = np.array([4, 4, 4], dtype=np.int64)
    q = np.array([4, 4], dtype=np.int64)
    v = K.fold_loop(p, q, np.zeros(3, dtype=np.bool_), 16, INPUT, INPUT, OUTPUT, 8, 8, 8, 32, False, True, False,
                    False, 22, 1e12, 0, 3)
    assert v[K.STALL] == 0 and v[K.PREFETCH] == pytest.approx(0, abs=1e-9)
