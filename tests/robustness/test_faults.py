"""Faults and concurrency: two sweeps on one results directory, a changed spec, damaged parts and manifests, a
full disk, symlinks, directories and special files as outputs, output sets, a failed start."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml

from analysis.sweep import load_spec, read_results, run_sweep, spec_from_dict
from workloads.cli_common import run_main
from workloads.errors import InputError, OutputError, RunError
from workloads.io import atomic_write_text, write_set
from workloads.outputs import MANIFEST, set_is_complete

ROOT = Path(__file__).absolute().parents[2]
INT4 = str(ROOT / "hwconfigs" / "int4.yaml")
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def small(**over) -> dict:
    d = {"name": "small", "base": INT4,
         "axes": {"array.rows": [16, 32], "array.cols": {"tie": "array.rows"}, "dram.bandwidth_gbps": [12.8, 25.6]},
         "workloads": ["deit_tiny-w4a4"], "objectives": ["latency_us", "energy_uj"]}
    d.update(over)
    return d


def write_spec(tmp_path: Path, d: dict, name: str = "spec.yaml") -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(d, sort_keys=False))
    return p


# ----------------------------------------------------------------------------- one writer at a time
SLOW_SWEEP = textwrap.dedent("""
    import sys
    from analysis.sweep import load_spec, run_sweep
    s = run_sweep(load_spec(sys.argv[1]), sys.argv[2], workers=0, chunk_size=1, flush_rows=1, flush_seconds=0,
                  progress=False, resume=True)
    print(s.points_run)
