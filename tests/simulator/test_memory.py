"""The memory model: residency, loop order, DRAM traffic and stalls (simulator/model/kernel.py, by name through
simulator/model/traffic.py)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.model.mapping import compute_cycles, map_gemm
from simulator.model.traffic import gemm_traffic

BIG = (1 << 26,) * 3  # 64 MiB buffers: everything fits


def mem(df, m, n, k, rows=4, cols=4, a=8, w=8, out=8, acc=32, bufs=BIG, bw=1e6, lat=0, rep=1):
    mp = map_gemm(df, m, n, k, rows, cols)
    return mp, gemm_traffic(df, m, n, k, rows, cols, 1.0, a, w, out, acc, bufs, bw, lat, rep)


def dram_bytes(r):
    return r["dram_ifmap_read_bytes"] + r["dram_filter_read_bytes"] + r["dram_ofmap_read_bytes"] + r["dram_write_bytes"]


shapes = st.tuples(st.sampled_from(["os", "ws", "is"]), st.integers(1, 70), st.integers(1, 70), st.integers(1, 70),
                   st.sampled_from([(4, 4), (8, 4), (4, 8), (3, 5)]))
bufs_st = st.tuples(*(st.sampled_from([32, 128, 512, 2048, 16384]) for _ in range(3)))


@pytest.mark.parametrize("df", ["os", "ws", "is"])
def test_no_stall_when_everything_fits(df):
    """Large buffers and bandwidth: no stall, every operand crosses DRAM once (compulsory traffic).

    M=8, N=8, K=16 at 8 bits: ifmap 128 B, filter 128 B, ofmap 64 B written once.
    """
    _, r = mem(df, 8, 8, 16)
    assert r["stall_cycles"] == 0 and r["stall_buffer"] == ""
    assert (r["dram_ifmap_read_bytes"], r["dram_filter_read_bytes"], r["dram_write_bytes"]) == (128, 128, 64)
    assert r["dram_ofmap_read_bytes"] == 0 and r["refetched_operand"] == ""


def test_hand_computed_stall_and_drain():
    """os 2x2, M=4 N=2 K=4, 8-bit, 1 B/cycle, no latency; lines 4+2+2-2 = 6. The 12 B ifmap buffer
    cannot hold the 16 B ifmap (its 8 B tiles exceed a 6 B half); the 8 B filter fits and is preloaded.

    R_0 = ifmap rows 0-1 (8 B) + all the filter (8 B) = 16 B -> fold 0 starts at 16 (prefetch).
    R_1 = ifmap rows 2-3 (8 B), queued at 0, served 16-24; fold 1 could start at 22 -> stall 2.
    W_0 (4 B) queued at 22 (end of fold 0) waits for R_1: 24-28; W_1 queued at 30: 30-34 -> drain 4.
    """
    mp, r = mem("os", 4, 2, 4, rows=2, cols=2, bw=1, bufs=(12, 1024, 1024))
    assert mp.lines == 6
    assert (r["prefetch_cycles"], r["stall_cycles"], r["drain_cycles"]) == (16, 2, 4)
    assert r["stall_buffer"] == "ifmap"


def test_operands_that_fit_are_preloaded():
    """Same layer with every buffer large: R_0 = all 16 B of ifmap + 8 B filter -> prefetch 24, no stall;
    W_0 at 30-34, W_1 at 36-40 -> drain 4."""
    _, r = mem("os", 4, 2, 4, rows=2, cols=2, bw=1, bufs=(1024, 1024, 1024))
    assert (r["prefetch_cycles"], r["stall_cycles"], r["drain_cycles"]) == (24, 0, 4)


def test_everything_stalls_cycles_approach_bytes_over_bandwidth():
    """Tiny bandwidth: the channel never idles, so prefetch + folds*lines + stalls + drain = bytes / B."""
    bw = 0.01
    mp, r = mem("ws", 40, 30, 50, bufs=(256, 256, 256), bw=bw)
    busy = r["prefetch_cycles"] + mp.folds * mp.lines + r["stall_cycles"] + r["drain_cycles"]
    assert busy == pytest.approx(dram_bytes(r) / bw, rel=1e-9)
    assert r["stall_cycles"] > 100 * compute_cycles(mp)


def test_latency_adds_to_every_prefetch():
    """os 4x4, M=12 N=4 K=4, 20 B ifmap buffer (48 B ifmap, 16 B tiles > 10 B half): 3 row folds of
    lines 4+4+4-2 = 10, bandwidth unlimited, latency 100. R_0, R_1 queued at 0 arrive at 100: fold 0
    at 100, fold 1 at 110; R_2 queued at the end of fold 0 (110) arrives at 210: one stall of 90."""
    _, r0 = mem("os", 12, 4, 4, bw=1e9, bufs=(20, 1024, 1024))
    _, r1 = mem("os", 12, 4, 4, bw=1e9, lat=100, bufs=(20, 1024, 1024))
    assert r0["stall_cycles"] == pytest.approx(0, abs=1e-6)
    assert r1["stall_cycles"] == pytest.approx(90, abs=1e-3)
    assert r1["prefetch_cycles"] == pytest.approx(100, abs=1e-3)


def test_loop_order_keeps_the_operand_that_does_not_fit_streaming_once():
    """os 4x4, M=64 N=8 K=16: ifmap 1024 B does not fit its 256 B buffer, filter 128 B does.

    row-outer: ifmap once (1024) + filter once (resident, 128); col-outer would read ifmap twice.
    """
    _, r = mem("os", 64, 8, 16, bufs=(256, 256, 256))
    assert r["loop_order"] == "row_outer" and r["outer_operand"] == "ifmap" and r["refetched_operand"] == ""
    assert (r["dram_ifmap_read_bytes"], r["dram_filter_read_bytes"]) == (1024, 128)
    # filter buffer too small as well (64 B; its 64 B tiles exceed a 32 B half):
    #   row-outer: ifmap once 1024 + filter every row fold 128*16 + ofmap 512 = 3584
    #   col-outer: filter every fold 64*16*2 + ifmap every column fold 1024*2 + 512 = 4608 -> row-outer
    _, r2 = mem("os", 64, 8, 16, bufs=(256, 64, 256))
    assert r2["loop_order"] == "row_outer" and r2["refetched_operand"] == "filter"
    assert dram_bytes(r2) == 3584


@pytest.mark.parametrize("df", ["ws", "is"])
def test_partial_sums_exactly_when_k_is_folded(df):
    """ws/is put K on the rows: partial sums (SRAM re-reads at acc width) iff ceil(K/R) > 1.

    K=4 on 4 rows: one fold, no partial sums; K=5: 2 folds, M*N*(2-1) partial sums of 32 bits.
    """
    _, one = mem(df, 6, 5, 4)
    _, two = mem(df, 6, 5, 5)
    assert one["sram_ofmap_read_bytes"] == 0 and one["ofmap_sram_writes"] == 30
    assert two["sram_ofmap_read_bytes"] == 30 * 4 and two["ofmap_sram_writes"] == 60
    # spilled to DRAM only when they do not fit: 16 B ofmap buffer < 30 partial sums * 4 B
    _, spill = mem(df, 6, 5, 5, bufs=(1 << 20, 1 << 20, 16))
    assert spill["dram_psum_write_bytes"] == spill["dram_psum_read_bytes"] == 120
    assert spill["dram_write_bytes"] == 30 + 120 and spill["dram_ofmap_read_bytes"] == 120


def test_os_never_has_partial_sums():
    """os keeps K in time: no partial sums whatever K is."""
    _, r = mem("os", 6, 5, 500, bufs=(64, 64, 16))
    assert r["sram_ofmap_read_bytes"] == 0 and r["dram_psum_write_bytes"] == 0 and r["ofmap_sram_writes"] == 30


@pytest.mark.parametrize("df", ["os", "ws", "is"])
def test_int4_halves_dram_bytes(df):
    """With everything on chip, W4A4 with 4-bit outputs moves exactly half the bytes of W8A8."""
    _, r8 = mem(df, 33, 17, 40)
    _, r4 = mem(df, 33, 17, 40, a=4, w=4, out=4)
    assert dram_bytes(r4) * 2 == dram_bytes(r8)
    assert r4["sram_ifmap_read_bytes"] * 2 == r8["sram_ifmap_read_bytes"]


@settings(max_examples=150, deadline=None)
@given(shapes, bufs_st)
def test_int4_never_more_than_half_on_os(shape, bufs):
    """os (no partial sums): INT4 operands and outputs move at most half of INT8's DRAM bytes (more fits)."""
    _, m, n, k, (rows, cols) = shape
    _, r8 = mem("os", m, n, k, rows, cols, bufs=bufs)
    _, r4 = mem("os", m, n, k, rows, cols, a=4, w=4, out=4, bufs=bufs)
    assert dram_bytes(r4) <= dram_bytes(r8) / 2 + 1e-9


