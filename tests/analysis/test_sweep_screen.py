"""Two-stage sweeps (analysis/sweep/screen.py, refine.py): the front of a screened sweep is the exhaustive sweep's,
row for row, on several spaces (numeric and structural axes, two workloads, constraints on bounded and unbounded
metrics, a maximized objective, the network schedule and on-chip activations, random sampling); and the stages
are reported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.pareto import pareto_front, parse_objectives
from analysis.sweep import run_sweep, spec_from_dict
from analysis.sweep.screen import dominated

ROOT = Path(__file__).absolute().parents[2]
INT4 = str(ROOT / "hwconfigs" / "int4.yaml")
SPARSE = str(ROOT / "hwconfigs" / "int4_sparse.yaml")

SPACES = {
    "numeric": {"base": INT4, "axes": {"array.rows": {"range": [16, 128, 16]}, "array.cols": {"range": [16, 128, 16]},
                                       "array.dataflow": ["os", "ws"], "buffers.weight_kib": [64, 256],
                                       "dram.bandwidth_gbps": [12.8, 51.2]},
                "workloads": ["deit_tiny-w4a4"], "constraints": ["area_mm2 <= 20"],
                "objectives": ["latency_us", "energy_uj", "area_mm2"]},
    "structural_two_workloads": {
        "base": INT4, "workloads": ["deit_tiny-w8a8", "deit_tiny-w4a4"],
        "axes": {"pe": {"choices": {
            "scalable": {"type": "scalable", "acc_bits": 32, "precisions": [
                {"dtype": "int", "w_bits": 8, "a_bits": 8, "macs_per_cycle": 1},
                {"dtype": "int", "w_bits": 4, "a_bits": 4, "macs_per_cycle": 4}]},
            "fixed_int8": {"type": "fixed", "acc_bits": 32, "precisions": [
                {"dtype": "int", "w_bits": 8, "a_bits": 8, "macs_per_cycle": 1}]}}},
            "array.rows": [8, 16, 24, 32, 48, 64], "array.cols": [16, 32, 64],
            "buffers.ofmap_kib": [16, 64], "freq_mhz": [400, 1000]},
        "constraints": ["latency_us <= 3000", "power_w <= 3"],
        "objectives": ["max:throughput_fps", "energy_uj"]},
    "schedule_onchip": {
        "base": SPARSE, "workloads": ["deit_tiny-w4a4"],
        "axes": {"array.rows": [16, 32, 64], "array.cols": [16, 32, 64], "memory.activations": ["dram", "on_chip"],
                 "buffers.ifmap_kib": [64, 512], "dram.bandwidth_gbps": [6.4, 25.6]},
        "objectives": ["latency_us", "area_mm2"]},
    "random_sampling": {
        "base": INT4, "workloads": ["deit_tiny-w4a8"], "sampling": "random", "samples": 150, "seed": 3,
        "axes": {"array.rows": {"range": [8, 128, 8]}, "array.cols": {"range": [8, 128, 8]},
                 "array.dataflow": ["os", "ws", "is"], "dram.bandwidth_gbps": [12.8, 25.6, 51.2]},
        "constraints": ["area_mm2 <= 6"], "objectives": ["latency_us", "energy_uj", "area_mm2"]},
}


def _front(path, objectives) -> list[int]:
    df = pd.read_parquet(path)
    return sorted(pareto_front(df, parse_objectives(list(objectives))).point_id.tolist())


@pytest.mark.parametrize("name", sorted(SPACES))
def test_screened_front_equals_exhaustive(tmp_path, name):
    spec = spec_from_dict({"name": name, **SPACES[name]}, f"<{name}>")
    full = run_sweep(spec, tmp_path / "full.parquet", workers=0, progress=False)
    scr = run_sweep(spec, tmp_path / "screen.parquet", workers=0, progress=False, screen=True)
    assert full.points_run == spec.n_points
    exhaustive, screened = _front(tmp_path / "full.parquet", spec.objectives), \
        _front(tmp_path / "screen.parquet", spec.objectives)
    assert len(exhaustive) >= 2
    assert screened == exhaustive
    st = scr.screen
    assert st["screened"] == spec.n_points
    assert st["exact"] == scr.points_run <= spec.n_points
    assert st["cannot_run"] + st["constraint_pruned"] + st["dominance_pruned"] + st["exact"] >= spec.n_points
    # the exact rows a screened sweep stores are the exhaustive sweep's rows, bit for bit
    a = pd.read_parquet(tmp_path / "full.parquet").set_index("point_id").sort_index()
    b = pd.read_parquet(tmp_path / "screen.parquet").set_index("point_id").sort_index()
    pd.testing.assert_frame_equal(a.loc[b.index], b)
    # the screening columns: one row per point
    s = pd.read_parquet(tmp_path / "screen.parquet" / "_screen")
    assert len(s) == spec.n_points and s.point_id.is_unique


def test_screening_prunes_most_points(tmp_path):
    """On the numeric space (512 points) with each layer alone (vector.overlap none, memory.prefetch layer: the
    bound's vector layers are exact) screening evaluates well under half of the points exactly. (With the overlap
    derived, auto, a vector layer's bound is 0 and far fewer points are pruned: docs/sweeps.md.)"""
    d = dict(SPACES["numeric"])
    d["axes"] = {**d["axes"], "vector.overlap": ["none"], "memory.prefetch": ["layer"]}
    spec = spec_from_dict({"name": "numeric", **d}, "<numeric>")
    s = run_sweep(spec, tmp_path / "r.parquet", workers=0, progress=False, screen=True)
    assert s.screen["dominance_pruned"] > spec.n_points // 2
    assert s.points_run < spec.n_points // 3


def test_unbounded_objective_evaluates_everything(tmp_path):
    """power_w has no screening bound: nothing may be pruned by dominance, every point runs exactly."""
    d = dict(SPACES["numeric"], objectives=["latency_us", "power_w"], constraints=[])
    spec = spec_from_dict({"name": "unbounded", **d}, "<unbounded>")
    s = run_sweep(spec, tmp_path / "r.parquet", workers=0, progress=False, screen=True)
    assert s.screen["dominance_pruned"] == 0
    assert s.points_run == spec.n_points


def test_dominance_is_strict():
    """A bound equal to an exact point in every objective is not pruned (the two may be equal, both on the front);
    better in one and equal elsewhere is pruned; -inf (no bound) never is; NaN (cannot run) always is."""
    front = np.asarray([[1.0, 2.0]])
    b = np.asarray([[1.0, 2.0], [1.0, 2.5], [0.5, 9.0], [-np.inf, 9.0], [np.nan, 1.0]])
    assert dominated(b, front).tolist() == [False, True, False, False, True]


def test_spec_key_and_cli(tmp_path):
    """``screen: true`` in the spec turns it on; the CLI reports what each stage saw."""
    import yaml

    spec = {"name": "cli", **SPACES["numeric"], "screen": True}
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(spec))
    r = subprocess.run([sys.executable, "-m", "analysis", "sweep", str(p), "-o", str(tmp_path / "o.parquet"),
                        "--workers", "0", "--no-progress"], check=False, capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "screening: 512 points bounded" in r.stdout and "evaluated exactly" in r.stdout
    summary = json.loads((tmp_path / "o.parquet" / "_screen" / "_summary.json").read_text())
    assert summary["screened"] == 512 and summary["exact"] < 512
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**spec, "screen": "yes"}))
    r = subprocess.run([sys.executable, "-m", "analysis", "sweep", str(bad), "-o", str(tmp_path / "b.parquet")],
                       check=False, capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "screen" in r.stderr and "Traceback" not in r.stderr


def test_dominated_two_level_equals_direct():
    """A large front is tried through a spread subset first: the same answer as comparing with every row."""
    from analysis.sweep.screen import _dominated

    rng = np.random.default_rng(5)
    front = rng.dirichlet([1, 1, 1], 2000)          # on the plane x + y + z = 1: no row dominates another
    b = rng.dirichlet([1, 1, 1], 20000) * rng.uniform(0.9, 1.1, (20000, 1))
    assert len(front) > 512
    assert np.array_equal(dominated(b, front), _dominated(b, front))


def test_resume_screened(tmp_path):
    """Resuming a finished screened sweep seeds the fronts from the stored rows and runs nothing new."""
    spec = spec_from_dict({"name": "numeric", **SPACES["numeric"]}, "<numeric>")
    first = run_sweep(spec, tmp_path / "r.parquet", workers=0, progress=False, screen=True)
    again = run_sweep(spec, tmp_path / "r.parquet", workers=0, progress=False, screen=True, resume=True)
    assert first.points_run > 0 and again.points_run == 0
    assert again.screen["already_stored"] == first.points_run and again.screen["seed"] == 0
    assert len(pd.read_parquet(tmp_path / "r.parquet")) == first.points_run


def test_screened_on_dask_equals_exhaustive(tmp_path):
    """The same two stages on a Dask LocalCluster (the workers write their screening parts): the exhaustive front."""
    distributed = pytest.importorskip("distributed")
    spec = spec_from_dict({"name": "numeric", **SPACES["numeric"]}, "<numeric>")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        s = run_sweep(spec, tmp_path / "dask.parquet", scheduler=cluster.scheduler_address, progress=False,
                      screen=True)
    run_sweep(spec, tmp_path / "full.parquet", workers=0, progress=False)
    assert s.screen["screened"] == spec.n_points and s.points_run < spec.n_points
    assert _front(tmp_path / "dask.parquet", spec.objectives) == _front(tmp_path / "full.parquet", spec.objectives)
    assert len(pd.read_parquet(tmp_path / "dask.parquet" / "_screen")) == spec.n_points
