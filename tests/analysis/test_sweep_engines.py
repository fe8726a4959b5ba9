"""Sweeps over chips of several engines (analysis/sweep/worker.py ``_run_chips``): every row equals
``simulate_totals`` of the chip built from that design's mapping; axes reach the shared sections, the chip's own keys
and one engine's fields (``engines.N.<path>``); the screening bound refuses a chip in one line."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.sweep import run_sweep, spec_from_dict
from simulator.engine import simulate_totals
from simulator.hardware import hardware_from_dict
from workloads.errors import InputError
from workloads.resolve import resolve_workload

ROOT = Path(__file__).absolute().parents[2]
QUAD = str(ROOT / "hwconfigs" / "quad_core.yaml")
MULTI = str(ROOT / "hwconfigs" / "multi_int4_mlp_int8_attn.yaml")


@pytest.mark.parametrize("base,axes,wl", [
    (QUAD, {"array.rows": [16, 32], "dram.bandwidth_gbps": [12.8, 25.6], "split": ["rows", "batch"]},
     "deit_tiny-w8a8"),
    (MULTI, {"engines.0.array.rows": [16, 64], "engines.1.freq_mhz": [500, 1000]}, "deit_tiny-w4a8")])
def test_chip_rows_equal_simulate(tmp_path, base, axes, wl):
    spec = spec_from_dict({"name": "chips", "base": base, "axes": axes, "workloads": [wl],
                           "objectives": ["latency_us", "energy_uj"]}, "<chips>")
    s = run_sweep(spec, tmp_path / "r.parquet", workers=0, progress=False)
    assert s.points_run == spec.n_points and s.errors == 0
    df = pd.read_parquet(tmp_path / "r.parquet").sort_values("design")
    w = resolve_workload(wl)
    for _, row in df.iterrows():
        chip = hardware_from_dict(spec.design_mapping(spec.design(int(row["design"]))[1]), "<chips>")
        assert hasattr(chip, "engines")
        want = asdict(simulate_totals(w, chip))
        for m in ("latency_us", "energy_uj", "total_cycles", "dram_read_bytes", "area_mm2"):
            assert row[m] == want[m], m
    assert len(np.unique(df["latency_us"])) == spec.n_points     # every axis moves the result


def test_screen_refuses_a_chip(tmp_path):
    d = {"name": "chips", "base": QUAD, "axes": {"array.rows": [16, 32]}, "workloads": ["deit_tiny-w8a8"]}
    with pytest.raises(InputError, match="screen: true on a chip of several engines"):
        spec_from_dict({**d, "screen": True}, "<chips>")
    spec = tmp_path / "s.yaml"
    import yaml

    spec.write_text(yaml.safe_dump(d))
    out = subprocess.run([sys.executable, "-m", "analysis", "sweep", str(spec), "-o", str(tmp_path / "x.parquet"),
                          "--screen"], check=False, capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "screen" in out.stderr
    assert not (tmp_path / "x.parquet").exists()
