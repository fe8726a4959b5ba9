"""Sweeps over FPGA designs: the fpga_* totals are result columns only when the base has an fpga section, they equal
simulate() design by design, and ``fpga_fits == 1`` marks the designs that overflow the part infeasible."""

from __future__ import annotations

import copy

import pytest

from analysis.sweep import evaluate, spec_from_dict
from simulator import simulate
from simulator.hardware import hardware_from_dict
from simulator.schema import FPGA_TOTAL_NAMES
from workloads.errors import InputError
from workloads.registry import load_workload

BASE = {"name": "t", "freq_mhz": 300, "array": {"rows": 32, "cols": 32, "dataflow": "os"},
        "pe": {"type": "fixed", "acc_bits": 32, "precisions": [{"dtype": "int", "w_bits": 8, "a_bits": 8}]},
        "buffers": {"ifmap_kib": 256, "weight_kib": 128, "ofmap_kib": 32}, "dram": {"bandwidth_gbps": 19.2},
        "vector": {"lanes": 32}, "nonlinear": {"softmax": "integer", "gelu": "integer", "layernorm": "integer"},
        "fpga": {"device": "kv260", "mac_impl": "dsp"}}


def spec(base, constraints=("fpga_fits == 1",), objectives=("max:throughput_fps", "fpga_power_w")):
    return spec_from_dict({"name": "f", "base": base, "axes": {"array.rows": [16, 64], "array.cols": [32, 64]},
                           "workloads": ["deit_tiny-w8a8"], "constraints": list(constraints),
                           "objectives": list(objectives)}, "f.yaml")


def test_fpga_metrics_only_with_an_fpga_base():
    assert set(FPGA_TOTAL_NAMES) <= set(spec(BASE).metrics)
    plain = {k: v for k, v in BASE.items() if k != "fpga"}
    assert not set(FPGA_TOTAL_NAMES) & set(spec(plain, (), ("latency_us",)).metrics)
    with pytest.raises(InputError):      # a constraint on an FPGA total of a design that is not on an FPGA
        spec(plain)


def test_sweep_rows_match_simulate_and_fits_constrains():
    df = evaluate(spec(BASE), workers=0)
    w = load_workload("deit_tiny-w8a8")
    for _, row in df.iterrows():
        d = copy.deepcopy(BASE)
        d["array"] = {"rows": int(row["array.rows"]), "cols": int(row["array.cols"]), "dataflow": "os"}
        t = simulate(w, hardware_from_dict(d, "<t>")).totals
        for name in FPGA_TOTAL_NAMES:
            assert row[name] == pytest.approx(t[name]), name
        assert row["feasible"] == bool(t["fpga_fits"])
    # 64 x 64 INT8 = 2,048 DSPs for the MACs alone > the KV260's 1,248; 16 x 32 = 256 fits
    assert set(df["feasible"]) == {True, False}


def test_report_has_a_bar_per_resource():
    """An FPGA design's HTML report: one bar per resource and the clock, red where the part overflows; a design
    without an fpga section has no FPGA section."""
    from analysis.report.run import run_report

    w = load_workload("deit_tiny-w8a8")
    d = copy.deepcopy(BASE)
    d["array"] = {"rows": 64, "cols": 64, "dataflow": "os"}
    html = run_report(simulate(w, hardware_from_dict(d, "<t>")), w)
    assert 'id="fpga"' in html
    for label in ("DSP", "LUT", "FF", "BRAM36", "URAM", "clock"):
        assert f'aria-label="{label} ' in html
    assert "#c0392b" in html and "DOES NOT FIT: DSP" in html
    plain = {k: v for k, v in BASE.items() if k != "fpga"}
    assert 'id="fpga"' not in run_report(simulate(w, hardware_from_dict(plain, "<t>")), w)
