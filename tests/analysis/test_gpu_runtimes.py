"""Fused GPU runtimes (analysis/fusion.py, analysis/gpu_kernels.py), like-with-like INT8 speedup, precisions the
device lacks, torch versions, sustained clocks and GPU energy, on hand-computed cases."""

from __future__ import annotations

import subprocess
import sys

import pytest

from analysis import gpu_expected as GE
from analysis.cmd_roofline import fp16_baseline, gain_vs_fp16
from analysis.devices import load_device
from analysis.framework import PROFILES, lower
from analysis.fusion import FUSED, kernel_heads
from analysis.roofline import analyze, apply_precision, check_precision
from workloads.errors import InputError
from workloads.model import Layer, Workload

FP = {"w_bits": 16, "a_bits": 16, "out_bits": 16, "dtype": "fp"}
I8 = {"w_bits": 8, "a_bits": 8, "out_bits": 8, "dtype": "int"}
E = 197 * 384          # one token tensor of a DeiT-S block


def _mlp() -> Workload:
    return Workload("mlp", (Layer("norm2", "layernorm", m=197, n=384, **I8),
                            Layer("fc1", "gemm", m=197, n=1536, k=384, **I8),
                            Layer("act", "gelu", m=197, n=1536, **I8),
                            Layer("fc2", "gemm", m=197, n=384, k=1536, **I8),
                            Layer("residual2", "add", m=197, n=384, **I8)))


def _block() -> Workload:
    return Workload("block", (Layer("norm1", "layernorm", m=197, n=384, **FP),
                              Layer("attn.qkv", "gemm", m=197, n=1152, k=384, **FP),
                              Layer("attn.q_scale", "mul", m=1182, n=64, **FP),
                              Layer("attn.qk", "matmul", m=197, n=197, k=64, repeat=6, weight_operand=False, **FP),
                              Layer("attn.softmax", "softmax", m=1182, n=197, **FP),
                              Layer("attn.av", "matmul", m=197, n=64, k=197, repeat=6, weight_operand=False, **FP),
                              Layer("attn.proj", "gemm", m=197, n=384, k=384, **FP),
                              Layer("residual1", "add", m=197, n=384, **FP),
                              Layer("norm2", "layernorm", m=197, n=384, **FP),
                              Layer("fc1", "gemm", m=197, n=1536, k=384, **FP)))


def test_tensorrt_mlp_kernel_list_widths_and_bytes_by_hand():
    """norm2 | fc1 + GELU | fc2 + residual add: the GELU is fc1's epilogue and writes INT8 for fc2; the LayerNorm
    writes INT8 for fc1; the residual stays FP16 (a LayerNorm reads it next)."""
    layers, skips, _, _ = lower(_mlp(), PROFILES["tensorrt"])
    assert kernel_heads(layers, skips, "tensorrt") == [0, 1, 1, 3, 3]
    assert [(x.a_bits, x.out_bits) for x in layers] == [(16, 8), (8, 16), (16, 8), (8, 16), (16, 16)]
    assert [FUSED in skips.get(i, ()) for i in range(5)] == [False, False, True, False, True]
    rf = analyze(_mlp(), load_device("a100"), crossover=False, framework="tensorrt")
    b = {lr.name: lr.bytes for lr in rf.layers}
    assert b["norm2"] == E * 2 + E * 1                       # FP16 in, INT8 out
    assert b["fc1"] == E * 1 + 384 * 1536                    # INT8 input and weights; output stays on chip
    assert b["act"] == 197 * 1536 * 1                        # the epilogue writes the INT8 activation
    assert b["fc2"] == 197 * 1536 + 1536 * 384
    assert b["residual2"] == E * 2 + E * 2                   # residual read, sum written (FP16)
    k1 = rf.layers[1]
    nbytes = E + 384 * 1536 + 197 * 1536
    assert k1.time_s == pytest.approx(max(2 * 197 * 1536 * 384 / 624e12, 5 * 197 * 1536 / 19.5e12,
                                          nbytes / 2039e9))   # one kernel: max(tensor, CUDA cores, DRAM)
    assert rf.layers[2].time_s == 0.0 and rf.layers[2].time_s_expected == 0.0
    p = GE.runtime_params("tensorrt", "Ampere")
    t = GE.gemm_math_time(197, 1536, 384, 1, 624e12, 108, p.gemm("int8"))
    assert k1.time_s_expected == pytest.approx(max(max(t, nbytes / (2039e9 * p.mem_efficiency)) + p.kernel_fixed_s,
                                                   p.launch_s))


