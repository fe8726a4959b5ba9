"""Roofline: hand-computed ops, bytes and intensity; batch crossover; fallback notes; CLI; simulator agreement."""

import json
import math
from pathlib import Path

import pytest

from analysis.cli import main
from analysis.devices import load_device
from analysis.roofline import analyze, apply_precision, crossover_batch, layer_roofline, sram_bytes
from workloads.cli_common import run_main
from workloads.errors import InputError
from workloads.model import Layer
from workloads.vit import build_preset

RTX = load_device("rtx4090")


def test_gemm_hand_computed():
    """qkv-like GEMM M=197, N=768, K=768 at W8A8, per-tensor scales, on the RTX 4090 (int8 660.6 TOPS, 1008 GB/s):
    ops = 2*197*768*768 = 232,390,656; bytes = 197*768 + 768*768 + 197*768 = 892,416 (per-tensor scales are
    register constants: 0 bytes, as in simulator.quant); intensity = 260.40 ops/B < ridge 655.36 -> memory-bound;
    time = 892,416 / 1008e9 = 885.3 ns. Per-channel weight scales add N = 768 FP16 scales = 1,536 bytes."""
    layer = Layer("x", "gemm", m=197, n=768, k=768, w_bits=8, a_bits=8, out_bits=8)
    lr = layer_roofline(layer, RTX)
    assert lr.ops == 232_390_656
    assert lr.bytes == 892_416
    assert lr.scale_bytes == 0
    assert lr.intensity == pytest.approx(232_390_656 / 892_416)
    assert lr.ceiling == "int8" and lr.bound == "memory"
    assert lr.time_s == pytest.approx(892_416 / 1008e9)
    ch = layer_roofline(Layer("x", "gemm", m=197, n=768, k=768, w_granularity="channel"), RTX)
    assert ch.scale_bytes == 1_536 and ch.bytes == 892_416 + 1_536
    assert lr.attainable_ops_per_s == pytest.approx(lr.intensity * 1008e9)


def test_repeat_copies_are_independent():
    """A grouped conv (repeat = 4 groups of K=9, N=1) and an attention matmul (repeat = heads) move every copy's
    operands: 4 x (10*9 + 9*1 + 10*1) = 436 bytes at 8 bits; per-token activation scales are dynamic, one per
    row per copy: 4 x 10 x 2 B = 80 bytes."""
    g = layer_roofline(Layer("dw", "conv", m=10, n=1, k=9, repeat=4, a_granularity="token"), RTX)
    assert (g.ifmap_bytes, g.filter_bytes, g.ofmap_bytes) == (360, 36, 40)
    assert g.scale_bytes == 4 * 10 * 2 and g.ops == 2 * 10 * 9 * 4


def test_softmax_and_layernorm_hand_computed():
    """FP16 softmax over 12 heads x 197 rows of 197: elements 465,708; ops 5 each = 2,328,540; bytes 2+2 each =
    1,862,832; intensity 1.25. FP16 LayerNorm 197 x 768: 151,296 elements; ops 7 each = 1,059,072; bytes 605,184;
    intensity 1.75. Both far below the FP32 CUDA-core ridge (82.6e12 / 1008e9 = 81.9): memory-bound."""
    sm = layer_roofline(Layer("s", "softmax", m=12 * 197, n=197, w_bits=16, a_bits=16, out_bits=16, dtype="fp"), RTX)
    assert (sm.ops, sm.bytes, sm.intensity) == (2_328_540, 1_862_832, 1.25)
    ln = layer_roofline(Layer("n", "layernorm", m=197, n=768, w_bits=16, a_bits=16, out_bits=16, dtype="fp"), RTX)
    assert (ln.ops, ln.bytes, ln.intensity) == (1_059_072, 605_184, 1.75)
    assert sm.bound == ln.bound == "memory" and ln.ceiling == "fp32"
    add = layer_roofline(Layer("a", "add", m=197, n=768, a_bits=8, out_bits=8), RTX)
    assert add.bytes == 3 * 151_296 and add.ops == 151_296   # reads two tensors


def test_fc1_flips_from_memory_to_compute_with_batch():
    """fp16 fc1 (M = 197 B, N = 3072, K = 768) on the RTX 4090 (ridge 163.89): compute-bound when
    2*197B*3072*768 >= ridge * 2*(197B*768 + 768*3072 + 197B*3072), i.e. B >= ridge*4,718,592 /
    (929,562,624 - ridge*1,512,960) = 1.13 -> crossover at batch 2."""
    fc1 = {b: next(x for x in apply_precision(build_preset("deit_base", b), "fp16")[0].layers
                   if x.name == "blocks.0.mlp.fc1") for b in (1, 2, 64)}
    assert layer_roofline(fc1[1], RTX).bound == "memory"
    assert layer_roofline(fc1[2], RTX).bound == "compute"
    assert layer_roofline(fc1[64], RTX).bound == "compute"
    ridge = RTX.ridge("fp16")
    b_star = ridge * 4_718_592 / (929_562_624 - ridge * 1_512_960)
    assert crossover_batch(fc1[1], 1, RTX) == math.ceil(b_star) == 2
    # attention matmuls do not gain intensity with the batch; never compute-bound at FP16 on the 4090
    qk = next(x for x in apply_precision(build_preset("deit_base", 1), "fp16")[0].layers if x.name.endswith("attn.qk"))
    assert crossover_batch(qk, 1, RTX) is None
    w, _ = apply_precision(build_preset("deit_base", 1), "fp16")
    assert analyze(w, RTX).totals["gemm_crossover_batch"] == 264     # the head (M = batch) crosses last


