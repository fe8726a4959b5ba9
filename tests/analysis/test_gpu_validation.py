"""docs/validation-gpu.md against the shipped timm rows: no row above the bound, the error targets, and the doc is
not stale (a representative subset of rows is recomputed from a fresh trace; the full table is written by
``python tools/validate_gpu.py``)."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

import pytest
from conftest import require_module

from analysis.gpu_validation import FILES, MAX_TARGET, MEDIAN_TARGET, evaluate, inputs_digest, load_rows, traced

require_module("timm")  # fails instead of skipping under VITSIM_REQUIRE_CROSSCHECKS=1 (CI)

DOC = Path(__file__).resolve().parents[2] / "docs" / "validation-gpu.md"

SUBSET = ("deit_tiny_patch16_224", "levit_128s", "vit_small_patch32_224", "deit_small_patch16_224",
          "swin_tiny_patch4_window7_224", "cait_xxs24_224")


def _doc_rows() -> dict:
    text = DOC.read_text()
    rows = {}
    for m in re.finditer(r"^\| (\w+) \| (\S+) \| (\d+) \| (\d+) \| ([\d,.]+) \| ([\d,.]+) \| ([\d.]+) \| ([\d,.]+) \| "
                         r"([\d.]+) \|$", text, re.MULTILINE):
        dev, model, img, batch, meas, bound, mb, exp, em = m.groups()
        rows[(dev, model, int(img))] = {"measured_over_bound": float(mb), "expected_over_measured": float(em),
                                        "bound_fps": float(bound.replace(",", "")),
                                        "expected_fps": float(exp.replace(",", ""))}
    return rows


def test_doc_covers_every_shipped_row_and_its_digest():
    rows = _doc_rows()
    shipped = load_rows()
    assert len(shipped) == len(rows)
    assert {(r.device, r.model, r.img_size) for r in shipped} == set(rows)
    assert f"Inputs digest: `{inputs_digest()}`" in DOC.read_text()


def test_no_shipped_row_beats_the_bound():
    rows = _doc_rows()
    assert max(r["measured_over_bound"] for r in rows.values()) <= 1.0


def test_expected_throughput_error_targets_per_gpu():
    rows = _doc_rows()
    for dev, _ in FILES.values():
        errs = [abs(r["expected_over_measured"] - 1) for (d, _, _), r in rows.items() if d == dev]
        assert statistics.median(errs) <= MEDIAN_TARGET, dev
    assert max(abs(r["expected_over_measured"] - 1) for r in rows.values()) <= MAX_TARGET   # every model


def test_doc_is_not_stale_on_a_traced_subset(tmp_path):
    rows = _doc_rows()
    checked = 0
    for r in load_rows():
        if r.model not in SUBSET:
            continue
        got = evaluate(r, traced(r.model, r.img_size, tmp_path))
        doc = rows[(r.device, r.model, r.img_size)]
        assert got["bound_fps"] == pytest.approx(doc["bound_fps"], rel=2e-3, abs=0.6), (r.device, r.model)
        assert got["expected_fps"] == pytest.approx(doc["expected_fps"], rel=2e-3, abs=0.6), (r.device, r.model)
        assert got["measured_over_bound"] <= 1.0
        checked += 1
    assert checked >= 4 * len(SUBSET) - 4
