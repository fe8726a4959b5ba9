"""The GEMM kernel (simulator/model/kernel.py, foldwalk.py): per-fold traffic by hand, plain Python == compiled Numba."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.model import foldwalk
from simulator.model import kernel as K
from simulator.model.jit import compiled

INPUT, PSUM, OUTPUT = K.INPUT, K.PSUM, K.OUTPUT


def _fold(o, i, p_sizes, q_sizes, t, kinds, bits, rf=False, q_res=True, red_outer=True, acc=32):
    """(read P, read Q, read Z, psum read P, psum read Q, write, psum read, psum write) of fold (o, i)."""
    return foldwalk._fold_bits(o, i, len(p_sizes), len(q_sizes), p_sizes[0], p_sizes[-1], q_sizes[0], q_sizes[-1], t,
                        *kinds, *bits, acc, rf, rf, q_res, red_outer)


def test_fold_bits_os_like():
    """P tiles of 2 and 1 rows, one Q tile of 3 columns, t=4, 8 bits, Q resident, Z output.

    fold (0,0): P 2*4*8 = 64, Q 3*4*8 = 96, write 2*3*8 = 48; fold (1,0): P 1*4*8 = 32, Q on chip, write 24."""
    f0 = _fold(0, 0, [2, 1], [3], 4, (INPUT, INPUT, OUTPUT), (8, 8, 8))
    f1 = _fold(1, 0, [2, 1], [3], 4, (INPUT, INPUT, OUTPUT), (8, 8, 8))
    assert (f0[0], f0[1], f0[2], f0[5]) == (64, 96, 0, 48)
    assert (f1[0], f1[1], f1[2], f1[5]) == (32, 0, 0, 24)


def test_fold_bits_refetch_and_streamed_q():
    """P refetched on every fold, Q not resident: every fold reads its P and Q tiles (2*4*8, 3*4*8)."""
    f = _fold(0, 1, [2, 2], [3, 3], 4, (INPUT, INPUT, OUTPUT), (8, 8, 8), rf=True, q_res=False)
    assert (f[0], f[1]) == (64, 96)


def test_fold_bits_spilled_partial_sums():
    """ws-like, reduction outer over 2 row folds, Q = partial sums (3 cols * t=4 = 12 elements) not resident:
    fold 0 spills 12*32 bits, fold 1 reads them back (12*32) and writes 12*8 at the end."""
    f0 = _fold(0, 0, [2, 2], [3], 4, (INPUT, PSUM, INPUT), (8, 8, 8), q_res=False)
    f1 = _fold(1, 0, [2, 2], [3], 4, (INPUT, PSUM, INPUT), (8, 8, 8), q_res=False)
    assert (f0[5], f1[5]) == (12 * 32, 12 * 8)      # writes
    assert (f0[6], f1[6]) == (0, 12 * 32)           # psum reads
    assert (f0[7], f1[7]) == (12 * 32, 0)           # psum writes
    assert (f0[4], f1[4]) == (0, 12 * 32)           # counted as reads of Q


def _run_python(prm):
    """The plain-Python kernel on ``prm``, padded with zeros to N_PARAMS (no conv geometry)."""
    out, full, part = [0.0] * K.N_OUT, [0.0] * K.N_OUT, [0.0] * K.N_OUT
    K.gemm([float(x) for x in prm] + [0.0] * (K.N_PARAMS - len(prm)), out, full, part)
    return out


def test_repeat_scales_bytes_and_folds():
    """os M=3 N=3 K=4 on 2x4: 2 folds per copy; 5 copies move 5x the bytes of one."""
    one = _run_python([K.OS, 3, 3, 4, 2, 4, 1, 8, 8, 8, 32, 1 << 20, 1 << 20, 1 << 20, 1.0, 0, 1, 0, 0, 0])
    five = _run_python([K.OS, 3, 3, 4, 2, 4, 1, 8, 8, 8, 32, 1 << 20, 1 << 20, 1 << 20, 1.0, 0, 5, 0, 0, 0])
    assert one[K.FOLDS] == 2 and five[K.FOLDS] == 10
    assert five[K.DRAM_IFMAP] == 5 * one[K.DRAM_IFMAP] == 5 * 12
    assert five[K.DRAM_WRITE] == 5 * 9


def test_no_bandwidth_limit_no_stall():
    """Bandwidth 1e12 B/cycle, no latency: prefetch ~0 and nothing stalls."""
    v = _run_python([K.OS, 12, 8, 16, 4, 4, 1, 8, 8, 8, 32, 64, 64, 64, 1e12, 0, 3, 0, 0, 0])
    assert v[K.STALL] == 0 and v[K.PREFETCH] == pytest.approx(0, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(df=st.sampled_from([K.OS, K.WS, K.IS]), m=st.integers(1, 200), n=st.integers(1, 200), k=st.integers(1, 200),
       rows=st.sampled_from([1, 2, 3, 8, 16]), cols=st.sampled_from([1, 2, 5, 8, 16]),
       p=st.sampled_from([1.0, 2.0, 4.0, 0.25, 1 / 3]), bits=st.sampled_from([(8, 8, 8), (4, 4, 8), (16, 4, 4)]),
       acc=st.sampled_from([16, 32]), bufs=st.tuples(*[st.sampled_from([64, 512, 4096, 1 << 16])] * 3),
       bpc=st.sampled_from([0.5, 1.0, 3.7, 1e9]), lat=st.sampled_from([0, 7]), rep=st.sampled_from([1, 2, 6]),
       tt=st.sampled_from([0, 1]), onchip=st.sampled_from([0, 0, 1, 2, 4, 5, 7]), arr=st.sampled_from([0, 0, 1, 2]))
def test_compiled_equals_plain_python(df, m, n, k, rows, cols, p, bits, acc, bufs, bpc, lat, rep, tt, onchip, arr):
    """The Numba-compiled kernel and the plain-Python kernel give bit-identical outputs (one source), operands
    kept on chip by the memory plan (``onchip`` bits) and every array timing (``arr``) included."""
    prm = [df, m, n, k, rows, cols, p, bits[0], bits[1], bits[2], acc, *bufs, bpc, lat, rep, tt, onchip, arr,
               *[0] * (K.N_PARAMS - 20)]   # no conv geometry, not a packed grouped conv
    out = np.zeros((1, K.N_OUT))
    compiled().gemm_batch(np.array([prm], dtype=float), out, np.zeros(K.N_OUT), np.zeros(K.N_OUT))
    assert out[0].tolist() == _run_python(prm)
