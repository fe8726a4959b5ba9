"""Engine: fast totals path equals the full one, identical layers simulated once, every shipped config runs."""

from dataclasses import replace

import pytest
from conftest import HWCONFIGS

from simulator import engine, load_hardware, simulate, simulate_totals
from simulator.hardware.config import MemoryConfig
from workloads import load_workload

CONFIGS = ["int8", "int4", "mixed", "fp16", "tpu_v1", "vit_hsiung28"]


@pytest.mark.parametrize("name, workload", [("int4", "deit_small-w4a4"), ("mixed", "deit_small-mixed"),
                                            ("tpu_v1", "deit_tiny-w8a8")])
def test_totals_fast_path_equals_full(name, workload):
    hw = load_hardware(HWCONFIGS / f"{name}.yaml")
    w = load_workload(workload)
    fast, full = simulate_totals(w, hw), simulate(w, hw).totals
    assert fast.keys() == full.keys()
    for k, v in full.items():
        assert fast[k] == (pytest.approx(v) if isinstance(v, (float, dict)) else v), k


def test_identical_layers_simulated_once(monkeypatch):
    """DeiT-S: 13 distinct layers (patch embed, add, layernorm, qkv, q_scale, qk, softmax, av, proj, fc1,
    gelu, fc2, head) out of 160 when every layer is read from DRAM; with activations kept on chip (int8.yaml's
    default) a layer also differs by where its operands are: the last residual add (its output, read by the final
    norm, stays) and the final norm (input and output on chip) are their own, and the two layernorms of a block
    share one placement: 16. Each layer alone (vector.overlap none, memory.prefetch layer: the network schedule
    splits layers by their neighbours, simulator/model/network.py ``schedule_plan``)."""
    from simulator.model import pipeline

    calls = []
    for name in ("gemm_counts", "vector_counts"):
        real = getattr(pipeline, name)
        monkeypatch.setattr(pipeline, name, lambda *a, real=real, **k: calls.append(1) or real(*a, **k))
    w = load_workload("deit_small-w8a8")
    hw = load_hardware(HWCONFIGS / "int8.yaml")
    hw = replace(hw, vector=replace(hw.vector, overlap="none"), memory=replace(hw.memory, prefetch="layer"))
    rows = engine.simulate_rows(w, replace(hw, memory=MemoryConfig("dram", prefetch="layer")))
    assert len(rows) == 160 and len(calls) == 13
    assert [r["name"] for r in rows] == [layer.name for layer in w.layers]
    calls.clear()
    assert len(engine.simulate_rows(w, hw)) == 160 and len(calls) == 16


@pytest.mark.parametrize("name", CONFIGS)
def test_every_config_runs_with_all_columns(name):
    hw = load_hardware(HWCONFIGS / f"{name}.yaml")
    r = simulate(load_workload("deit_tiny-w8a8"), hw)
    for col in ("energy_mac_pj", "energy_sram_pj", "energy_dram_pj", "energy_vector_pj", "energy_static_pj",
                "ppu_cycles", "dram_scale_read_bytes", "mac_pj", "impl"):
        assert col in r.layers.columns and not r.layers[col].isna().any(), col
    t = r.totals
    for key in ("peak_tops", "effective_tops", "tops_per_w", "images_per_s", "images_per_s_per_w",
                "energy_per_image_uj", "area_mm2", "tops_per_w_on_chip"):
        assert t[key] > 0, key
    assert t["effective_tops"] <= t["peak_tops"]
    assert t["images_per_s_per_w"] == pytest.approx(t["images_per_s"] / t["power_w"])


def test_quantized_is_cheaper_than_fp16():
    """DeiT-S: W4A4 on the scalable array beats W8A8 on the fixed INT8 array and FP16 on the FP16 array
    in energy per image."""
    e = {n: simulate_totals(load_workload(w), load_hardware(HWCONFIGS / f"{n}.yaml"))["energy_per_image_uj"]
         for n, w in (("int4", "deit_small-w4a4"), ("int8", "deit_small-w8a8"), ("fp16", "deit_small-fp16"))}
    assert e["int4"] < e["int8"] < e["fp16"]