@settings(max_examples=200, deadline=None)
@given(shapes, bufs_st, st.sampled_from([0.25, 1, 3, 16]), st.sampled_from([0, 10, 200]), st.integers(1, 4))
def test_doubling_bandwidth_never_increases_cycles(shape, bufs, bw, lat, rep):
    df, m, n, k, (rows, cols) = shape
    _, slow = mem(df, m, n, k, rows, cols, bufs=bufs, bw=bw, lat=lat, rep=rep)
    _, fast = mem(df, m, n, k, rows, cols, bufs=bufs, bw=2 * bw, lat=lat, rep=rep)
    assert fast["stall_cycles"] <= slow["stall_cycles"] + 1e-6
    assert fast["prefetch_cycles"] <= slow["prefetch_cycles"] + 1e-9


@settings(max_examples=200, deadline=None)
@given(shapes, bufs_st, st.integers(0, 2), st.sampled_from([(8, 8), (4, 8), (4, 4)]))
def test_growing_a_buffer_never_increases_dram_traffic(shape, bufs, which, bits):
    df, m, n, k, (rows, cols) = shape
    bigger = list(bufs)
    bigger[which] *= 2
    _, r = mem(df, m, n, k, rows, cols, a=bits[1], w=bits[0], bufs=bufs)
    _, rb = mem(df, m, n, k, rows, cols, a=bits[1], w=bits[0], bufs=tuple(bigger))
    assert dram_bytes(rb) <= dram_bytes(r)


