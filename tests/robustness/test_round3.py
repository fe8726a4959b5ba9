"""Issue 25 (hostile inputs, round 3): one test per class of fault, each through the command line where a user
meets it. Classes: an output set written through links, unbounded inputs, tracebacks instead of one line, silent
wrong input, a documented value refused, escapes reaching a terminal or a spreadsheet, orphaned pool workers,
network use when offline is promised (tests/workloads/test_offline.py), and corpus messages naming the field
(tests/robustness/test_corpus.py)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from workloads.cli_common import run_main

ROOT = Path(__file__).absolute().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
MAINS = {"simulator": "simulator.cli", "workloads": "workloads.cli", "analysis": "analysis.cli"}


def cli(floor: str, *argv: str, env: dict | None = None) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of a floor's command line run in this process."""
    import importlib

    main = importlib.import_module(MAINS[floor]).main
    out, err = io.StringIO(), io.StringIO()
    old = {k: os.environ.get(k) for k in env or {}}
    os.environ.update(env or {})
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = run_main(main, [str(a) for a in argv])
            except SystemExit as e:  # argparse
                rc = e.code
    finally:
        for k, v in old.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    return rc, out.getvalue(), err.getvalue()


def one_line(rc: int, err: str, *needles: str, code: int = 2) -> None:
    """Exit ``code``, one line on stderr, no traceback, and the line names every one of ``needles``."""
    lines = err.strip().splitlines()
    assert rc == code and len(lines) == 1 and "Traceback" not in err, (rc, err[-2000:])
    for n in needles:
        assert n in lines[0], (n, lines[0])


def hw_yaml(tmp_path: Path, file: str = "hw.yaml", **changes) -> Path:
    """int8.yaml with ``changes`` (dotted path -> value) applied."""
    d = yaml.safe_load((ROOT / "hwconfigs" / "int8.yaml").read_text())
    for path, value in changes.items():
        node = d
        *head, last = path.split(".")
        for k in head:
            node = node[k]
        node[last] = value
    p = tmp_path / file
    p.write_text(yaml.safe_dump(d, sort_keys=False))
    return p


def small_sweep(tmp_path: Path) -> Path:
    spec = {"name": "r3", "base": str(ROOT / "hwconfigs" / "int4.yaml"), "axes": {"array.rows": [16, 32]},
            "workloads": ["deit_tiny-w8a8"], "objectives": ["latency_us", "energy_uj"]}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(spec))
    out = tmp_path / "r.parquet"
    rc, _, err = cli("analysis", "sweep", tmp_path / "s.yaml", "-o", out, "--workers", "0", "--no-progress")
    assert rc == 0, err
    return out


# ------------------------------------------------------------------------------------------------ 1. output sets
def test_an_output_set_never_follows_a_link_inside_its_directory(tmp_path):
    """``--out DIR`` over an existing set holding a link to a victim file and a dangling link: both links are
    replaced by the set's files; the victim is unchanged and nothing is created outside DIR."""
    from workloads.outputs import set_is_complete

    out = tmp_path / "set"
    assert cli("simulator", "run", "int8", "--workload", "deit_tiny-w8a8", "--out", out)[0] == 0
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    (out / "layers.csv").unlink()
    (out / "layers.csv").symlink_to("../victim")
    (out / "result.json").unlink()
    (out / "result.json").symlink_to("../created_outside")
    rc, _, err = cli("simulator", "run", "int8", "--workload", "deit_tiny-w8a8", "--out", out)
    assert rc == 0, err
    assert victim.read_text() == "keep me\n" and not (tmp_path / "created_outside").exists()
    assert not (out / "layers.csv").is_symlink() and not (out / "result.json").is_symlink()
    assert set_is_complete(out) and (out / "layers.csv").read_text().startswith("name,op,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set", "victim"]


