"""Framework profile (analysis/framework.py) and expected GPU time (analysis/gpu_expected.py) on hand-computed cases."""

from __future__ import annotations

import math

import pytest

from analysis import gpu_expected as GE
from analysis.devices import load_device
from analysis.framework import PROFILES, attention_groups, get_profile, lower
from analysis.roofline import analyze, layer_roofline
from workloads.errors import InputError
from workloads.model import Layer, Workload

FP = dict(w_bits=16, a_bits=16, out_bits=16, dtype="fp")


def _block() -> Workload:
    """One DeiT-S-like block at batch 1, FP16: 197 tokens, 6 heads of 64."""
    L = [Layer("norm1", "layernorm", m=197, n=384, **FP),
         Layer("attn.qkv", "gemm", m=197, n=1152, k=384, **FP),
         Layer("attn.q_scale", "mul", m=1182, n=64, **FP),
         Layer("attn.qk", "matmul", m=197, n=197, k=64, repeat=6, weight_operand=False, **FP),
         Layer("attn.softmax", "softmax", m=1182, n=197, **FP),
         Layer("attn.av", "matmul", m=197, n=64, k=197, repeat=6, weight_operand=False, **FP),
         Layer("attn.proj", "gemm", m=197, n=384, k=384, **FP),
         Layer("residual1", "add", m=197, n=384, **FP)]
    return Workload("block", tuple(L))


def _bytes(rf) -> dict:
    return {lr.name: lr.bytes for lr in rf.layers}


def test_attention_bytes_fused_and_unfused_by_hand():
    d = load_device("rtx4090")
    fused = _bytes(analyze(_block(), d, crossover=False, framework="pytorch_eager_amp", attention="fused"))
    unfused = _bytes(analyze(_block(), d, crossover=False, framework="pytorch_eager_amp", attention="unfused"))
    head = 197 * 64 * 6 * 2                     # one of q, k, v or the output, FP16: 151,296 B
    scores = 197 * 197 * 6                      # 232,854 elements
    assert fused["attn.qk"] == 2 * head         # q and k read; scores stay on chip
    assert fused["attn.softmax"] == 0
    assert fused["attn.av"] == 2 * head         # v read, output written
    assert fused["attn.q_scale"] == 0           # folded into the kernel
    assert "attn.head_merge" not in fused       # SDPA writes (B, N, H, D): the merge is a view
    assert unfused["attn.qk"] == 2 * head + scores * 2
    assert unfused["attn.softmax.cast_in"] == scores * (2 + 4)
    assert unfused["attn.softmax"] == scores * (4 + 4)
    assert unfused["attn.softmax.cast_out"] == scores * (4 + 2)
    assert unfused["attn.av"] == scores * 2 + 2 * head
    assert unfused["attn.head_merge"] == head * 2


def test_fp32_nonlinear_bytes_and_casts_by_hand():
    d = load_device("rtx4090")
    b = _bytes(analyze(_block(), d, crossover=False, framework="pytorch_eager_amp"))
    e = 197 * 384
    assert b["norm1"] == e * (4 + 4)            # LayerNorm reads and writes FP32
    assert b["norm1.cast_out"] == e * (4 + 2)   # autocast casts it to FP16 for the qkv GEMM
    assert b["residual1"] == e * (2 + 2 + 4)    # FP32 residual stream (a lower bound of 4 + 2 + 4)
    assert b["attn.qkv.weight_cast"] == 384 * 1152 * (4 + 2)
    plain = _bytes(analyze(_block(), d, crossover=False))   # no profile: the layers as written
    assert plain["norm1"] == e * (2 + 2) and "norm1.cast_out" not in plain


def test_options_say_which_attention_and_profile():
    d = load_device("rtx4090")
    rf = analyze(_block(), d, crossover=False, framework="device")
    assert (rf.options["framework"], rf.options["attention"]) == ("pytorch_eager_amp", "fused")
    rf = analyze(_block(), d, crossover=False, framework="device", attention="unfused")
    assert rf.options["attention"] == "unfused"
    with pytest.raises(InputError):
        get_profile("onnxruntime")
    with pytest.raises(InputError):
        lower(_block(), PROFILES["pytorch_eager_amp"], "flash")


def test_non_sdpa_attention_stays_unfused():
    """LeViT-style: scale after qk and a bias: not what SDPA runs, scores go through DRAM even with fused."""
    L = list(_block().layers)
    L[2] = Layer("attn.scale", "mul", m=1182, n=197, **FP)
    L[2], L[3] = L[3], L[2]                     # qk, then the scale multiply
    g = attention_groups(L)
    assert len(g) == 1 and not g[0].sdpa
    assert attention_groups(_block().layers)[0].sdpa