""")


def _big_spec(tmp_path):
    return write_spec(tmp_path, small(axes={"array.rows": {"range": [8, 256, 4]}, "array.cols": {"tie": "array.rows"},
                                            "array.dataflow": ["os", "ws", "is"]},
                                      workloads=["deit_tiny-w4a4", "deit_tiny-w8a8"]))


def test_a_second_writer_is_refused_while_the_first_runs(tmp_path):
    spec_path = _big_spec(tmp_path)
    out = tmp_path / "r.parquet"
    first = subprocess.Popen([sys.executable, "-c", SLOW_SWEEP, str(spec_path), str(out)], env=ENV,
                             stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and not list(out.glob("part-*.parquet")):
            time.sleep(0.02)
        assert first.poll() is None, "the first sweep ended before the second started"
        with pytest.raises(InputError, match=rf"being written by another sweep \(pid {first.pid} "):
            run_sweep(load_spec(spec_path), out, workers=0, progress=False, resume=True)
    finally:
        first.wait(timeout=300)
    assert first.returncode == 0
    spec = load_spec(spec_path)
    s = run_sweep(spec, out, workers=0, progress=False, resume=True)  # the lock is free again
    df = read_results(out)
    assert s.points_run == 0 and len(df) == spec.n_points and df["point_id"].is_unique


def test_two_resumes_started_together_store_each_point_once(tmp_path):
    spec_path = _big_spec(tmp_path)
    out = tmp_path / "r.parquet"
    procs = [subprocess.Popen([sys.executable, "-c", SLOW_SWEEP, str(spec_path), str(out)], env=ENV,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    codes = sorted(p.returncode for p in procs)
    refused = [err for p, (_, err) in zip(procs, results) if p.returncode != 0]
    assert codes in ([0, 0], [0, 1]), results  # both (one after the other) or one refused by the lock
    assert all("being written by another sweep" in err for err in refused)
    spec = load_spec(spec_path)
    run_sweep(spec, out, workers=0, progress=False, resume=True)
    df = read_results(out)
    assert len(df) == spec.n_points and df["point_id"].is_unique


def test_the_lock_is_released_when_its_holder_dies(tmp_path):
    spec_path = _big_spec(tmp_path)
    out = tmp_path / "r.parquet"
    p = subprocess.Popen([sys.executable, "-c", SLOW_SWEEP, str(spec_path), str(out)], env=ENV)
    deadline = time.time() + 60
    while time.time() < deadline and not list(out.glob("part-*.parquet")):
        time.sleep(0.02)
    p.kill()
    p.wait()
    spec = load_spec(spec_path)
    run_sweep(spec, out, workers=0, progress=False, resume=True)
    assert len(read_results(out)) == spec.n_points


# ----------------------------------------------------------------------------- resume against the same spec
@pytest.mark.parametrize("change, part", [
    ({"batch": 2}, "workloads"),
    ({"constraints": ["area_mm2 <= 5"]}, "constraints"),
    ({"objectives": ["latency_us", "area_mm2"]}, "objectives"),
    ({"base": str(ROOT / "hwconfigs" / "int8.yaml")}, "base"),
    ({"axes": {"array.rows": [16, 64], "array.cols": {"tie": "array.rows"}, "dram.bandwidth_gbps": [12.8, 25.6]}},
     "axes"),
])
def test_a_changed_spec_is_refused_naming_what_changed(tmp_path, change, part):
    out = tmp_path / "r.parquet"
    run_sweep(spec_from_dict(small()), out, workers=0, progress=False)
    with pytest.raises(InputError, match=rf"different spec \(changed: {part}\).*--force"):
        run_sweep(spec_from_dict(small(**change)), out, workers=0, progress=False, resume=True)
    assert len(read_results(out)) == 4


def test_an_edited_workload_file_changes_the_fingerprint(tmp_path):
    wl = yaml.safe_load((ROOT / "workloads" / "zoo" / "deit_tiny-w4a4.yaml").read_text())
    (tmp_path / "w.yaml").write_text(yaml.safe_dump(wl))
    spec_path = write_spec(tmp_path, small(workloads=[str(tmp_path / "w.yaml")]))
    out = tmp_path / "r.parquet"
    run_sweep(load_spec(spec_path), out, workers=0, progress=False)
    wl["layers"][0]["w_bits"] = 8  # same name, same label: only the content differs
    (tmp_path / "w.yaml").write_text(yaml.safe_dump(wl))
    with pytest.raises(InputError, match=r"changed: workloads\)"):
        run_sweep(load_spec(spec_path), out, workers=0, progress=False, resume=True)


# ----------------------------------------------------------------------------- damaged files
def _two_parts(tmp_path):
    spec = spec_from_dict(small())
    out = tmp_path / "r.parquet"
    run_sweep(spec, out, workers=0, progress=False, chunk_size=2, flush_rows=1, flush_seconds=0)
    parts = sorted(out.glob("part-*.parquet"))
    assert len(parts) == 2
    return spec, out, parts


def test_a_truncated_part_is_set_aside_and_its_points_rerun(tmp_path):
    spec, out, parts = _two_parts(tmp_path)
    data = parts[0].read_bytes()
    parts[0].write_bytes(data[: len(data) // 2])
    s = run_sweep(spec, out, workers=0, progress=False, resume=True)
    assert (s.points_run, s.points_skipped) == (2, 2)
    assert len(s.set_aside) == 1 and parts[0].name in s.set_aside[0]
    assert not parts[0].exists() and len(list(out.glob(".corrupt-part-*"))) == 1
    df = read_results(out)
    assert len(df) == 4 and df["point_id"].is_unique


def test_a_garbage_part_and_a_foreign_part_are_set_aside(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    spec, out, parts = _two_parts(tmp_path)
    parts[0].write_bytes(b"PAR1" + os.urandom(500) + b"PAR1")
    pq.write_table(pa.table({"point_id": [1, 2]}), parts[1])  # valid Parquet, not this spec's columns
    s = run_sweep(spec, out, workers=0, progress=False, resume=True)
    assert (s.points_run, len(s.set_aside)) == (4, 2)
    assert len(read_results(out)) == 4


def test_an_unreadable_manifest_is_set_aside_and_rewritten(tmp_path):
    spec, out, _ = _two_parts(tmp_path)
    (out / "_sweep.json").write_text('{"fingerprint": "trunc')
    s = run_sweep(spec, out, workers=0, progress=False, resume=True)
    assert s.points_run == 0 and any("_sweep.json" in x for x in s.set_aside)
    assert json.loads((out / "_sweep.json").read_text())["fingerprint"] == spec.fingerprint


def test_the_cli_reports_set_aside_files(tmp_path):
    spec, out, parts = _two_parts(tmp_path)
    parts[1].write_bytes(b"")
    spec_path = write_spec(tmp_path, small())
    import contextlib
    import io

    from analysis.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert run_main(main, ["sweep", str(spec_path), "-o", str(out), "--resume", "--workers", "0",
                               "--no-progress"]) == 0
    assert "set aside (damaged; its points ran again): " + parts[1].name in buf.getvalue()


# ----------------------------------------------------------------------------- a failed start
def test_a_failed_start_leaves_nothing_and_the_corrected_command_runs(tmp_path, monkeypatch):
    from analysis.sweep import run as run_mod

    out = tmp_path / "new" / "r.parquet"
    spec = spec_from_dict(small())

    def refuse(*a, **k):
        raise InputError("sweep", "scheduler", "cannot connect to 'tcp://nowhere:1'")

    monkeypatch.setattr(run_mod._Backend, "make", staticmethod(refuse))
    with pytest.raises(InputError, match="cannot connect"):
        run_sweep(spec, out, workers=0, progress=False, scheduler="tcp://nowhere:1")
    assert not (tmp_path / "new").exists()
    monkeypatch.undo()
    assert run_sweep(spec, out, workers=0, progress=False).points_run == 4


def test_a_failed_forced_start_keeps_the_old_results(tmp_path, monkeypatch):
    from analysis.sweep import run as run_mod

    out = tmp_path / "r.parquet"
    spec = spec_from_dict(small())
    run_sweep(spec, out, workers=0, progress=False)
    monkeypatch.setattr(run_mod._Backend, "make", staticmethod(lambda *a, **k: (_ for _ in ()).throw(
        InputError("sweep", "scheduler", "cannot connect"))))
    with pytest.raises(InputError):
        run_sweep(spec, out, workers=0, progress=False, force=True)
    assert len(read_results(out)) == 4


# ----------------------------------------------------------------------------- a full disk
def _enospc(*a, **k):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_disk_full_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "out.json"
    target.write_text("old\n")
    monkeypatch.setattr("workloads.outputs.os.fsync", _enospc)
    with pytest.raises(RunError, match="No space left on device"):
        atomic_write_text(target, "new\n")
    assert target.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_disk_full_in_a_new_directory_removes_it(tmp_path, monkeypatch):
    monkeypatch.setattr("workloads.outputs.os.fsync", _enospc)
    with pytest.raises(RunError):
        atomic_write_text(tmp_path / "a" / "b" / "out.json", "x")
    assert list(tmp_path.iterdir()) == []


def test_disk_full_during_an_out_set_keeps_the_previous_set(tmp_path, monkeypatch):
    out = tmp_path / "res"
    write_set(out, {"layers.csv": "old,1\n", "result.json": "{}\n", "hardware.yaml": "a: 1\n"})
    calls = {"n": 0}
    real = os.fsync

    def second_fails(fd):
        calls["n"] += 1
        if calls["n"] == 2:
            _enospc()
        real(fd)

    monkeypatch.setattr("workloads.outputs.os.fsync", second_fails)
    with pytest.raises(RunError):
        write_set(out, {"layers.csv": "new,2\n", "result.json": '{"new": 1}\n', "hardware.yaml": "a: 2\n"})
    assert set_is_complete(out) and (out / "layers.csv").read_text() == "old,1\n"
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "hardware.yaml", "layers.csv", "result.json"]


def test_disk_full_through_the_cli_is_one_line_exit_1(tmp_path, monkeypatch, capsys):
    from simulator.cli import main

    monkeypatch.setattr("workloads.outputs.os.fsync", _enospc)
    rc = run_main(main, ["run", "int8", "--workload", "deit_tiny-w8a8", "-o", str(tmp_path / "o.json")])
    err = capsys.readouterr().err
    assert rc == 1 and len(err.strip().splitlines()) == 1 and "No space left on device" in err
    assert list(tmp_path.iterdir()) == []


def test_disk_full_in_a_sweep_part_keeps_the_parts_written(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    spec = spec_from_dict(small())
    out = tmp_path / "r.parquet"
    real = pq.write_table
    calls = {"n": 0}

    def full_after_one(*a, **k):  # the disk stays full after the first part
        calls["n"] += 1
        if calls["n"] >= 2:
            _enospc()
        return real(*a, **k)

    monkeypatch.setattr(pq, "write_table", full_after_one)
    with pytest.raises(RunError, match="1 parts written are complete"):
        run_sweep(spec, out, workers=0, progress=False, chunk_size=1, flush_rows=1, flush_seconds=0)
    assert not list(out.glob(".tmp-*")) and len(read_results(out)) == 1
    monkeypatch.undo()
    assert run_sweep(spec, out, workers=0, progress=False, resume=True).points_run == 3


def test_a_real_small_filesystem_fills_up_cleanly(tmp_path):
    """A 64 KiB tmpfs (needs root and mount; skipped elsewhere): the write fails, nothing is left on it."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True, check=False)
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        (mnt / "out.txt").write_text("old\n")
        with pytest.raises(RunError, match="No space left on device"):
            atomic_write_text(mnt / "out.txt", "x" * 200_000)
        assert (mnt / "out.txt").read_text() == "old\n" and sorted(p.name for p in mnt.iterdir()) == ["out.txt"]
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


