"""Sweep specs, point generation, execution backends, Parquet streaming and resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hwconfigs
from analysis.sweep import evaluate, load_spec, point_id, read_results, run_sweep, set_path, spec_from_dict
from simulator.engine import simulate_totals
from simulator.hardware import hardware_from_dict
from simulator.schema import TOTAL_NAMES
from workloads.errors import InputError
from workloads.io import read_structured
from workloads.registry import load_workload

ROOT = Path(__file__).absolute().parents[2]
INT4 = str(ROOT / "hwconfigs" / "int4.yaml")


def small(**over) -> dict:
    d = {"name": "small", "base": INT4,
         "axes": {"array.rows": [16, 32], "array.cols": {"tie": "array.rows"},
                  "dram.bandwidth_gbps": [12.8, 25.6]},
         "workloads": ["deit_tiny-w4a4"], "objectives": ["latency_us", "energy_uj"]}
    d.update(over)
    return d


def write_spec(tmp_path: Path, d: dict, name: str = "spec.yaml") -> Path:
    import yaml

    p = tmp_path / name
    p.write_text(yaml.safe_dump(d))
    return p


# ----------------------------------------------------------------------------- spec
def test_axis_forms_expand():
    """range [16, 64, 16] -> 16 32 48 64; log_range [8, 64] factor 2 -> 8 16 32 64;
    log_range [1, 100] num 3 -> 1 10 100; tie with scale 2 -> cols = 2 x rows; choices keep labels."""
    spec = spec_from_dict(small(axes={
        "array.rows": {"range": [16, 64, 16]},
        "array.cols": {"tie": "array.rows", "scale": 2},
        "buffers.weight_kib": {"log_range": [8, 64], "factor": 2},
        "dram.bandwidth_gbps": {"log_range": [1, 100], "num": 3},
        "array.dataflow": {"choices": {"output": "os", "weight": "ws"}},
    }))
    ax = {a.path: a for a in spec.axes}
    assert ax["array.rows"].values == (16, 32, 48, 64)
    assert ax["buffers.weight_kib"].values == (8, 16, 32, 64)
    assert ax["dram.bandwidth_gbps"].values == (1, 10, 100)
    assert ax["array.dataflow"].labels == ("output", "weight")
    assert spec.grid_size == 4 * 4 * 3 * 2 == spec.n_designs
    labels, values = spec.design(spec.grid_size - 1)  # the last design: every axis at its last value
    assert labels == (64, 128, 64, 100, "weight") and values == (64, 128, 64, 100, "ws")
    hw = spec.design_mapping(values)
    assert hw["array"] == {"rows": 64, "cols": 128, "dataflow": "ws"}
    assert spec.base["array"]["rows"] == 64 and spec.base["array"]["dataflow"] == "os"  # base untouched


def test_grid_covers_every_design_once_and_random_is_seeded_subset():
    spec = spec_from_dict(small(axes={"array.rows": [8, 16, 32], "array.cols": [8, 16],
                                      "array.dataflow": ["os", "ws", "is"]}))
    grid = [spec.design(i)[0] for i in spec.design_indices()]
    assert len(grid) == len(set(grid)) == 18
    rnd = spec_from_dict(small(axes={"array.rows": [8, 16, 32], "array.cols": [8, 16],
                                     "array.dataflow": ["os", "ws", "is"]}, sampling="random", samples=7, seed=3))
    a = list(rnd.design_indices())
    assert a == list(rnd.design_indices()) and len(set(a)) == 7 and set(a) <= set(range(18))
    other = spec_from_dict(small(axes={"array.rows": [8, 16, 32], "array.cols": [8, 16],
                                       "array.dataflow": ["os", "ws", "is"]}, sampling="random", samples=7, seed=4))
    assert list(other.design_indices()) != a


def test_bad_axis_path_names_it():
    with pytest.raises(InputError, match=r"axes\.array\.rowz") as e:
        spec_from_dict(small(axes={"array.rowz": [1, 2]}), "s.yaml")
    assert str(e.value).startswith("s.yaml: ")
    with pytest.raises(InputError, match=r"axes\.freq_mhz\.x.*freq_mhz is a int"):
        spec_from_dict(small(axes={"freq_mhz.x": [1, 2]}), "s.yaml")
    with pytest.raises(InputError, match=r"axes\.array\.dataflow.*'xs'"):
        spec_from_dict(small(axes={"array.dataflow": ["os", "xs"]}), "s.yaml")
    with pytest.raises(InputError, match=r"axes\.array\.cols\.tie"):
        spec_from_dict(small(axes={"array.cols": {"tie": "array.rows"}}), "s.yaml")


def test_spec_errors_are_one_line_with_field(tmp_path):
    cases = [({"constraints": ["area_mm3 <= 5"]}, r"constraints\[0\]: unknown metric 'area_mm3'"),
             ({"constraints": ["power_w << 5"]}, r"constraints\[0\]: cannot parse"),
             ({"objectives": ["latency_us", "speed"]}, r"objectives\[1\]: unknown metric 'speed'"),
             ({"workloads": ["no_such_net"]}, r"workloads\[0\] \(no_such_net\)"),
             ({"sampling": "sobol"}, r"sampling: unknown value"),
             ({"sampling": "random"}, r"samples: random sampling needs"),
             ({"colour": 1}, r"colour: unknown field"),
             ({"axes": {"array.rows": {"range": [64, 16, 8]}}}, r"axes\.array\.rows\.range"),
             ({"axes": {"array.rows": [16, "a"]}}, r"axes\.array\.rows: mixed value types")]
    for over, pattern in cases:
        p = write_spec(tmp_path, small(**over))
        with pytest.raises(InputError, match=pattern) as e:
            load_spec(p)
        assert str(p) in str(e.value) and "\n" not in str(e.value)


def test_base_path_relative_to_spec_and_models_x_recipes(tmp_path):
    d = small(base="../hwconfigs/int4.yaml", workloads=[], models=["deit_tiny"], recipes=["w8a8", "w4a4"])
    sub = ROOT / "sweeps"
    spec = spec_from_dict(d, str(sub / "x.yaml"), base_dir=sub)
    assert [w.label for w in spec.workloads] == ["deit_tiny-w8a8", "deit_tiny-w4a4"]
    assert spec.n_points == 4 * 2


def test_set_path_copies_only_the_path():
    base = {"a": {"b": 1, "c": [{"x": 1}, {"x": 2}]}, "d": {"e": 2}}
    new = set_path(base, "a.c.1.x", 9)
    assert new["a"]["c"][1]["x"] == 9 and base["a"]["c"][1]["x"] == 2
    assert new["d"] is base["d"]
    with pytest.raises(InputError, match=r"axes\.a\.c\.7.*not an index"):
        set_path(base, "a.c.7", 1)


# ----------------------------------------------------------------------------- results
def test_rows_match_direct_simulation_and_bound_mix():
    """Independent method: modify the YAML mapping by hand, validate, simulate_totals."""
    spec = spec_from_dict(small())
    df = evaluate(spec, workers=0)
    assert len(df) == 4 and df["point_id"].is_unique
    base = read_structured(INT4)
    w = load_workload("deit_tiny-w4a4")
    for _, r in df.iterrows():
        d = {**base, "array": {**base["array"], "rows": int(r["array.rows"]), "cols": int(r["array.rows"])},
             "dram": {**base["dram"], "bandwidth_gbps": float(r["dram.bandwidth_gbps"])}}
        t = simulate_totals(w, hardware_from_dict(d, "hand"))
        numeric = {k: v for k, v in t.items() if isinstance(v, (int, float))}
        assert numeric and set(numeric) <= set(df.columns)
        for k, v in numeric.items():
            assert r[k] == pytest.approx(v, rel=1e-12), k
        assert r["stall_frac"] == pytest.approx(t["stall_cycles"] / t["total_cycles"])
        # total = compute + stall - vector cycles hidden under the array (int4.yaml's overlap is derived: auto)
        hidden = t["overlap_hidden_cycles"] / t["total_cycles"]
        assert r["compute_frac"] + r["stall_frac"] - hidden == pytest.approx(1.0)
        assert r["point_id"] == point_id((r["array.rows"], r["array.cols"], r["dram.bandwidth_gbps"]),
                                         "deit_tiny-w4a4")


def test_constraints_filter():
    """feasible == every constraint holds on that row's own totals; the middle bound splits the rows."""
    probe = evaluate(spec_from_dict(small()), workers=0)
    bound = float(probe["power_w"].median())
    spec = spec_from_dict(small(constraints=[f"power_w <= {bound!r}", "array.rows >= 16"]))
    df = evaluate(spec, workers=0)
    assert (df["feasible"] == (df["power_w"] <= bound)).all()
    assert 0 < df["feasible"].sum() < len(df)
    from analysis.pareto import Objective, pareto_front

    front = pareto_front(df, [Objective("latency_us"), Objective("energy_uj")])
    assert front["feasible"].all()


