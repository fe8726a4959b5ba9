"""Layer/Workload: MACs, validation and round-trips through YAML and JSON."""

import pytest

from workloads.errors import WorkloadError
from workloads.model import SCHEMA_VERSION, Layer, Workload


def test_gemm_macs_and_vector_elements():
    """gemm 197x1152x384 -> 197*1152*384 = 87,146,496 MACs; softmax 6*197 rows of 197 -> 232,854 elements."""
    assert Layer("qkv", "gemm", m=197, n=1152, k=384).macs == 87_146_496
    sm = Layer("sm", "softmax", m=6 * 197, n=197)
    assert sm.macs == 0 and sm.elements == 232_854
    assert Layer("qk", "matmul", m=197, n=197, k=64, repeat=6).macs == 6 * 197 * 197 * 64


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_round_trip(tmp_path, suffix):
    w = Workload("toy", (Layer("a", "gemm", m=4, n=5, k=6, w_bits=4, a_bits=8, w_granularity="group:128"),
                         Layer("b", "gelu", m=4, n=5, sqnr_db=31.5)), batch=1, recipe="x")
    path = w.save(tmp_path / f"w{suffix}")
    back = Workload.load(path)
    assert back.layers == w.layers and back.model == "toy" and back.recipe == "x"


@pytest.mark.parametrize("patch, field", [
    ({"op": "conv3d"}, "op"),
    ({"m": -3}, ".m"),
    ({"k": 0}, ".k"),
    ({"w_bits": 64}, "w_bits"),
    ({"w_bits": "eight"}, "w_bits"),
    ({"w_granularity": "row"}, "w_granularity"),
    ({"dtype": "bf"}, "dtype"),
    ({"colour": 1}, "colour"),
])
def test_bad_layer_names_field(patch, field):
    d = {"name": "x", "op": "gemm", "m": 2, "n": 2, "k": 2, **patch}
    with pytest.raises(WorkloadError) as e:
        Layer.from_dict(d, "w.yaml")
    assert "w.yaml" in str(e.value) and field in str(e.value)


def test_bad_workload_files(tmp_path):
    p = tmp_path / "w.yaml"
    p.write_text("schema_version: 99\nmodel: m\nlayers: []\n")
    with pytest.raises(WorkloadError, match="schema_version"):
        Workload.load(p)
    p.write_text(f"schema_version: {SCHEMA_VERSION}\nmodel: m\nlayers: []\n")
    with pytest.raises(WorkloadError, match="layers"):
        Workload.load(p)
    p.write_text("model: [unclosed\n")
    with pytest.raises(WorkloadError, match="YAML"):
        Workload.load(p)
    with pytest.raises(WorkloadError, match="not found"):
        Workload.load(tmp_path / "missing.yaml")


def test_with_batch_scales_rows_and_heads():
    """Batch 1 -> 4: linear rows m 197 -> 788; attention repeat (heads) 6 -> 24; MACs x4."""
    from workloads.vit import build_preset

    w1 = build_preset("deit_small")
    w4 = w1.with_batch(4)
    assert w4.macs == 4 * w1.macs
    by = {x.name: x for x in w4.layers}
    assert by["blocks.0.attn.qkv"].m == 788 and by["blocks.0.attn.qk"].repeat == 24
    assert by["head"].m == 4
    assert w4.with_batch(1).layers == w1.layers
