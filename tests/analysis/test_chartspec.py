"""One chart spec, two renderers: the HTML report's inline SVG (analysis/report/svg.py::render) and matplotlib
(analysis/chart_mpl.py::render) show the same title, axis titles (label, unit, log marker), scale kinds and legend.

The SVG is parsed as XML: each axis title is a <text> carrying data-axis and data-scale; the matplotlib figure is
inspected through its Axes (get_xlabel, get_xscale, get_title, the legend's texts)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from analysis import chart_mpl
from analysis.chartspec import Axis, Bars, Line, Mark, Scatter
from analysis.report.svg import render as render_svg

NS = "{http://www.w3.org/2000/svg}"


def svg_view(chart) -> dict:
    """What the SVG shows: title (aria-label), {axis: (text, scale)}, legend texts."""
    root = ET.fromstring(render_svg(chart))
    axes = {t.get("data-axis"): (t.text, t.get("data-scale")) for t in root.iter(f"{NS}text") if t.get("data-axis")}
    texts = [t.text for t in root.iter(f"{NS}text")]
    return {"title": root.get("aria-label"), "axes": axes, "texts": texts}


def mpl_view(chart) -> dict:
    ax = chart_mpl.render(chart).axes[0]
    axes = {"x": (ax.get_xlabel(), ax.get_xscale())}
    if isinstance(chart, Scatter):
        axes["y"] = (ax.get_ylabel(), ax.get_yscale())
    legend = [t.get_text() for t in ax.get_legend().get_texts()] if ax.get_legend() else []
    return {"title": ax.get_title(), "axes": axes, "legend": legend}


def same(chart) -> tuple[dict, dict]:
    s, m = svg_view(chart), mpl_view(chart)
    assert s["title"] == m["title"] == chart.title
    assert s["axes"] == m["axes"]
    assert all(t in s["texts"] for t in m["legend"])      # every matplotlib legend entry is in the SVG too
    return s, m


def test_axis_text_and_scale():
    """Axis.text = label (unit)[, log scale]; a unitless axis has no brackets."""
    assert Axis("latency", "us", True).text == "latency (us), log scale"
    assert Axis("utilization").text == "utilization"
    assert (Axis("x", log=True).scale, Axis("x").scale) == ("log", "linear")


def test_scatter_both_ways():
    """Log x, linear y: both renderers print 'intensity (ops/B), log scale' and 'performance (TOPS)' and use a
    log and a linear scale; the legend entries are the spec's."""
    chart = Scatter("a roofline", Axis("intensity", "ops/B", True), Axis("performance", "TOPS"),
                    [Mark(1.0, 2.0, "#000", "tip", "qkv"), Mark(100.0, 40.0, "#f00", "", "", "square")],
                    [Line([0.1, 1e3], [1.0, 50.0], "#333", "roof", "5,4", label_at=(1e3, 50.0))],
                    [("gemm", "#000"), ("softmax", "#f00")])
    s, m = same(chart)
    assert s["axes"] == {"x": ("intensity (ops/B), log scale", "log"), "y": ("performance (TOPS)", "linear")}
    assert m["legend"] == ["gemm", "softmax"]
    assert "qkv" in s["texts"] and "roof" in s["texts"]


def test_bars_both_ways():
    """Stacked bars: a linear value axis with its unit; the series that appear in the legend of both."""
    chart = Bars.of("time per layer type", Axis("time", "us"), [("fc1", [3.0, 1.0, 0.0]), ("qkv", [2.0, 0.5, 0.0])],
                    [("compute", "#00f"), ("memory", "#f80"), ("sram", "#808")], None, lambda v, _r: f"{v:.1f} us")
    s, m = same(chart)
    assert s["axes"] == {"x": ("time (us)", "linear")}
    assert m["legend"] == ["compute", "memory"]                  # the all-zero series is left out
    assert chart.totals == ["4.0 us", "2.5 us"] and "4.0 us" in s["texts"]


def test_report_roofline_and_time_bars_both_ways():
    """The report's accelerator roofline (log-log, TOPS and ops per byte) and the roofline CLI's time bars."""
    from analysis import plots
    from analysis.devices import load_device
    from analysis.report.rooflinechart import chart_spec, roofline_of
    from analysis.roofline import analyze, apply_precision
    from simulator import load_hardware, simulate
    from workloads import load_workload
    from workloads.vit import build_preset

    w = load_workload("deit_tiny-w8a8")
    result = simulate(w, load_hardware("int8"))
    s, _ = same(chart_spec(result, roofline_of(result, w)))
    assert s["axes"]["x"] == ("operational intensity (ops per compulsory DRAM byte), log scale", "log")
    assert s["axes"]["y"] == ("performance (TOPS), log scale", "log")
    wl, prefer = apply_precision(build_preset("deit_tiny", 1), "fp16")
    rf = analyze(wl, load_device("h100_sxm"), prefer, crossover=False)
    s, _ = same(plots.time_bars_spec(rf))
    assert s["axes"]["x"][1] == "linear" and s["axes"]["x"][0].startswith("time lower bound (")
    # the roofline CLI's figure (roofline --plot): log-log, its ceilings labelled, the same in SVG
    s, m = same(plots.roofline_spec(rf))
    assert s["axes"] == {"x": ("arithmetic intensity (ops per DRAM byte), log scale", "log"),
                         "y": ("attainable performance (TOPS), log scale", "log")}
    assert "DRAM 3,350 GB/s" in s["texts"] and "memory-bound" in m["legend"]
    # --plot-precisions: one legend entry per precision, in both
    runs = [(p, analyze(*apply_precision(build_preset("deit_tiny", 1), p)[:1], load_device("h100_sxm"),
                        apply_precision(build_preset("deit_tiny", 1), p)[1], crossover=False)) for p in ("fp16", "int8")]
    s, m = same(plots.precision_spec(runs))
    assert [x.split(",")[0] for x in m["legend"]] == ["fp16", "int8"] and s["axes"]["y"][1] == "log"


@pytest.mark.parametrize("span, scale", [(1000.0, "log"), (3.0, "linear")])
def test_pareto_pair_both_ways(span, scale):
    """The sweep report's pair chart is the pareto --plot panel: an objective spanning a decade or more gets a log
    axis in both, its unit from the schema (latency_us: us), the front's designs labelled by their knob."""
    from analysis.frontchart import pair_spec
    from analysis.pareto import Objective, pareto_front

    rows = pd.DataFrame({"array.rows": [8, 16, 32, 64], "latency_us": np.geomspace(span, 1.0, 4),
                         "energy_uj": [1.0, 2.0, 4.0, 8.0]})
    objs = [Objective("latency_us"), Objective("energy_uj")]
    chart = pair_spec(rows, pareto_front(rows, objs, by=None), *objs, ["array.rows"], {})
    s, _ = same(chart)
    assert s["axes"]["x"] == ("latency_us (us)" + (", log scale" if scale == "log" else ""), scale)
    assert s["axes"]["y"] == ("energy_uj (uJ)", "linear")
    assert "64 rows" in s["texts"]
