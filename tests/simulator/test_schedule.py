"""The network schedule (simulator/model/schedule.py): the vector unit beside the array (``vector.overlap: gemm``),
fused attention's array and vector unit overlapping per key tile, weights prefetched across layers
(``memory.prefetch: network``). Hand-computed cases, the groups of a ViT block, defaults untouched, the batch
evaluator, the DRAM and roofline bounds, bad input. The cycle-stepped references: tests/reference/."""

from __future__ import annotations

import copy
from dataclasses import replace
from types import SimpleNamespace

import pytest

import hwconfigs
from simulator import ConfigError, simulate, simulate_totals
from simulator.hardware import hardware_from_dict
from simulator.model.schedule import group_hidden, groups, windows
from workloads import load_workload
from workloads.io import read_structured

SPARSE = load_workload("deit_small-w4a4_2of4")


def _first_shipped(name: str) -> dict:
    """The config's mapping; int4_sparse as first shipped (int4.yaml + 2:4 PEs, the op-count vector unit, neither
    option): the cases below were worked on it before issue 14 gave int4_sparse.yaml pipelined vector lanes,
    ``vector.overlap: gemm`` and ``memory.prefetch: network`` (docs/sparsity.md)."""
    d = copy.deepcopy(read_structured(hwconfigs.find(name)))
    if name == "int4_sparse":
        d["vector"] = {"lanes": d["vector"]["lanes"]}
        d.pop("memory", None)
    # the cases were worked with each layer alone, the default then: written out (the default is now auto)
    d["vector"].setdefault("overlap", "none")
    d.setdefault("memory", {}).setdefault("prefetch", "layer")
    return d


def _hw(name="int4_sparse", overlap=None, prefetch=None, attention=None, folds=None, efficiency=None):
    d = _first_shipped(name)
    if efficiency is not None:
        d["dram"]["efficiency"] = efficiency
    if overlap:
        d["vector"]["overlap"] = overlap
    d.setdefault("memory", {})
    if prefetch:
        d["memory"]["prefetch"] = prefetch
    if attention:
        d["memory"]["attention"] = attention
    if folds:
        d["array"]["folds"] = folds
    return hardware_from_dict(d, f"{name}.yaml")


def _rows(hw, workload=SPARSE) -> dict:
    return {x.name: x.to_dict() for x in simulate(workload, hw).layer_results}


def test_group_hidden_closed_form():
    """Two-stage pipeline of n tiles: hidden = min((n - 1) / n * min(A, V), max(0, A + V - D)).
    n = 4, A = 400, V = 100: 3/4 * 100 = 75 (the last tile's 25 vector cycles drain after the array);
    V = 1000: 3/4 * 400 = 300; one tile hides nothing; D = 450 > A + V - 75 caps it at 500 - 450 = 50."""
    assert group_hidden(400.0, 100.0, 0.0, 4) == 75.0
    assert group_hidden(400.0, 1000.0, 0.0, 4) == 300.0
    assert group_hidden(400.0, 100.0, 0.0, 1) == 0.0
    assert group_hidden(400.0, 100.0, 450.0, 4) == 50.0


def test_worked_example_deit_small_2of4():
    """int4_sparse.yaml with overlap and network prefetch, DeiT-S W4A4 2:4, block 0's MLP (module docstring):
    fc1 16,703 cycles, 96 output tiles (4 row x 24 column folds), DRAM 8,760 cycles; its prologue norm2 (9,456,
    no DRAM) and epilogue GELU (85,104, DRAM 5,910) on the one vector unit: V = 94,560, D = 14,670;
    hidden = min(95/96 * 16,703, 16,703 + 94,560 - 14,670) = 16,529.0104...; GELU's share 85,104 / 94,560 of it =
    14,876.109375, norm2's 1,652.9010...; fc2's window is fc1's unit (norm2, fc1, GELU): its idle DRAM
    (16,703 + 94,560 - 16,529.01 - 14,670) * 25.6 B exceeds the free half of the 256 KiB weight buffer, so
    131,072 B (5,120 cycles) of its 221,184 filter bytes come early: its floor 14,580 - 5,120 = 9,460 > its 7,631
    compute cycles: total 9,460 (14,580 without prefetch). DRAM at its full 25.6 B/cycle (``dram.efficiency`` 1.0; the
    shipped LPDDR4 serves 0.685 of it: docs/memory.md)."""
    r = _rows(_hw(overlap="gemm", prefetch="network", efficiency=1.0))
    fc1, act, norm2, fc2 = (r[f"blocks.0.{n}"] for n in ("mlp.fc1", "mlp.act", "norm2", "mlp.fc2"))
    assert (fc1["total_cycles"], fc1["output_tiles"], fc1["dram_cycles"]) == (16703, 96, 8760)
    assert (act["compute_cycles"], act["dram_cycles"], norm2["compute_cycles"]) == (85104, 5910, 9456)
    hidden = 16703 * 95 / 96
    assert act["overlap_hidden_cycles"] == pytest.approx(hidden * 85104 / 94560, rel=1e-12) == 14876.109375
    assert norm2["overlap_hidden_cycles"] == pytest.approx(hidden * 9456 / 94560, rel=1e-12)
    assert act["total_cycles"] == pytest.approx(85104 - 14876.109375, rel=1e-12)
    assert fc2["prefetched_weight_bytes"] == 131072 and fc2["dram_filter_read_bytes"] == 221184
    assert fc2["total_cycles"] == 14580 - 131072 / 25.6 == 9460
    assert fc1["overlap_hidden_cycles"] == 0 and fc1["total_cycles"] == fc1["scalesim_total_cycles"]
    alone = _rows(_hw(efficiency=1.0))
    assert alone["blocks.0.mlp.fc2"]["total_cycles"] == 14580
    assert alone["blocks.0.mlp.act"]["total_cycles"] == 85104