def test_windowed_attention_gets_partition_and_roll_copies():
    L = [Layer("b.norm1", "layernorm", m=3136, n=96, **FP),
         Layer("b.attn.qkv", "gemm", m=3136, n=288, k=96, **FP),
         Layer("b.attn.q_scale", "mul", m=9408, n=32, **FP),
         Layer("b.attn.qk", "matmul", m=49, n=49, k=32, repeat=192, weight_operand=False, **FP),
         Layer("b.attn.relative_position_bias_table", "add", m=9408, n=49, **FP),
         Layer("b.attn.attn_mask", "add", m=9408, n=49, **FP),
         Layer("b.attn.softmax", "softmax", m=9408, n=49, **FP),
         Layer("b.attn.av", "matmul", m=49, n=32, k=49, repeat=192, weight_operand=False, **FP)]
    layers, skips, used, groups = lower(Workload("swin", tuple(L)), PROFILES["pytorch_eager_amp"])
    names = [x.name for x in layers]
    assert groups[0].windowed and groups[0].shifted and used == "fused"
    for n in ("b.attn.roll", "b.attn.pad", "b.attn.window_partition", "b.attn.window_reverse", "b.attn.roll_back",
              "b.attn.attn_mask.sdpa_mask"):
        assert n in names
    part = next(x for x in layers if x.name == "b.attn.window_partition")
    assert part.elements == 3136 * 96 and part.a_bits == 32     # the FP32 norm1 output
    assert skips[names.index("b.attn.relative_position_bias_table")] == frozenset({"all"})


def test_launch_floor_on_a_1024_element_gelu():
    a100 = load_device("a100")
    layer = Layer("gelu", "gelu", m=1024, n=1, **FP)
    lr = layer_roofline(layer, a100)
    p = GE.ARCH["Ampere"]
    assert lr.bytes == 4096
    assert 4096 / (2039e9 * p.mem_efficiency) + p.kernel_fixed_s < p.launch_s
    assert GE.expected_time(layer, lr, a100, frozenset()) == p.launch_s      # 20 us, the floor


def test_tile_quantization_by_hand():
    """197 x 64 x 64 x 6 on 82 SMs: the 64 x 64 tile (2 per SM) gives 4 x 1 x 6 = 24 tiles, 1 wave of 164 slots:
    2 * 64 * 64 * 64 per tile x 2 CTAs per slot; the 128 x 64 tile wastes 59 rows of 256, the same time."""
    peak, sms, eff = 71e12, 82, 0.9
    t = GE.gemm_math_time(197, 64, 64, 6, peak, sms, eff)
    assert t == pytest.approx(1 * 2 * 2.0 * 64 * 64 * 64 / (peak / sms) / eff)
    # a GEMM one row past a tile boundary pays a whole extra row of tiles when it needs an extra wave
    t1 = GE.gemm_math_time(128 * 82, 128, 128, 1, peak, sms, eff)
    t2 = GE.gemm_math_time(128 * 82 + 1, 128, 128, 1, peak, sms, eff)
    assert t2 > t1
    assert GE.gemm_math_time(4096, 4096, 4096, 1, peak, sms, eff) >= 2.0 * 4096 ** 3 / peak / eff


def test_expected_is_never_faster_than_the_bound_on_a_real_model():
    from analysis.roofline import apply_precision
    from workloads.vit import build_preset

    w, prefer = apply_precision(build_preset("deit_small", batch=64), "fp16")
    for dev in ("rtx4090", "rtx5090", "a100", "h200", "t4"):
        rf = analyze(w, load_device(dev), prefer, crossover=False, framework="device")
        t = rf.totals
        assert t["throughput_fps_expected"] < t["throughput_fps_bound"]
        assert all(lr.time_s_expected >= lr.time_s * (1 - 1e-9) or lr.time_s_expected == 0 for lr in rf.layers)
        assert math.isfinite(t["latency_s_expected"])


def test_int8_keeps_nonlinear_ops_at_fp16_and_reports_the_gain():
    from analysis.cmd_roofline import gain_vs_fp16
    from analysis.roofline import apply_precision
    from workloads.vit import build_preset

    a100 = load_device("a100")
    w = build_preset("deit_base", batch=64)
    w8, p8 = apply_precision(w, "int8")
    w16, p16 = apply_precision(w, "fp16")
    rf8 = analyze(w8, a100, p8, crossover=False, framework="device")
    ln = next(lr for lr in rf8.layers if lr.name == "blocks.0.norm1")
    fc1 = next(lr for lr in rf8.layers if lr.name == "blocks.0.mlp.fc1")
    assert ln.bytes == 64 * 197 * 768 * (2 + 2)                       # FP16 in and out, not INT8
    assert fc1.ofmap_bytes == 64 * 197 * 3072 * 2                      # the INT8 GEMM writes FP16
    fp16 = analyze(w16, a100, p16, crossover=False, framework="none", attention="fused").totals
    honest = gain_vs_fp16(rf8.totals, fp16)
    naive = analyze(w8, a100, p8, crossover=False).totals["latency_s_bound"]
    naive_gain = analyze(w16, a100, p16, crossover=False).totals["latency_s_bound"] / naive
    assert naive_gain == pytest.approx(2.0, rel=0.02)                  # INT8 everywhere: twice FP16
    assert 1.0 < honest["speedup_vs_fp16_bound"] < 1.8                 # FP16 non-linear ops eat part of the gain
    assert honest["speedup_vs_fp16_bound"] == pytest.approx(fp16["latency_s_bound"] / rf8.totals["latency_s_bound"])