# --------------------------------------------------------------------------------------- 2. bounded inputs
def _fifo_cases(d: Path):
    fifo = d / "in.fifo"
    os.mkfifo(fifo)
    yield "simulator", ["run", fifo, "--workload", "deit_tiny-w8a8"]
    yield "simulator", ["run", "int8", "--workload", d / "w.fifo"]
    yield "simulator", ["run", "int8", "--topology", fifo]
    yield "simulator", ["run", d / "a.fifo.cfg", "--topology", fifo]
    yield "analysis", ["sweep", fifo, "-o", d / "r.parquet", "--workers", "0"]
    yield "workloads", ["build", "deit_tiny", "--recipe", d / "r.fifo"]
    yield "analysis", ["pareto", d / "p.parquet"]


def test_inputs_are_regular_files_and_bounded_in_rows_and_memory(tmp_path):
    """Every kind of input that is a FIFO (or a device) is refused at once instead of blocking; a SCALE-Sim
    topology of a million rows, a cfg of 20,000 sections and a small Parquet part of 20 million RLE rows are
    refused before they are built, in little time and memory (a real process, its peak RSS measured)."""
    for name in ("w.fifo", "a.fifo.cfg", "r.fifo", "p.parquet"):
        os.mkfifo(tmp_path / name)
    cases = list(_fifo_cases(tmp_path))
    for floor, argv in cases:
        rc, _, err = cli(floor, *argv)
        one_line(rc, err, "FIFO")
    assert cli("simulator", "run", "/dev/zero", "--workload", "deit_tiny-w8a8")[2].count("a device") == 1
    (tmp_path / "big.json").write_text("[" + ",".join(["1"] * 1_000_001) + "]")  # 2 MB, a million values
    rc, _, err = cli("simulator", "run", "int8", "--workload", tmp_path / "big.json")
    one_line(rc, err, "big.json", "VITSIM_MAX_YAML_NODES")

    topo = tmp_path / "t.csv"
    with open(topo, "w") as f:
        f.write("Layer, M, N, K,\n" + "".join(f"l{i}, 64, 64, 64,\n" for i in range(1_000_000)))
    cfg = tmp_path / "big.cfg"
    cfg.write_text("".join(f"[s{i}]\nk = 1\n" for i in range(20_000)))
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    res = small_sweep(tmp_path)
    chunk = pa.table({"latency_us": pa.array(np.zeros(1_000_000)), "energy_uj": pa.array(np.zeros(1_000_000))})
    with pq.ParquetWriter(res / "part-zz.parquet", chunk.schema, compression="zstd") as w:
        for _ in range(20):
            w.write_table(chunk)
    assert (res / "part-zz.parquet").stat().st_size < 5e6
    probe = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
             "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); print(r.stderr)")
    for argv, needle in ((["simulator", "run", "int8", "--topology", topo], "VITSIM_MAX_LAYERS"),
                         (["simulator", "run", cfg, "--topology", topo], "VITSIM_MAX_CFG_ENTRIES"),
                         (["analysis", "pareto", res], "VITSIM_MAX_RESULT_ROWS"),
                         (["analysis", "report", "--sweep", res, "-o", tmp_path / "r.html"], "VITSIM_MAX_RESULT_ROWS")):
        t0 = time.monotonic()
        r = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", *map(str, argv)], capture_output=True,
                           text=True, env=ENV, timeout=300, check=False)
        seconds = time.monotonic() - t0
        head, *err = r.stdout.splitlines()
        rc, rss_kib = map(int, head.split())
        one_line(rc, "\n".join(err), needle)
        assert rss_kib < 600 * 1024 and seconds < 60, (argv, rss_kib, seconds)
    # above the row cap raised, pareto scans the 20M rows in batches (analysis/sweep/read.py): bounded memory
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "analysis", "pareto", str(res)],
                       capture_output=True, text=True, env={**ENV, "VITSIM_MAX_RESULT_ROWS": "30000000"}, timeout=300,
                       check=False)
    rc, rss_kib = map(int, r.stdout.splitlines()[0].split())
    assert rc == 0 and rss_kib < 600 * 1024 and time.monotonic() - t0 < 120, (r.stdout[-500:], rss_kib)