def test_design_that_cannot_run_is_an_error_row_not_a_crash():
    """An integer-only PE cannot run an FP16 network -> an error row (NaN totals, infeasible); an FP16 PE runs
    INT8 layers exactly (promoted), so that pair is fine."""
    spec = spec_from_dict(small(axes={"pe": {"choices": {
        "int": read_structured(INT4)["pe"],
        "fp16": {"type": "float", "acc_bits": 32, "precisions": [{"dtype": "fp", "w_bits": 16, "a_bits": 16}]}}}},
        workloads=["deit_tiny-fp16", "deit_tiny-w8a8"]))
    df = evaluate(spec, workers=0)
    bad = df[df["error"] != ""]
    assert list(zip(bad["pe"], bad["workload"])) == [("int", "deit_tiny-fp16")]
    assert not bad["feasible"].any() and bad["latency_us"].isna().all()


INT8 = str(hwconfigs.find("int8"))
FP16_PE = {"type": "float", "acc_bits": 32, "precisions": [{"dtype": "fp", "w_bits": 16, "a_bits": 16}]}


def test_base_that_cannot_run_the_workload_loads_and_the_axis_fixes_it():
    """Base int8 (integer PEs only) with an FP16 workload: the spec loads (the loader validates the base, it does not
    simulate it); the int8 design is an error row (no PE mode wide enough), the fp16 design has finite totals equal
    to simulate_totals of its own mapping."""
    int8_pe = read_structured(INT8)["pe"]
    assert int8_pe["type"] == "fixed" and [p["w_bits"] for p in int8_pe["precisions"]] == [8]
    spec = spec_from_dict(small(base=INT8, axes={"pe": {"choices": {"int8": int8_pe, "fp16": FP16_PE}}},
                                workloads=["deit_tiny-fp16"]))
    assert spec.n_points == 2
    df = evaluate(spec, workers=0).set_index("pe")
    assert sorted(df.index) == ["fp16", "int8"]
    assert "no PE mode is wide enough" in df.loc["int8", "error"]
    assert not df.loc["int8", "feasible"] and np.isnan(df.loc["int8", "latency_us"])
    assert df.loc["fp16", "error"] == ""
    fp16 = df.loc["fp16", list(TOTAL_NAMES)].astype(float)
    assert np.isfinite(fp16.to_numpy()).all()
    t = simulate_totals(load_workload("deit_tiny-fp16"),
                        hardware_from_dict(spec.design_mapping(spec.design(spec.axis("pe").labels.index("fp16"))[1])))
    assert {k: fp16[k] for k in TOTAL_NAMES} == {k: float(t[k]) for k in TOTAL_NAMES}


