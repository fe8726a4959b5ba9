"""Hardware configs: the extended schema loads, modes are derived from the PE type, bad input names file and field."""

import copy

import pytest
from conftest import HWCONFIGS

from simulator.hardware import ConfigError, hardware_from_dict
from simulator.loader import load_hardware

BASE = {
    "name": "t", "freq_mhz": 1000,
    "array": {"rows": 4, "cols": 4, "dataflow": "os"},
    "pe": {"type": "fixed", "acc_bits": 32, "precisions": [{"dtype": "int", "w_bits": 8, "a_bits": 8}]},
    "buffers": {"ifmap_kib": 64, "weight_kib": 64, "ofmap_kib": 64},
    "dram": {"bandwidth_gbps": 1000, "latency_cycles": 0, "type": "lpddr4"},
    "vector": {"lanes": 4},
    "ppu": {"lanes": 4, "scale_bits": 16, "arithmetic": "fixed"},
    "tech": {"table": "horowitz45"},
}


def make_hw(**sections):
    """BASE with whole sections (or top-level fields) replaced, through the real validator."""
    d = copy.deepcopy(BASE)
    d.update(copy.deepcopy(sections))
    return hardware_from_dict(d, "test.yaml")


@pytest.mark.parametrize("name", ["int8", "int4", "mixed", "fp16", "tpu_v1", "vit_hsiung28"])
def test_shipped_configs_load(name):
    hw = load_hardware(HWCONFIGS / f"{name}.yaml")
    assert hw.ppu.lanes >= 1 and hw.nonlinear.softmax in ("float", "integer", "lut")


def test_tpu_v1_peak_is_92_tops():
    """2 * 256 * 256 * 700e6 = 91.75e12 ops/s (Jouppi et al. 2017 quote 92 TOPS)."""
    assert load_hardware(HWCONFIGS / "tpu_v1.yaml").peak_tops() == {"w8a8": pytest.approx(91.7504)}


def test_scalable_modes_derived_bit_fusion():
    """Base 8x8: W4A8 -> 2, W4A4 -> 4, W2A2 -> 16 MACs per PE per cycle (8/w * 8/a)."""
    hw = make_hw(pe={"type": "scalable", "precisions": [{"w_bits": 8, "a_bits": 8}, {"w_bits": 4, "a_bits": 8},
                                                          {"w_bits": 4, "a_bits": 4}, {"w_bits": 2, "a_bits": 2}]})
    assert [m.macs_per_cycle for m in hw.pe.precisions] == [1, 2, 4, 16]
    assert hw.peak_tops()["w2a2"] == pytest.approx(2 * 16 * 16 * 1000 / 1e6)


def test_bitserial_modes_and_resolve():
    """Serial activations: p = 1/a; a narrower layer runs natively at 1/its bits (not promoted)."""
    hw = make_hw(pe={"type": "bitserial", "serial_operand": "a", "precisions": [{"w_bits": 8, "a_bits": 8}]})
    assert hw.pe.precisions[0].macs_per_cycle == pytest.approx(1 / 8)
    mode, promoted = hw.pe.resolve("int", 8, 4)
    assert mode.macs_per_cycle == pytest.approx(1 / 4) and not promoted
    both = make_hw(pe={"type": "bitserial", "serial_operand": "both", "precisions": [{"w_bits": 4, "a_bits": 4}]})
    assert both.pe.precisions[0].macs_per_cycle == pytest.approx(1 / 16)


def test_defaults_for_new_sections():
    d = copy.deepcopy(BASE)
    del d["ppu"]
    hw = hardware_from_dict(d, "x.yaml")
    assert hw.ppu.lanes == 4 and hw.ppu.scale_bits == 16 and hw.nonlinear.softmax == "float"
    assert hw.tech.node_nm is None


def _bad(**sections):
    with pytest.raises(ConfigError) as e:
        make_hw(**sections)
    return e.value


