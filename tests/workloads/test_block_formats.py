"""Block-scaled formats (workloads/block_formats.py) as recipe formats: their layer fields, and their shared scales
counted in DRAM traffic, checked against hand-computed bytes."""

from __future__ import annotations

import pytest

from simulator import load_hardware, simulate
from simulator.quant import layer_quant
from workloads.block_formats import BLOCK_FORMATS, expand, scale_bits_per_element
from workloads.errors import WorkloadError
from workloads.model import Layer
from workloads.quantize import Recipe, load_recipe
from workloads.resolve import resolve_workload


def test_expand():
    assert expand("r", "default", {"block_format": "mxfp4", "out_bits": 16}) == {
        "out_bits": 16, "w_bits": 4, "w_granularity": "group:32", "w_scale_bits": 8, "w_block_format": "mxfp4",
        "a_bits": 4, "a_granularity": "group:32", "a_scale_bits": 8, "a_block_format": "mxfp4", "dtype": "fp"}
    e = expand("r", "rules[0]", {"w_block_format": "nvfp4", "a_block_format": "mxint8"})
    assert (e["w_bits"], e["w_granularity"], e["a_bits"], e["a_granularity"], e["dtype"]) == \
        (4, "group:16", 8, "group:32", "fp")               # an integer and a float format: a float layer
    assert expand("r", "x", {"block_format": "mxint8"})["dtype"] == "int"
    with pytest.raises(WorkloadError, match="r: rules.0..block_format: unknown block format 'mxfp5'"):
        expand("r", "rules[0]", {"block_format": "mxfp5"})
    assert scale_bits_per_element("mxfp4") == 0.25 and scale_bits_per_element("nvfp4") == 0.5
    assert {f.block for f in BLOCK_FORMATS.values()} == {16, 32}


def test_fc1_scale_bytes_by_hand():
    """DeiT-S mlp.fc1: M = 197 tokens, N = 1536, K = 384. MXFP4: ceil(384 / 32) = 12 blocks along K, so
    1536 * 12 = 18,432 weight scales and 197 * 12 = 2,364 activation scales of 8 bits: 18,432 and 2,364 bytes
    (the weights themselves: 384 * 1536 * 4 / 8 = 294,912 bytes; scales are 1/16 of them: 0.25 of 4 bits).
    NVFP4: 16-element blocks, 24 along K: 36,864 and 4,728 bytes. The same layer at group:32 with the hardware's
    16-bit scales (no format): twice the MXFP4 bytes."""
    base = Layer("blocks.0.mlp.fc1", "gemm", m=197, n=1536, k=384)
    for fmt, w, a in (("mxfp4", 18432, 2364), ("nvfp4", 36864, 4728)):
        layer = Layer.from_dict({**base.to_dict(), **expand("t", "x", {"block_format": fmt})})
        q = layer_quant(layer, 16)
        assert (q["scale_dram_w_bytes"], q["scale_dram_a_bytes"]) == (w, a)
    plain = Layer.from_dict({**base.to_dict(), "w_granularity": "group:32", "a_granularity": "group:32"})
    q = layer_quant(plain, 16)
    assert (q["scale_dram_w_bytes"], q["scale_dram_a_bytes"]) == (2 * 18432, 2 * 2364)