def test_int4_fallback_and_weight_only():
    """W4A4 on the H100 SXM runs on the INT8 ceiling with a note, but moves 4-bit bytes: fc1 filter = 768*3072/2.
    W4A16: FP16 compute with 4-bit weights and group-128 FP16 scales: 6 groups x 3072 x 2 B = 36,864 B."""
    w, _ = apply_precision(build_preset("deit_base", 1), "int4")
    rf = analyze(w, load_device("h100 sxm"), crossover=False)
    fc1 = next(x for x in rf.layers if x.name == "blocks.0.mlp.fc1")
    assert fc1.ceiling == "int8" and "int4" in fc1.note
    assert fc1.filter_bytes == 768 * 3072 / 2
    w16, prefer = apply_precision(build_preset("deit_base", 1), "w4a16")
    fc1 = next(x for x in analyze(w16, RTX, prefer, crossover=False).layers if x.name == "blocks.0.mlp.fc1")
    assert fc1.ceiling == "fp16_fp32acc" and "weight-only" in fc1.note
    assert fc1.filter_bytes == 768 * 3072 / 2 and fc1.scale_bytes == 6 * 3072 * 2
    assert fc1.ifmap_bytes == 197 * 768 * 2


def test_fused_attention_keeps_scores_on_chip():
    w, _ = apply_precision(build_preset("deit_tiny", 1), "fp16")
    plain = analyze(w, RTX, crossover=False)
    fused = analyze(w, RTX, fused_attention=True, crossover=False)
    get = {lr.name: lr for lr in fused.layers}
    assert get["blocks.0.attn.softmax"].bytes == 0 and get["blocks.0.attn.softmax"].intensity is None
    assert get["blocks.0.attn.qk"].ofmap_bytes == 0 and get["blocks.0.attn.av"].ifmap_bytes == 0
    assert get["blocks.0.attn.qk"].ifmap_bytes > 0 and get["blocks.0.attn.av"].ofmap_bytes > 0
    scores = 3 * 197 * 197 * 2
    assert plain.totals["dram_bytes"] - fused.totals["dram_bytes"] == 12 * 4 * scores


def test_totals():
    w, _ = apply_precision(build_preset("deit_small", 64), "fp16")
    rf = analyze(w, RTX, crossover=False)
    t = rf.totals
    assert t["latency_s_bound"] == pytest.approx(sum(lr.time_s for lr in rf.layers))
    assert t["throughput_fps_bound"] == pytest.approx(64 / t["latency_s_bound"])
    mem = sum(lr.time_s for lr in rf.layers if lr.bound != "compute")
    assert t["memory_bound_time_fraction"] == pytest.approx(mem / t["latency_s_bound"])
    assert 0 < t["memory_bound_time_fraction"] < 1


def test_sram_bytes_hand_computed():
    """int8.yaml (ws, 64x64, p = 1, acc 32): 128^3 GEMM at W8A8 (out 8 bits): rows hold K: nr = 2 row folds;
    columns hold N: nc = 2. ifmap reads M*K*nc = 32,768 B; filter (stationary) K*N = 16,384 B; ofmap writes
    M*N*(8 + 1*32)/8 = 81,920 B (outputs + partial sums of the first row fold at acc bits); read-backs
    M*N*1*32/8 = 65,536 B; total 196,608 B (simulator.model.traffic.array_sram_bytes, as the simulator counts)."""
    from simulator import load_hardware

    layer = Layer("g", "gemm", m=128, n=128, k=128)
    assert sram_bytes(layer, load_hardware("int8")) == 32_768 + 16_384 + 81_920 + 65_536 == 196_608
    assert layer_roofline(layer, load_device("int8")).sram_bytes == 196_608


def test_unknown_precision_is_input_error():
    with pytest.raises(InputError):
        apply_precision(build_preset("deit_tiny", 1), "int3")