def test_parquet_reads_only_the_needed_columns(tmp_path, monkeypatch):
    import pandas as pd

    from analysis.sweep import store

    res = small_sweep(tmp_path)
    from analysis.sweep import read

    seen = []
    real = pd.read_parquet
    scan = read.scan_batches
    monkeypatch.setattr(read, "scan_batches", lambda p, columns, *a, **k: seen.append(list(columns)) or scan(
        p, columns, *a, **k))
    rc, out, err = cli("analysis", "pareto", res, "--format", "csv")
    assert rc == 0, err
    all_columns = list(real(res).columns)
    assert seen and all(set(c) < set(all_columns) for c in seen) and "latency_us" in seen[0]
    assert not any("gemm_cycles" in c for c in seen) and out.startswith("workload,array.rows,latency_us,energy_uj")
    assert store.read_results(res).equals(real(res))  # no columns asked: as pandas reads it


# -------------------------------------------------------------------------- 3. one line instead of a traceback
def test_guards_turn_every_former_traceback_into_one_line(tmp_path):
    """5,001-digit integers in YAML and JSON; output and input names longer than the system allows;
    VITSIM_MAX_FOLDS=1e400; pareto and report on parts whose objective column holds strings or lists; a report
    on an objective that is NaN everywhere (exit 0: it has no front, not a crash)."""
    big = "9" * 5001
    (tmp_path / "w.yaml").write_text(f"schema_version: 1\nmodel: x\nbatch: {big}\nlayers: []\n")
    (tmp_path / "w.json").write_text(f'{{"schema_version": 1,\n "model": "x",\n "batch": {big}}}')
    for name, line in (("w.yaml", "line 3"), ("w.json", "line 3")):
        rc, _, err = cli("simulator", "run", "int8", "--workload", tmp_path / name)
        one_line(rc, err, name, line, "4,300 digits")
    long = "n" * 300
    for argv in (["-o", tmp_path / f"{long}.json"], ["--out", tmp_path / long], ["-o", tmp_path / long / "x.json"]):
        rc, _, err = cli("simulator", "run", "int8", "--workload", "deit_tiny-w8a8", *argv)
        one_line(rc, err, "File name too long")
    for argv in (["--workload", long], ["--topology", long]):
        rc, _, err = cli("simulator", "run", "int8", *argv)
        one_line(rc, err, long[:50])
    rc, _, err = cli("simulator", "run", long)
    one_line(rc, err, long[:50])
    for value in ("1e400", "9" * 5001, "inf"):
        rc, _, err = cli("simulator", "run", "int8", "--workload", "deit_tiny-w8a8", env={"VITSIM_MAX_FOLDS": value})
        one_line(rc, err, "VITSIM_MAX_FOLDS")

    import pyarrow as pa
    import pyarrow.parquet as pq

    res = small_sweep(tmp_path)
    table = pq.read_table(res)
    i = table.schema.get_field_index("latency_us")
    for bad in (pa.array(["=1+1"] * len(table)), pa.array([[1.0, 2.0]] * len(table))):
        part = res / "part-bad.parquet"
        pq.write_table(table.set_column(i, "latency_us", bad), part)
        for argv in (["pareto", res], ["report", "--sweep", res, "-o", tmp_path / "r.html"]):
            rc, _, err = cli("analysis", *argv)
            one_line(rc, err, "part-bad.parquet", "latency_us")
        part.unlink()
    for p in res.glob("part-*.parquet"):
        p.unlink()
    pq.write_table(table.set_column(i, "latency_us", pa.nulls(len(table), pa.float64())), res / "part-nan.parquet")
    rc, _, err = cli("analysis", "report", "--sweep", res, "-o", tmp_path / "nan.html")
    assert rc == 0 and (tmp_path / "nan.html").exists(), err
    rc, out, err = cli("analysis", "pareto", res)
    assert rc == 0 and "0 of 2 feasible points" in out, err


