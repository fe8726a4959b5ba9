"""Command lines end to end: every output format, --out, and bad input (one line, exit 2, nothing written)."""

import json
import subprocess
import sys

import pytest
from conftest import HWCONFIGS, ROOT


def run(*args, cwd=None):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd or ROOT, timeout=300,
                          check=False)


def test_run_default_workload_table():
    r = run("-m", "simulator", "run", str(HWCONFIGS / "int4.yaml"))
    assert r.returncode == 0, r.stderr
    assert "blocks.11.mlp.fc2" in r.stdout and "throughput_fps" in r.stdout and "energy_uj" in r.stdout


def test_run_json_keys_and_out_dir(tmp_path):
    out = tmp_path / "res"
    r = run("-m", "simulator", "run", str(HWCONFIGS / "int8.yaml"), "--workload", "deit_tiny-w8a8", "--format", "json",
            "--out", str(out), "--batch", "2")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert set(d) == {"hardware", "workload", "layers", "totals"}
    for key in ("compute_cycles", "stall_cycles", "total_cycles", "macs", "dram_read_bytes", "dram_write_bytes",
                "sram_read_bytes", "sram_write_bytes", "utilization", "energy_pj", "name", "op", "m", "n", "k",
                "repeat", "w_bits", "a_bits"):
        assert key in d["layers"][0], key
    for key in ("total_cycles", "latency_us", "throughput_fps", "energy_uj"):
        assert key in d["totals"]
    assert d["workload"]["batch"] == 2
    assert sorted(p.name for p in out.iterdir()) == ["MANIFEST.json", "hardware.yaml", "layers.csv", "result.json"]
    assert json.loads((out / "result.json").read_text())["totals"] == d["totals"]


def test_run_csv_to_file(tmp_path):
    f = tmp_path / "layers.csv"
    r = run("-m", "simulator", "run", str(HWCONFIGS / "mixed.yaml"), "--format", "csv", "-o", str(f))
    assert r.returncode == 0, r.stderr
    lines = f.read_text().splitlines()
    assert lines[0].startswith("name,op,m,n,k") and len(lines) == 161


def test_promotion_is_reported():
    """W4A4 layers on a fixed INT8 array run at W8A8 and the table says so."""
    r = run("-m", "simulator", "run", str(HWCONFIGS / "int8.yaml"), "--workload", "deit_tiny-w4a4")
    assert r.returncode == 0, r.stderr
    assert "note:" in r.stdout and "w4a4->w8a8" in r.stdout


def test_workloads_list_and_build(tmp_path):
    r = run("-m", "workloads", "list", "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert "deit_small-w4a4" in d["zoo"] and "mixed" in d["recipes"]
    out = tmp_path / "w.json"
    r = run("-m", "workloads", "build", "deit_tiny", "--recipe", "w4a8", "-o", str(out))
    assert r.returncode == 0, r.stderr and out.exists()


def _hw(tmp_path, text):
    p = tmp_path / "hw.yaml"
    p.write_text(text)
    return str(p)


GOOD = (HWCONFIGS / "int4.yaml").read_text()


@pytest.mark.parametrize("case, args_fn, must_contain", [
    ("missing file", lambda t: ["-m", "simulator", "run", str(t / "nope.yaml")], "file not found"),
    ("wrong YAML type", lambda t: ["-m", "simulator", "run", _hw(t, GOOD.replace("rows: 64", "rows: many"))],
     "array.rows"),
    ("negative size", lambda t: ["-m", "simulator", "run", _hw(t, GOOD.replace("ifmap_kib: 256", "ifmap_kib: -1"))],
     "buffers.ifmap_kib"),
    ("unknown dataflow", lambda t: ["-m", "simulator", "run", _hw(t, GOOD.replace("dataflow: os", "dataflow: rs"))],
     "array.dataflow"),
    ("unsupported bit width", lambda t: ["-m", "simulator", "run", str(HWCONFIGS / "int8.yaml"),
                                         "--workload", "deit_tiny-fp16"], "pe.precisions"),
    ("unknown workload", lambda t: ["-m", "simulator", "run", str(HWCONFIGS / "int4.yaml"), "--workload", "no_such_net"],
     "unknown workload"),
    ("unknown model", lambda t: ["-m", "workloads", "build", "no_such_net", "-o", str(t / "w.yaml")], "unknown model"),
    ("unknown recipe", lambda t: ["-m", "workloads", "build", "deit_tiny", "--recipe", "w3a1", "-o",
                                  str(t / "w.yaml")], "unknown recipe"),
    ("bad batch", lambda t: ["-m", "simulator", "run", str(HWCONFIGS / "int4.yaml"), "--batch", "0"], "batch"),
    ("missing section", lambda t: ["-m", "simulator", "run", _hw(t, "freq_mhz: 100\n")], "array"),
    ("not a mapping", lambda t: ["-m", "simulator", "run", _hw(t, "- 1\n- 2\n")], "mapping"),
    ("bad YAML", lambda t: ["-m", "simulator", "run", _hw(t, "array: {rows: [\n")], "YAML"),
    ("unknown field", lambda t: ["-m", "simulator", "run", _hw(t, GOOD.replace("rows: 64", "rows: 64, rowz: 2"))],
     "array.rowz"),
])
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, case, args_fn, must_contain):
    out = tmp_path / "out"
    args = args_fn(tmp_path)
    if args[1] == "simulator":
        args += ["--out", str(out)]
    r = run(*args)
    assert r.returncode == 2, (case, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert must_contain in lines[0], lines[0]
    assert not out.exists() and not (tmp_path / "w.yaml").exists()


def test_imports_stay_light():
    code = ("import sys, simulator, workloads, analysis; "
            "print(','.join(m for m in ('torch', 'timm', 'matplotlib', 'dask') if m in sys.modules))")
    r = run("-c", code)
    assert r.returncode == 0 and r.stdout.strip() == "", r.stdout + r.stderr


def test_help_mentions_every_command():
    r = run("-m", "simulator", "--help")
    assert r.returncode == 0 and "run" in r.stdout
    r = run("-m", "simulator", "run", "--help")
    assert "--workload" in r.stdout and "--topology" in r.stdout and "--format" in r.stdout
