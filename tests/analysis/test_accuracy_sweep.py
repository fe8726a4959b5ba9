"""Accuracy as a sweep metric: a workload carries its accuracy with its kind, sweeps constrain and optimize
``top1``, Pareto fronts span recipes (``by="model"``), and a mixed recipe is derived under a budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.pareto import pareto_front, parse_objectives
from analysis.sweep import evaluate, spec_from_dict
from workloads import build_model
from workloads.accuracy.published import dominant_bits, published_accuracy, published_rows
from workloads.errors import InputError, WorkloadError
from workloads.quantize import Recipe

ROOT = Path(__file__).resolve().parents[2]


def _spec(**over):
    d = {"name": "acc", "base": str(ROOT / "hwconfigs" / "int4.yaml"),
         "axes": {"array.rows": [16, 32], "array.cols": {"tie": "array.rows"}},
         "models": ["deit_small"], "recipes": ["w8a8", "w4a4"],
         "accuracy": {"deit_small-w8a8": "published:PTQ4ViT", "deit_small-w4a4": "published:RepQ-ViT"},
         "constraints": ["top1 >= 70"], "objectives": ["latency_us", "max:top1"]}
    d.update(over)
    return d


def test_published_lookup_by_model_and_dominant_bits():
    """deit_small (analytic, 224) at w8a8 -> PTQ4ViT DeiT-S/224 W8A8 79.47 (PTQ4ViT Table 2); at w4a4 ->
    RepQ-ViT 69.03 (RepQ-ViT Table 1); the dominant bits are those of the GEMMs carrying the most MACs."""
    w8 = build_model("deit_small", "w8a8")
    assert dominant_bits(w8) == (8, 8)
    acc = published_accuracy(w8, "PTQ4ViT")
    assert (acc["kind"], acc["top1"], acc["fp32_top1"]) == ("published", 79.47, 79.80)
    assert published_accuracy(build_model("deit_small", "w4a4"), "RepQ-ViT")["top1"] == 69.03
    with pytest.raises(WorkloadError, match="0 published I-ViT rows"):
        published_accuracy(build_model("deit_small", "w4a4"), "I-ViT")


def test_published_table_is_consistent():
    """At least 40 rows; every row of one paper's table reports one FP32 baseline per model."""
    rows = published_rows()
    assert len(rows) >= 40
    assert {r["method"] for r in rows} >= {"PTQ4ViT", "RepQ-ViT", "FQ-ViT", "I-ViT", "Base PTQ"}
    fp: dict = {}
    for r in rows:
        fp.setdefault((r["source"], r["model"]), set()).add(r["fp32_top1"])
        assert 0 <= r["top1"] <= 100 and r["w_bits"] in (4, 6, 8) and r["a_bits"] in (4, 6, 8)
    assert all(len(v) == 1 for v in fp.values())


def test_sweep_constrains_and_optimizes_top1_across_recipes():
    """top1 is a column of every row (the workload's, the same on every design); ``top1 >= 70`` makes the w4a4
    points infeasible (69.03); the front by model over (latency, max:top1) spans both recipes."""
    spec = spec_from_dict(_spec())
    df = evaluate(spec, workers=0)
    w8 = df[df["workload"] == "deit_small-w8a8"]
    w4 = df[df["workload"] == "deit_small-w4a4"]
    assert (w8["top1"] == 79.47).all() and (w4["top1"] == 69.03).all()
    assert (df["accuracy_kind"] == "published").all() and set(df["recipe"]) == {"w8a8", "w4a4"}
    assert w8["feasible"].all() and not w4["feasible"].any()
    objs = parse_objectives("latency_us,max:top1")
    front = pareto_front(df, objs, by="model", include_infeasible=True)
    assert set(front["workload"]) == {"deit_small-w8a8", "deit_small-w4a4"}
    assert len(pareto_front(df, objs, by="workload", include_infeasible=True)) == 2  # one per workload
    feasible = pareto_front(df, objs, by="model")
    assert set(feasible["workload"]) == {"deit_small-w8a8"}


def test_sweep_accuracy_mapping_and_errors():
    """A measured accuracy given inline; a workload without one has NaN top1 (never feasible under a top1
    constraint); bad entries are one-line errors naming the field."""
    spec = spec_from_dict(_spec(accuracy={"deit_small-w8a8": {"kind": "measured", "top1": 78.5}},
                                constraints=[]))
    df = evaluate(spec, workers=0)
    assert (df[df["workload"] == "deit_small-w8a8"]["top1"] == 78.5).all()
    assert df[df["workload"] == "deit_small-w4a4"]["top1"].isna().all()
    for bad, field in [({"nope": "published:PTQ4ViT"}, "accuracy.nope"),
                       ({"*": "published"}, "accuracy.deit_small-w8a8"),
                       ({"*": {"kind": "measured", "top1": 120}}, "top1"),
                       ({"*": "published:I-ViT"}, "workloads")]:
        with pytest.raises(InputError, match=field):
            spec_from_dict(_spec(accuracy=bad))


def test_workload_accuracy_round_trip_and_recipe_clears_it(tmp_path):
    w = build_model("deit_tiny", "w8a8")
    from dataclasses import replace

    from workloads.model import Workload

    m = replace(w, accuracy={"kind": "measured", "top1": 71.0, "top5": 90.5})
    m.save(tmp_path / "m.yaml")
    assert Workload.load(tmp_path / "m.yaml").accuracy["top1"] == 71.0
    assert Recipe.from_dict({"name": "r", "default": {"w_bits": 4}}, "r").apply(m).accuracy is None
    with pytest.raises(WorkloadError, match="accuracy.kind"):
        Workload.from_dict({**m.to_dict(), "accuracy": {"kind": "guess", "top1": 1}}, "x.yaml")


@pytest.mark.trace
def test_mixed_recipe_meets_the_budget():
    """DeiT-Tiny at 64x64 on int4, candidates w8a8 then w4a4: a budget halfway between their latencies moves some
    layers (not all), the re-simulated mixed recipe meets it, and a budget above w8a8's moves none."""
    pytest.importorskip("torch")
    from analysis.mixed import derive_mixed, parse_budget
    from simulator.loader import load_hardware

    hw = load_hardware("int4")
    _, s0 = derive_mixed("deit_tiny_patch16_224", hw, parse_budget("latency_us=1e6"), ["w8a8", "w4a4"],
                         img_size=64, calib_batches=1)
    assert s0["moved_layers"] == 0 and s0["latency_us"] == s0["candidate_totals"]["w8a8"]
    hi, lo = s0["candidate_totals"]["w8a8"], s0["candidate_totals"]["w4a4"]
    recipe, s = derive_mixed("deit_tiny_patch16_224", hw, ("latency_us", (hi + lo) / 2), ["w8a8", "w4a4"],
                             img_size=64, calib_batches=1)
    assert 0 < s["moved_layers"] < s["gemm_layers"] and s["meets_budget"]
    assert lo <= s["latency_us"] <= (hi + lo) / 2
    assert Recipe.from_dict(recipe, "mixed").name == "mixed-auto"
    with pytest.raises(InputError, match="out of reach"):
        derive_mixed("deit_tiny_patch16_224", hw, ("latency_us", lo / 2), ["w8a8", "w4a4"], img_size=64,
                     calib_batches=1)
    with pytest.raises(InputError, match="latency_us=NUMBER"):
        parse_budget("cycles=5")