def test_tensorrt_attention_block_by_hand():
    """qkv writes q, k, v (its q scale belongs to the attention kernel, not to its epilogue); the attention is one
    kernel reading q, k, v and writing its output; proj + residual add one kernel. FP16 throughout."""
    rf = analyze(_block(), load_device("a100"), crossover=False, framework="tensorrt")
    b = {lr.name: lr.bytes for lr in rf.layers}
    head = 197 * 64 * 6 * 2
    assert b["attn.qkv"] == E * 2 + 384 * 1152 * 2 + 197 * 1152 * 2
    assert b["attn.qk"] + b["attn.softmax"] + b["attn.av"] == 3 * head + head
    assert b["attn.proj"] + b["residual1"] == E * 2 + 384 * 384 * 2 + E * 2 + E * 2
    heads = [lr.name for lr in rf.layers if lr.time_s_expected]
    assert heads == ["norm1", "attn.qkv", "attn.qk", "attn.proj", "norm2", "fc1"]


def test_inductor_fuses_pointwise_chains_by_hand():
    """torch.compile: norm1 + its cast one kernel (reads FP32, writes FP16); residual add + norm2 + cast one kernel
    (reads the FP16 branch and the residual, writes the FP32 residual and the FP16 normalised tensor); GEMMs and
    weight casts stay their own kernels; the SDPA attention is one kernel."""
    rf = analyze(_block(), load_device("rtx4090"), crossover=False, framework="torch_compile")
    b = {lr.name: lr.bytes for lr in rf.layers}
    assert b["norm1"] + b["norm1.cast_out"] == E * 4 + E * 2
    assert b["residual1"] + b["norm2"] + b["norm2.cast_out"] == E * (2 + 2) + E * 4 + E * 2
    heads = [lr.name for lr in rf.layers if lr.time_s_expected]
    assert heads == ["norm1", "attn.qkv.weight_cast", "attn.qkv", "attn.qk", "attn.proj.weight_cast", "attn.proj",
                     "residual1", "fc1.weight_cast", "fc1"]
    p = GE.runtime_params("torch_compile", "Ada")
    first = next(lr for lr in rf.layers if lr.name == "norm1")
    assert (E * 6) / (1008e9 * p.mem_efficiency) + p.kernel_fixed_s < p.launch_s
    assert first.time_s_expected == p.launch_s                # 5 us: the launch floor of the compiled wrapper
    eager = analyze(_block(), load_device("rtx4090"), crossover=False, framework="pytorch_eager_amp")
    assert rf.totals["dram_bytes"] < eager.totals["dram_bytes"]
    assert rf.totals["latency_s_ideal"] <= rf.totals["latency_s_bound"] <= eager.totals["latency_s_bound"]


def test_int8_speedup_compares_like_with_like_by_hand():
    """A GEMM, a layout copy and a LayerNorm at batch 1 (all memory-bound) on the RTX 4090: both sides keep the copy.
    INT8: 512 + 512 * 512 + 512 * 2 (FP16 out) + copy 2 * 512 * 2 + norm 2 * 512 * 2 = 267,776 B;
    FP16: 512 * 2 + 512 * 512 * 2 + 512 * 2 + 2048 + 2048 = 530,432 B; speedup 530,432 / 267,776 = 1.9809.
    (The FP16 side without the copy, as before: 528,384 / 267,776 = 1.9732.)"""
    w = Workload("t", (Layer("fc", "gemm", m=1, n=512, k=512, **I8), Layer("fc.copy", "layout", m=1, n=512, **I8),
                       Layer("norm", "layernorm", m=1, n=512, **I8)))
    d = load_device("rtx4090")
    rf = analyze(w, d, crossover=False, framework="device")
    base = fp16_baseline(w, d, rf)
    assert rf.totals["dram_bytes"] == 267776 and base.totals["dram_bytes"] == 530432
    assert [lr.name for lr in base.layers] == [lr.name for lr in rf.layers]
    assert gain_vs_fp16(rf.totals, base.totals)["speedup_vs_fp16_bound"] == pytest.approx(530432 / 267776)


