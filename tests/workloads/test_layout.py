"""Layout layers (``op: layout``, workloads/layout.py): validated, zero cost on accelerators (simulator, batch path and
roofline unchanged), and memory kernels of hand-computed bytes under a GPU framework profile (analysis/framework.py)."""

from __future__ import annotations

import struct
from dataclasses import replace

import pytest

from analysis.devices import load_device
from analysis.framework import PROFILES, lower
from analysis.roofline import analyze, layer_roofline
from simulator.engine import simulate, simulate_totals
from simulator.loader import load_hardware
from simulator.model.batch import DesignBatch, evaluate
from simulator.schema import TOTAL_NAMES
from workloads import load_workload
from workloads.errors import WorkloadError
from workloads.layout import without_layout
from workloads.model import Layer, Workload

FP = dict(w_bits=16, a_bits=16, out_bits=16, dtype="fp")


def _copy(name: str, elements: int, bits: int = 16) -> Layer:
    return Layer(name, "layout", m=elements, n=1, w_bits=bits, a_bits=bits, out_bits=bits, dtype="fp")


def test_layout_layer_loads_validates_and_round_trips():
    d = {"name": "b.roll1", "op": "layout", "m": 301056, "n": 1, "a_bits": 32, "out_bits": 32, "dtype": "fp"}
    x = Layer.from_dict(d)
    assert (x.elements, x.macs, x.is_gemm) == (301056, 0, False)
    assert "k" not in x.to_dict() and Layer.from_dict(x.to_dict()) == x
    with pytest.raises(WorkloadError, match="m"):
        Layer.from_dict({**d, "m": 0})
    with pytest.raises(WorkloadError, match="op"):
        Layer.from_dict({**d, "op": "copy"})


def test_copy_bytes_by_hand_on_a_gpu():
    """Swin-T's first window partition at batch 1: 56 x 56 x 96 = 301,056 FP32 elements read and written:
    2,408,448 bytes, no arithmetic."""
    lr = layer_roofline(_copy("b.contiguous1", 56 * 56 * 96, 32), load_device("rtx4090"))
    assert lr.bytes == 301056 * (4 + 4) == 2_408_448
    assert lr.ops == 0 and lr.bound == "memory"


def _with_copies(w: Workload) -> Workload:
    """``w`` with a copy after every third layer (the element count and width of that layer's output)."""
    out = []
    for i, x in enumerate(w.layers):
        out.append(x)
        if i % 3 == 0:
            out.append(replace(_copy(x.name + ".copy", x.elements, x.out_bits), dtype=x.dtype))
    return replace(w, layers=tuple(out))


def _bits(v: float) -> int:
    return struct.unpack("<q", struct.pack("<d", float(v)))[0]


def test_accelerators_absorb_copies_bit_identically():
    """Every total of the simulator (one design and the many-design batch) and of the accelerator roofline is the
    same, to the bit, with and without layout layers: addressing absorbs them (workloads/layout.py)."""
    plain = load_workload("swin_tiny-w8a8").with_batch(2)
    copied = _with_copies(plain)
    assert sum(x.op == "layout" for x in copied.layers) > 50 and without_layout(copied) == plain
    hws = [load_hardware(n) for n in ("int8", "fp16", "mixed")]
    batch_plain, _ = evaluate(plain, DesignBatch.from_hardware(hws))
    batch_copied, _ = evaluate(copied, DesignBatch.from_hardware(hws))
    for i, hw in enumerate(hws):
        a, b = simulate_totals(plain, hw), simulate_totals(copied, hw)
        for name in TOTAL_NAMES:
            assert _bits(a[name]) == _bits(b[name]), (hw.name, name)
            assert _bits(batch_copied[name][i]) == _bits(batch_plain[name][i]) == _bits(a[name]), (hw.name, name)
    assert [r.name for r in simulate(copied, hws[0]).layer_results] == [x.name for x in plain.layers]
    dev = load_device("int8")
    assert analyze(copied, dev, crossover=False).totals == analyze(plain, dev, crossover=False).totals


def _block(copies: bool = True, meta: dict | None = None) -> Workload:
    """A DeiT-S-like attention at batch 1 in FP16 with the copies eager PyTorch makes when it runs it unfused:
    q and k^T copied for the qk matmul, v for attn @ v, the heads merged after it."""
    e = 197 * 384
    L = [Layer("norm1", "layernorm", m=197, n=384, **FP),
         Layer("attn.qkv", "gemm", m=197, n=1152, k=384, **FP),
         Layer("attn.q_scale", "mul", m=1182, n=64, **FP),
         _copy("attn.copy_in1", e), _copy("attn.copy_in2", e),
         Layer("attn.qk", "matmul", m=197, n=197, k=64, repeat=6, weight_operand=False, **FP),
         Layer("attn.softmax", "softmax", m=1182, n=197, **FP),
         _copy("attn.copy_in3", e),
         Layer("attn.av", "matmul", m=197, n=64, k=197, repeat=6, weight_operand=False, **FP),
         _copy("attn.reshape", e),
         Layer("attn.proj", "gemm", m=197, n=384, k=384, **FP),
         Layer("residual1", "add", m=197, n=384, **FP)]
    if not copies:
        L = [x for x in L if x.op != "layout"]
    return Workload("block", tuple(L), meta=meta or {})


