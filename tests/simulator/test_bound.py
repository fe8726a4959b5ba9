"""The screening bound (``simulator.model.bound``) never exceeds the exact evaluator: floors <= exact, ceilings >=
exact, exact figures equal, errors identical.

Three independent sources of designs: the Hypothesis designs of tests/simulator/test_batch.py (``cases``: every PE
type, dataflow, tiling mode, sparsity kind, network schedule, pipelined lanes, tiny to huge buffers, DeiT / LeViT /
EfficientViT / Swin; EXAMPLES x 48 designs), every shipped config on every zoo workload, and every shipped config
with random numbers (rows, cols, buffers, bandwidth, clock, lanes) on DeiT-S and ResNet-50.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from test_batch import cases

from simulator.loader import load_hardware
from simulator.model import kernel as K
from simulator.model.batch import DesignBatch, columns, evaluate, structure
from simulator.model.bound import SCREEN_METRICS, gemm_array_floor, screen
from workloads import load_workload
from workloads.registry import zoo_names

EXAMPLES = 40


def check(workload, designs: DesignBatch, what: str) -> int:
    """Assert every screening figure against the exact totals; returns the number of runnable designs checked."""
    s, s_err = screen(workload, designs)
    x, x_err = evaluate(workload, designs)
    assert s_err == x_err, what
    ok = np.asarray([not e for e in x_err])
    for name, kind in SCREEN_METRICS.items():
        a, b = s[name][ok], x[name][ok]
        bad = {"floor": a > b, "ceiling": a < b, "exact": a != b}[kind]
        assert not bad.any(), (what, name, kind, a[bad][:3], b[bad][:3])
        assert np.isfinite(a).all(), (what, name)
    return int(ok.sum())


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases())
def test_bound_below_exact_random_designs(case):
    label, workload, hws = case
    check(workload, DesignBatch.from_hardware(hws), label)


def test_bound_below_exact_shipped_configs_zoo():
    """Every shipped config as it is on every zoo workload (those it cannot run: the same error on both paths)."""
    from simulator.loader import hardware_names

    hws = [h for h in map(load_hardware, hardware_names()) if not hasattr(h, "engines")]   # chips: test_engines.py
    runnable = 0
    for name in zoo_names():
        runnable += check(load_workload(name), DesignBatch.from_hardware(hws), name)
    assert runnable > len(zoo_names()) * len(hws) // 2


def test_bound_below_exact_shipped_configs_random_numbers():
    """Each shipped config with 64 random geometries (rows/cols 4-256, buffers 0.5 KiB-4 MiB, 1-400 GB/s, clock,
    lanes) on DeiT-S W4A4 and ResNet-50 W8A8 (convolutions)."""
    from simulator.loader import hardware_names

    rng = np.random.default_rng(26)
    for hwname in hardware_names():
        hw = load_hardware(hwname)
        if hasattr(hw, "engines"):   # a chip: the batch evaluator runs one-engine designs (test_engines.py)
            continue
        n = 64
        cols = {k: np.repeat(v, n) for k, v in columns([hw]).items()}
        cols["rows"] = rng.integers(4, 257, n)
        cols["cols"] = rng.integers(4, 257, n)
        for b in ("ifmap_kib", "weight_kib", "ofmap_kib"):
            cols[b] = np.exp(rng.uniform(np.log(0.5), np.log(4096), n))
        cols["bandwidth_gbps"] = rng.uniform(1, 400, n)
        cols["freq_mhz"] = rng.uniform(100, 2000, n)
        cols["latency_cycles"] = rng.integers(0, 500, n)
        cols["vector_lanes"] = rng.integers(1, 512, n)
        cols["ppu_lanes"] = rng.integers(1, 512, n)
        db = DesignBatch((structure(hw),), np.zeros(n, dtype=np.intp), cols)
        for wl in ("deit_small-w4a4", "resnet50-w8a8"):
            check(load_workload(wl), db, f"{hwname} {wl}")


def test_gemm_floor_hand_computed():
    """os, 16 x 16 array, SCALE-Sim timing, M=196 N=384 K=384, p=1: folds = ceil(196/16) * ceil(384/16) = 13 * 24 =
    312, lines = K + R + C - 2 = 414, compute = 312 * 414 - 1 = 129,167; array-side SRAM: ifmap reads = M*K * col
    folds = 196*384*24 at 8 bits = 1,806,336 B; filter reads = N*K * row folds = 384*384*13 = 1,916,928 B; ofmap
    writes M*N = 75,264 B, no partial sums read."""
    out = gemm_array_floor(K.OS, 196, 384, 384, 1.0, 1, 0, False, 32, 0, 16, 16, 65536, 8, 8, 8)
    assert out == (129_167.0, 1_806_336.0, 1_916_928.0, 75_264.0, 0.0)
    # ws with temporal tiling possible (T' = 65536*8/2 // (16*32) = 512 >= M = 196: no chunks): the unchunked compute
    ws = gemm_array_floor(K.WS, 196, 384, 384, 1.0, 1, 0, True, 32, 0, 16, 16, 65536, 8, 8, 8)
    assert ws[0] == 24 * 24 * (196 + 2 * 16 + 16 - 2) - 1     # folds ceil(384/16)^2, lines M + 2R + C - 2


def test_bound_tight_when_compute_bound():
    """DeiT-S W8A8 on int8.yaml with 64 MiB buffers and 10 TB/s: no stall, no DRAM floor, so the GEMM floors are the
    exact totals and the cycle bound is within 1e-6 of the exact total (vector layers are exact: each layer alone,
    vector.overlap none, memory.prefetch layer)."""
    from dataclasses import replace

    hw = load_hardware("int8")
    hw = replace(hw, vector=replace(hw.vector, overlap="none"), memory=replace(hw.memory, prefetch="layer"))
    cols = columns([hw])
    for b in ("ifmap_kib", "weight_kib", "ofmap_kib"):
        cols[b] = np.asarray([65536.0])
    cols["bandwidth_gbps"] = np.asarray([10000.0])
    db = DesignBatch((structure(hw),), np.zeros(1, dtype=np.intp), cols)
    wl = load_workload("deit_small-w8a8")
    s, _ = screen(wl, db)
    x, _ = evaluate(wl, db)
    assert 1 - 1e-6 < s["total_cycles"][0] / x["total_cycles"][0] <= 1


def test_memo_keyed_by_values():
    """The per-process memo of GEMM floors is keyed by argument values: two batches whose geometries differ but
    have the same number of distinct values get the results a fresh process gives."""
    from simulator.model import bound

    hw = load_hardware("int4")
    wl = load_workload("deit_tiny-w4a4")

    def batch(rows, cols):
        c = {k: np.repeat(v, 4) for k, v in columns([hw]).items()}
        c["rows"], c["cols"] = np.asarray(rows), np.asarray(cols)
        return DesignBatch((structure(hw),), np.zeros(4, dtype=np.intp), c)

    screen(wl, batch([16, 16, 32, 32], [16, 32, 16, 32]))
    warm, _ = screen(wl, batch([8, 8, 64, 64], [8, 64, 8, 64]))
    bound._MEMO.clear()
    fresh, _ = screen(wl, batch([8, 8, 64, 64], [8, 64, 8, 64]))
    assert np.array_equal(warm["total_cycles"], fresh["total_cycles"])