def test_swin_int8_is_not_slower_than_fp16_on_the_a100():
    """Issue 24's wrong comparison: Swin-T INT8 printed slower than FP16 (copies on one side only)."""
    pytest.importorskip("timm")
    from analysis.gpu_validation import traced

    w, p = apply_precision(traced("swin_tiny_patch4_window7_224", 224, _cache()), "int8")
    w = w.with_batch(32)
    d = load_device("a100")
    for fw in ("device", "tensorrt", "torch_compile"):
        rf = analyze(w, d, p, crossover=False, framework=fw)
        gain = gain_vs_fp16(rf.totals, fp16_baseline(w, d, rf).totals)
        assert 1.0 < gain["speedup_vs_fp16_bound"] < 2.0, fw
        assert gain["speedup_vs_fp16_expected"] > 1.0, fw


def _cache():
    import tempfile
    from pathlib import Path

    return Path(tempfile.gettempdir()) / "vitsim-trace-cache"


def test_precisions_a_device_lacks_and_torch_versions_are_refused():
    with pytest.raises(InputError, match="no fp8 tensor cores"):
        check_precision(load_device("a100"), "fp8")
    with pytest.raises(InputError, match="no fp4"):
        check_precision(load_device("h100_sxm"), "nvfp4")
    check_precision(load_device("h100_sxm"), "fp8")
    check_precision(load_device("rtx5090"), "mxfp4")
    w, p = apply_precision(_block(), "nvfp4")
    rf = analyze(w, load_device("rtx5090"), p, crossover=False, framework="tensorrt")
    assert next(lr for lr in rf.layers if lr.name == "fc1").ceiling == "fp4"
    with pytest.raises(InputError, match="outside the table"):
        analyze(_block(), load_device("rtx4090"), crossover=False, framework="device", torch_version="3.1")
    with pytest.raises(InputError, match="torch.compile needs"):
        analyze(_block(), load_device("rtx4090"), crossover=False, framework="torch_compile", torch_version="1.13")
    old = analyze(_block(), load_device("rtx4090"), crossover=False, framework="device", torch_version="1.13")
    assert old.options["attention"] == "unfused" and old.workload.meta["sdpa_attentions"] == "0 of 1"


@pytest.mark.parametrize("argv, needle", [
    (["--device", "a100", "--precision", "fp8"], "no fp8 tensor cores"),
    (["--device", "t4", "--framework", "onnxruntime"], "unknown framework profile"),
    (["--device", "t4", "--torch-version", "0.4"], "outside the table"),
])
def test_cli_errors_are_one_line_exit_2(argv, needle):
    r = subprocess.run([sys.executable, "-m", "analysis", "roofline", "--model", "deit_small", "--no-crossover",
                        *argv], capture_output=True, text=True, check=False)
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and needle in r.stderr


