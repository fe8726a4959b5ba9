"""Sparse attention masks (workloads/attention_sparsity.py): the dense/sparse split, hand-computed.

DeiT-S (T = 197, H = 6, hd = 64), batch 2:
- window 7: t_k = 49; every head sparse: q@k^T_sparse 197 x 49 x 64, repeat 12; softmax_sparse 2364 rows of 49;
  attn@v_sparse 197 x 64 x 49; mask_index 2364 x 49 at ceil(log2 197) = 8 bits.
- block 16 at 0.25: ceil(197 / 16) = 13 block columns, ceil(0.25 x 13) = 4 kept: t_k = 64.
- ViTCoD 0.1 with 2 dense heads: t_k = ceil(19.7) = 20; dense q@k^T repeat 2 x 2 = 4, sparse repeat 2 x 4 = 8.
Attention MACs of one block: dense 2 x 197 x 197 x 64 x 6 x 2; window: 49 / 197 of it.
"""

from __future__ import annotations

import pytest

from simulator.engine import simulate_totals
from simulator.loader import load_hardware
from workloads import build_model, load_recipe
from workloads.attention_sparsity import AttentionMask, apply_attention_mask
from workloads.errors import WorkloadError
from workloads.quantize import Recipe


def _w():
    return load_recipe("w8a8").apply(build_model("deit_small", batch=2))


def _mask(**d):
    return AttentionMask.from_dict(d, "r.yaml")


def _by(w):
    return {layer.name: layer for layer in w.layers}


def test_window_shapes_and_macs():
    w = _w()
    s = _by(apply_attention_mask(w, _mask(pattern="window", window=7)))
    qk, sm, av, idx = (s["blocks.0.attn.qk_sparse"], s["blocks.0.attn.softmax_sparse"], s["blocks.0.attn.av_sparse"],
                       s["blocks.0.attn.mask_index"])
    assert (qk.m, qk.n, qk.k, qk.repeat) == (197, 49, 64, 12)
    assert (sm.m, sm.n) == (2364, 49) and (av.m, av.n, av.k, av.repeat) == (197, 64, 49, 12)
    assert (idx.op, idx.m, idx.n, idx.a_bits) == ("quantize", 2364, 49, 8)
    assert "blocks.0.attn.qk" not in s
    dense = _by(w)
    assert qk.macs + av.macs == (dense["blocks.0.attn.qk"].macs + dense["blocks.0.attn.av"].macs) * 49 // 197


def test_block_and_vitcod_split():
    assert _mask(pattern="block", block=16, density=0.25).keys_per_query(197) == 64
    s = _by(apply_attention_mask(_w(), _mask(pattern="vitcod", density=0.1, dense_heads=2)))
    assert (s["blocks.3.attn.qk"].repeat, s["blocks.3.attn.qk"].n) == (4, 197)
    assert (s["blocks.3.attn.qk_sparse"].repeat, s["blocks.3.attn.qk_sparse"].n) == (8, 20)
    assert (s["blocks.3.attn.softmax"].m, s["blocks.3.attn.softmax_sparse"].m) == (2 * 2 * 197, 2 * 4 * 197)
    assert s["blocks.3.attn.av_sparse"].k == 20 and s["blocks.3.attn.av"].k == 197


def test_recipe_and_simulation():
    r = Recipe.from_dict({"name": "w8a8_win", "default": {"w_bits": 8, "a_bits": 8},
                          "attention": {"pattern": "window", "window": 7}}, "r.yaml")
    w = r.apply(build_model("deit_tiny"))
    hw = load_hardware("int8")
    dense, sparse = simulate_totals(load_recipe("w8a8").apply(build_model("deit_tiny")), hw), simulate_totals(w, hw)
    assert sparse["macs"] < dense["macs"] and sparse["total_cycles"] < dense["total_cycles"]
    assert w.with_batch(2).layers[5].repeat == 2 * w.layers[5].repeat


@pytest.mark.parametrize("d, field", [({"pattern": "star"}, "attention.pattern"), ({"pattern": "window"}, "attention.window"),
                                      ({"pattern": "block", "block": 8, "density": 2}, "attention.density"),
                                      ({"pattern": "vitcod", "density": 0.1, "window": 3}, "attention.window"),
                                      ({"pattern": "vitcod", "density": 0.1, "dense_heads": -1}, "attention.dense_heads")])
def test_bad_masks(d, field):
    with pytest.raises(WorkloadError) as e:
        AttentionMask.from_dict(d, "r.yaml")
    assert e.value.field == field


def test_too_many_dense_heads():
    with pytest.raises(WorkloadError) as e:
        apply_attention_mask(_w(), _mask(pattern="vitcod", density=0.1, dense_heads=7))
    assert e.value.field == "attention.dense_heads"
