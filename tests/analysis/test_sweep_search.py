"""The NSGA-II search (analysis/sweep/search.py) and the front-quality measures (analysis.pareto.hypervolume,
tools/search_quality.py): rows are the exhaustive sweep's bit for bit; no pruned point is on the exhaustive front;
a search given enough trials on a small space finds the exhaustive front; the counts add up; bad input is one
line."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.pareto import hypervolume, pareto_front, parse_objectives
from analysis.sweep import run_sweep, spec_from_dict
from analysis.sweep.search import Search, grid_index
from workloads.errors import InputError

ROOT = Path(__file__).absolute().parents[2]
INT4 = str(ROOT / "hwconfigs" / "int4.yaml")
SPACE = {"name": "small", "base": INT4, "workloads": ["deit_tiny-w8a8", "deit_tiny-w4a4"],
         "axes": {"array.rows": [8, 16, 32, 64], "array.cols": [8, 16, 32, 64], "array.dataflow": ["os", "ws"],
                  "dram.bandwidth_gbps": [6.4, 25.6]},
         "constraints": ["area_mm2 <= 5"], "objectives": ["latency_us", "energy_uj", "area_mm2"]}


def _tool():
    spec = importlib.util.spec_from_file_location("search_quality", ROOT / "tools" / "search_quality.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_hypervolume_hand_cases():
    """2-D: boxes [1,3]x[2,3] and [2,3]x[1,3] (area 2 each) overlap in [2,3]x[2,3] (1): 3. 3-D: one box 1x2x3 = 6.
    A point not better than the reference in every objective adds nothing; a dominated point adds nothing."""
    assert hypervolume([[1, 2], [2, 1]], [3, 3]) == 3.0
    assert hypervolume([[1, 1, 1]], [2, 3, 4]) == 6.0
    assert hypervolume([[1, 2], [2, 1], [4, 0]], [3, 3]) == 3.0
    assert hypervolume([[1, 1], [2, 2]], [3, 3]) == 4.0
    assert hypervolume(np.empty((0, 2)), [3, 3]) == 0.0


def test_hypervolume_against_monte_carlo():
    """An independent estimate: the share of uniform samples of the box [0, ref] dominated by some point."""
    rng = np.random.default_rng(7)
    pts = rng.uniform(0.1, 0.9, size=(12, 3))
    ref = np.ones(3)
    s = rng.uniform(0, 1, size=(200_000, 3))
    hit = np.zeros(len(s), dtype=bool)
    for p in pts:
        hit |= (s >= p).all(axis=1)
    assert hypervolume(pts, ref) == pytest.approx(hit.mean(), abs=0.005)


def test_quality_measures_hand_case():
    """Exact front {(1,3), (3,1)}; found {(1,3), (3.3,1)}: one of two found; epsilon 0.1 (3.3 = 1.1 x 3);
    reference (3.2, 3.2): exact HV 2.2 x 0.2 + 0.2 x 2.2 - 0.2 x 0.2 = 0.84, found 2.2 x 0.2 = 0.44."""
    hv, share, eps = _tool().quality(np.array([[1.0, 3.0], [3.3, 1.0]]), np.array([[1.0, 3.0], [3.0, 1.0]]))
    assert share == 0.5
    assert eps == pytest.approx(0.1)
    assert hv == pytest.approx(0.44 / 0.84)


def test_grid_index_inverts_design():
    spec = spec_from_dict(SPACE, "<small>")
    pos = [[3, 1, 0, 1], [0, 0, 1, 0]]
    for p, i in zip(pos, grid_index(spec, pos)):
        labels = spec.design_labels(int(i))
        assert labels == tuple(a.labels[k] for a, k in zip(spec.axes, p))


def test_search_rows_are_exact_and_find_the_front(tmp_path):
    """64 designs x 2 workloads; 192 trials per workload (3x the space): the search stores exact rows identical to
    the exhaustive sweep's, and its front comes within 1 % of the exhaustive front's hypervolume and 5 % of every
    exhaustive front point (multiplicative epsilon), with at least 3/4 of those points found exactly."""
    spec = spec_from_dict(SPACE, "<small>")
    full = run_sweep(spec, tmp_path / "full.parquet", workers=0, progress=False)
    s = run_sweep(spec, tmp_path / "s.parquet", workers=0, progress=False, search=Search("nsga2", 192, 16, 0))
    st = s.search
    assert st["asked"] == 192 * 2
    assert st["exact"] == s.points_run <= full.points_run
    assert st["stored"] + st["screen_pruned"] + st["infeasible"] + st["exact"] >= st["asked"] - st["stored"]
    a = pd.read_parquet(tmp_path / "full.parquet").set_index("point_id").sort_index()
    b = pd.read_parquet(tmp_path / "s.parquet").set_index("point_id").sort_index()
    assert len(b) == st["exact"]
    pd.testing.assert_frame_equal(a.loc[b.index], b)
    objs = parse_objectives(list(spec.objectives))
    exhaustive = set(pareto_front(a.reset_index(), objs).point_id)
    found = set(pareto_front(b.reset_index(), objs).point_id)
    assert len(exhaustive) >= 4
    assert found <= set(a.index) and len(found & exhaustive) >= 0.75 * len(exhaustive)
    ex_vals = a.loc[sorted(exhaustive), list(spec.objectives)].to_numpy(float)
    got_vals = b.loc[sorted(found), list(spec.objectives)].to_numpy(float)
    hv, share, eps = _tool().quality(got_vals, ex_vals)
    assert hv >= 0.99 and eps <= 0.05, (hv, share, eps)
    summary = json.loads((tmp_path / "s.parquet" / "_search" / "_summary.json").read_text())
    assert summary["exact"] == st["exact"] and summary["designs_in_space"] == 64


def test_search_cli_and_bad_input(tmp_path):
    spec = tmp_path / "s.yaml"
    import yaml

    spec.write_text(yaml.safe_dump({**SPACE, "search": {"method": "nsga2", "trials": 32, "population": 8}}))
    out = subprocess.run([sys.executable, "-m", "analysis", "sweep", str(spec), "-o", str(tmp_path / "r.parquet"),
                          "--workers", "0", "--trials", "16"], check=False, capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "search (nsga2): 32 trials over 64 designs x 2 workloads in 2 generations" in out.stdout
    bad = [({"search": {"method": "cmaes"}}, "search.method: unknown value 'cmaes'"),
           ({"search": {"trials": 0}}, "search.trials"),
           ({"search": {"population": 1}}, "search.population"),
           ({"search": {"trial": 5}}, "search.trial: unknown field")]
    for extra, text in bad:
        with pytest.raises(InputError, match=text.replace("(", r"\(").replace(".", r"\.")):
            spec_from_dict({**SPACE, **extra}, "<bad>")
    out = subprocess.run([sys.executable, "-m", "analysis", "sweep", str(ROOT / "sweeps" / "deit_s_array.yaml"),
                          "-o", str(tmp_path / "x.parquet"), "--trials", "5"], check=False, capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "--trials" in out.stderr and "needs --search" in out.stderr


def test_search_space_past_the_points_limit():
    """A search spec over 10^10 designs loads (the points limit applies to its trials), a grid spec does not."""
    axes = {"array.rows": {"range": [1, 1000, 1]}, "array.cols": {"range": [1, 1000, 1]},
            "freq_mhz": {"range": [100, 1099, 1]}, "dram.bandwidth_gbps": {"range": [1, 10, 1]}}
    space = {**SPACE, "axes": axes, "workloads": ["deit_tiny-w4a4"]}
    spec = spec_from_dict({**space, "search": {"trials": 100}}, "<big>")
    assert spec.grid_size == 1000 * 1000 * 1000 * 10
    with pytest.raises(InputError, match="exceed the limit"):
        spec_from_dict(space, "<big>")