def test_cli_tensorrt_json_fields():
    import json

    r = subprocess.run([sys.executable, "-m", "analysis", "roofline", "--device", "t4", "--model",
                        "vit_base_patch16_224", "--precision", "int8", "--batch", "8", "--framework", "tensorrt",
                        "--format", "json", "--no-crossover"], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    t = json.loads(r.stdout)["totals"]
    for k in ("latency_s_bound", "latency_s_expected", "throughput_fps_expected", "speedup_vs_fp16_expected",
              "energy_j_per_image", "images_per_s_per_w", "board_power_w", "latency_s_ideal"):
        assert t[k] is not None and t[k] > 0, k
    assert t["latency_s_ideal"] <= t["latency_s_bound"] <= t["latency_s_expected"]


def test_energy_is_board_power_times_time_by_hand():
    t4 = load_device("t4")
    rf = analyze(_block(), t4, crossover=False, framework="tensorrt")
    t = rf.totals
    u = t["latency_s_bound"] / t["latency_s_expected"]
    assert t["utilization"] == pytest.approx(u)
    assert t["board_power_w"] == pytest.approx(10 + (70 - 10) * u)        # t4.yaml: idle 10 W, TDP 70 W
    assert t["energy_j_per_image"] == pytest.approx(t["board_power_w"] * t["latency_s_expected"] / 1)
    assert t["images_per_s_per_w"] == pytest.approx(t["throughput_fps_expected"] / t["board_power_w"])
    assert analyze(_mlp(), load_device("int8"), crossover=False).totals.get("energy_j_per_image") is None


def test_sustained_and_boost_clocks():
    t4 = load_device("t4")
    assert t4.gpu.sustained_scale == pytest.approx(1170 / 1590)
    gemm = Layer("g", "gemm", m=4096, n=4096, k=4096, **FP)
    w = Workload("g", (gemm,))
    rf = analyze(w, t4, crossover=False, framework="device")
    p = GE.ARCH["Turing"]
    t = GE.gemm_math_time(4096, 4096, 4096, 1, 65e12 * 1170 / 1590, 40, p.gemm_efficiency)
    assert rf.layers[-1].time_s_expected == pytest.approx(t + p.kernel_fixed_s)   # math at the sustained clock
    assert rf.layers[-1].peak_ops_per_s == 65e12                                  # the bound keeps the boost clock
    r3090 = analyze(w, load_device("rtx3090"), crossover=False, framework="device")
    assert r3090.layers[-1].peak_ops_per_s == pytest.approx(71e12 * 1890 / 1695)  # named bug: boost clock


# ---------------------------------------------------------------------------------------------- validation doc
def _doc_rows() -> list[dict]:
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "validation-gpu-runtimes.md").read_text()
    rows = []
    for m in re.finditer(r"^\| ([^|]+) \| (\w+) \| (\w+) \| (\w+) \| (\d+) \| (\d+) \| (\d+) \| ([\d.]+) \| (\d+) \| "
                         r"([\d.]+) \|$", text, re.MULTILINE):
        s, dev, model, prec, batch, meas, bound, mb, exp, em = m.groups()
        rows.append({"set": s, "device": dev, "model": model, "precision": prec, "batch": int(batch),
                     "measured": float(meas), "bound": float(bound), "mb": float(mb), "expected": float(exp),
                     "em": float(em)})
    return rows


def _median(xs):
    import statistics

    return statistics.median(xs)


def test_runtime_doc_covers_every_published_row():
    import csv

    from analysis.gpu_validation import COMPILED, TIMM_DIR
    from analysis.gpu_validation import FT_A100 as FT

    rows = _doc_rows()
    def count(path) -> int:
        with open(path, newline="") as f:
            return len(list(csv.DictReader(f)))

    n = sum(count(TIMM_DIR / f) for f in COMPILED) + count(FT)
    assert len(rows) == n == 177


def test_no_published_fused_run_beats_its_bound_and_error_bands():
    rows = _doc_rows()
    assert max(r["mb"] for r in rows) <= 1.0                         # every row, both profiles
    compiled = [r for r in rows if r["set"].endswith("dynamo.csv")]
    for s in {r["set"] for r in compiled}:                          # calibration and the torch 2.4 rows
        errs = [abs(r["em"] - 1) for r in compiled if r["set"] == s]
        assert _median(errs) <= 0.15 and max(errs) <= 0.35, s
    ft = [r for r in rows if r["set"] == "FasterTransformer A100"]
    assert len(ft) == 48
    assert _median([abs(r["em"] - 1) for r in ft]) <= 0.15
    outside = [(r["model"], r["precision"], r["batch"]) for r in ft if abs(r["em"] - 1) > 0.35]
    assert outside == [("swin_base_patch4_window7_224", "int8", 1)]   # the documented miss (FT's own 0.53x row)
    by = {(r["model"], r["precision"], r["batch"]): r for r in ft}
    sp = [abs((r["expected"] / by[(m, "fp16", b)]["expected"]) / (r["measured"] / by[(m, "fp16", b)]["measured"]) - 1)
          for (m, p, b), r in by.items() if p == "int8"]
    assert _median(sp) <= 0.15                                       # INT8/FP16 speedup, like with like
    held = [r for r in rows if r["set"] == "FasterTransformer A100 (held-out)"]   # Swin-V2, config committed first
    assert len(held) == 18
    assert _median([abs(r["em"] - 1) for r in held]) <= 0.15 and max(abs(r["em"] - 1) for r in held) <= 0.35


