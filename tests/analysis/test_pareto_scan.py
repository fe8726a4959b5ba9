"""The batch-by-batch front and top-k (analysis/pareto_scan.py) equal the in-memory ones (analysis/pareto.py) row
for row, order included, on a results directory read in batches of 7 rows (so fronts merge across many batches)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.pareto import pareto_front, parse_objectives, top_k
from analysis.pareto_scan import scan_front
from analysis.sweep import run_sweep, spec_from_dict

ROOT = Path(__file__).absolute().parents[2]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    d = tmp_path_factory.mktemp("scan") / "r.parquet"
    spec = spec_from_dict({
        "name": "scan", "base": str(ROOT / "hwconfigs" / "int4.yaml"),
        "axes": {"array.rows": [8, 16, 32, 64], "array.cols": [16, 64], "array.dataflow": ["os", "ws"],
                 "dram.bandwidth_gbps": [6.4, 25.6]},
        "models": ["deit_tiny"], "recipes": ["w8a8", "w4a4"],
        "constraints": ["area_mm2 <= 5"], "objectives": ["latency_us", "energy_uj"]})
    run_sweep(spec, d, workers=0, progress=False, flush_rows=9)   # several parts
    return d


@pytest.mark.parametrize("objs,by,infeasible", [
    ("latency_us,energy_uj", "workload", False), ("latency_us,max:throughput_fps,area_mm2", "workload", True),
    ("max:tops_per_w,area_mm2", "model", False), ("latency_us,area_mm2", None, False)])
def test_scan_equals_in_memory(results, monkeypatch, objs, by, infeasible):
    from analysis.sweep import read

    monkeypatch.setattr(read, "BATCH_ROWS", 7)
    df = pd.read_parquet(results)
    assert (~df["feasible"]).any() and df["feasible"].any()
    ob = parse_objectives(objs)
    front, tops, st = scan_front(results, ob, by=by, include_infeasible=infeasible, top=3)
    expect = pareto_front(df, ob, by=by, include_infeasible=infeasible)
    assert st.rows == len(df) and len(front) >= 2
    assert front["point_id"].tolist() == expect["point_id"].tolist()
    pd.testing.assert_frame_equal(front.reset_index(drop=True), expect.reset_index(drop=True))
    for o in ob:
        assert tops[o.text]["point_id"].tolist() == top_k(df, o, 3, by=by, include_infeasible=infeasible)[
            "point_id"].tolist()


def test_scan_one_workload(results):
    df = pd.read_parquet(results)
    ob = parse_objectives("latency_us,energy_uj")
    wl = sorted(df["workload"].unique())[1]
    front, _, st = scan_front(results, ob, workload=wl)
    assert front["point_id"].tolist() == pareto_front(df[df["workload"] == wl], ob)["point_id"].tolist()
    assert st.workloads == set(df["workload"])


def test_report_large_path_same_fronts(results, monkeypatch):
    """Above SAMPLE_ROWS the report reads in batches: the same front tables as the whole-table path, and a note that
    the knob effects come from a sample."""
    import re

    from analysis.report import sweep as rs

    whole = rs.sweep_report(results)
    monkeypatch.setattr(rs, "SAMPLE_ROWS", 20)
    large = rs.sweep_report(results)
    assert "uniform random sample" in large and "uniform random sample" not in whole

    def fronts(html):
        return re.findall(r"<h3>The front</h3>(.*?)</table>", html, re.DOTALL)

    assert fronts(large) == fronts(whole) and len(fronts(whole)) == 2
    assert re.findall(r"(\d+) on the Pareto front", large) == re.findall(r"(\d+) on the Pareto front", whole)
