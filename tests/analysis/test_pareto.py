"""Pareto fronts, top-k and the pareto CLI."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.pareto import Objective, pareto_front, pareto_mask, parse_objectives, top_k
from workloads.errors import InputError

ROOT = Path(__file__).absolute().parents[2]


def brute_force(f: np.ndarray) -> np.ndarray:
    """Independent O(n^2) definition: i is on the front unless some j is <= everywhere and < somewhere."""
    n = len(f)
    out = np.ones(n, dtype=bool)
    for i, j in itertools.product(range(n), range(n)):
        if np.isnan(f[i]).any() or (np.all(f[j] <= f[i]) and np.any(f[j] < f[i])):
            out[i] = False
    return out


def test_hand_made_2d():
    """(latency, energy): (1,5) (2,3) (3,4) (4,1) (2,3) (5,5) (nan,0).
    (3,4) is dominated by (2,3); (5,5) by everything else; the duplicate (2,3)s are both kept; NaN never."""
    f = [[1, 5], [2, 3], [3, 4], [4, 1], [2, 3], [5, 5], [np.nan, 0]]
    assert pareto_mask(f).tolist() == [True, True, False, True, True, False, False]


def test_hand_made_3d_and_maximize():
    """3-D: (1,1,9) (9,1,1) (1,9,1) are mutually non-dominated; (2,2,9) is dominated by (1,1,9); (5,5,5) is not
    dominated (nothing is <= 5 in all three). Maximizing the third objective instead, (1,1,9) is at least as
    good as every other row everywhere (1 <= all firsts and seconds, 9 >= all thirds), so it is the whole front."""
    f = [[1, 1, 9], [9, 1, 1], [1, 9, 1], [2, 2, 9], [5, 5, 5]]
    assert pareto_mask(f).tolist() == [True, True, True, False, True]
    assert pareto_mask(f, [False, False, True]).tolist() == [True, False, False, False, False]


@pytest.mark.parametrize("seed", range(6))
def test_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    k = 2 + seed % 3
    f = rng.integers(0, 6, size=(80, k)).astype(float)  # small integers: many ties and duplicates
    f[rng.integers(0, 80, 3), 0] = np.nan
    assert (pareto_mask(f) == brute_force(f)).all()


def table() -> pd.DataFrame:
    return pd.DataFrame({
        "workload": ["a"] * 5 + ["b"] * 3,
        "array.rows": [8, 16, 32, 64, 128, 8, 16, 32],
        "latency_us": [10, 6, 4, 3, 1, 20, 12, 9],
        "energy_uj": [1, 2, 3, 5, 4, 2, 2, 1],
        "feasible": [True, True, True, True, False, True, True, True],
        "error": [""] * 8,
    })


def test_front_per_workload_excludes_infeasible():
    """Workload a, feasible: (10,1) (6,2) (4,3) (3,5) all on the front; (1,4) is infeasible and would dominate
    (3,5). Workload b: (9,1) dominates (12,2) and (20,2)."""
    objs = [Objective("latency_us"), Objective("energy_uj")]
    front = pareto_front(table(), objs)
    assert list(zip(front["workload"], front["array.rows"])) == [("a", 64), ("a", 32), ("a", 16), ("a", 8),
                                                                ("b", 32)]
    front_all = pareto_front(table(), objs, include_infeasible=True)
    assert list(front_all[front_all["workload"] == "a"]["array.rows"]) == [128, 32, 16, 8]


def test_top_k():
    t = top_k(table(), Objective("latency_us"), k=2)
    assert list(zip(t["workload"], t["latency_us"])) == [("a", 3), ("a", 4), ("b", 9), ("b", 12)]
    t = top_k(table(), Objective("energy_uj", maximize=True), k=1)
    assert list(t["energy_uj"]) == [5, 2]


def test_parse_objectives():
    assert parse_objectives("latency_us, max:tops_per_w") == [Objective("latency_us"),
                                                              Objective("tops_per_w", True)]
    with pytest.raises(InputError, match=r"objectives\[1\]: unknown metric 'speed'.*latency_us"):
        parse_objectives(["latency_us", "speed"], ["latency_us", "energy_uj"])
    with pytest.raises(InputError, match="unknown metric 'area_mm3'"):
        pareto_front(table(), [Objective("latency_us"), Objective("area_mm3")])


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "analysis", *args], check=False, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_cli_pareto_table_json_plot(tmp_path):
    res = tmp_path / "t.parquet"
    table().to_parquet(res)  # a plain Parquet file works as well as a sweep's directory
    r = _cli("pareto", str(res), "--objectives", "latency_us,energy_uj", "--format", "json", "--top", "1")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [row["array.rows"] for row in out["front"]] == [64, 32, 16, 8, 32]
    assert [row["latency_us"] for row in out["top"]["latency_us"]] == [3, 9]
    png = tmp_path / "front.png"
    r = _cli("pareto", str(res), "--objectives", "latency_us,energy_uj,array.rows", "--plot", str(png))
    assert r.returncode == 0, r.stderr
    assert "Pareto front" in r.stdout and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = _cli("pareto", str(res), "--objectives", "latency_us,speed")
    assert r.returncode == 2 and "unknown metric 'speed'" in r.stderr
    r = _cli("pareto", str(tmp_path / "missing.parquet"))
    assert r.returncode == 2 and "no such results" in r.stderr