FULL_DISK = """
import errno, sys
import pyarrow.parquet as pq
real = pq.write_table
n = {"calls": 0}
def full(*a, **k):
    n["calls"] += 1
    if n["calls"] >= 2:
        raise OSError(errno.ENOSPC, "No space left on device")
    return real(*a, **k)
pq.write_table = full
import analysis.sweep
run = analysis.sweep.run_sweep
analysis.sweep.run_sweep = lambda *a, **k: run(*a, **{**k, "flush_rows": 1})  # a part per chunk: workers busy
from analysis.cli import main
from workloads.cli_common import run_main
sys.exit(run_main(main, sys.argv[1:]))
"""


def test_a_full_disk_under_a_process_pool_is_one_line(tmp_path):
    """A sweep with pool workers whose disk fills: the one-line error and nothing else on stderr (workers are
    stopped and joined before the process exits; before, a worker's traceback sometimes followed)."""
    spec = {"name": "full", "base": str(ROOT / "hwconfigs" / "int4.yaml"),
            "axes": {"array.rows": {"range": [8, 64, 8]}, "array.dataflow": ["os", "ws", "is"]},
            "workloads": ["deit_tiny-w8a8"]}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(spec))
    for i in range(3):  # the traceback was intermittent
        out = tmp_path / f"r{i}.parquet"
        r = subprocess.run([sys.executable, "-c", FULL_DISK, "sweep", str(tmp_path / "s.yaml"), "-o", str(out),
                            "--workers", "2", "--chunk-size", "1", "--no-progress"], capture_output=True, text=True,
                           env=ENV, timeout=300, check=False)
        one_line(r.returncode, r.stderr, "No space left on device", code=1)


# ------------------------------------------------------------------------------------ 4. silent wrong input
def test_silent_wrong_input_is_refused(tmp_path):
    """Duplicate keys (YAML, JSON: the line named), an empty --workload, ``-o x.json/``, ``-o o.xlsx`` and a
    bandwidth of 1e-300 GB/s: each refused in one line, nothing written."""
    text = (ROOT / "hwconfigs" / "int8.yaml").read_text()
    (tmp_path / "dup.yaml").write_text(text + "freq_mhz: 1\n")
    line = len(text.splitlines()) + 1
    rc, _, err = cli("simulator", "run", tmp_path / "dup.yaml", "--workload", "deit_tiny-w8a8")
    one_line(rc, err, "dup.yaml", f"line {line}", "duplicate key 'freq_mhz'")
    w = json.loads(json.dumps(yaml.safe_load((ROOT / "workloads" / "zoo" / "deit_tiny-w8a8.yaml").read_text())))
    text = json.dumps(w, indent=1).replace('"batch": 1,', '"batch": 1,\n "batch": 2,', 1)
    (tmp_path / "dup.json").write_text(text)
    line = text.splitlines().index(' "batch": 2,') + 1
    rc, _, err = cli("simulator", "run", "int8", "--workload", tmp_path / "dup.json")
    one_line(rc, err, "dup.json", f"line {line}", "duplicate key 'batch'")
    before = sorted(p.name for p in tmp_path.iterdir())
    for argv, needle in ((["--workload", ""], "--workload"), (["--workload", " "], "--workload"),
                         (["--workload", "deit_tiny-w8a8", "-o", f"{tmp_path}/x.json/"], "x.json/"),
                         (["--workload", "deit_tiny-w8a8", "-o", tmp_path / "o.xlsx"], ".xlsx")):
        rc, _, err = cli("simulator", "run", "int8", *argv)
        one_line(rc, err, needle)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    for field, value in (("dram.bandwidth_gbps", 1e-300), ("freq_mhz", 1e-300), ("buffers.ifmap_kib", 1e-300)):
        rc, _, err = cli("simulator", "run", hw_yaml(tmp_path, **{field: value}), "--workload", "deit_tiny-w8a8")
        one_line(rc, err, field, "is below")


