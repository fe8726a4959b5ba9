"""The HTML report: hand-checked totals, every layer named, nothing fetched, every section present, and a real
render in headless Chromium that is not blank (skipped, with the reason, where ``chromium`` is not installed)."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from analysis.report.run import run_report
from simulator import load_hardware, simulate
from simulator.hardware import hardware_from_dict
from workloads import load_workload
from workloads.model import Layer, Workload

TINY_HW = {"name": "tiny", "freq_mhz": 100, "array": {"rows": 4, "cols": 4, "dataflow": "os"},
           "pe": {"type": "fixed", "acc_bits": 32, "precisions": [{"dtype": "int", "w_bits": 8, "a_bits": 8}]},
           "buffers": {"ifmap_kib": 64, "weight_kib": 64, "ofmap_kib": 64},
           "dram": {"bandwidth_gbps": 1e6, "latency_cycles": 0, "type": "lpddr4"},
           "vector": {"lanes": 4, "cycles_per_element": {"add": 1}, "overlap": "none"},   # each layer alone
           "ppu": {"lanes": 64, "scale_bits": 16, "arithmetic": "fixed"}, "tech": {"table": "horowitz45"}}
TINY = Workload("tiny", (Layer("blocks.0.fc", "gemm", m=8, n=8, k=8), Layer("blocks.0.res", "add", m=8, n=8)),
                img_size=8, batch=1)


class _Cells(HTMLParser):
    """Rows of the tables whose ``id`` starts with ``table_id``: each a list of (text, data-v)."""

    def __init__(self, table_id: str):
        super().__init__()
        self.id, self.inside, self.rows, self.cell = table_id, False, [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and (a.get("id") or "").startswith(self.id):
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag == "td":
            self.cell = ["", a.get("data-v")]

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif tag == "td" and self.cell is not None:
            self.rows[-1].append(tuple(self.cell))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[0] += data


def table_rows(html: str, table_id: str) -> list[list[tuple[str, str]]]:
    p = _Cells(table_id)
    p.feed(html)
    return [r for r in p.rows if r]


@pytest.fixture(scope="module")
def main_job():
    """The main job: DeiT-S W4A4 on int4 (``vitsim run int4``)."""
    w = load_workload("deit_small-w4a4")
    r = simulate(w, load_hardware("int4"))
    return r, w, run_report(r, w)


def test_totals_hand_checked():
    """A 8x8x8 INT8 GEMM on a 4x4 os array and a 64-element add on 4 vector lanes, 100 MHz, DRAM never waits:
    GEMM compute = folds x (K + R + C - 2) - 1 = 4 x 14 - 1 = 55 cycles; add = ceil(64 x 1 / 4) = 16 cycles;
    total 71 cycles = 0.71 us; utilization = 512 / (71 x 16 x 1) = 0.4507; gemm_utilization = 512 / (55 x 16)
    = 0.5818."""
    r = simulate(TINY, hardware_from_dict(TINY_HW, "tiny"))
    html = run_report(r, TINY)
    totals = {row[0][0]: row[1] for row in table_rows(html, "totals-")}
    assert totals["total_cycles"][0] == "71" and float(totals["total_cycles"][1]) == 71
    assert totals["gemm_cycles"][0] == "55" and totals["vector_cycles"][0] == "16"
    assert totals["compute_cycles"][0] == "71" and totals["stall_cycles"][0] == "0"
    assert float(totals["latency_us"][1]) == pytest.approx(0.71)
    assert float(totals["macs"][1]) == 512
    assert float(totals["utilization"][1]) == pytest.approx(512 / (71 * 16))
    assert float(totals["gemm_utilization"][1]) == pytest.approx(512 / (55 * 16))
    assert "GEMM layers take 77.5%" in html and "vector unit 22.5%" in html     # 55 / 71, 16 / 71


def test_html_names_every_layer_and_fetches_nothing(main_job):
    _, w, html = main_job
    names = [row[1][0] for row in table_rows(html, "layers")]
    assert names == [x.name for x in w.layers] and len(names) == 160
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.IGNORECASE), "an external src/href"
    assert not re.search(r"<link\b", html, re.IGNORECASE), "a <link> element"
    assert not re.search(r"@import|url\(\s*['\"]?\s*(?:https?:)?//", html, re.IGNORECASE), "a CSS import or remote url()"
    assert not re.search(r"<(?:script|img|iframe|embed|object)\b[^>]*\bsrc\s*=", html, re.IGNORECASE)
    assert not re.search(r"\bfetch\(|XMLHttpRequest|WebSocket", html)


def test_main_job_has_every_part(main_job):
    html = main_job[2]
    for anchor in ("totals", "time", "energy", "roofline", "precision", "layers"):
        assert f'<section id="{anchor}">' in html, anchor
    for cause in ("GEMM compute", "vector compute", "stall: filter fetch", "stall: DRAM floor"):
        assert cause in html, cause
    for part in ("MAC", "SRAM", "DRAM", "leakage"):
        assert f">{part}<" in html, part
    assert "operational intensity (ops per compulsory DRAM byte), log scale" in html
    assert "performance (TOPS), log scale" in html and "time (us)" in html and "energy (uJ)" in html
    assert "blocks.11" in html and "w4a4 32.8 TOPS" in html
    # every column's header carries its unit and meaning (schema) as hover text
    from html import escape

    from simulator.schema import LAYER_FIELDS

    for f in LAYER_FIELDS:
        meaning = re.escape(escape(f.meaning, quote=True)[:20])
        assert re.search(rf'<th[^>]*title="{f.name}[^"]*{meaning}', html), f.name


def test_promoted_layers_are_explained():
    """W4A4 on the fixed INT8 array runs at W8A8: the precision section says so, and why."""
    w = load_workload("deit_tiny-w4a4")
    html = run_report(simulate(w, load_hardware("int8")), w)
    assert "promoted layers</span>" in html
    assert "no w4a4 mode on this PE (modes: w8a8): ran in the fastest wider one, w8a8" in html


@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory):
    """A 6-design sweep (16/32/64 square arrays x os/ws) of DeiT-Ti W4A4 on int4, its results directory."""
    from analysis.sweep import run_sweep, spec_from_dict

    root = Path(__file__).resolve().parents[2]
    spec = spec_from_dict({"name": "tiny_sweep", "base": str(root / "hwconfigs" / "int4.yaml"),
                           "axes": {"array.rows": [16, 32, 64], "array.cols": {"tie": "array.rows"},
                                    "array.dataflow": ["os", "ws"]},
                           "workloads": ["deit_tiny-w4a4"], "objectives": ["latency_us", "energy_uj", "area_mm2"]},
                          "tiny_sweep")
    res = tmp_path_factory.mktemp("sweep") / "tiny.parquet"
    run_sweep(spec, res, workers=0, progress=False)
    return res


def test_compare_and_sweep_reports(tmp_path, tiny_sweep):
    from analysis.cli import main

    out = tmp_path / "cmp.html"
    assert main(["report", "int4", "--workload", "deit_tiny-w4a4", "--compare", "recipe:w8a8", "-o", str(out)]) == 0
    html = out.read_text()
    assert "Comparison:" in html and "w4a4 -&gt; w4a4" in html and "w8a8 -&gt; w8a8" in html
    out = tmp_path / "sweep.html"
    assert main(["report", "--sweep", str(tiny_sweep), "-o", str(out)]) == 0
    html = out.read_text()
    assert "Pareto fronts: deit_tiny-w4a4" in html and "The knobs that matter" in html
    assert re.search(r"\b(16x16|32x32|64x64)\b", html), "front points labelled with the array size"
    assert "latency_us (us)" in html and "area_mm2 (mm2)" in html


@pytest.mark.parametrize("args, message", [
    (["report", "int4", "-o", "r.pdf"], "a report is HTML"),
    (["report"], "a hardware config is required"),
    (["report", "int4", "--compare", "mixed"], "both a hardware and a recipe name"),
    (["report", "int4", "--sweep", "x"], "a sweep report takes only RESULTS"),
])
def test_report_bad_input(tmp_path, capsys, args, message):
    from analysis.cli import main
    from workloads.cli_common import run_main

    assert run_main(main, args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


# ------------------------------------------------------------------------------------------ Chromium
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def screenshot(html_file: Path, png: Path, height: int = 2400) -> None:
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={png}", f"--window-size=1400,{height}", html_file.resolve().as_uri()],
                   capture_output=True, timeout=120, check=False)


def not_blank(png: Path) -> tuple[float, float]:
    """(pixel standard deviation, share of non-white pixels) of a screenshot."""
    import numpy as np
    from PIL import Image

    a = np.asarray(Image.open(png).convert("L"), dtype=float)
    return float(a.std()), float((a < 245).mean())


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; .ci/run does)")
@pytest.mark.parametrize("which", ["main job", "sweep"])
def test_report_renders_in_chromium(main_job, tiny_sweep, tmp_path, which):
    """Opened from a file URL, the page paints text, charts and tables: a varied, far from white screenshot."""
    from analysis.report.sweep import sweep_report

    html_file = tmp_path / "report.html"
    html_file.write_text(main_job[2] if which == "main job" else sweep_report(tiny_sweep))
    png = tmp_path / "report.png"
    screenshot(html_file, png)
    assert png.exists(), "chromium wrote no screenshot"
    std, inked = not_blank(png)
    assert std > 10 and inked > 0.02, (std, inked)      # a blank page: 0 and 0


def test_first_screen_is_the_totals_card_and_charts(main_job):
    """The page opens with the summary: one totals card (latency, throughput, energy per image, area, what bounds
    the run, the assumptions), then the whole network's time and energy charts; the detail tables come after."""
    r, _, html = main_job
    sections = re.findall(r'<section id="([a-z]+)">', html)
    assert sections[0] == "summary" and sections.index("totals") > sections.index("roofline")
    summary = html[html.index('<section id="summary">'):html.index('<section id="time">')]
    assert len(re.findall(r'<div class="card[ "]', summary)) == 1 and "<table" not in summary and summary.count("<svg") == 2
    for label in ("latency", "throughput", "energy per image", "area", "bound by", "assumptions that move"):
        assert f">{label}" in summary, label
    # latency_us and energy_per_image_uj, 4 digits (int4 as shipped: the derived overlap and LPDDR4 at its achievable
    # fraction, 2,414,059 cycles at 1 GHz: tests/simulator/test_vector_pipelined.py)
    assert ">2,414<" in summary and ">4,567<" in summary
    assert f"{r.totals.latency_us:,.4g}" == "2,414"


