"""Analytic ViT builder against the published MAC counts and by-hand layer counts."""

import pytest

from workloads.vit import PRESETS, ViTConfig, build_preset, build_vit


@pytest.mark.parametrize("name, published_gmacs", [
    # timm / DeiT paper (Touvron et al. 2021, Table 1: 17.6, 4.6, 1.3 GFLOPs = GMACs) and ViT-L/16 61.6 GMACs
    ("deit_base_patch16_224", 17.56),
    ("deit_small_patch16_224", 4.60),
    ("vit_large_patch16_224", 61.56),
])
def test_published_macs(name, published_gmacs):
    macs = build_preset(name).macs / 1e9
    assert abs(macs - published_gmacs) / published_gmacs < 0.005


def test_deit_base_by_hand():
    """Per block: qkv 197*2304*768 + 2 * 12*197*197*64 + proj 197*768*768 + 2 * 197*3072*768 = 1,453,954,560;
    x12 + patch 196*768*768 + head 768*1000 = 17,563,828,224."""
    w = build_preset("deit_base")
    assert w.macs == 12 * 1_453_954_560 + 196 * 768 * 768 + 768 * 1000 == 17_563_828_224
    ops = [x.op for x in w.layers]
    assert ops.count("softmax") == 12 and ops.count("layernorm") == 25
    assert ops.count("matmul") == 24 and ops.count("gemm") == 49 and ops.count("conv") == 1


def test_order_and_activation_operands():
    w = build_preset("deit_tiny")
    names = [x.name for x in w.layers]
    assert names[:4] == ["patch_embed.proj", "pos_embed", "blocks.0.norm1", "blocks.0.attn.qkv"]
    assert names[-2:] == ["norm", "head"]
    qk = w.layers[names.index("blocks.0.attn.qk")]
    assert not qk.weight_operand and qk.repeat == 3 and (qk.m, qk.n, qk.k) == (197, 197, 64)


def test_bad_config_is_an_error():
    from workloads.errors import WorkloadError

    with pytest.raises(WorkloadError, match="patch"):
        build_vit(ViTConfig(img_size=225))
    with pytest.raises(WorkloadError, match="unknown model"):
        build_preset("resnet50")
    assert "vit_huge_patch14_224" in PRESETS