def test_deit_small_scale_traffic_by_hand():
    """DeiT-S (12 blocks) under the shipped mxint8 recipe on int8 (8-bit scales, blocks of 32 along K):
    per block, weights N * ceil(K/32): qkv 1152 * 12 + proj 384 * 12 + fc1 1536 * 12 + fc2 384 * 48 = 55,296;
    activations M * ceil(K/32): 197 * (12 + 12 + 12 + 48) = 16,548; attention matmuls (second operand an
    activation: both read per copy, 6 heads): qk 2 * 197 * 2 * 6 = 4,728, av (K = 197: 7 blocks)
    (64 + 197) * 7 * 6 = 10,962 -> 15,690; 87,534 per block, x 12 = 1,050,408; patch_embed (K = 768: 24 blocks)
    384 * 24 + 196 * 24 = 13,920; head (M = 1) 1000 * 12 + 12 = 12,012. Total 1,076,340 bytes."""
    per_block = 55296 + 16548 + 15690
    total = 12 * per_block + 384 * 24 + 196 * 24 + 1000 * 12 + 12
    assert total == 1076340
    t = simulate(resolve_workload(model="deit_small", recipe="mxint8"), load_hardware("int8")).totals
    assert t.dram_scale_read_bytes == total
    for recipe in ("mxfp8", "mxfp4"):     # the same blocks and scale width: the same scale bytes
        t = simulate(resolve_workload(model="deit_small", recipe=recipe), load_hardware("fp16")).totals
        assert t.dram_scale_read_bytes == total
    # NVFP4: the linear layers' blocks are 16 (twice the scales); attention matmuls stay MXFP8 (32)
    nv = 12 * (2 * (55296 + 16548) + 15690) + 2 * (384 * 24 + 196 * 24) + 2 * 12000 + 24
    assert nv == 1964400
    t = simulate(resolve_workload(model="deit_small", recipe="nvfp4"), load_hardware("fp16")).totals
    assert t.dram_scale_read_bytes == nv


def test_a_later_recipe_resets_the_scale_width():
    w = resolve_workload(model="deit_small", recipe="mxfp4")
    assert {x.w_scale_bits for x in w.layers if x.is_gemm} == {8}
    again = load_recipe("w8a8").apply(w)
    assert {(x.w_scale_bits, x.a_scale_bits) for x in again.layers} == {(0, 0)}
    assert "w_scale_bits" not in again.layers[3].to_dict()          # default left out: files unchanged


def test_recipe_field_errors():
    with pytest.raises(WorkloadError, match="default.block_format: unknown block format"):
        Recipe.from_dict({"name": "t", "default": {"block_format": "fp3"}}, "t.yaml")
    with pytest.raises(WorkloadError, match="w_scale_bits"):
        Recipe.from_dict({"name": "t", "default": {"w_scale_bits": 64}}, "t.yaml")


def test_block_rescales_on_the_ppu():
    """A block-scaled float layer rescales each block's partial sum on the PPU (the shared-exponent alignment):
    DeiT-S fc1 (M 197, N 1536, K 384) in MXFP4: 197 * 1536 * 12 = 3,631,104 rescales; NVFP4 (blocks of 16):
    twice that. The same float layer without a block format has none (its group scale is not a block scale)."""
    base = Layer("fc1", "gemm", m=197, n=1536, k=384).to_dict()
    mx = Layer.from_dict({**base, **expand("t", "x", {"block_format": "mxfp4"})})
    nv = Layer.from_dict({**base, **expand("t", "x", {"block_format": "nvfp4"})})
    plain = Layer.from_dict({**base, "dtype": "fp", "w_bits": 16, "a_bits": 16, "w_granularity": "group:32"})
    assert layer_quant(mx, 16)["rescale_ops"] == 197 * 1536 * 12 == 3631104
    assert layer_quant(nv, 16)["rescale_ops"] == 2 * 3631104
    assert layer_quant(plain, 16)["rescale_ops"] == 0


def test_batch_path_equals_per_design():
    """The sweep's batch evaluator prices block formats as ``simulate`` does, bit for bit."""
    import yaml

    from analysis.sweep import evaluate, spec_from_dict
    from simulator.loader import hardware_path

    base = yaml.safe_load(hardware_path("fp16").read_text())
    spec = spec_from_dict({"name": "t", "base": base, "axes": {"array.rows": [16, 32]}, "models": ["deit_small"],
                           "recipes": ["mxfp4", "nvfp4"], "objectives": ["latency_us", "energy_uj"]}, "t")
    df = evaluate(spec, workers=0)
    for recipe in ("mxfp4", "nvfp4"):
        for rows in (16, 32):
            t = simulate(resolve_workload(model="deit_small", recipe=recipe),
                         load_hardware("fp16", (("array.rows", rows),))).totals
            row = df[(df["array.rows"] == rows) & (df["workload"] == f"deit_small-{recipe}")].iloc[0]
            assert (row["latency_us"], row["energy_uj"], row["dram_scale_read_bytes"]) == \
                (t.latency_us, t.energy_uj, t.dram_scale_read_bytes)
