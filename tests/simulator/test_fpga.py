"""FPGA resources (simulator/fpga/): hand-computed packing, memory blocks and fits; power by its formula; the
device tables; bad input as one line naming the field; and nothing changes for a design without an fpga section."""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from simulator.fpga.devices import DEVICE_COLUMNS, costs, shipped_devices
from simulator.fpga.resources import PackError, fpga_power_w, fpga_use, luts_per_mac, macs_per_dsp, memory_blocks
from simulator.fpga.totals import fit_lines, fpga_totals
from simulator.hardware import ConfigError, hardware_from_dict

ROOT = Path(__file__).resolve().parents[2]
BASE = {"name": "t", "freq_mhz": 300, "array": {"rows": 32, "cols": 32, "dataflow": "os"},
        "pe": {"type": "fixed", "acc_bits": 32, "precisions": [{"dtype": "int", "w_bits": 8, "a_bits": 8}]},
        "buffers": {"ifmap_kib": 64, "weight_kib": 64, "ofmap_kib": 16}, "dram": {"bandwidth_gbps": 19.2},
        "vector": {"lanes": 32}, "nonlinear": {"softmax": "integer", "gelu": "integer", "layernorm": "integer"}}


def hw_with(fpga=None, **changes):
    d = copy.deepcopy(BASE)
    for k, v in changes.items():
        d[k] = v
    if fpga is not None:
        d["fpga"] = fpga
    return hardware_from_dict(d, "<test>")


# ------------------------------------------------------------------------------------------------ packing
def test_int8_32x32_uses_512_dsps_for_the_macs():
    """32 x 32 PEs x 1 INT8 MAC = 1,024 MACs per cycle; two INT8 MACs per DSP48E2 (WP486): 1,024 / 2 = 512."""
    use = fpga_use(hw_with({"device": "zcu102", "mac_impl": "dsp"}))
    assert use.parts["macs"] == {"dsp": 512}
    assert use.macs_per_dsp == {"w8a8": 2.0}


@pytest.mark.parametrize("kind,w,a,k", [
    ("dsp48e2", 4, 4, 4), ("dsp48e2", 8, 8, 2), ("dsp48e2", 4, 8, 2), ("dsp48e2", 16, 16, 1), ("dsp48e2", 18, 27, 1),
    ("dsp48e2", 32, 32, 1 / 4),      # ceil(32/27) * ceil(32/18) = 2 * 2 DSPs per MAC
    ("dsp48e2", 16, 32, 1 / 2),      # 16 <= 18 and ceil(32/27) = 2 (the better operand order)
    ("dsp58", 8, 8, 3), ("dsp58", 24, 27, 1), ("intel_vp", 8, 8, 2), ("intel_vp", 18, 19, 2), ("intel_vp", 27, 27, 1)])
def test_macs_per_dsp_by_kind_and_bits(kind, w, a, k):
    assert macs_per_dsp(kind, "int", w, a) == pytest.approx(k)


def test_unpackable_precisions_raise():
    with pytest.raises(PackError):
        macs_per_dsp("dsp48e2", "fp", 16, 16)
    with pytest.raises(PackError):             # ceil(48/27) * ceil(48/18) = 2 * 3 = 6 DSPs per MAC > 4
        macs_per_dsp("dsp48e2", "int", 48, 48)


def test_multi_mode_pe_takes_the_most_demanding_mode():
    """Modes w4a4 at p = 2 and w8a8 at p = 1 on 16 x 16: 512 / 4 = 128 and 256 / 2 = 128 DSPs; p = 4 for w4a4:
    1,024 / 4 = 256 > 128."""
    pe = {"type": "fixed", "acc_bits": 32, "precisions": [{"dtype": "int", "w_bits": 4, "a_bits": 4, "macs_per_cycle": 4},
                                                          {"dtype": "int", "w_bits": 8, "a_bits": 8}]}
    use = fpga_use(hw_with({"device": "zcu102", "mac_impl": "dsp"}, pe=pe, array={"rows": 16, "cols": 16,
                                                                               "dataflow": "os"}))
    assert use.parts["macs"]["dsp"] == 256


def test_versal_int8_packs_three():
    """DSP58 INT8 dot product: ceil(1,024 / 3) = 342 DSPs."""
    assert fpga_use(hw_with({"device": "vck190", "mac_impl": "dsp"})).parts["macs"] == {"dsp": 342}