def _no_ppu_lanes(path: str) -> dict:
    d = read_structured(path)
    d["ppu"] = {k: v for k, v in d["ppu"].items() if k != "lanes"}
    return d


@pytest.mark.parametrize("base", ["file", "no_ppu_lanes"])
def test_stored_totals_equal_simulate_totals_on_the_design_mapping(base, tmp_path):
    """Numeric axes (batch columns) and structural axes (variants) together: a handful of designs' stored (Parquet)
    totals are exactly (==) simulate_totals of hardware_from_dict(spec.design_mapping(values)). ``no_ppu_lanes``: the
    base sets no ppu.lanes, so the PPU has array.cols lanes in every design (hardware_from_dict's default)."""
    raw = INT8 if base == "file" else _no_ppu_lanes(INT8)
    spec = spec_from_dict(small(base=raw, axes={
        "array.rows": [6, 24], "array.cols": [20, 64], "buffers.weight_kib": [3.5, 96],
        "dram.bandwidth_gbps": [6.4, 25.6], "freq_mhz": [700, 1250.5],
        "array.dataflow": ["os", "ws", "is"], "nonlinear.gelu": ["float", "lut"]}, workloads=["deit_tiny-w8a8"]))
    assert spec.grid_size == 2 ** 5 * 3 * 2
    assert ("lanes" in spec.base["ppu"]) == (base == "file")
    summary = run_sweep(spec, tmp_path / "r.parquet", workers=0, progress=False)
    assert summary.points_run == spec.n_points == summary.points_total
    df = read_results(tmp_path / "r.parquet").set_index("design").sort_index()
    assert list(df.index) == list(range(spec.grid_size)) and (df["error"] == "").all()
    w = load_workload("deit_tiny-w8a8")
    picked = [0, 1, 13, 50, 77, 101, 150, spec.grid_size - 1]
    for index in picked:
        labels, values = spec.design(index)
        hw = hardware_from_dict(spec.design_mapping(values), "hand")
        assert hw.ppu.lanes == (64 if base == "file" else hw.array.cols)
        t = simulate_totals(w, hw)
        row = df.loc[index]
        assert tuple(row[a.path] for a in spec.axes) == labels
        assert {k: float(row[k]) for k in TOTAL_NAMES} == {k: float(t[k]) for k in TOTAL_NAMES}, (index, labels)
    # PPU area follows array.cols exactly when the base leaves ppu.lanes out
    small_cols = df[df["array.cols"] == 20]["area_ppu_mm2"]
    full_cols = df[df["array.cols"] == 64]["area_ppu_mm2"]
    assert (small_cols.max() < full_cols.min()) == (base == "no_ppu_lanes")