def test_cli_json_and_bad_input(capsys, tmp_path):
    out = tmp_path / "r.json"
    assert run_main(main, ["roofline", "--device", "RTX 4090", "--workload", "deit_tiny-w8a8", "--batch", "2",
                           "--format", "json", "-o", str(out)]) == 0
    d = json.loads(out.read_text())
    assert set(d["layers"][0]) >= {"name", "op", "ops", "bytes", "intensity", "bound", "time_s"}
    assert set(d["totals"]) >= {"latency_s_bound", "throughput_fps_bound", "memory_bound_time_fraction"}
    assert d["workload"]["batch"] == 2
    assert run_main(main, ["roofline", "--device", "int4", "--workload", "deit_tiny-w4a4", "--format", "csv"]) == 0
    assert "blocks.0.mlp.fc1" in capsys.readouterr().out
    for argv in (["--device", "nope", "--workload", "deit_tiny-w8a8"],
                 ["--device", "rtx4090", "--workload", "deit_tiny-w8a8", "--precision", "int3"],
                 ["--device", "int8", "--model", "deit_tiny", "--precision", "fp16"]):
        assert run_main(main, ["roofline", *argv, "--no-crossover"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error:") and err.count("\n") == 1


# ------------------------------------------------------------------------------------ agreement with simulate()
def _zoo_cases():
    from simulator import load_hardware
    from workloads.registry import zoo_names

    hw_dir = Path(__file__).resolve().parents[2] / "hwconfigs"
    one_engine = [p for p in sorted(hw_dir.glob("*.yaml")) if not hasattr(load_hardware(p), "engines")]  # not chips
    return [(hw, z) for hw in one_engine for z in zoo_names()]


def _standalone_cases(batch):
    """(hardware file, zoo name, simulated rows, roofline) for every zoo workload on every hwconfigs/*.yaml whose
    PE runs its precisions, with the configs' own memory plan (activations on chip where they fit: the roofline
    skips the operands the plan keeps, ``analysis.roofline.onchip_skips``)."""
    from analysis.devices import device_from_hardware
    from simulator import ConfigError, load_hardware, simulate_rows
    from workloads.registry import load_workload

    for hw_path, zoo in _zoo_cases():
        hw = load_hardware(hw_path)
        wl = load_workload(zoo).with_batch(batch)
        try:
            rows = simulate_rows(wl, hw)
        except ConfigError:
            continue                                   # the PE has no mode for this precision
        yield hw_path.name, zoo, hw, rows, analyze(wl, device_from_hardware(hw), crossover=False)


@pytest.mark.slow
@pytest.mark.parametrize("batch", [1, 4])
def test_simulated_time_never_beats_the_roofline(batch):
    """Every zoo workload on every hwconfigs/*.yaml whose PE runs its precisions: per layer, simulated
    total_cycles >= the roofline time bound max(ops / peak, DRAM bytes (scales included) / bandwidth,
    SRAM bytes / SRAM bandwidth) x clock; per network, the sum >= the latency bound. (This held only for the
    layer standing alone until the simulator put a DRAM floor under every layer: tpu_v1.yaml, deit_tiny-w8a8,
    batch 1 simulated 581,463 cycles against a 740,766-cycle DRAM floor.)
    A design with the network-schedule options (int4_sparse.yaml: vector.overlap gemm, memory.prefetch network) runs
    the vector unit beside the array and fetches weights in earlier layers' idle DRAM cycles, so a layer's time is
    checked as it stands alone (total + overlap_hidden_cycles + prefetched_weight_bytes / B), and the network against
    the roofline's bound for engines that overlap (the busiest engine's summed time: analysis/roofline_totals.py)."""
    checked = 0
    for name, zoo, hw, rows, rf in _standalone_cases(batch):
        f = hw.freq_mhz * 1e6
        for row, lr in zip(rows, rf.layers):
            alone = row["total_cycles"] + row["overlap_hidden_cycles"] \
                + row["prefetched_weight_bytes"] / hw.dram_bytes_per_cycle
            assert alone + 1 >= lr.time_s * f * (1 - 1e-9), (name, zoo, lr.name, row["total_cycles"], lr.time_s * f)
            assert row["compute_cycles"] + 1 >= lr.compute_time_s * f * (1 - 1e-9), (name, zoo, lr.name)
        total = sum(r["total_cycles"] for r in rows)
        assert total >= rf.totals["latency_s_bound"] * f * (1 - 1e-9), (name, zoo, rf.options["latency_bound"])
        checked += 1
    assert checked >= 20


def test_overlapping_engines_bound_is_the_busiest_engine():
    """Hand-computed: array layers 3 + 5 s (SRAM 4 s > compute 3 s in the first), a vector layer 6 s, DRAM 2 + 1 + 4 s:
    layers one after another 4 + 5 + 6 = 15 s (each layer's time_s is its own max); engines overlapping:
    max(array 4 + 5 = 9, vector 6, DRAM 7) = 9 s."""
    from analysis.roofline import LayerRoofline
    from analysis.roofline_totals import totals

    def row(op, compute, sram, dram):
        t = max(compute, sram or 0.0, dram)
        return LayerRoofline(name=op, op=op, precision="w8a8", ceiling="int8", peak_ops_per_s=1.0, ops=compute,
                             bytes=dram, ifmap_bytes=0.0, filter_bytes=0.0, ofmap_bytes=0.0, scale_bytes=0.0,
                             sram_bytes=None, intensity=None, ridge=1.0, compute_time_s=compute,
                             memory_time_s=dram, sram_time_s=sram, time_s=t, attainable_ops_per_s=1.0,
                             bound="compute")

    layers = [row("gemm", 3.0, 4.0, 2.0), row("matmul", 5.0, None, 1.0), row("gelu", 6.0, None, 4.0)]
    assert totals(layers, 1)["latency_s_bound"] == 15.0
    assert totals(layers, 1, overlap=True)["latency_s_bound"] == 9.0