def test_lut_macs():
    """w4a4, acc 16: 4 * 4 + 16 = 32 LUTs and 4 + 4 + 16 = 24 FFs per MAC; 32 x 32 MACs: 32,768 LUTs, 24,576 FFs."""
    assert luts_per_mac("int", 4, 4, 16) == (32.0, 24.0)
    pe = {"type": "fixed", "acc_bits": 16, "precisions": [{"dtype": "int", "w_bits": 4, "a_bits": 4}]}
    use = fpga_use(hw_with({"device": "zcu102", "mac_impl": "lut"}, pe=pe))
    assert use.mac_impl == "lut"
    assert use.parts["macs"] == {"lut": 32768.0, "ff": 24576.0}


def test_auto_uses_dsps_while_they_fit():
    """auto: DSP MACs when the whole design fits with them, else LUT MACs when that fits, else the smaller overflow."""
    assert fpga_use(hw_with({"device": "zcu102"})).mac_impl == "dsp"          # 512 + vector + PPU DSPs fit
    pe = {"type": "fixed", "acc_bits": 8, "precisions": [{"dtype": "int", "w_bits": 2, "a_bits": 2}]}
    big = {"rows": 128, "cols": 128, "dataflow": "os"}
    # 16,384 / 4 = 4,096 DSPs > 2,520; LUT MACs: 16,384 * (2 * 2 + 8) = 196,608 LUTs, which fit with the rest
    use = fpga_use(hw_with({"device": "zcu102"}, pe=pe, array=big))
    assert use.mac_impl == "lut" and use.parts["macs"] == {"lut": 196608.0, "ff": 196608.0}
    assert use.overflow == {"clock": 50.0}     # every resource fits; LUT MACs' default clock is 250 MHz, not 300
    # INT8 128 x 128: 8,192 DSPs (3.3x the part) or 1,572,864 LUTs (5.7x): neither fits, DSP overflows less
    assert fpga_use(hw_with({"device": "zcu102"}, array=big)).mac_impl == "dsp"


# ------------------------------------------------------------------------------------------------ memories
def test_memory_blocks_by_port_width():
    """36 KiB behind a 72-bit port: depth 4,096 = 8 x 512 -> 8 BRAM36 (= 36 KiB / 4.5 KiB); the same 4 KiB behind a
    1,024-bit port: ceil(1,024 / 72) = 15 blocks (the width decides, not the bytes: 4 KiB alone would be 1)."""
    bram = costs()["memories"]["bram36"]
    assert memory_blocks(72, 36, bram) == 8
    assert memory_blocks(1024, 4, bram) == 15
    assert memory_blocks(8, 0, bram) == 0
    uram = costs()["memories"]["uram"]
    assert memory_blocks(72, 1024, uram) == 29     # 1 MiB / 288 Kb = 28.4 -> 29 (depth 116,509 / 4,096)


@pytest.mark.parametrize("width,kib", [(8, 1), (64, 100), (256, 512), (1024, 64), (2048, 4096), (9, 3)])
def test_memory_blocks_never_below_capacity(width, kib):
    """Independent bound: blocks x 36 Kb >= the bits stored, and blocks >= ceil(width / 72) (the widest port)."""
    n = memory_blocks(width, kib, costs()["memories"]["bram36"])
    assert n * 36864 >= kib * 8192
    assert n >= math.ceil(width / 72)


def test_buffers_move_to_uram_when_bram_overflows():
    """zcu104: 312 BRAM36; a 4 MiB ifmap buffer (32 x 8 = 256-bit port) needs 4 x 233 = 932 BRAM36: auto moves it
    to URAM (ceil(256/72) = 4 wide x ceil(131,072 / 4,096) = 32 deep = 128 URAM)."""
    use = fpga_use(hw_with({"device": "zcu104"}, buffers={"ifmap_kib": 4096, "weight_kib": 64, "ofmap_kib": 16}))
    assert use.buffer_memory["ifmap"] == "uram"
    assert use.parts["ifmap"] == {"uram": 128}
    assert use.buffer_memory["weight"] == "bram36"


# ------------------------------------------------------------------------------------------------ fit, power
def test_overflowing_design_runs_and_says_what_overflows():
    hw = hw_with({"device": "kv260", "mac_impl": "dsp"}, array={"rows": 64, "cols": 64, "dataflow": "os"})
    use = fpga_use(hw)
    assert not use.fits
    assert use.overflow["dsp"] == use.used["dsp"] - 1248
    lines = fit_lines(hw)
    assert any(x.strip().startswith(f"DOES NOT FIT: DSP {use.used['dsp']:,} used, 1,248 available: over by "
                                    f"{use.used['dsp'] - 1248:,}") for x in lines)


def test_clock_above_fmax_does_not_fit():
    hw = hw_with({"device": "zcu102", "fmax_mhz": 250})
    use = fpga_use(hw)
    assert use.overflow == {"clock": 50.0} and not use.fmax_assumed
    assert fpga_use(hw_with({"device": "zcu102"})).fmax_mhz == 300      # family default for INT8 DSP MACs


