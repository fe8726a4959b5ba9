"""The tracer fills a 2-D convolution's geometry (workloads/conv.py; issue 12 part 3): LeViT's stride-2 stem,
EfficientViT's depthwise convs, PVTv2's overlapping patch embedding, DeiT's patch embedding (the analytic builder's
too). Traced on the meta device; skipped without torch/timm."""

import pytest

from workloads.conv import geometry


def _trace(name):
    pytest.importorskip("torch")
    pytest.importorskip("timm")
    from workloads.trace import trace

    return {x.name: x for x in trace(name).layers if x.op == "conv"}


def _geo(layer):
    return {f: getattr(layer, f) for f in geometry(0, 0, 0, 0, 0)}


@pytest.mark.trace
def test_levit_stem():
    """LeViT-128S stem.conv1: 3x3 stride 2 padding 1 on 224 x 224 x 3 -> 112 x 112 (M = 12544), K = 27."""
    c = _trace("levit_128s")["stem.conv1.linear"]
    assert _geo(c) == geometry(224, 224, 3, 3, 3, 2, 1, 1)
    assert (c.m, c.k, c.repeat) == (112 * 112, 27, 1)


@pytest.mark.trace
def test_efficientvit_depthwise():
    """EfficientViT-B0 stem.res0 depth_conv: 3x3 depthwise on 112 x 112 x 8: 8 groups of K = 9, N = 1."""
    c = _trace("efficientvit_b0")["stem.res0.main.depth_conv.conv"]
    assert _geo(c) == geometry(112, 112, 8, 3, 3, 1, 1, 8)
    assert (c.n, c.k, c.repeat) == (1, 9, 8)


@pytest.mark.trace
def test_pvt_overlapping_patch_embed_and_deit():
    """PVTv2-B0's patch embedding is 7x7 stride 4 padding 3 (overlapping: halo rows); DeiT's 16x16 stride 16, the
    same as the analytic builder's."""
    from workloads.vit import build_preset

    assert _geo(_trace("pvt_v2_b0")["patch_embed.proj"]) == geometry(224, 224, 3, 7, 7, 4, 3, 1)
    deit = _trace("deit_tiny_patch16_224")["patch_embed.proj"]
    assert _geo(deit) == geometry(224, 224, 3, 16, 16, 16, 0, 1)
    assert _geo(build_preset("deit_tiny").layers[0]) == _geo(deit)
