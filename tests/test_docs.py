"""Docs generated from code stay true: docs/columns.md is the schema's."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_columns_doc_is_fresh():
    """tools/gen_columns.py --check exits 0 only when docs/columns.md equals what the schema renders."""
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_columns.py"), "--check"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr


def test_every_result_column_is_documented():
    """Every column simulate() produces is declared in the schema (and so in docs/columns.md), and back."""
    from simulator import load_hardware, simulate
    from simulator.schema import LAYER_NAMES, TOTAL_FIELDS, TOTAL_MAPPINGS
    from workloads import load_workload

    r = simulate(load_workload("deit_tiny-w8a8"), load_hardware("int8"))
    assert list(r.columns()) == list(LAYER_NAMES)
    assert set(r.totals.to_dict()) == {f.name for f in TOTAL_FIELDS + TOTAL_MAPPINGS}
    doc = (ROOT / "docs" / "columns.md").read_text()
    missing = [n for n in LAYER_NAMES if f"`{n}`" not in doc]
    assert missing == []


def test_formats_defaults_are_fresh():
    """tools/gen_formats.py --check: docs/formats.md lists every default the loaders fill in, as they fill it."""
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_formats.py"), "--check"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr


def test_doc_figures_are_fresh():
    """tools/gen_doc_figures.py --check: the figures docs/energy.md and docs/roofline.md quote are what the code
    prints today."""
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_doc_figures.py"), "--check"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
