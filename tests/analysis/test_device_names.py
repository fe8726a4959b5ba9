"""Roofline devices by short name from the shipped ``hwconfigs`` package (any working directory), and ``DeviceKind``."""

import pytest

from analysis.devices import Device, DeviceKind, device_names, load_device


@pytest.mark.parametrize("spec, kind, name", [("rtx4090", DeviceKind.GPU, "RTX 4090"),
                                              ("RTX 4090", DeviceKind.GPU, "RTX 4090"),
                                              ("int4", DeviceKind.ACCELERATOR, "int4-64x64-scalable"),
                                              ("tpu_v1", DeviceKind.ACCELERATOR, "tpu-v1")])
def test_devices_by_name_from_any_directory(spec, kind, name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    d = load_device(spec)
    assert d.name == name and d.kind is kind and d.kind == kind.value
    if kind is DeviceKind.ACCELERATOR:                      # shipped files are labelled as in the source tree
        assert d.source == f"hwconfigs/{spec}.yaml"


def test_device_names_list_gpus_then_accelerators():
    names = device_names()
    assert names.index("rtx4090") < names.index("int4") and "vit_hsiung28" in names


def test_kind_is_an_enum_member_and_a_plain_string_in_to_dict():
    d = Device("x", "host", (), ())
    assert d.kind is DeviceKind.HOST and d.kind == "host"
    assert type(load_device("l4").to_dict()["kind"]) is str
    with pytest.raises(ValueError):
        Device("x", "tpu", (), ())