def _layers(spec):
    return [SimpleNamespace(op=op, is_gemm=op in ("gemm", "matmul"), weight_operand=op != "matmul", name=name,
                            m=197, n=197, repeat=6, acc_bits=32) for name, op in spec]


BLOCK = [("norm1", "layernorm"), ("qkv", "gemm"), ("q_scale", "mul"), ("qk", "matmul"), ("softmax", "softmax"),
         ("av", "matmul"), ("proj", "gemm"), ("residual1", "add"), ("norm2", "layernorm"), ("fc1", "gemm"),
         ("act", "gelu"), ("fc2", "gemm"), ("residual2", "add")]


def test_groups_and_windows_of_a_vit_block():
    """Epilogues first (a vector layer joins the GEMM before it), else prologues: qkv gets norm1 and q_scale, q@k^T
    the softmax, proj residual1, fc1 norm2 and GELU, fc2 residual2; attn@v none. Fused (ofmap 128 KiB, 32-bit
    accumulators: Tk = 83, 3 key tiles): q@k^T and attn@v with the softmax and the online rescale, n = 6 x 3 = 18.
    Prefetch windows: from the unit (group, or layer alone) of the previous GEMM with weights to its own unit."""
    layers = _layers(BLOCK)
    grp, of = groups(layers, None)
    named = {tuple(layers[a].name for a in g[0]): tuple(layers[v].name for v in g[1]) for g in grp}
    assert named == {("qkv",): ("norm1", "q_scale"), ("qk",): ("softmax",), ("proj",): ("residual1",),
                     ("fc1",): ("norm2", "act"), ("fc2",): ("residual2",)}
    assert all(g[2] is None for g in grp)
    fused = _layers(BLOCK[:6] + [("av.online_softmax", "mul")] + BLOCK[6:])
    grp, of = groups(fused, (128 * 1024, 32))
    chain = grp[of[3]]
    assert [fused[a].name for a in chain[0]] == ["qk", "av"] and chain[2] == 18
    assert [fused[v].name for v in chain[1]] == ["softmax", "av.online_softmax"]
    assert of[2] == of[1]              # q_scale stays with qkv
    def named_windows(win):
        return {layers[g].name: [layers[q].name for q in w] for g, w in win.items()}

    assert named_windows(windows(layers)) == {
        "qkv": ["norm1"], "proj": ["qkv", "q_scale", "qk", "softmax", "av"], "fc1": ["proj", "residual1", "norm2"],
        "fc2": ["fc1", "act"]}
    grp, of = groups(layers, None)
    assert named_windows(windows(layers, grp, of)) == {
        "qkv": [], "proj": ["norm1", "qkv", "q_scale", "qk", "softmax", "av"], "fc1": ["proj", "residual1"],
        "fc2": ["norm2", "fc1", "act"]}


