"""The Numba fold-level memory model agrees with the plain-Python cycle-stepped reference.

Exact (traffic to the bit, prefetch, stall and drain cycles to the cycle) when the bandwidth
divides every request's bytes (here 8-bit operands at 1, 1/2 or 1/4 B/cycle). Otherwise the
reference starts folds on whole cycles, so each fold start may round by under a cycle: stalls and
the end of the layer then agree within one cycle per fold (checked as a bound), while traffic stays
exact. This is the reference's rounding, not an approximation of the kernel; on the 80 fractional
cases below total cycles differ by at most 1.3% (small layers with few lines per fold).
"""

import random

import memory_reference as ref
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.model.mapping import map_gemm
from simulator.model.traffic import gemm_traffic


def _both(df, m, n, k, rows, cols, a, w, bufs, bw, lat, rep, out=8, acc=32):
    mp = map_gemm(df, m, n, k, rows, cols)
    mem = gemm_traffic(df, m, n, k, rows, cols, 1.0, a, w, out, acc, bufs, bw, lat, rep)
    r = ref.simulate(df, m, n, k, rows, cols, a, w, out, acc, bufs, bw, lat, mem["loop_order"] == "row_outer", rep)
    return mp, mem, r


def _traffic(mem):
    return [mem[f"dram_{x}_bytes"] * 8 for x in ("ifmap_read", "filter_read", "ofmap_read", "write", "psum_read",
                                                 "psum_write")]


def _ref_traffic(r):
    return [r[f"dram_{x}_bits"] for x in ("ifmap_read", "filter_read", "ofmap_read", "write", "psum_read",
                                          "psum_write")]


def test_reference_hand_computed():
    """os 2x2, M=4 N=2 K=4, 12 B ifmap buffer, 1 B/cycle: prefetch 16, stall 2, drain 4 (worked in
    tests/simulator/test_memory.py::test_hand_computed_stall_and_drain), fold starts 16 and 24."""
    r = ref.simulate("os", 4, 2, 4, 2, 2, buffers_bytes=(12, 1024, 1024), bytes_per_cycle=1)
    assert r["fold_starts"] == [16, 24]
    assert (r["prefetch_cycles"], r["stall_cycles"], r["drain_cycles"]) == (16, 2, 4)
    assert r["dram_ifmap_read_bits"] == 16 * 8 and r["dram_write_bits"] == 8 * 8


def test_reference_partial_sum_spill_hand_computed():
    """ws 2x2, M=3 N=2 K=4 (2 reduction folds, 1 column fold), 8 B ofmap buffer < 3*2 partial sums * 4 B:
    fold 0 spills 24 B at 32 bits, fold 1 reads them back and writes the 6 B result."""
    r = ref.simulate("ws", 3, 2, 4, 2, 2, buffers_bytes=(1024, 1024, 8), bytes_per_cycle=1)
    assert r["dram_psum_write_bits"] == r["dram_psum_read_bits"] == 24 * 8
    assert r["dram_write_bits"] == (24 + 6) * 8 and r["dram_ofmap_read_bits"] == 24 * 8


def _cases(seed, n, exact):
    rnd = random.Random(seed)
    for _ in range(n):
        df = rnd.choice(["os", "ws", "is"])
        shape = tuple(rnd.randint(1, 40) for _ in range(3))
        arr = rnd.choice([(4, 4), (4, 8), (8, 4), (2, 3)])
        bufs = tuple(rnd.choice([16, 64, 128, 256, 1024, 8192]) for _ in range(3))
        bits = (8, 8) if exact else rnd.choice([(8, 8), (4, 4), (4, 8)])
        bw = rnd.choice([1, 0.5, 0.25]) if exact else rnd.choice([2, 4, 8, 3, 1.5])
        yield df, *shape, *arr, *bits, bufs, bw, rnd.choice([0, 0, 3, 20]), rnd.choice([1, 1, 2, 3, 5])


@pytest.mark.parametrize("case", list(_cases(7, 120, exact=True)), ids=lambda c: "-".join(map(str, c[:6])))
def test_exact_agreement(case):
    df, m, n, k, rows, cols, a, w, bufs, bw, lat, rep = case
    mp, mem, r = _both(df, m, n, k, rows, cols, a, w, bufs, bw, lat, rep)
    assert _traffic(mem) == _ref_traffic(r)
    assert r["folds"] == mp.folds * rep and r["lines"] == mp.lines
    assert (mem["prefetch_cycles"], mem["stall_cycles"], mem["drain_cycles"]) == \
        (r["prefetch_cycles"], r["stall_cycles"], r["drain_cycles"])


@pytest.mark.parametrize("case", list(_cases(11, 80, exact=False)), ids=lambda c: "-".join(map(str, c[:6])))
def test_bounded_agreement_with_fractional_transfers(case):
    df, m, n, k, rows, cols, a, w, bufs, bw, lat, rep = case
    mp, mem, r = _both(df, m, n, k, rows, cols, a, w, bufs, bw, lat, rep)
    assert _traffic(mem) == _ref_traffic(r)
    end_k = mem["prefetch_cycles"] + mem["stall_cycles"] + mp.folds * rep * mp.lines + mem["drain_cycles"]
    end_r = r["prefetch_cycles"] + r["stall_cycles"] + r["folds"] * r["lines"] + r["drain_cycles"]
    assert abs(r["stall_cycles"] - mem["stall_cycles"]) <= r["folds"] + 1
    assert abs(end_k - end_r) <= r["folds"] + 1


def test_repeat_steady_state_is_exact():
    """Many copies: the kernel walks copies until one repeats the previous exactly, the reference walks
    all 12; they agree to the cycle (bandwidth-bound ws layer with spilled partial sums)."""
    _, mem, r = _both("ws", 14, 37, 11, 2, 3, 8, 8, (128, 64, 128), 0.5, 0, 12)
    assert mem["stall_cycles"] == r["stall_cycles"] > 0


@settings(max_examples=60, deadline=None)
@given(df=st.sampled_from(["os", "ws", "is"]), m=st.integers(1, 48), n=st.integers(1, 48), k=st.integers(1, 48),
       arr=st.sampled_from([(2, 2), (4, 4), (3, 5), (8, 4)]),
       bufs=st.tuples(*[st.sampled_from([16, 48, 128, 512, 4096])] * 3),
       bw=st.sampled_from([1, 0.5, 0.25]), lat=st.sampled_from([0, 5]), rep=st.integers(1, 3))
def test_numba_kernel_equals_reference_on_random_shapes(df, m, n, k, arr, bufs, bw, lat, rep):
    """Hypothesis over shapes, arrays, buffers, bandwidths, latencies and copies (8-bit operands, so the
    bandwidth divides every transfer): the Numba fold loop and the cycle-stepped reference agree exactly on
    traffic, prefetch, stall and drain cycles."""
    _, mem, r = _both(df, m, n, k, *arr, 8, 8, bufs, bw, lat, rep)
    assert _traffic(mem) == _ref_traffic(r)
    assert (mem["prefetch_cycles"], mem["stall_cycles"], mem["drain_cycles"]) == \
        (r["prefetch_cycles"], r["stall_cycles"], r["drain_cycles"])