def test_bound_by_hand_checked():
    """The tiny run of test_totals_hand_checked: GEMM compute 55 cycles, vector compute 16, no stalls: bound by the
    PE array at 55 / 71 = 77.5 %, then the vector unit at 16 / 71 = 22.5 %."""
    from analysis.report.summary import bound_by

    parts = bound_by(simulate(TINY, hardware_from_dict(TINY_HW, "tiny")))
    assert [p[0] for p in parts] == ["the PE array", "the vector unit"]
    assert [round(p[1], 4) for p in parts] == [round(55 / 71, 4), round(16 / 71, 4)]


def test_time_parts_add_up_with_vector_overlap():
    """int4 on DeiT-S W4A4: the vector unit runs beside the array (vector.overlap auto), so vector layers'
    compute + stalls exceed their total_cycles by overlap_hidden_cycles; the report's parts take the hidden cycles
    out (breakdown.time_parts) and add up to the run's total_cycles, layer by layer and in all."""
    from analysis.report import breakdown as B
    from simulator import load_hardware, simulate
    from workloads.resolve import resolve_workload

    d = simulate(resolve_workload("deit_small-w4a4"), load_hardware("int4")).to_dict()
    rows = d["layers"]
    cols = {k: [r[k] for r in rows] for k in rows[0]}
    assert d["totals"]["overlap_hidden_cycles"] > 0
    for i, r in enumerate(rows):
        parts = B.time_parts(cols, i)
        assert min(parts) >= 0
        assert sum(parts) == pytest.approx(r["total_cycles"], rel=1e-12, abs=1e-6)
    assert sum(sum(B.time_parts(cols, i)) for i in range(len(rows))) == pytest.approx(
        d["totals"]["total_cycles"], rel=1e-12)