# ------------------------------------------------------------------------- 5. documented words YAML reads as bools
def test_yaml_11_booleans_are_read_as_the_documented_word(tmp_path):
    """``temporal_tiling: off`` (YAML 1.1 reads False) runs as ``"off"``, the same numbers; generally any enum
    whose allowed words include on/off/yes/no/true/false takes the boolean as that word, and only then."""
    from workloads.errors import InputError, require_choice

    plain = (ROOT / "hwconfigs" / "int8.yaml").read_text()
    assert "temporal_tiling" not in plain
    (tmp_path / "quoted.yaml").write_text(plain.replace("dataflow: ws", 'dataflow: ws, temporal_tiling: "off"'))
    (tmp_path / "bare.yaml").write_text(plain.replace("dataflow: ws", "dataflow: ws, temporal_tiling: off"))
    assert yaml.safe_load((tmp_path / "bare.yaml").read_text())["array"]["temporal_tiling"] is False
    runs = []
    for name in ("quoted.yaml", "bare.yaml"):
        rc, out, err = cli("simulator", "run", tmp_path / name, "--workload", "deit_tiny-w8a8", "--format", "json")
        assert rc == 0, err
        runs.append(json.loads(out)["totals"])
    assert runs[0] == runs[1]
    assert require_choice("s", "f", False, ("auto", "off")) == "off"
    assert require_choice("s", "f", True, ("no", "yes")) == "yes"
    with pytest.raises(InputError, match="unknown value False"):
        require_choice("s", "f", False, ("os", "ws"))


# ------------------------------------------------------------------------------------------- 6. escapes
EVIL = "=HYPERLINK(\"http://x\")"


def test_no_control_character_reaches_the_terminal_and_no_csv_cell_is_a_formula(tmp_path):
    """A hardware name with escape sequences is printed with them made visible; layer names starting with = + - @
    or a tab are written with an apostrophe in every CSV vitsim writes (run, --out set, export, roofline, pareto,
    topology export), while negative numbers stay numbers; and no CSV is written anywhere but through
    workloads/csvcells.py."""
    from workloads.csvcells import csv_rows

    hw = hw_yaml(tmp_path, "evil.yaml", name="ev\x1b]0;owned\x07il\x1b[2J\u202e")
    for fmt in ("table", "csv", "json"):
        rc, out, err = cli("simulator", "run", hw, "--workload", "deit_tiny-w8a8", "--format", fmt)
        assert rc == 0 and not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", out), err
    assert "ev\\x1b]0;owned\\x07il" in cli("simulator", "run", hw, "--workload", "deit_tiny-w8a8")[1]
    rc, _, err = cli("simulator", "run", tmp_path / "no\x1b[31mfile.yaml")
    assert rc == 2 and "\x1b" not in err and "no\\x1b[31mfile.yaml" in err

    w = yaml.safe_load((ROOT / "workloads" / "zoo" / "deit_tiny-w8a8.yaml").read_text())
    starts = [EVIL, "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx"]
    for layer, name in zip(w["layers"], starts):
        layer["name"] = name
    (tmp_path / "w.yaml").write_text(yaml.safe_dump(w, sort_keys=False))
    wl = str(tmp_path / "w.yaml")
    w["layers"][len(starts) - 1]["name"] = "plain"  # SCALE-Sim rows are not quoted: a line break is refused there
    (tmp_path / "w_topo.yaml").write_text(yaml.safe_dump(w, sort_keys=False))
    rc, _, err = cli("workloads", "export", wl, "--scalesim", "-o", tmp_path / "topo.csv")
    one_line(rc, err, "line break")
    texts = {}
    for key, floor, argv in (
            ("run", "simulator", ["run", "int8", "--workload", wl, "-o", tmp_path / "run.csv"]),
            ("out", "simulator", ["run", "int8", "--workload", wl, "--out", tmp_path / "set"]),
            ("export", "workloads", ["export", wl, "--csv", "-o", tmp_path / "export.csv"]),
            ("topology", "workloads", ["export", str(tmp_path / "w_topo.yaml"), "--scalesim", "-o",
                                       tmp_path / "topo.csv"]),
            ("roofline", "analysis", ["roofline", "--device", "rtx4090", "--workload", wl, "-o",
                                      tmp_path / "roof.csv"])):
        rc, _, err = cli(floor, *argv)
        assert rc == 0, (key, err)
    for key, name in (("run", "run.csv"), ("out", "set/layers.csv"), ("export", "export.csv"),
                      ("topology", "topo.csv"), ("roofline", "roof.csv")):
        with open(tmp_path / name, newline="") as fh:  # a \r inside a quoted cell stays a \r
            texts[key] = fh.read()
    import csv

    for key, text in texts.items():
        cells = [c.lstrip(" ") for row in csv.reader(io.StringIO(text)) for c in row]
        for s, layer in zip(starts, w["layers"]):
            if key == "topology" and (layer["op"] not in ("gemm", "matmul", "conv") or s == starts[-1]):
                continue  # SCALE-Sim rows: GEMM-like layers only
            assert "'" + s in cells and s not in cells, (key, s)
        assert not [c for c in cells if c and (c[0] in "=+@\t\r" or (c[0] == "-" and not _number(c)))], key
    row = next(csv.reader(io.StringIO(csv_rows(["a", "b", "c"], [[-1.5, "-x", -3]]).splitlines()[1])))
    assert row == ["-1.5", "'-x", "-3"]

    spec = {"name": "evil", "base": str(ROOT / "hwconfigs" / "int4.yaml"),
            "axes": {"memory.activations": ["on_chip", "dram"]},
            "workloads": [{"model": "deit_tiny", "recipe": "w8a8", "label": "=cmd|x"}]}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(spec))
    assert cli("analysis", "sweep", tmp_path / "s.yaml", "-o", tmp_path / "r.parquet", "--workers", "0",
               "--no-progress")[0] == 0
    rc, out, err = cli("analysis", "pareto", tmp_path / "r.parquet", "--format", "csv", "--all")
    assert rc == 0 and "'=cmd|x" in out and "\n=cmd" not in out, err

    writers = []
    for p in [*ROOT.glob("simulator/**/*.py"), *ROOT.glob("workloads/**/*.py"), *ROOT.glob("analysis/**/*.py")]:
        if p.name != "csvcells.py" and re.search(r"\.to_csv\((?!\))|csv\.writer\(|csv\.DictWriter\(", p.read_text()):
            writers.append(str(p.relative_to(ROOT)))
    assert writers == [], f"CSV written outside workloads/csvcells.py: {writers}"


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