def test_runtime_doc_is_not_stale_on_a_subset():
    pytest.importorskip("timm")
    from analysis.gpu_validation import traced

    rows = {(r["set"], r["model"], r["precision"], r["batch"]): r for r in _doc_rows()}
    d4090 = load_device("rtx4090")
    for model in ("deit_small_patch16_224", "swin_tiny_patch4_window7_224"):
        doc = rows[("infer-amp-nchw-pt291-cu128-4090-dynamo.csv", model, "fp16", 1024)]
        w, p = apply_precision(traced(model, 224, _cache()), "fp16")
        t = analyze(w.with_batch(1024), d4090, p, crossover=False, framework="torch_compile").totals
        assert t["throughput_fps_bound"] == pytest.approx(doc["bound"], abs=1.0)
        assert t["throughput_fps_expected"] == pytest.approx(doc["expected"], abs=1.0)
    for prec in ("fp16", "int8"):
        doc = rows[("FasterTransformer A100", "swin_tiny_patch4_window7_224", prec, 32)]
        w, p = apply_precision(traced("swin_tiny_patch4_window7_224", 224, _cache()), prec)
        t = analyze(w.with_batch(32), load_device("a100"), p, crossover=False, framework="tensorrt").totals
        assert t["throughput_fps_expected"] == pytest.approx(doc["expected"], abs=1.0)


def test_report_accelerator_beside_a_gpu(tmp_path, capsys):
    """``vitsim report int4 --compare rtx4090``: the simulated accelerator and the GPU's expected run on one
    workload, with the same numbers the roofline gives."""
    from analysis.cli import main
    from analysis.report.gpu_compare import metrics, time_by_op_gpu
    from simulator import load_hardware, simulate
    from workloads import load_workload
    from workloads.cli_common import run_main

    out = tmp_path / "cmp.html"
    assert main(["report", "int4", "--workload", "deit_tiny-w4a4", "--compare", "rtx4090", "-o", str(out)]) == 0
    html = out.read_text()
    w = load_workload("deit_tiny-w4a4")
    rf = analyze(w, load_device("rtx4090"), crossover=False, framework="tensorrt")
    r = simulate(w, load_hardware("int4"))
    rows = {name: (a, g) for name, _, a, g in metrics(r, rf)}
    assert rows["latency"] == (r.totals.latency_us, pytest.approx(rf.totals["latency_s_expected"] * 1e6))
    assert rows["energy per image"][1] == pytest.approx(rf.totals["energy_j_per_image"] * 1e6)
    assert sum(time_by_op_gpu(rf).values()) == pytest.approx(rf.totals["latency_s_expected"])
    assert "RTX 4090 (tensorrt, expected)" in html and "Where the time goes" in html
    assert run_main(main, ["report", "int4", "--workload", "deit_tiny-w4a4", "--compare", "gpu:int4"]) == 2
    assert "is not a GPU" in capsys.readouterr().err


def test_bounds_are_ordered_on_real_shapes():
    """ideal <= profile bound <= expected for every profile, precision and GPU tried; every kernel's expected time at
    least its bound."""
    from workloads.vit import build_preset

    for prec in ("fp16", "int8"):
        w, p = apply_precision(build_preset("deit_small", batch=64), prec)
        for dev in ("a100", "rtx4090", "t4", "h100_sxm"):
            for fw in ("pytorch_eager_amp", "torch_compile", "tensorrt"):
                rf = analyze(w, load_device(dev), p, crossover=False, framework=fw)
                t = rf.totals
                assert t["latency_s_ideal"] <= t["latency_s_bound"] < t["latency_s_expected"], (prec, dev, fw)
                # every kernel (a row with an expected time; a q scale folded into the attention has none)
                assert all(lr.time_s_expected >= lr.time_s * (1 - 1e-9) for lr in rf.layers
                           if lr.time_s_expected), (prec, dev, fw)