def test_gpu_profile_costs_the_traced_copies_by_hand():
    d = load_device("rtx4090")
    e = 197 * 384
    unfused = {lr.name: lr.bytes for lr in analyze(_block(), d, crossover=False, framework="pytorch_eager_amp",
                                                   attention="unfused").layers}
    assert unfused["attn.copy_in1"] == unfused["attn.copy_in2"] == e * (2 + 2)   # FP16 q and k^T
    assert unfused["attn.copy_in3"] == e * (2 + 2)       # v, after the softmax's cast back to FP16
    assert unfused["attn.reshape"] == e * (2 + 2)        # the head merge
    assert "attn.head_merge" not in unfused              # traced copies replace the inferred ones
    fused = [lr.name for lr in analyze(_block(), d, crossover=False, framework="pytorch_eager_amp").layers]
    assert not any("copy_in" in n or "reshape" in n or "head_merge" in n for n in fused)   # SDPA makes none
    plain = [lr.name for lr in analyze(_block(), d, crossover=False).layers]   # no profile: the layers as written
    assert plain == [x.name for x in _block(copies=False).layers]


def test_an_attention_the_model_does_not_run_through_sdpa_stays_unfused():
    """``meta.sdpa_modules`` (traced): timm's Swin WindowAttention is not fused by default; fused is then not
    possible for it, and its scores go through DRAM."""
    layers, _, _, groups = lower(_block(meta={"sdpa_modules": []}), PROFILES["pytorch_eager_amp"], "fused")
    assert not groups[0].sdpa and "attn.copy_in3" in [x.name for x in layers]
    _, _, _, groups = lower(_block(meta={"sdpa_modules": ["attn"]}), PROFILES["pytorch_eager_amp"], "fused")
    assert groups[0].sdpa


def test_copies_of_an_fp32_layernorm_output_are_fp32_and_precede_the_cast():
    """norm1 (FP32 under autocast) -> roll -> qkv: the roll copies FP32; autocast casts at the GEMM's call."""
    L = (Layer("b.norm1", "layernorm", m=3136, n=96, **FP), _copy("b.roll1", 3136 * 96),
         Layer("b.attn.qkv", "gemm", m=3136, n=288, k=96, **FP))
    layers, _, _, _ = lower(Workload("w", L), PROFILES["pytorch_eager_amp"])
    assert [x.name for x in layers] == ["b.norm1", "b.roll1", "b.norm1.cast_out", "b.attn.qkv.weight_cast",
                                        "b.attn.qkv"]
    assert (layers[1].a_bits, layers[1].out_bits) == (32, 32)


def test_options_say_how_many_attentions_run_sdpa_and_kernels_that_do_not_scale_with_the_batch():
    """``options.sdpa_attentions``: fused requested, but only the attentions the model runs through SDPA fuse. A
    weight cast (K x N elements at any batch) has no crossover batch, where rescaling it by the batch used to fail."""
    d = load_device("rtx4090")
    none = analyze(_block(meta={"sdpa_modules": []}), d, crossover=False, framework="device")
    assert (none.options["attention"], none.options["sdpa_attentions"]) == ("fused", "0 of 1")
    assert analyze(_block(), d, crossover=False, framework="device").options["sdpa_attentions"] == "1 of 1"
    assert analyze(_block(), d, crossover=False).options["sdpa_attentions"] is None     # no profile
    rf = analyze(_block().with_batch(1000), d, framework="device")          # 384 x 1152 weights: not x 1000
    cast = next(lr for lr in rf.layers if lr.name == "attn.qkv.weight_cast")
    assert cast.crossover_batch is None and cast.bytes == 384 * 1152 * (4 + 2)


def test_token_pruning_shrinks_the_copies_too():
    """EViT keeping 70% after block 0 of DeiT-Ti (197 -> 138 tokens, the class token kept): a head-merge copy of
    block 1 moves 138 x 192 elements, not 197 x 192."""
    from workloads.tokens import KeepSchedule, apply_schedule
    from workloads.vit import build_preset

    w = build_preset("deit_tiny")
    L = []
    for x in w.layers:
        L.append(x)
        if x.name.endswith("attn.av"):
            L.append(_copy(x.name.replace(".av", ".reshape"), x.elements, x.out_bits))
    pruned = apply_schedule(replace(w, layers=tuple(L)), KeepSchedule("evit", ((0, 0.7),)))
    copies = {x.name: x.elements for x in pruned.layers if x.op == "layout"}
    t1 = next(x.m for x in pruned.layers if x.name == "blocks.1.attn.qk")
    assert copies["blocks.0.attn.reshape"] == 197 * 192 and copies["blocks.1.attn.reshape"] == t1 * 192
    assert t1 < 197
