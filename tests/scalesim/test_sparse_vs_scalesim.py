"""SCALE-Sim 3.0's sparse layers (``[sparsity]`` SparsitySupport true, layer-wise mapping; the topology's N:M field)
read through vitsim's .cfg and topology readers: compute cycles and ifmap/filter SRAM reads identical to SCALE-Sim's
on every dataflow, and its SPARSE_REPORT storage (original, new, metadata words) reproduced by
``simulator.model.sparsity.scalesim_storage_words`` for each SparseRep. Skipped when SCALE-Sim cannot be installed.
"""

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import ROOT, skip_or_fail

sys.path.insert(0, str(ROOT / "benchmarks"))
import vs_scalesim as V

from simulator.engine import simulate_layer
from simulator.hardware import hardware_from_dict
from simulator.model.sparsity import scalesim_storage_words
from simulator.scalesim_cfg import hardware_dict_from_scalesim, parse_scalesim_cfg
from workloads.scalesim_io import parse_topology

pytestmark = [pytest.mark.scalesim, pytest.mark.slow]

TOPOLOGY = "Layer, M, N, K,\na, 20, 12, 16, 2:4,\nb, 9, 5, 7, 2:4,\nc, 6, 5, 8, 1:4,\nd, 7, 9, 24, 4:8,\n"
CASES = [("os", "ellpack_block"), ("ws", "csr"), ("is", "csc")]


def _cfg_text(df: str, rep: str) -> str:
    text = V.Config(f"sparse_{df}", 8, 8, df, 64, 8).cfg_text()
    return re.sub(r"\[sparsity\][^\[]*", f"[sparsity]\nSparsitySupport : true\nSparseRep : {rep}\n"
                  "OptimizedMapping : false\nBlockSize : 4\nRandomNumberGeneratorSeed : 40\n\n", text)


def _run(py: str, df: str, rep: str) -> tuple[list, list]:
    base = Path(tempfile.mkdtemp(prefix="scalesim_sparse_"))
    try:
        (base / "arch.cfg").write_text(_cfg_text(df, rep))
        (base / "topo.csv").write_text(TOPOLOGY)
        (base / "layout.csv").write_text("Layer, IFMAP Height, IFMAP Width,\n")
        p = subprocess.run([py, "-c", V._DRIVER, str(base / "arch.cfg"), str(base / "topo.csv"),
                            str(base / "layout.csv"), str(base / "out"), "gemm"], capture_output=True, text=True,
                           cwd=base, check=False)
        assert p.returncode == 0, p.stderr[-2000:]
        rep_dir = base / "out" / f"sparse_{df}"
        rows = [{**a, **b} for a, b in zip(V._read_report(rep_dir / "COMPUTE_REPORT.csv"),
                                           V._read_report(rep_dir / "DETAILED_ACCESS_REPORT.csv"))]
        sparse = [[x.strip() for x in line.split(",")] for line in (rep_dir / "SPARSE_REPORT.csv").read_text()
                  .splitlines()[1:] if line.strip()]
        return rows, sparse
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def scalesim_py():
    py, why = V.scalesim_python()
    if py is None:
        skip_or_fail(f"SCALE-Sim 3.0 unavailable, cross-check not run: {why}")
    return py


@pytest.mark.parametrize("df, rep", CASES)
def test_sparse_layers_identical(scalesim_py, df, rep):
    rows, sparse = _run(scalesim_py, df, rep)
    hw = hardware_from_dict(hardware_dict_from_scalesim(parse_scalesim_cfg(_cfg_text(df, rep), "x.cfg")), "x.cfg")
    layers = parse_topology(TOPOLOGY, "topo.csv")
    assert hw.sparsity.convention == "scalesim" and [x.w_sparsity for x in layers] == ["2:4", "2:4", "1:4", "4:8"]
    for layer, s, sp in zip(layers, rows, sparse):
        v = simulate_layer(layer, hw)
        assert s["Stall Cycles"] == 0
        assert v["compute_cycles"] == s["Total Cycles"], (df, layer.name)
        assert v["ifmap_sram_reads"] == s["SRAM IFMAP Reads"], (df, layer.name)
        assert v["filter_sram_reads"] == s["SRAM Filter Reads"], (df, layer.name)
        n_m = tuple(int(x) for x in layer.w_sparsity.split(":"))
        assert sp[1] == rep
        assert scalesim_storage_words(layer.k, layer.n, n_m, rep) == tuple(float(x) for x in sp[2:5]), (df, layer.name)