@settings(max_examples=200, deadline=None)
@given(shapes, bufs_st, st.sampled_from([(8, 8, 8), (4, 8, 8), (4, 4, 4), (2, 8, 16)]), st.integers(1, 3))
def test_dram_traffic_never_below_compulsory_and_matches_closed_form(shape, bufs, bits, rep):
    """Each operand at least once (ifmap M*K, filter K*N at their bits, ofmap M*N written at out_bits),
    and the kernel's per-fold bits add up to memory.py's closed form."""
    df, m, n, k, (rows, cols) = shape
    w, a, out = bits
    _, r = mem(df, m, n, k, rows, cols, a=a, w=w, out=out, bufs=bufs, rep=rep)
    assert r["dram_ifmap_read_bytes"] >= m * k * a / 8 * rep
    assert r["dram_filter_read_bytes"] >= k * n * w / 8 * rep
    assert r["dram_write_bytes"] >= m * n * out / 8 * rep
    assert dram_bytes(r) * 8 == pytest.approx(r["closed_form_dram_bits"], rel=1e-12)


@settings(max_examples=100, deadline=None)
@given(shapes, bufs_st, st.sampled_from([1, 4]), st.integers(2, 9))
def test_repeat_scales_bytes_exactly(shape, bufs, bw, rep):
    """``repeat`` independent copies move exactly ``repeat`` times the bytes; stalls at least repeat times
    the steady copy's would be wrong to assume, but never fewer than one copy's."""
    df, m, n, k, (rows, cols) = shape
    _, one = mem(df, m, n, k, rows, cols, bufs=bufs, bw=bw)
    _, many = mem(df, m, n, k, rows, cols, bufs=bufs, bw=bw, rep=rep)
    assert dram_bytes(many) == pytest.approx(rep * dram_bytes(one))
    assert many["stall_cycles"] >= one["stall_cycles"] - 1e-9


def test_stall_buffer_names_the_busiest_operand():
    """ws, 4x4, M=4: 16 B of weights per fold of 4+8+4-2 = 14 lines at 0.5 B/cycle (32 cycles), the
    ifmap preloaded: the filter buffer causes the stalls."""
    _, r = mem("ws", 4, 64, 64, bufs=(1 << 20, 64, 1 << 20), bw=0.5)
    assert r["stall_cycles"] > 0 and r["stall_buffer"] == "filter"


def test_per_buffer_reads_and_writes():
    """Every buffer's writes are its DRAM fills (plus array writes for ofmap); reads its array reads
    (plus DRAM drains for ofmap)."""
    _, r = mem("ws", 20, 12, 10, bufs=(64, 64, 32), bw=2)
    assert r["ifmap_buf_write_bytes"] == r["dram_ifmap_read_bytes"]
    assert r["weight_buf_write_bytes"] == r["dram_filter_read_bytes"]
    assert r["ofmap_buf_read_bytes"] == r["sram_ofmap_read_bytes"] + r["dram_write_bytes"]
    assert r["ofmap_buf_write_bytes"] == r["sram_ofmap_write_bytes"] + r["dram_ofmap_read_bytes"]
