"""Every file a command writes is announced by one ``wrote FILE`` line on stderr (stdout keeps the command's own
output), and a step of several seconds says what it is doing first (``workloads.progress``)."""

from __future__ import annotations

import subprocess
import sys

import pytest

VITSIM = [sys.executable, "-c", "from analysis.cli_vitsim import entry; entry()"]


def _vitsim(*args, cwd):
    r = subprocess.run([*VITSIM, *args], capture_output=True, text=True, check=False, cwd=cwd, timeout=600)
    assert r.returncode == 0, r.stderr
    return r


@pytest.mark.parametrize("args, files", [
    (("run", "int4", "-o", "r.json"), ["r.json"]),
    (("run", "int4", "--out", "d"), ["d/"]),
    (("roofline", "--device", "int8", "--workload", "deit_small-w8a8", "--no-crossover", "-o", "rf.csv",
      "--plot", "rf.png", "--plot-time", "t.svg"), ["rf.csv", "rf.png", "t.svg"]),
    (("workloads", "list", "-o", "l.json"), ["l.json"]),
])
def test_every_written_file_is_announced(tmp_path, args, files):
    r = _vitsim(*args, cwd=tmp_path)
    wrote = [line.split()[1] for line in r.stderr.splitlines() if line.startswith("wrote ")]
    assert wrote == files
    assert all((tmp_path / f).exists() for f in files)
    assert "wrote" not in r.stdout


def test_python_api_stays_quiet(tmp_path, capsys):
    from workloads.cli_common import emit

    emit("x", str(tmp_path / "a.txt"))
    assert capsys.readouterr().err == ""


@pytest.mark.trace
@pytest.mark.slow
def test_trace_says_what_it_is_doing(tmp_path):
    r = _vitsim("trace", "deit_tiny_patch16_224", "-o", "t.yaml", cwd=tmp_path)
    assert r.stderr.splitlines()[0].startswith("tracing deit_tiny_patch16_224 (shapes only")