# ---------------------------------------------------------------------------------------------- 7. orphans
DRIVER = """
import sys
from analysis.sweep import load_spec, run_sweep
run_sweep(load_spec(sys.argv[1]), sys.argv[2], workers=2, chunk_size=1, progress=False)
"""


def test_pool_workers_die_with_their_driver(tmp_path):
    """kill -9 of a sweep's driver: its pool workers notice within a second and exit (they poll their parent)."""
    psutil = pytest.importorskip("psutil")
    spec = {"name": "long", "base": str(ROOT / "hwconfigs" / "int4.yaml"),
            "axes": {"array.rows": {"range": [8, 512, 1]}, "array.dataflow": ["os", "ws", "is"]},
            "workloads": ["deit_tiny-w8a8", "deit_small-w8a8"]}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(spec))
    p = subprocess.Popen([sys.executable, "-c", DRIVER, str(tmp_path / "s.yaml"), str(tmp_path / "r.parquet")],
                         env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        workers = []
        while time.monotonic() < deadline and len(workers) < 2:
            time.sleep(0.2)
            workers = psutil.Process(p.pid).children()
        assert len(workers) >= 2, "the pool did not start"
        time.sleep(1.0)
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=30)
        _, alive = psutil.wait_procs(workers, timeout=10)
        assert alive == [], [w.pid for w in alive]
    finally:
        if p.poll() is None:
            p.kill()
        for w in psutil.Process().children(recursive=True):
            with contextlib.suppress(psutil.Error):
                w.kill()