def test_pool_equals_inline():
    spec = spec_from_dict(small(axes={"array.rows": [8, 16, 32, 64], "array.cols": {"tie": "array.rows"},
                                      "array.dataflow": ["os", "ws", "is"]}))
    a = evaluate(spec, workers=0)
    b = evaluate(spec, workers=2, chunk_size=2)
    pd.testing.assert_frame_equal(a, b)


def test_dask_local_cluster_equals_local_pool(tmp_path):
    distributed = pytest.importorskip("distributed")
    spec = spec_from_dict(small(axes={"array.rows": [8, 16, 32, 64], "array.cols": {"tie": "array.rows"},
                                      "array.dataflow": ["os", "ws", "is"]},
                                workloads=["deit_tiny-w4a4", "deit_tiny-w8a8"]))
    local = run_sweep(spec, tmp_path / "local.parquet", workers=2, chunk_size=3, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        dask = run_sweep(spec, tmp_path / "dask.parquet", scheduler=cluster.scheduler_address, chunk_size=3,
                         progress=False)
    assert local.points_run == dask.points_run == spec.n_points == 24
    a = read_results(tmp_path / "local.parquet").sort_values("point_id").reset_index(drop=True)
    b = pd.read_parquet(tmp_path / "dask.parquet").sort_values("point_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_output_exists_needs_resume_or_force_and_resume_needs_same_spec(tmp_path):
    out = tmp_path / "r.parquet"
    spec = spec_from_dict(small())
    run_sweep(spec, out, workers=0, progress=False)
    with pytest.raises(InputError, match="already exists"):
        run_sweep(spec, out, workers=0, progress=False)
    s = run_sweep(spec, out, workers=0, progress=False, resume=True)
    assert (s.points_run, s.points_skipped) == (0, 4)
    other = spec_from_dict(small(base=str(ROOT / "hwconfigs" / "int8.yaml"), workloads=["deit_tiny-w8a8"]))
    with pytest.raises(InputError, match="different spec"):
        run_sweep(other, out, workers=0, progress=False, resume=True)
    s = run_sweep(other, out, workers=0, progress=False, force=True)
    assert s.points_run == 4 and len(read_results(out)) == 4


def test_resume_after_extending_an_axis_is_refused_naming_the_axes(tmp_path):
    """Axis values are part of the fingerprint (a stored row's ``design`` index depends on them): a resume with
    an extended axis is refused and names what changed; the stored rows stay; --force starts fresh."""
    out = tmp_path / "r.parquet"
    run_sweep(spec_from_dict(small()), out, workers=0, progress=True)  # the rich bar runs (on stderr)
    bigger = spec_from_dict(small(axes={"array.rows": [16, 32, 64], "array.cols": {"tie": "array.rows"},
                                        "dram.bandwidth_gbps": [12.8, 25.6]}))
    with pytest.raises(InputError, match=r"changed: axes\)"):
        run_sweep(bigger, out, workers=0, progress=False, resume=True)
    assert len(read_results(out)) == 4
    s = run_sweep(bigger, out, workers=0, progress=False, force=True)
    assert (s.points_run, s.points_skipped) == (6, 0)
    df = read_results(out)
    assert len(df) == 6 and df["point_id"].is_unique


KILL_SCRIPT = textwrap.dedent("""
    import sys
    from analysis.sweep import load_spec, run_sweep
    run_sweep(load_spec(sys.argv[1]), sys.argv[2], workers=2, chunk_size=4, flush_rows=8, flush_seconds=0.05,
              progress=False, resume=True)
""")


def test_killed_sweep_resumes_with_every_point_exactly_once(tmp_path):
    """SIGKILL the whole process group while parts are being written, twice; then resume to the end.

    The result must hold each of the spec's points exactly once, no temporary files, and rows equal to an
    uninterrupted in-memory run."""
    spec_path = write_spec(tmp_path, small(axes={"array.rows": {"range": [8, 256, 8]},
                                                 "array.cols": {"tie": "array.rows"},
                                                 "array.dataflow": ["os", "ws", "is"],
                                                 "dram.bandwidth_gbps": [12.8, 25.6, 51.2]},
                                           workloads=["deit_tiny-w4a4", "deit_tiny-w8a8"]))
    spec = load_spec(spec_path)
    out = tmp_path / "r.parquet"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    for min_parts in (2, 6):
        proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(spec_path), str(out)], env=env,
                                start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline and len(list(out.glob("part-*.parquet"))) < min_parts and proc.poll() is None:
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL, "the sweep finished before it could be killed"
    stored = read_results(out)
    assert 0 < len(stored) < spec.n_points and stored["point_id"].is_unique
    (out / ".tmp-part-fake.parquet").write_bytes(b"half a file")  # as a kill mid-write leaves behind
    s = run_sweep(spec, out, workers=0, progress=False, resume=True)
    assert s.points_skipped == len(stored) and s.points_run == spec.n_points - len(stored)
    assert not list(out.glob(".tmp-*"))
    df = read_results(out)
    assert len(df) == spec.n_points and df["point_id"].is_unique
    ref = evaluate(spec, workers=0)
    got = df.sort_values(["design", "workload"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, ref)


# ----------------------------------------------------------------------------- CLI
def _cli(*args, cwd=ROOT):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "analysis", *args], check=False, capture_output=True, text=True, cwd=cwd,
                          env=env)