def test_fused_attention_overlaps_per_key_tile():
    """Fused attention with overlap: the softmax and its online rescale hide under q@k^T and attn@v over 6 heads x 3
    key tiles = 18 tiles: hidden = group_hidden(A, V, D, 18), shared by vector cycles; without overlap their
    cycles add up (nothing hidden)."""
    r = _rows(_hw(overlap="gemm", attention="fused"))
    qk, sm, av, on = (r[f"blocks.0.attn.{n}"] for n in ("qk", "softmax", "av", "av.online_softmax"))
    a = qk["total_cycles"] + av["total_cycles"]
    sm0 = sm["total_cycles"] + sm["overlap_hidden_cycles"]
    on0 = on["total_cycles"] + on["overlap_hidden_cycles"]
    d = sum(x["dram_cycles"] for x in (qk, sm, av, on))
    h = group_hidden(a, sm0 + on0, d, 18)
    assert h == pytest.approx(17 / 18 * a, rel=1e-12)          # the vector unit is the longer stage
    assert sm["overlap_hidden_cycles"] + on["overlap_hidden_cycles"] == pytest.approx(h, rel=1e-12)
    assert sm["overlap_hidden_cycles"] == pytest.approx(h * sm0 / (sm0 + on0), rel=1e-12)
    plain = _rows(_hw(attention="fused"))
    assert plain["blocks.0.attn.softmax"]["overlap_hidden_cycles"] == 0
    assert plain["blocks.0.attn.softmax"]["total_cycles"] == sm0


def test_switches_off_change_nothing():
    """vector.overlap: none and memory.prefetch: layer: nothing hidden or prefetched; left out, both are auto (derived
    from the buffers: simulator/model/schedule.py, tests/simulator/test_overlap.py); to_dict writes the options out
    and reads back equal."""
    d = _first_shipped("int4_sparse")
    del d["vector"]["overlap"], d["memory"]["prefetch"]
    auto, explicit = hardware_from_dict(d), _hw(overlap="none", prefetch="layer")
    assert auto.to_dict()["vector"]["overlap"] == "auto" and auto.to_dict()["memory"]["prefetch"] == "auto"
    plain = hardware_from_dict(_first_shipped("int4_sparse"))
    assert plain == explicit and plain.to_dict()["vector"]["overlap"] == "none"
    assert plain.to_dict()["memory"]["prefetch"] == "layer"
    on = _hw(overlap="gemm", prefetch="network")
    assert on.to_dict()["vector"]["overlap"] == "gemm" and hardware_from_dict(on.to_dict(), "again.yaml") == on
    rows = simulate(SPARSE, explicit).layer_results
    assert all(x.overlap_hidden_cycles == 0 and x.prefetched_weight_bytes == 0 for x in rows)
    assert simulate_totals(SPARSE, plain) == simulate_totals(SPARSE, explicit)


@pytest.mark.parametrize("name", ["int4_sparse", "int8", "tpu_v1", "vit_hsiung28"])
@pytest.mark.parametrize("options", [("gemm", "layer", None), ("none", "network", None), ("gemm", "network", "fused"),
                                     ("gemm", "network", None)])
def test_never_faster_than_dram_or_array_allow(name, options):
    """With every schedule: the network never beats its DRAM time (sum of total_cycles >= sum of dram_cycles), the
    array's time (each GEMM total >= its compute cycles), nor the roofline of engines that overlap: the sum of the
    GEMMs' compute bounds and the compulsory DRAM bytes / bandwidth; the schedule only ever removes cycles."""
    from analysis.devices import device_from_hardware
    from analysis.roofline import analyze

    hw = _hw(name, *options[:2], attention=options[2])
    wl = load_workload("deit_tiny-w8a8" if name != "int4_sparse" else "deit_small-w4a4_2of4")
    res = simulate(wl, hw)
    rows = [x.to_dict() for x in res.layer_results]
    total = sum(r["total_cycles"] for r in rows)
    assert total >= sum(r["dram_cycles"] for r in rows) * (1 - 1e-12)
    assert all(r["total_cycles"] >= r["compute_cycles"] for r in rows if r["macs"] > 0)
    assert all(r["total_cycles"] > 0 for r in rows)
    rf = analyze(wl, device_from_hardware(hw), fused_attention=options[2] == "fused")
    assert total == pytest.approx(res.totals.total_cycles, rel=1e-12)
    f = hw.freq_mhz * 1e6
    gemm_bound = sum(lr.compute_time_s for lr in rf.layers if lr.op in ("gemm", "matmul", "conv")) * f
    assert total >= gemm_bound * (1 - 1e-9)
    assert total >= rf.totals["dram_bytes"] / (hw.dram.bandwidth_gbps * 1e9) * f * (1 - 1e-9)
    assert total <= simulate_totals(wl, _hw(name, attention=options[2])).total_cycles