def test_reserve_shrinks_what_is_available():
    use = fpga_use(hw_with({"device": "u200", "reserve": 0.2}))
    assert use.available["lut"] == math.floor(1182240 * 0.8)


def test_power_formula_and_totals():
    """P = static + sum used x mW/100 MHz x f/100 / 1e3; energy per image = P x latency / batch."""
    hw = hw_with({"device": "zcu102"})
    use = fpga_use(hw)
    w = costs()["power"]["mw_per_100mhz"]
    dyn = sum(use.used[r] * w[r] for r in w) * 3 / 1e3 * costs()["power"]["scale"]
    assert fpga_power_w(use, 0.86) == pytest.approx((0.86, dyn))
    t = fpga_totals(hw, 10_000.0, 2)
    assert t["fpga_power_w"] == pytest.approx(0.86 + dyn)
    assert t["fpga_energy_per_image_uj"] == pytest.approx((0.86 + dyn) * 10_000 / 2)
    assert t["fpga_images_per_s_per_w"] == pytest.approx(2 / 0.01 / (0.86 + dyn))
    assert t["fpga_fits"] == 1.0 and t["fpga_dsp"] == use.used["dsp"]


# ------------------------------------------------------------------------------------------------ tables
def test_shipped_devices_have_every_column_and_a_source():
    devs = shipped_devices()
    assert {"zcu102", "zcu104", "kv260", "u200", "u250", "u280", "vck190", "a10gx1150"} <= set(devs)
    for d in devs.values():
        row = d.to_dict()
        assert all(c in row for c in DEVICE_COLUMNS)
        assert len(d.source) > 40
    z = devs["zcu102"]
    assert (z.dsp, z.lut, z.ff, z.bram36, z.uram) == (2520, 274080, 548160, 912, 0)


def test_user_device_file_and_inline_row(tmp_path):
    row = {**shipped_devices()["zcu102"].to_dict(), "name": "myboard", "dsp": 100}
    del row["default_fmax_mhz"]
    (tmp_path / "parts.yaml").write_text(yaml.safe_dump({"devices": [row]}))
    d = copy.deepcopy(BASE) | {"fpga": {"device_file": "parts.yaml"}}
    (tmp_path / "hw.yaml").write_text(yaml.safe_dump(d))
    from simulator.loader import load_hardware

    hw = load_hardware(tmp_path / "hw.yaml")
    assert hw.fpga.device.name == "myboard" and not fpga_use(hw).fits
    inline = hw_with({"device": row})
    assert inline.fpga.device.dsp == 100
    again = hardware_from_dict(inline.to_dict(), "<round trip>")   # hardware.yaml as written by --out
    assert again == inline


@pytest.mark.parametrize("fpga,field", [
    ({"device": "zcu999"}, "fpga.device"),
    ({"device": "zcu102", "fmax_mhz": 0}, "fpga.fmax_mhz"),
    ({"device": "zcu102", "fmax_mhz": -5}, "fpga.fmax_mhz"),
    ({"device": "zcu102", "mac_impl": "gpu"}, "fpga.mac_impl"),
    ({"device": "zcu102", "memory": "uram"}, "fpga.memory"),
    ({"device": {"name": "x", "dsp": 3}}, "fpga.device.part"),
    ({"device": "zcu102", "colour": 1}, "fpga.colour"),
])
def test_bad_fpga_sections(fpga, field):
    with pytest.raises(ConfigError) as e:
        hw_with(fpga)
    assert e.value.field == field


def test_missing_column_in_a_device_file(tmp_path):
    row = shipped_devices()["zcu102"].to_dict()
    del row["bram36"]
    (tmp_path / "parts.yaml").write_text(yaml.safe_dump({"devices": [row]}))
    d = copy.deepcopy(BASE) | {"fpga": {"device_file": str(tmp_path / "parts.yaml"), "device": "zcu102"}}
    with pytest.raises(ConfigError) as e:
        hardware_from_dict(d, "<test>")
    assert e.value.field == "devices[0].bram36" and "missing column" in e.value.problem


def test_float_pe_cannot_be_packed():
    pe = {"type": "float", "acc_bits": 32, "precisions": [{"dtype": "fp", "w_bits": 16, "a_bits": 16}]}
    with pytest.raises(ConfigError) as e:
        hw_with({"device": "zcu102"}, pe=pe)
    assert e.value.field == "pe.precisions[0]"


