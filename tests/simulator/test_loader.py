"""Hardware by path or shipped short name (``simulator.loader``), the ``hwconfigs`` package, and the config enums."""

import csv
import io
import json
import subprocess
import sys

import pytest
import yaml
from conftest import HWCONFIGS

import hwconfigs
from simulator.hardware import ArrayConfig, ConfigError, Dataflow, PEConfig, PEType, TemporalTiling
from simulator.loader import hardware_path, load_hardware
from simulator.scalesim_cfg import scalesim_cfg_text

SHIPPED = ["fp16", "hybrid_gemm_dw", "int4", "int4_sparse", "int8", "mixed", "multi_int4_mlp_int8_attn", "quad_core",
           "tpu_v1", "vit_hsiung28", "zcu102_int8"]


# hwconfigs/published/: published accelerators (docs/validation-designs.md)
PUBLISHED = (["chaidnn_zu9", "eyeriss_v1", "me_vit", "pipecnn_de1soc", "tensil_pynqz1", "tensil_ultra96", "tensil_zcu104",
              "tensil_zcu104_uram"] + [f"nvdla_{m}" for m in (32, 64, 128, 256, 512, 1024, 2048)])


def test_hwconfigs_lists_and_finds_the_shipped_files():
    assert hwconfigs.names() == sorted(SHIPPED + PUBLISHED)
    assert hwconfigs.find("eyeriss_v1") == HWCONFIGS / "published" / "eyeriss_v1.yaml"
    assert hwconfigs.find("int4") == HWCONFIGS / "int4.yaml"
    assert hwconfigs.find("nope") is None
    assert "rtx4090" in hwconfigs.names("gpu") and hwconfigs.find("rtx4090", "gpu").parent.name == "gpus"
    assert hwconfigs.find("rtx4090") is None                       # GPUs are not accelerator configs
    with pytest.raises(ValueError, match="unknown kind"):
        hwconfigs.names("tpu")


@pytest.mark.parametrize("name", SHIPPED)
def test_a_short_name_loads_the_same_hardware_as_its_path(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)                                    # names do not depend on the working directory
    assert load_hardware(name) == load_hardware(HWCONFIGS / f"{name}.yaml")


@pytest.mark.parametrize("spec, is_name", [("int4", True), ("int4.yaml", False), ("./int4", False),
                                           ("configs/int4", False), ("my.cfg", False), ("x.json", False)])
def test_an_argument_is_a_path_when_it_has_a_separator_or_a_suffix(spec, is_name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "int4").write_text("not read: the shipped name wins")
    assert (hardware_path(spec) == HWCONFIGS / "int4.yaml") is is_name


def test_unknown_name_is_one_line_listing_the_shipped_names():
    with pytest.raises(ConfigError) as e:
        load_hardware("int9")
    msg = str(e.value)
    assert "\n" not in msg and "unknown hardware 'int9'" in msg and ", ".join(sorted(SHIPPED + PUBLISHED)) in msg


def test_missing_file_says_so_and_lists_the_shipped_names(tmp_path):
    with pytest.raises(ConfigError, match="file not found.*int4"):
        load_hardware(tmp_path / "int4.yaml")


def test_a_file_without_suffix_that_is_not_a_shipped_name_is_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "myhw").write_text((HWCONFIGS / "int8.yaml").read_text())
    assert load_hardware("myhw") == load_hardware(HWCONFIGS / "int8.yaml")


def test_cfg_is_read_as_a_scalesim_config(tmp_path):
    p = tmp_path / "s.cfg"
    p.write_text(scalesim_cfg_text("s", 8, 8, 64, 64, 64, "ws", 10))
    hw = load_hardware(p)
    assert (hw.array.rows, hw.array.dataflow, hw.array.temporal_tiling) == (8, Dataflow.WS, TemporalTiling.OFF)


# ------------------------------------------------------------------------------------------ enums
def test_configs_hold_enum_members_equal_to_plain_strings():
    hw = load_hardware("int4")
    assert hw.array.dataflow is Dataflow.OS and hw.pe.type is PEType.SCALABLE
    assert hw.array.temporal_tiling is TemporalTiling.AUTO
    assert hw.array.dataflow == "os" and f"{hw.array.dataflow}" == "os" and str(hw.pe.type) == "scalable"
    assert {"os": 1}[hw.array.dataflow] == 1 and hw.pe.type in ("scalable", "fixed")


def test_dataclasses_coerce_plain_strings_and_refuse_unknown_ones():
    assert ArrayConfig(4, 4, "ws").dataflow is Dataflow.WS
    assert PEConfig("bitserial", 32, ()).type is PEType.BITSERIAL
    with pytest.raises(ValueError):
        ArrayConfig(4, 4, "rs")


@pytest.mark.parametrize("name", SHIPPED)
def test_writers_get_plain_strings(name):
    d = load_hardware(name).to_dict()
    for part in d.get("engines", [d]):   # a chip of several engines: each engine's sections (docs/engines.md)
        for section, key in (("array", "dataflow"), ("array", "temporal_tiling"), ("pe", "type")):
            assert type(part[section][key]) is str
    assert yaml.safe_load(yaml.safe_dump(d)) == json.loads(json.dumps(d))


def test_run_out_dir_writes_plain_yaml(tmp_path):
    """``--out`` dumps hardware.yaml with yaml.safe_dump, which refuses enum objects."""
    r = subprocess.run([sys.executable, "-m", "simulator", "run", "tpu_v1", "--workload", "deit_tiny-w8a8", "--format",
                        "csv", "--out", str(tmp_path)], capture_output=True, text=True, cwd=tmp_path, timeout=300,
                       check=False)
    assert r.returncode == 0, r.stderr
    hw = yaml.safe_load((tmp_path / "hardware.yaml").read_text())
    assert hw["array"]["dataflow"] == "ws" and hw["pe"]["type"] == "fixed"
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert {x["dataflow"] for x in rows} == {"ws", "vector"} and "fixed" in {x["impl"] for x in rows}