@pytest.mark.parametrize("sections, field", [
    ({"array": {"rows": "many", "cols": 4, "dataflow": "os"}}, "array.rows"),                      # wrong type
    ({"buffers": {"ifmap_kib": -1, "weight_kib": 64, "ofmap_kib": 64}}, "buffers.ifmap_kib"),     # negative size
    ({"array": {"rows": 4, "cols": 4, "dataflow": "rs"}}, "array.dataflow"),                      # unknown dataflow
    ({"pe": {"type": "fixed", "precisions": [{"w_bits": 40, "a_bits": 8}]}}, "pe.precisions[0].w_bits"),
    ({"pe": {"type": "scalable", "precisions": [{"w_bits": 8, "a_bits": 8}, {"w_bits": 3, "a_bits": 8}]}},
     "pe.precisions[1].w_bits"),                                                                  # 3 does not divide 8
    ({"pe": {"type": "float", "precisions": [{"dtype": "fp", "w_bits": 8, "a_bits": 8}]}}, "pe.precisions[0].w_bits"),
    ({"pe": {"type": "systolic", "precisions": [{"w_bits": 8, "a_bits": 8}]}}, "pe.type"),          # unknown PE type
    ({"pe": {"type": "fixed", "precisions": [{"dtype": "fp", "w_bits": 16, "a_bits": 16}]}}, "pe.precisions[0].dtype"),
    ({"pe": {"type": "bitserial", "precisions": [{"w_bits": 8, "a_bits": 8, "macs_per_cycle": 2}]}},
     "pe.precisions[0].macs_per_cycle"),
    ({"pe": {"type": "fixed", "float_format": "fp8", "precisions": [{"w_bits": 8, "a_bits": 8}]}}, "pe.float_format"),
    ({"ppu": {"lanes": 4, "scale_bits": 12}}, "ppu.scale_bits"),
    ({"ppu": {"lanes": 0}}, "ppu.lanes"),
    ({"ppu": {"arithmetic": "analog"}}, "ppu.arithmetic"),
    ({"nonlinear": {"softmax": "magic"}}, "nonlinear.softmax"),
    ({"nonlinear": {"post_softmax": "log10"}}, "nonlinear.post_softmax"),
    ({"nonlinear": {"post_softmax_bits": 40}}, "nonlinear.post_softmax_bits"),
    ({"nonlinear": {"gelu": "lut", "sigmoid": "lut"}}, "nonlinear.sigmoid"),
    ({"tech": {"table": "horowitz45", "node_nm": -7}}, "tech.node_nm"),
    ({"tech": {"table": "tsmc3"}}, "tech.table"),
    ({"dram": {"bandwidth_gbps": 10, "type": "ddr9"}}, "dram.type"),
])
def test_bad_config_names_file_and_field(sections, field):
    err = _bad(**sections)
    assert err.source == "test.yaml" and err.field == field, str(err)
    assert "test.yaml" in str(err) and field in str(err)


def test_missing_file_names_it(tmp_path):
    p = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as e:
        load_hardware(p)
    assert e.value.source == str(p) and "file not found" in str(e.value)


def test_wrong_yaml_type_in_file(tmp_path):
    p = tmp_path / "hw.yaml"
    p.write_text((HWCONFIGS / "int4.yaml").read_text().replace("lanes: 64, scale_bits", "lanes: wide, scale_bits"))
    with pytest.raises(ConfigError) as e:
        load_hardware(p)
    assert e.value.source == str(p) and e.value.field == "ppu.lanes"


@pytest.mark.parametrize("name", ["int4", "fp16", "tpu_v1"])
def test_to_dict_round_trips(name):
    """The resolved hardware.yaml that --out writes loads back to the same Hardware."""
    hw = load_hardware(HWCONFIGS / f"{name}.yaml")
    assert hardware_from_dict(hw.to_dict(), "again.yaml") == hw


def test_bitserial_two_bits_per_cycle():
    """macs_per_cycle 0.25 on an 8-bit serial operand = 2 bits per cycle: a 4-bit layer runs at p = 2/4."""
    hw = make_hw(pe={"type": "bitserial", "precisions": [{"w_bits": 8, "a_bits": 8, "macs_per_cycle": 0.25}]})
    assert hw.pe.resolve("int", 8, 4)[0].macs_per_cycle == pytest.approx(0.5)
    assert hw.pe.resolve("int", 8, 1)[0].macs_per_cycle == 1.0