# ------------------------------------------------------------------------------------------------ end to end
def _run(*args):
    return subprocess.run([sys.executable, "-m", "simulator", "run", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=600, check=False)


def test_cli_bad_device_is_one_line_exit_2(tmp_path):
    d = copy.deepcopy(BASE) | {"fpga": {"device": "nope"}, "default_workload": "deit_tiny-w8a8"}
    (tmp_path / "hw.yaml").write_text(yaml.safe_dump(d))
    r = _run(str(tmp_path / "hw.yaml"))
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "fpga.device" in r.stderr and "zcu102" in r.stderr


def test_cli_prints_the_fit_and_json_has_the_totals(tmp_path):
    d = copy.deepcopy(BASE) | {"fpga": {"device": "kv260"}, "default_workload": "deit_tiny-w8a8"}
    d["array"] = {"rows": 64, "cols": 64, "dataflow": "os"}
    (tmp_path / "hw.yaml").write_text(yaml.safe_dump(d))
    r = _run(str(tmp_path / "hw.yaml"))
    assert r.returncode == 0, r.stderr
    assert "FPGA kv260" in r.stdout and "DOES NOT FIT: DSP" in r.stdout and "fpga_power_w" in r.stdout
    j = json.loads(_run(str(tmp_path / "hw.yaml"), "--format", "json").stdout)
    assert j["totals"]["fpga_fits"] == 0.0 and j["totals"]["fpga_dsp"] > 1248
    assert j["hardware"]["fpga"]["device"]["name"] == "kv260"


def test_without_fpga_nothing_changes():
    """The fpga section adds totals and changes no other number; without one, no FPGA key appears anywhere."""
    from simulator import simulate
    from simulator.schema import FPGA_TOTAL_NAMES, TOTAL_FIELDS, TOTAL_MAPPINGS
    from workloads import load_workload

    w = load_workload("deit_tiny-w8a8")
    plain, fpga = hw_with(), hw_with({"device": "zcu102"})
    a, b = simulate(w, plain), simulate(w, fpga)
    assert set(a.totals.to_dict()) == {f.name for f in TOTAL_FIELDS + TOTAL_MAPPINGS}
    assert "fpga" not in a.hardware and "fpga" not in a.to_json()
    assert all(b.totals[f.name] == a.totals[f.name] for f in TOTAL_FIELDS)
    assert a.columns() == b.columns()
    assert set(b.totals.to_dict()) - set(a.totals.to_dict()) == set(FPGA_TOTAL_NAMES)
    with pytest.raises(KeyError):
        a.totals["fpga_dsp"]


def test_batch_fpga_totals_equal_the_single_design():
    """The sweep's per-design FPGA totals (batch_fpga_totals over a DesignBatch) equal fpga_totals design by design."""
    import numpy as np

    from simulator.fpga.totals import batch_fpga_totals
    from simulator.model.batch import DesignBatch
    from simulator.schema import FPGA_TOTAL_NAMES

    hws = [hw_with({"device": "zcu102"}, array={"rows": r, "cols": 32, "dataflow": "os"}) for r in (16, 32, 64)]
    db = DesignBatch.from_hardware(hws)
    lat = np.array([1000.0, 2000.0, 3000.0])
    out = batch_fpga_totals(db.variants, db.variant, db.numbers, lat, 1, FPGA_TOTAL_NAMES)
    for i, hw in enumerate(hws):
        one = fpga_totals(hw, lat[i], 1)
        assert {k: out[k][i] for k in FPGA_TOTAL_NAMES} == pytest.approx(one)


def test_fpga_list_cli(capsys):
    from analysis.cli_vitsim import main

    assert main(["fpga", "list", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in rows} == set(shipped_devices())
    assert all(r["source"] for r in rows)


def test_python_m_simulator_fpga_list():
    r = subprocess.run([sys.executable, "-m", "simulator", "fpga", "list", "--format", "csv"], capture_output=True,
                       text=True, cwd=ROOT, timeout=300, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith("name,dsp,lut,ff,bram36,uram")
    assert len(r.stdout.splitlines()) == 1 + len(shipped_devices())


def test_docs_parts_table_matches_the_device_file():
    """docs/fpga.md's parts table repeats devices.yaml's counts: they must agree."""
    import re

    rows = [r for r in (ROOT / "docs" / "fpga.md").read_text().splitlines()
            if r.startswith("| ") and r.split("|")[1].strip() in shipped_devices()]
    assert len(rows) == len(shipped_devices())
    for r in rows:
        cells = [c.strip() for c in r.split("|")[1:-1]]
        d = shipped_devices()[cells[0]]
        nums = [int(re.sub(r"[^0-9]", "", c.split("(")[0])) for c in cells[2:7]]
        assert nums == [d.dsp, d.lut, d.ff, d.bram36, d.uram], cells[0]