def test_cli_sweep_then_pareto(tmp_path):
    spec = write_spec(tmp_path, small(constraints=["power_w <= 100"]))
    out = tmp_path / "r.parquet"
    r = _cli("sweep", str(spec), "-o", str(out), "--workers", "1")
    assert r.returncode == 0, r.stderr
    assert "4 points run" in r.stdout
    r = _cli("pareto", str(out), "--format", "json")
    assert r.returncode == 0, r.stderr
    import json

    front = json.loads(r.stdout)["front"]
    assert front and {"array.rows", "latency_us", "energy_uj"} <= set(front[0])


def test_cli_bad_axis_is_one_line_exit_2(tmp_path):
    spec = write_spec(tmp_path, small(axes={"array.rowz": [1, 2]}))
    r = _cli("sweep", str(spec), "-o", str(tmp_path / "r.parquet"))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "axes.array.rowz" in r.stderr
    assert not (tmp_path / "r.parquet").exists()


@pytest.mark.parametrize("path", sorted((ROOT / "sweeps").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_specs_load(path):
    spec = load_spec(path)
    objectives = {o.removeprefix("max:") for o in spec.objectives}    # max:top1 maximizes top1
    assert spec.n_points > 0 and spec.objectives and objectives <= set(spec.metric_names())


def test_workload_files_resolve_beside_the_spec(tmp_path, monkeypatch):
    """A relative workload path in a spec file is read beside the spec, whatever the working directory."""
    from workloads.registry import load_workload

    (tmp_path / "specs").mkdir()
    load_workload("deit_tiny-w4a4").save(tmp_path / "specs" / "mine.yaml")
    p = write_spec(tmp_path / "specs", small(workloads=["mine.yaml"]))
    monkeypatch.chdir(tmp_path)                      # mine.yaml is not in the working directory
    spec = load_spec(p)
    assert spec.workloads[0].label == "mine"
    assert spec.workloads[0].spec == str(tmp_path / "specs" / "mine.yaml")
    assert len(evaluate(spec, workers=0)) == spec.n_points