@pytest.mark.parametrize("section,field,value", [("vector", "overlap", "always"), ("memory", "prefetch", "yes")])
def test_bad_option_names_file_field_value(section, field, value):
    d = copy.deepcopy(read_structured(hwconfigs.find("int4")))
    d.setdefault(section, {})[field] = value
    with pytest.raises(ConfigError) as e:
        hardware_from_dict(d, "my.yaml")
    text = str(e.value)
    assert "my.yaml" in text and f"{section}.{field}" in text and value in text and "\n" not in text


def test_cli_runs_the_options(tmp_path):
    """End to end from the command line: a YAML with both options runs; a bad value exits 2 with one line."""
    import subprocess
    import sys

    d = copy.deepcopy(read_structured(hwconfigs.find("int4_sparse")))
    d["vector"]["overlap"] = "gemm"
    d["memory"] = {"prefetch": "network"}
    import yaml

    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(d))
    out = subprocess.run([sys.executable, "-m", "simulator", "run", str(good), "--format", "json"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    import json

    totals = json.loads(out.stdout)["totals"]
    assert totals["overlap_hidden_cycles"] > 0 and totals["prefetched_weight_bytes"] > 0
    d["memory"]["prefetch"] = "later"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(d))
    out = subprocess.run([sys.executable, "-m", "simulator", "run", str(bad)], capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.strip().count("\n") == 0 and "memory.prefetch" in out.stderr


def test_batch_matches_with_the_options():
    """The batch evaluator equals simulate_totals bit for bit with the options on (the Hypothesis test in
    test_batch.py draws them on random designs; this pins the shipped sparse design)."""
    import struct

    from simulator.model.batch import DesignBatch, evaluate
    from simulator.schema import TOTAL_NAMES

    hws = [_hw(overlap=o, prefetch=p, attention=a, folds=f) for o in ("none", "gemm") for p in ("layer", "network")
           for a in ("unfused", "fused") for f in ("serial", "pipelined")]
    hws += [replace(h, buffers=replace(h.buffers, weight_kib=64.0)) for h in hws]
    totals, errors = evaluate(SPARSE, DesignBatch.from_hardware(hws))
    assert not any(errors)
    for i, hw in enumerate(hws):
        t = simulate_totals(SPARSE, hw)
        for k in TOTAL_NAMES:
            assert struct.pack("<d", t[k]) == struct.pack("<d", float(totals[k][i])), (i, k)


def test_random_designs_keep_the_bounds():
    """40 random designs (array 8..96 square or not, dataflow, buffers 2..512 KiB, 0.5..100 GB/s, vector lanes,
    both options, fused or not) on DeiT-Tiny W8A8 and W4A4 2:4: the network never beats its DRAM time, each GEMM
    keeps at least its compute cycles, every hidden share is at most its layer's standalone cycles, and the
    options never add a cycle."""
    import random

    rng = random.Random(2026)
    base = _first_shipped("int4_sparse")
    for i in range(40):
        d = copy.deepcopy(base)
        d["array"].update(rows=rng.randint(8, 96), cols=rng.randint(8, 96), dataflow=rng.choice(("os", "ws", "is")))
        d["buffers"] = {k: rng.choice((2, 16, 64, 256, 512)) for k in ("ifmap_kib", "weight_kib", "ofmap_kib")}
        d["dram"]["bandwidth_gbps"] = rng.choice((0.5, 4.0, 25.6, 100.0))
        d["vector"]["lanes"] = rng.choice((4, 16, 64, 256))
        att = rng.choice(("unfused", "fused"))
        d["memory"] = {"attention": att, "prefetch": "layer"}
        plain = hardware_from_dict(copy.deepcopy(d), "plain.yaml")
        d["vector"]["overlap"] = "gemm"
        d["memory"]["prefetch"] = "network"
        hw = hardware_from_dict(d, "random.yaml")
        wl = load_workload(("deit_tiny-w8a8", "deit_tiny-w4a4")[i % 2])
        res = simulate(wl, hw)
        rows = [x.to_dict() for x in res.layer_results]
        total = sum(r["total_cycles"] for r in rows)
        assert total == pytest.approx(res.totals.total_cycles, rel=1e-12), i
        assert total >= sum(r["dram_cycles"] for r in rows) * (1 - 1e-12), i
        assert all(r["total_cycles"] >= r["compute_cycles"] for r in rows if r["macs"] > 0), i
        assert all(0 <= r["overlap_hidden_cycles"] <= r["scalesim_total_cycles"] + r["dram_floor_stall_cycles"]
                   for r in rows), i
        assert total <= simulate_totals(wl, plain).total_cycles * (1 + 1e-12), i
