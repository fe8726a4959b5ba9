"""Recipes: globs on names, op filters, errors, and the zoo."""

import pytest

from workloads.errors import WorkloadError
from workloads.quantize import Recipe, load_recipe, recipe_names
from workloads.registry import load_workload, zoo_names
from workloads.vit import build_preset


def test_shipped_recipes():
    assert {"w8a8", "w4a8", "w4a4", "mixed", "fp16"} <= set(recipe_names())


def test_mixed_recipe_bits():
    """mixed: INT8 patch embedding, head and attention matmuls; W4A8 in qkv/proj/fc1/fc2."""
    w = load_recipe("mixed").apply(build_preset("deit_small"))
    by = {x.name: x for x in w.layers}
    assert (by["patch_embed.proj"].w_bits, by["head"].w_bits) == (8, 8)
    assert (by["blocks.3.attn.qk"].w_bits, by["blocks.3.attn.qk"].a_bits) == (8, 8)
    for n in ("attn.qkv", "attn.proj", "mlp.fc1", "mlp.fc2"):
        assert (by[f"blocks.5.{n}"].w_bits, by[f"blocks.5.{n}"].a_bits) == (4, 8)
    assert w.recipe == "mixed"


def test_rule_matching_nothing_is_an_error():
    r = Recipe.from_dict({"name": "x", "default": {"w_bits": 4}, "rules": [{"match": "blocks.*.atn.qkv", "w_bits": 8}]},
                         "x.yaml")
    with pytest.raises(WorkloadError, match="atn.qkv"):
        r.apply(build_preset("deit_tiny"))


def test_op_rule_on_every_name_may_match_nothing():
    """``match: "*"`` with an op is a rule on that op's layers, if any: w8a8's matmul rule on a model without
    matmuls applies nothing; the same op rule on a narrower glob that matches nothing is still an error."""
    from workloads.model import Layer, Workload

    cnn = Workload(model="cnn", img_size=8, batch=1, layers=(Layer(name="conv", op="conv", m=4, n=2, k=9),))
    w = load_recipe("w8a8").apply(cnn)
    assert (w.layers[0].w_bits, w.layers[0].w_granularity, w.recipe) == (8, "channel", "w8a8")
    r = Recipe.from_dict({"name": "x", "rules": [{"match": "blocks.*", "op": "matmul", "w_bits": 4}]}, "x.yaml")
    with pytest.raises(WorkloadError, match="blocks"):
        r.apply(cnn)


@pytest.mark.parametrize("bad, field", [
    ({"name": "x", "default": {"wbits": 4}}, "wbits"),
    ({"name": "x", "default": {"w_bits": 0}}, "w_bits"),
    ({"name": "x", "rules": [{"match": "*", "op": "conv3d"}]}, "op"),
    ({"name": "x", "rules": "all"}, "rules"),
])
def test_bad_recipes(bad, field):
    with pytest.raises(WorkloadError, match=field):
        Recipe.from_dict(bad, "x.yaml")


def test_unknown_recipe_lists_the_known_ones():
    with pytest.raises(WorkloadError, match="w4a8"):
        load_recipe("w3a3")


def test_zoo_loads_every_entry():
    names = zoo_names()
    for model in ("deit_tiny", "deit_small", "deit_base"):
        for recipe in ("w8a8", "w4a8", "w4a4", "mixed"):
            assert f"{model}-{recipe}" in names
    for name in names:
        w = load_workload(name)
        assert w.layers and w.macs > 0
    with pytest.raises(WorkloadError, match="unknown workload"):
        load_workload("deit_huge-w1a1")
