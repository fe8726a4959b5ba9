"""A real, non-editable install works from any directory: shipped hardware configs, GPU devices, recipes and zoo
workloads are package data found by name, not files beside a checkout.

The sources are copied to a temporary directory (the checkout is not written to) and installed with
``pip install --no-deps --no-build-isolation --no-index --target SITE``: nothing is downloaded. The commands then run
from another temporary directory with ``PYTHONPATH=SITE``, and the imported packages must come from SITE.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("workloads", "simulator", "analysis", "hwconfigs")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("setuptools", reason="a --no-build-isolation install needs setuptools")
    tmp = tmp_path_factory.mktemp("install")
    src, site = tmp / "src", tmp / "site"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, src / pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                        "--no-index", "--target", str(site), str(src)],
                       capture_output=True, text=True, cwd=tmp, env=env, timeout=300, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    return site


def run_elsewhere(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(site))
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300,
                          check=False)


def test_installed_packages_are_imported_and_ship_their_data(site, tmp_path):
    code = ("import json, analysis, hwconfigs, simulator, workloads; "
            "from workloads.quantize import recipe_names; from workloads.resolve import zoo_names; "
            "print(json.dumps({'files': [m.__file__ for m in (analysis, hwconfigs, simulator, workloads)], "
            "'hw': hwconfigs.names(), 'gpus': hwconfigs.names('gpu'), 'recipes': recipe_names(), "
            "'zoo': zoo_names()}))")
    r = run_elsewhere(site, tmp_path, "-c", code)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    for f in d["files"]:
        assert Path(f).resolve().is_relative_to(site.resolve()), f"{f} is not from the install in {site}"
    assert {"int4", "int8", "tpu_v1"} <= set(d["hw"]) and "rtx4090" in d["gpus"]
    assert "w8a8" in d["recipes"] and "deit_small-w4a4" in d["zoo"]


def test_simulator_runs_a_shipped_config_by_name(site, tmp_path):
    r = run_elsewhere(site, tmp_path, "-m", "simulator", "run", "int4", "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["hardware"]["name"] == "int4-64x64-scalable" and d["workload"]["recipe"] == "w4a4"
    assert d["totals"]["total_cycles"] > 0


def test_gpu_roofline_by_name(site, tmp_path):
    r = run_elsewhere(site, tmp_path, "-m", "analysis", "roofline", "--device", "rtx4090", "--model",
                      "deit_base_patch16_224", "--precision", "int8", "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["device"]["name"] == "RTX 4090" and d["device"]["kind"] == "gpu"
    assert d["workload"]["model"] == "deit_base_patch16_224" and d["totals"]["ops"] > 0