# ----------------------------------------------------------------------------- output places
def test_a_symlink_output_is_written_through(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    atomic_write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "made.json")
    atomic_write_text(dangling, "made")
    assert dangling.is_symlink() and (tmp_path / "made.json").read_text() == "made"


def test_a_symlink_output_through_the_cli(tmp_path):
    from simulator.cli import main

    real = tmp_path / "real.json"
    real.write_text("old")
    (tmp_path / "link.json").symlink_to(real)
    assert run_main(main, ["run", "int8", "--workload", "deit_tiny-w8a8", "-o", str(tmp_path / "link.json")]) == 0
    assert (tmp_path / "link.json").is_symlink() and json.loads(real.read_text())["totals"]["latency_us"] > 0


@pytest.mark.parametrize("place", ["dir", "fifo", "under_file", "dir_symlink"])
def test_a_directory_or_special_file_is_refused(tmp_path, place):
    if place == "dir":
        target = tmp_path / "d"
        target.mkdir()
    elif place == "fifo":
        target = tmp_path / "f"
        os.mkfifo(target)
    elif place == "under_file":
        (tmp_path / "file").write_text("keep")
        target = tmp_path / "file" / "x.json"
    else:
        (tmp_path / "d").mkdir()
        target = tmp_path / "l"
        target.symlink_to(tmp_path / "d")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(OutputError):
        atomic_write_text(target, "x")
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_out_dir_is_written_as_a_set(tmp_path):
    out = tmp_path / "res"
    write_set(out, {"a.csv": "1\n", "b.json": "{}\n"})
    assert set_is_complete(out)
    (out / "notes.txt").write_text("mine")  # other files in the directory are left alone
    write_set(out, {"a.csv": "2\n", "b.json": '{"x": 1}\n'})
    assert set_is_complete(out) and (out / "a.csv").read_text() == "2\n" and (out / "notes.txt").exists()
    (out / "a.csv").write_text("tampered\n")
    assert not set_is_complete(out)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_an_unwritable_place_is_one_line_exit_2(tmp_path, monkeypatch, capsys):
    """No permission to create the temporary file (injected: the tests may run as root)."""
    from simulator.cli import main

    def denied(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("workloads.outputs.tempfile.mkstemp", denied)
    rc = run_main(main, ["run", "int8", "--workload", "deit_tiny-w8a8", "-o", str(tmp_path / "o.json")])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "Permission denied" in err
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- names resolve predictably
def test_a_file_named_like_a_shipped_name_does_not_shadow_it(tmp_path, monkeypatch, capsys):
    """In a directory holding files called deit_tiny-w8a8, w8a8 and rtx4090, the names still mean the zoo
    workload, the shipped recipe and the GPU; a path (./name) means the file; the table says what was loaded."""
    from analysis.devices import load_device
    from simulator.cli import main
    from workloads.quantize import load_recipe
    from workloads.resolve import resolve_workload

    monkeypatch.chdir(tmp_path)
    for name in ("deit_tiny-w8a8", "w8a8", "rtx4090", "int8"):
        (tmp_path / name).write_text("not: [what you want\n")
    assert resolve_workload("deit_tiny-w8a8").model == "deit_tiny_patch16_224"
    assert load_recipe("w8a8").name == "w8a8"
    assert load_device("rtx4090").name == "RTX 4090"
    with pytest.raises(InputError, match=r"^w8a8: line 2: not valid YAML"):  # the file, read as a path
        load_recipe("./w8a8")
    assert run_main(main, ["run", "int8", "--workload", "deit_tiny-w8a8"]) == 0
    out = capsys.readouterr().out
    assert "loaded: hardware: shipped config int8 (" in out and "workload: zoo workload deit_tiny-w8a8 (" in out
