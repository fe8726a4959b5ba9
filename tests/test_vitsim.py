"""The one ``vitsim`` command line: --version, light --help, each verb handed to its floor, -o FILE's suffix
choosing the format, --model/--recipe, and the shipped console script."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.cli_vitsim import VERBS, main
from workloads.version import package_version, pyproject_version

ROOT = Path(__file__).resolve().parents[1]
VITSIM = [sys.executable, "-c", "from analysis.cli_vitsim import entry; entry()"]


def vitsim(*args, cwd=None):
    return subprocess.run([*VITSIM, *args], capture_output=True, text=True, cwd=cwd or ROOT, timeout=300, check=False)


def test_version_is_the_package_version(capsys):
    assert main(["--version"]) == 0
    out = capsys.readouterr().out.strip()
    assert out == f"vitsim {package_version()}"
    assert re.fullmatch(r"vitsim \d+\.\d+\.\d+\S*", out)
    assert pyproject_version(ROOT / "pyproject.toml") == package_version()


def test_pyproject_version_reads_only_the_project_table(tmp_path):
    p = tmp_path / "pyproject.toml"
    p.write_text('[tool.x]\nversion = "9.9"\n[project]\nname = "vitsim"\nversion = "1.2.3"\n[tool.y]\n')
    assert pyproject_version(p) == "1.2.3"
    assert pyproject_version(tmp_path / "missing.toml") is None


def test_help_lists_every_verb_and_imports_nothing_heavy():
    code = ("import sys; from analysis.cli_vitsim import main; main(['--help']); "
            "print([m for m in ('numpy', 'pandas', 'numba', 'matplotlib', 'torch') if m in sys.modules])")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert r.stdout.strip().splitlines()[-1] == "[]", r.stdout
    for verb in ("run", "trace", "workloads", "roofline", "sweep", "pareto", "report"):
        assert verb in VERBS and f"  {verb}" in r.stdout


def test_verb_help_names_vitsim():
    r = vitsim("run", "--help")
    assert r.returncode == 0 and r.stdout.startswith("usage: vitsim run")
    r = vitsim("workloads", "build", "--help")
    assert r.returncode == 0 and r.stdout.startswith("usage: vitsim workloads build")


def test_unknown_verb_exit_2(capsys):
    assert main(["rnu"]) == 2
    assert "did you mean 'run'" in capsys.readouterr().err


def test_run_by_short_name_and_suffix_formats(tmp_path):
    """vitsim run int4 (the main job's table); -o x.json / -o x.csv write JSON / CSV without --format."""
    r = vitsim("run", "int4")
    assert r.returncode == 0, r.stderr
    assert "blocks.11.mlp.fc2" in r.stdout and "gemm_utilization" in r.stdout and "vector_cycles" in r.stdout
    j, c = tmp_path / "x.json", tmp_path / "x.csv"
    assert vitsim("run", "int4", "--workload", "deit_tiny-w4a4", "-o", str(j)).returncode == 0
    assert set(json.loads(j.read_text())) == {"hardware", "workload", "layers", "totals"}
    assert vitsim("run", "int4", "--workload", "deit_tiny-w4a4", "-o", str(c)).returncode == 0
    assert c.read_text().startswith("name,op,m,n,k")


def test_model_and_recipe_everywhere(tmp_path):
    r = subprocess.run([sys.executable, "-m", "simulator", "run", "int4", "--model", "deit_small", "--recipe", "w8a8",
                        "--format", "json"], capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["workload"]["recipe"] == "w8a8"
    out = tmp_path / "vit_l.yaml"
    r = subprocess.run([sys.executable, "-m", "workloads", "build", "vit_large", "--recipe", "w8a8", "-o", str(out)],
                       capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert r.returncode == 0 and out.exists(), r.stderr
    r = vitsim("roofline", "--device", "int4", "--model", "deit_tiny", "--recipe", "w4a4", "--no-crossover",
               "-o", str(tmp_path / "rf.csv"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "rf.csv").read_text().startswith("name,")


def test_workloads_list_fits_the_terminal():
    r = subprocess.run([*VITSIM, "workloads", "list"], capture_output=True, text=True, cwd=ROOT, timeout=300,
                       env={**__import__("os").environ, "COLUMNS": "80"}, check=False)
    assert r.returncode == 0, r.stderr
    assert max(map(len, r.stdout.splitlines())) <= 80


@pytest.mark.skipif(shutil.which("vitsim") is None, reason="the vitsim console script is not installed (pip install -e .)")
def test_console_script():
    r = subprocess.run(["vitsim", "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 0 and r.stdout.strip() == f"vitsim {package_version()}"
