"""Token pruning and merging (workloads/tokens.py): shapes after a keep schedule, the selection op's cycles.

Hand-computed: DeiT-S (T = 197, H = 6, hd = 64, D = 384), EViT keeping 0.7 after blocks 3, 6, 9:
197 -> 1 + ceil(0.7 x 196) + 1 = 140 -> 1 + ceil(0.7 x 139) + 1 = 100 -> 1 + ceil(0.7 x 99) + 1 = 72.
The top-k after block 3 scores 196 candidates at 8 bits: 8 shifts + 9 adds = 17 ops per element; on int4.yaml's
64 lanes ceil(196 x 17 / 64) = 53 cycles. ToMe at 0.7 on 197 tokens merges r = 196 - 138 = 58 (<= |A| = 98).
"""

from __future__ import annotations

import pytest

from simulator.engine import simulate_layer
from simulator.loader import load_hardware
from workloads import build_model, load_recipe, load_workload
from workloads.errors import WorkloadError
from workloads.tokens import KeepSchedule, apply_schedule, merged_tokens, tokens_after


def _sched(method="evit", keep=None):
    return KeepSchedule.from_dict({"method": method, "keep": keep or {3: 0.7, 6: 0.7, 9: 0.7}}, "t.yaml")


def test_tokens_after_hand_computed():
    assert [tokens_after("evit", t, 0.7) for t in (197, 140, 100)] == [140, 100, 72]
    assert tokens_after("dynamicvit", 197, 0.7) == 1 + 137
    assert merged_tokens(197, 0.7) == 58 and tokens_after("tome", 197, 0.7) == 139
    assert merged_tokens(197, 0.1) == 98       # capped at |A| = ceil(196 / 2)


def test_shapes_after_a_keep_schedule():
    w = apply_schedule(build_model("deit_small", batch=2), _sched())
    by = {layer.name: layer for layer in w.layers}
    assert w.meta["tokens"]["tokens_in"][4] == 140 and w.meta["tokens"]["tokens_out"] == 72
    assert (by["blocks.3.attn.qkv"].m, by["blocks.4.attn.qkv"].m, by["blocks.10.mlp.fc2"].m) == (394, 280, 144)
    qk = by["blocks.7.attn.qk"]
    assert (qk.m, qk.n, qk.k, qk.repeat) == (100, 100, 64, 12)
    av = by["blocks.11.attn.av"]
    assert (av.m, av.n, av.k) == (72, 64, 72)
    sm = by["blocks.5.attn.softmax"]
    assert (sm.m, sm.n) == (2 * 6 * 140, 140)
    assert by["blocks.5.attn.q_scale"].m == 2 * 6 * 140
    assert by["norm"].m == 2 * 72 and by["head"].m == 2
    topk = by["blocks.3.token_topk"]
    assert (topk.op, topk.m, topk.n, topk.out_bits) == ("topk", 2, 196, 1)
    assert (by["blocks.3.token_score"].m, by["blocks.3.token_fuse"].m) == (2 * 5, 2 * (196 - 138))
    assert w.with_batch(1).layers == apply_schedule(build_model("deit_small"), _sched()).layers


def test_selection_op_cycles_hand_computed():
    w = load_workload("deit_small-w8a8_tokens70")
    topk = next(layer for layer in w.layers if layer.name == "blocks.3.token_topk")
    r = simulate_layer(topk, load_hardware("int4"))
    assert r["cycles_per_element"] == 17 and r["compute_cycles"] == 53
    assert r["shift_ops"] == 196 * 8 and r["int_add_ops"] == 196 * 9


def test_tokens70_executes_50_to_85_percent_of_dense_macs():
    dense, pruned = load_workload("deit_small-w8a8"), load_workload("deit_small-w8a8_tokens70")
    assert 0.5 <= pruned.macs / dense.macs <= 0.85
    assert pruned == load_recipe("w8a8_tokens70").apply(dense)


def test_tome_and_dynamicvit_layers():
    w = apply_schedule(build_model("deit_small"), _sched("tome", {3: 0.7}))
    by = {layer.name: layer for layer in w.layers}
    m = by["blocks.3.token_match"]
    assert (m.op, m.m, m.n, m.k) == ("matmul", 98, 99, 64) and by["blocks.3.token_merge"].m == 58
    assert by["blocks.4.attn.qkv"].m == 139
    d = apply_schedule(build_model("deit_small"), _sched("dynamicvit", {3: 0.5}))
    by = {layer.name: layer for layer in d.layers}
    assert (by["blocks.3.token_pred.fc2"].m, by["blocks.3.token_pred.fc2"].n) == (196, 192)
    assert by["blocks.4.attn.qkv"].m == 99


@pytest.mark.parametrize("tokens, field", [({"method": "x", "keep": {1: 0.5}}, "tokens.method"),
                                           ({"keep": {1: 1.5}}, "tokens.keep.1"),
                                           ({"keep": {40: 0.5}}, "tokens.keep.40"),
                                           ({"keep": {11: 0.5}}, "tokens.keep.11"),
                                           ({"keep": {}}, "tokens.keep")])
def test_bad_schedules(tokens, field):
    with pytest.raises(WorkloadError) as e:
        apply_schedule(build_model("deit_small"), KeepSchedule.from_dict(tokens, "t.yaml"), "t.yaml")
    assert e.value.field == field
