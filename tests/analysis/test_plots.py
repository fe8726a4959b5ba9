"""Plots: every chart renders to PNG and SVG; bad suffixes are input errors; no matplotlib at import."""

import subprocess
import sys

import pytest

from analysis import plots
from analysis.devices import load_device
from analysis.roofline import analyze, apply_precision
from workloads.errors import InputError
from workloads.vit import build_preset


@pytest.fixture(scope="module")
def runs():
    dev = load_device("h100_sxm")
    out = []
    for p in ("fp16", "int8", "int4"):
        w, prefer = apply_precision(build_preset("deit_tiny", 8), p)
        out.append((p, analyze(w, dev, prefer, crossover=False)))
    return out


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_every_plot_renders(runs, tmp_path, suffix):
    rf = runs[0][1]
    files = [plots.roofline_plot(rf, tmp_path / f"r{suffix}"), plots.time_bars(rf, tmp_path / f"t{suffix}"),
             plots.precision_plot(runs, tmp_path / f"p{suffix}")]
    for f in files:
        data = f.read_bytes()
        assert len(data) > 5000
        assert data.startswith(b"\x89PNG") if suffix == ".png" else b"<svg" in data[:2000]
    assert not list(tmp_path.glob(".*tmp*"))          # written atomically: no temporary left


def test_accelerator_roofline_has_sram_roof(tmp_path):
    w, _ = apply_precision(build_preset("deit_tiny", 1), "w4a4")
    rf = analyze(w, load_device("int4"), crossover=False)
    svg = plots.roofline_plot(rf, tmp_path / "a.svg").read_text()
    assert "SRAM" in svg and "w4a4" in svg


def test_time_bars_group_layer_types(runs):
    assert plots.short_name("blocks.11.mlp.fc1") == "mlp.fc1"
    assert plots.short_name("head") == "head"
    by_op = runs[0][1].by_op()
    assert sum(sum(v.values()) for v in by_op.values()) == pytest.approx(runs[0][1].totals["latency_s_bound"])


def test_bad_suffix(runs, tmp_path):
    with pytest.raises(InputError):
        plots.roofline_plot(runs[0][1], tmp_path / "r.bmp")


def test_no_matplotlib_or_torch_at_import():
    code = ("import sys, analysis.roofline, analysis.devices, analysis.plots, analysis.empirical, "
            "analysis.cmd_roofline; print(any(m in sys.modules for m in ('matplotlib', 'torch')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
