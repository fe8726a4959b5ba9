"""``--set KEY=VALUE`` on run, report, roofline and sweep: the change is made in the hardware mapping before it is
validated, so it gives exactly what the same change written in the YAML gives, and a wrong key or value is the
validator's one-line error naming the key."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from simulator.overrides import apply_sets, parse_sets
from workloads.errors import InputError

VITSIM = [sys.executable, "-c", "from analysis.cli_vitsim import entry; entry()"]


def _vitsim(*args, cwd=None):
    return subprocess.run([*VITSIM, *args], capture_output=True, text=True, check=False, cwd=cwd)


def test_parse_sets_reads_yaml_scalars():
    assert parse_sets(["vector.pipelined=true", "dram.bandwidth_gbps=51.2", "dram.type=lpddr5", "a.0.b=[8, 16]",
                       "x=null"]) == (("vector.pipelined", True), ("dram.bandwidth_gbps", 51.2),
                                      ("dram.type", "lpddr5"), ("a.0.b", [8, 16]), ("x", None))
    for bad in ("vector", "=1", "a..b=1", "a.b=&x 1", "a.b=*x", "a b=1"):
        with pytest.raises(InputError):
            parse_sets([bad])


def test_apply_sets_copies_only_the_path():
    base = {"vector": {"lanes": 64}, "array": {"rows": 8}}
    new = apply_sets(base, (("vector.pipelined", True), ("array.rows", 16)), "f.yaml")
    assert new == {"vector": {"lanes": 64, "pipelined": True}, "array": {"rows": 16}}
    assert base == {"vector": {"lanes": 64}, "array": {"rows": 8}}     # unchanged
    with pytest.raises(InputError, match="f.yaml: array.rows.x: array.rows is a int, not a mapping"):
        apply_sets(base, (("array.rows.x", 1),), "f.yaml")


def test_run_set_equals_edited_yaml(tmp_path, root):
    """``vitsim run int4 --set vector.pipelined=true`` has the totals of int4.yaml with ``vector: {pipelined:
    true}`` written in it, bit for bit; both differ from the unchanged design (the vector unit is not pipelined
    by default, so the change must move the latency)."""
    data = yaml.safe_load((root / "hwconfigs" / "int4.yaml").read_text())
    data["vector"]["pipelined"] = True
    edited = tmp_path / "int4_pipelined.yaml"
    edited.write_text(yaml.safe_dump(data))
    runs = [_vitsim("run", "int4", "--set", "vector.pipelined=true", "--format", "json"),
            _vitsim("run", str(edited), "--format", "json"), _vitsim("run", "int4", "--format", "json")]
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    a, b, c = (json.loads(r.stdout)["totals"] for r in runs)
    assert a == b
    assert a["latency_us"] < c["latency_us"] and a["vector_cycles"] < c["vector_cycles"]


@pytest.mark.parametrize("args, expect", [
    (("run", "int4", "--set", "vector.pipelined=maybe"), "int4.yaml: vector.pipelined: 'maybe' is not true or false"),
    (("run", "int4", "--set", "vector.pipelind=true"), "int4.yaml: vector.pipelind: unknown field"),
    (("run", "int4", "--set", "dram.bandwidth_gbps=.nan"), "int4.yaml: dram.bandwidth_gbps: nan is not a finite"),
    (("run", "int4", "--set", "vector"), "--set: vector: expected KEY=VALUE"),
    (("roofline", "--device", "int8", "--workload", "deit_small-w8a8", "--set", "array.rows=-1"),
     "int8.yaml: array.rows"),
    (("roofline", "--device", "rtx4090", "--model", "deit_small", "--set", "peaks_tops.int8=oops"),
     "peaks_tops.int8"),
    (("report", "int4", "--set", "pe.acc_bits=0", "-o", "x.html"), "int4.yaml: pe.acc_bits"),
    (("sweep", "SPEC", "-o", "r.parquet", "--set", "dram.bandwidth_gbps=-1"), "dram.bandwidth_gbps"),
])
def test_bad_set_is_one_line_naming_the_key(tmp_path, root, args, expect):
    args = tuple(str(root / "sweeps" / "deit_s_array.yaml") if a == "SPEC" else a for a in args)
    r = _vitsim(*args, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and expect in lines[0], r.stderr
    assert list(tmp_path.iterdir()) == []      # nothing written


def test_roofline_and_report_take_set(tmp_path):
    """The roofline's DRAM level follows ``--set dram.bandwidth_gbps`` (2 x the bandwidth: half the memory time
    of a memory-bound layer); the report runs with the change and says so on its page."""
    rows = []
    for bw in ("25.6", "51.2"):
        r = _vitsim("roofline", "--device", "int8", "--workload", "deit_small-w8a8", "--set",
                    f"dram.bandwidth_gbps={bw}", "--format", "json", "--no-crossover")
        assert r.returncode == 0, r.stderr
        rows.append({x["name"]: x for x in json.loads(r.stdout)["layers"]})
    mem = [n for n, x in rows[0].items() if x["bound"] == "memory" and rows[1][n]["bound"] == "memory"]
    assert mem
    for n in mem:
        assert rows[1][n]["memory_time_s"] == pytest.approx(rows[0][n]["memory_time_s"] / 2, rel=1e-4)   # the JSON keeps 5 significant digits
    out = tmp_path / "r.html"
    r = _vitsim("report", "int4", "--set", "vector.pipelined=true", "-o", str(out))
    assert r.returncode == 0 and out.exists(), r.stderr
