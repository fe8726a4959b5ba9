"""Tracer: agreement with the analytic builder, published MACs, op counts, families, fake-quant numerics, CLI.

Tests that need torch/timm are marked ``trace`` and skip when the extra is missing. Models are traced on the meta
device (shapes only); only the fake-quant tests run real numerics, on deit_tiny.
"""

import functools
import subprocess
import sys
import warnings

import pytest

from workloads.errors import WorkloadError


def _torch():
    return pytest.importorskip("torch")


def _timm():
    _torch()
    return pytest.importorskip("timm")


@functools.cache
def _traced(name, batch=1, recipe=None, img_size=None):
    """Each (model, batch, recipe, image size) traced once per session (deit_base once for all its tests)."""
    from workloads.trace import trace

    return trace(name, batch=batch, recipe=recipe, img_size=img_size)


def _shape(w):
    """The arithmetic layers (layout layers, the copies, are checked by test_layout_layers_*)."""
    return [(x.name, x.op, x.m, x.n, x.k, x.repeat, x.weight_operand) for x in w.layers if x.op != "layout"]


# ------------------------------------------------------------------------------------------ no torch needed
def test_importing_the_tracer_does_not_import_torch():
    code = ("import sys, workloads.trace, workloads.fakequant, workloads.families, workloads.cmd_trace, "
            "workloads.cli; workloads.cli.build_parser(); "
            "assert 'torch' not in sys.modules and 'timm' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_families_cover_the_required_ones():
    from workloads.families import FAMILIES

    assert set(FAMILIES) >= {"deit", "deit3", "vit", "swin", "levit", "efficientvit", "eva02", "beit", "cait",
                             "pvt_v2"}
    vit = FAMILIES["vit"]
    for size in ("small", "base", "large", "huge"):
        assert any(f"vit_{size}_" in n for n in vit)
    for patch in ("patch14", "patch16", "patch32"):
        assert any(patch in n for n in vit)
    assert {"efficientvit_b0", "efficientvit_m0"} <= set(FAMILIES["efficientvit"])


# ------------------------------------------------------------------------------------------ tracing (meta)
@pytest.mark.trace
@pytest.mark.parametrize("name", ["deit_tiny_patch16_224", "deit_small_patch16_224", "deit_base_patch16_224",
                                  "vit_base_patch16_224"])
def test_trace_agrees_with_the_analytic_builder(name):
    """Same layer names, order, ops, shapes (m, n, k, repeat), activation operands and MACs."""
    _timm()
    from workloads.vit import build_preset

    traced, analytic = _traced(name), build_preset(name)
    assert _shape(traced) == _shape(analytic)
    assert traced.macs == analytic.macs and traced.source == "trace"


@pytest.mark.trace
def test_batch_two_equals_rescaled_batch_one_and_the_analytic_builder():
    """Independent routes to batch 2: tracing 2 images, Workload.with_batch(2), and build_vit(batch=2)."""
    _timm()
    from workloads.vit import PRESETS, build_vit

    b2 = _traced("deit_tiny_patch16_224", batch=2)
    assert _shape(b2) == _shape(_traced("deit_tiny_patch16_224").with_batch(2))
    assert _shape(b2) == _shape(build_vit(PRESETS["deit_tiny_patch16_224"], batch=2))


@pytest.mark.trace
@pytest.mark.parametrize("name", ["deit_tiny_patch16_224", "levit_128s"])
def test_meta_device_trace_equals_a_real_cpu_trace(name):
    """Shapes-only tracing (meta tensors) and a real forward pass on the CPU give the same layers."""
    _timm()
    from workloads.trace.api import _trace_on

    meta, cpu = _trace_on(name, None, 1, "meta"), _trace_on(name, None, 1, "cpu")
    assert _shape(meta) == _shape(cpu)
    copies = [[(x.name, x.elements) for x in w.layers if x.op == "layout"] for w in (meta, cpu)]
    assert copies[0] == copies[1] and len(copies[0]) > 40      # the same copies with real tensors


@pytest.mark.trace
@pytest.mark.parametrize("name, published_gmacs", [
    ("deit_base_patch16_224", 17.56),   # DeiT paper (Touvron et al. 2021) Table 1 / timm: 17.6 G
    ("deit_small_patch16_224", 4.60),   # DeiT paper Table 1 / timm: 4.6 G
    ("vit_large_patch16_224", 61.56),   # timm model card vit_large_patch16_224: 61.6 GMACs
    ("swin_tiny_patch4_window7_224", 4.49),  # Swin paper (Liu et al. 2021) Table 1: 4.5 G; timm card 4.5 GMACs
])
def test_published_macs(name, published_gmacs):
    _timm()
    gmacs = _traced(name).macs / 1e9
    assert abs(gmacs - published_gmacs) / published_gmacs < 0.005, gmacs


@pytest.mark.trace
@pytest.mark.parametrize("name, published_mmacs", [
    ("levit_128s", 305),       # Graham et al., LeViT, ICCV 2021: LeViT-128S 305M FLOPs (multiply-adds)
    ("efficientvit_m0", 79),   # Liu et al., EfficientViT (cascaded group attention), CVPR 2023: M0 79M FLOPs
])
def test_published_macs_of_small_models(name, published_mmacs):
    mmacs = _traced(name).macs / 1e6
    assert abs(mmacs - published_mmacs) / published_mmacs < 0.005, mmacs


@pytest.mark.trace
def test_swin_tiny_macs_by_hand():
    """Swin-T, stages (tokens N, dim C, depth) = (3136, 96, 2), (784, 192, 2), (196, 384, 6), (49, 768, 2), 7x7
    windows. Per block: qkv 3NC^2 + proj NC^2 + MLP 8NC^2 + q@k^T and attn@v 2 * N*49*C = 12NC^2 + 98NC.
    Patch merging after stages 1-3: (N/4) x 4C x 2C = 2NC^2. Patch embed 3136*96*48, head 768*1000.
    = 752,640,000 + 57,802,752 + 723,136,512 + 57,802,752 + 2,125,154,304 + 57,802,752 + 701,008,896
      + 14,450,688 + 768,000 = 4,490,566,656."""
    total = 0
    for n, c, depth, merge in ((3136, 96, 2, True), (784, 192, 2, True), (196, 384, 6, True), (49, 768, 2, False)):
        total += depth * (12 * n * c * c + 98 * n * c) + (2 * n * c * c if merge else 0)
    total += 3136 * 96 * 48 + 768 * 1000
    assert total == 4_490_566_656 == _traced("swin_tiny_patch4_window7_224").macs


@pytest.mark.trace
def test_deit_base_op_counts():
    """DeiT-B: 12 blocks x (1 softmax, 2 LayerNorm, 2 attention matmuls, 4 linears) + final norm + head."""
    _timm()
    ops = [x.op for x in _traced("deit_base_patch16_224").layers]
    assert ops.count("softmax") == 12 and ops.count("layernorm") == 25
    assert ops.count("matmul") == 24 and ops.count("gemm") == 49 and ops.count("conv") == 1


@pytest.mark.trace
@pytest.mark.slow
def test_every_family_traces_and_simulates():
    """The smallest model of each family traces under w8a8 with unique names and runs on hwconfigs/int8.yaml."""
    _timm()
    from simulator.engine import simulate
    from simulator.loader import load_hardware
    from tests.conftest import HWCONFIGS
    from workloads.families import SMALLEST
    from workloads.trace import trace

    hw = load_hardware(HWCONFIGS / "int8.yaml")
    for fam, name in SMALLEST.items():
        w = trace(name, recipe="w8a8")
        names = [x.name for x in w.layers]
        assert len(set(names)) == len(names), fam
        assert not w.meta.get("unknown_ops"), (fam, w.meta.get("unknown_ops"))
        assert any(x.op == "matmul" for x in w.layers) and w.macs > 0, fam
        result = simulate(w, hw)
        assert result.totals["total_cycles"] > 0, fam


@pytest.mark.trace
def test_swin_and_levit_inline_ops_are_named_by_role():
    _timm()
    from workloads.trace import trace

    swin = {x.name: x for x in trace("swin_tiny_patch4_window7_224").layers}
    qk = swin["layers.0.blocks.0.attn.qk"]
    assert (qk.m, qk.n, qk.k, qk.repeat) == (49, 49, 32, 64 * 3)      # 7x7 windows, 64 windows x 3 heads
    assert "layers.0.blocks.0.attn.relative_position_bias_table" in swin
    assert "layers.0.blocks.1.attn.attn_mask" in swin                   # shifted windows add the mask
    levit = [x.name for x in trace("levit_128s").layers]
    assert "stages.0.blocks.0.attn.attention_biases" in levit and "stages.0.blocks.0.residual1" in levit


@pytest.mark.trace
def test_depthwise_and_grouped_conv_shapes():
    """Conv2d(8, 8, 3, groups=8) on 2 x 8 x 10 x 10, padding 1: 8 GEMMs of M = 2*10*10 = 200, N = 1, K = 9;
    Conv2d(8, 4, 1, groups=2): 2 GEMMs of M = 200, N = 2, K = 4. MACs 200*9*8 = 14,400 and 200*2*4*2 = 3,200."""
    torch = _torch()
    from workloads.trace import trace_module

    net = torch.nn.Sequential(torch.nn.Conv2d(8, 8, 3, padding=1, groups=8), torch.nn.Conv2d(8, 4, 1, groups=2))
    w, _ = trace_module(net.eval(), torch.zeros(2, 8, 10, 10))
    dw, gc = w.layers
    assert (dw.name, dw.op, dw.m, dw.n, dw.k, dw.repeat) == ("0", "conv", 200, 1, 9, 8) and dw.macs == 14_400
    assert (gc.m, gc.n, gc.k, gc.repeat) == (200, 2, 4, 2) and gc.macs == 3_200


@pytest.mark.trace
def test_unknown_op_is_kept_with_a_warning():
    torch = _torch()
    from workloads.trace import trace_module

    class Odd(torch.nn.Module):
        def forward(self, x):
            return torch.atan2(x, x + 1)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        w, _ = trace_module(Odd().eval(), torch.ones(2, 3, 4))
    assert any("atan2" in str(c.message) for c in caught)
    odd = [x for x in w.layers if x.name == "atan2"]
    assert odd and odd[0].op == "elementwise" and odd[0].elements == 24 and w.meta["unknown_ops"] == {"atan2": 1}


@pytest.mark.trace
def test_recipe_glob_that_matches_nothing_is_an_error_naming_it(tmp_path):
    _timm()
    from workloads.trace import trace

    recipe = tmp_path / "typo.yaml"
    recipe.write_text("name: typo\ndefault: {w_bits: 8, a_bits: 8}\nrules:\n  - {match: 'blocks.*.atn.qkv', w_bits: 4}\n")
    with pytest.raises(WorkloadError, match=r"blocks\.\*\.atn\.qkv"):
        trace("deit_tiny_patch16_224", recipe=str(recipe))


@pytest.mark.trace
def test_bits_are_read_from_a_dynamic_quantized_model():
    """torch.ao quantize_dynamic turns every nn.Linear into an INT8 dynamic linear: the tracer reports w8a8 int
    for the 49 linears (same names as the float model) and keeps the conv and vector ops at fp32."""
    torch = _torch()
    _timm()
    from workloads.trace import create_model, trace_module

    model = create_model("deit_tiny_patch16_224", device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    w, _ = trace_module(q, torch.zeros(1, 3, 224, 224))
    gemms = [x for x in w.layers if x.op == "gemm"]
    assert len(gemms) == 49 and gemms[0].name == "blocks.0.attn.qkv"
    assert all((x.w_bits, x.a_bits, x.dtype) == (8, 8, "int") for x in gemms)
    conv = w.layers[0]
    assert (conv.op, conv.dtype, conv.w_bits) == ("conv", "fp", 32)


@pytest.mark.trace
def test_layout_layers_of_deit_and_swin_by_hand():
    """The copies eager PyTorch makes, as ``layout`` layers: DeiT-Ti per block q and k^T copied for the unfused qk
    matmul, v for attn @ v, the heads merged (197 x 192 elements each), and the class token's cat; Swin-T's shifted
    block 1 rolls, pads (F.pad copies even at 0), partitions (``contiguous``), copies q/k/v, merges the heads, reverses
    the windows and rolls back: 56 x 56 x 96 = 301,056 elements each. Which attentions call SDPA in timm's default
    build: every DeiT block, no Swin block (timm fuses WindowAttention only as experimental)."""
    _timm()
    deit = _traced("deit_tiny_patch16_224")
    copies = [(x.name, x.m * x.n * x.repeat) for x in deit.layers if x.op == "layout"]
    assert copies[0] == ("cat", 197 * 192)
    assert copies[1:5] == [(f"blocks.0.attn.{n}", 197 * 192) for n in ("copy_in1", "copy_in2", "copy_in3", "reshape")]
    assert len(copies) == 1 + 4 * 12
    assert deit.meta["sdpa_modules"] == [f"blocks.{i}.attn" for i in range(12)]
    swin = _traced("swin_tiny_patch4_window7_224")
    b1 = [(x.name.split("blocks.1.", 1)[1], x.elements) for x in swin.layers
          if x.op == "layout" and x.name.startswith("layers.0.blocks.1.")]
    assert b1 == [(n, 301056) for n in ("roll1", "pad", "contiguous1", "attn.copy_in1", "attn.copy_in2",
                                        "attn.copy_in3", "attn.reshape", "contiguous2", "roll2")]
    assert swin.meta["sdpa_modules"] == []
    assert all(x.a_bits == x.out_bits == 32 for x in swin.layers if x.op == "layout")


@pytest.mark.trace
def test_layout_layers_of_cait_its_transposed_residual_stream():
    """CaiT adds pos_embed to the transposed patch embedding (``x.flatten(2).transpose(1, 2)``): the residual stream
    keeps those strides, so each LayerNorm of a talking-heads block copies its input (196 x 192); the head-mixing
    linears copy the permuted scores (4 heads x 196 x 196)."""
    _timm()
    w = _traced("cait_xxs24_224")
    names = {x.name: x.elements for x in w.layers if x.op == "layout"}
    assert names["blocks.0.norm1.copy_in"] == names["blocks.0.norm2.copy_in"] == 196 * 192
    assert names["blocks.0.attn.proj_l.copy_in"] == names["blocks.0.attn.proj_w.copy_in"] == 4 * 196 * 196
    assert w.meta["sdpa_modules"] == ["blocks_token_only.0.attn", "blocks_token_only.1.attn"]


@pytest.mark.trace
def test_zoo_is_what_the_tracer_makes_now():
    """Every zoo workload made by the tracer equals a fresh trace of its model with its recipe (names, shapes,
    bits), and carries an SQNR on every GEMM layer (it was traced with --quantize)."""
    _timm()
    from workloads.quantize import load_recipe
    from workloads.registry import load_workload, zoo_names

    def bits(w):
        return [(x.w_bits, x.a_bits, x.out_bits, x.dtype, x.w_granularity, x.a_granularity) for x in w.layers
                if x.op != "layout"]    # zoo files are fake-quantized traces: no layout layers

    traced = [load_workload(z) for z in zoo_names()]
    traced = [w for w in traced if w.source == "trace"]
    assert len(traced) >= 21
    for w in traced:
        fresh = load_recipe(w.recipe).apply(_traced(w.model, img_size=w.img_size))
        assert _shape(w) == _shape(fresh) and bits(w) == bits(fresh), w.name
        assert all(x.sqnr_db is not None for x in w.layers if x.is_gemm), w.name


# ------------------------------------------------------------------------------------------ fake quantization
@pytest.mark.trace
def test_quantize_weight_by_hand():
    """3-bit symmetric, qmax = 3: per tensor scale = 0.7/3, so 0.7 -> 3 -> 0.7, -0.3 -> -1.29 -> -1 -> -0.2333,
    0.1 -> 0.43 -> 0 -> 0. Per channel = each row on its own; group:2 = each pair on its own."""
    torch = _torch()
    from workloads.fakequant import quantize_weight

    w = torch.tensor([[0.7, -0.3, 0.1]])
    assert torch.allclose(quantize_weight(w, 3, "tensor"), torch.tensor([[0.7, -0.7 / 3, 0.0]]))
    w2 = torch.tensor([[0.7, -0.3, 0.1, 0.05], [0.02, 0.01, 0.9, -0.9]])
    per_row = torch.cat([quantize_weight(r[None], 4, "tensor") for r in w2])
    assert torch.equal(quantize_weight(w2, 4, "channel"), per_row)
    groups = torch.cat([quantize_weight(w2[:, i:i + 2].reshape(-1, 2)[j:j + 1], 4, "tensor")
                        for j in range(2) for i in (0, 2)]).reshape(2, 4)
    assert torch.equal(quantize_weight(w2, 4, "group:2"), groups)
    with pytest.raises(WorkloadError, match="w_granularity"):
        quantize_weight(w2, 4, "token")


@pytest.mark.trace
def test_activation_quantizer_minmax_by_hand():
    """2 bits, calibrated on [-1, 0, 2]: scale = 3/3 = 1, zero point 1; 0.4 -> 0, 1.6 -> 2, 5 -> clamp 2,
    -3 -> clamp -1."""
    torch = _torch()
    from workloads.fakequant import ActQuantizer

    q = ActQuantizer(2, "tensor")
    q.calibrating = True
    assert torch.equal(q(torch.tensor([-1.0, 0.0, 2.0])), torch.tensor([-1.0, 0.0, 2.0]))  # passes through
    q.calibrating = False
    assert torch.equal(q(torch.tensor([0.4, 1.6, 5.0, -3.0])), torch.tensor([0.0, 2.0, 2.0, -1.0]))


@pytest.mark.trace
def test_percentile_calibration_ignores_an_outlier():
    """99th percentile of 0..9999 plus one 1e6 outlier is about 9900, where min-max takes 1e6."""
    torch = _torch()
    from workloads.fakequant import ActQuantizer

    x = torch.cat([torch.arange(10_000.0), torch.tensor([1e6])])
    pq, mq = ActQuantizer(8, "tensor", method="percentile", percentile=99.0), ActQuantizer(8, "tensor")
    pq.calibrating = mq.calibrating = True
    pq(x), mq(x)
    assert 9800 < float(pq.hi) < 10_000 and float(mq.hi) == 1e6


@pytest.mark.trace
def test_sqnr_by_hand():
    """ref [3, 4], test [3, 3]: 10 log10(25 / 1) = 13.979 dB; identical tensors have no measurable error."""
    torch = _torch()
    from workloads.fakequant import sqnr_db

    assert sqnr_db(torch.tensor([3.0, 4.0]), torch.tensor([3.0, 3.0])) == pytest.approx(13.9794, abs=1e-4)
    assert sqnr_db(torch.tensor([3.0, 4.0]), torch.tensor([3.0, 4.0])) is None
    assert sqnr_db(torch.tensor([0.0, 0.0]), torch.tensor([0.5, 0.0])) is None    # no signal: undefined, never -inf


@pytest.fixture(scope="module")
def deit_tiny_quantized():
    _timm()
    from workloads.trace import trace_quantized

    return {r: trace_quantized("deit_tiny_patch16_224", r, calib_batches=2) for r in ("w8a8", "w4a4")}


@pytest.mark.trace
def test_int8_sqnr_beats_int4_on_every_linear_layer(deit_tiny_quantized):
    w8, w4 = deit_tiny_quantized["w8a8"], deit_tiny_quantized["w4a4"]
    assert [x.name for x in w8.layers] == [x.name for x in w4.layers]
    linear = [(a, b) for a, b in zip(w8.layers, w4.layers) if a.op in ("gemm", "conv", "matmul")]
    assert len(linear) == 1 + 49 + 24
    for a, b in linear:
        assert a.sqnr_db is not None and b.sqnr_db is not None, a.name
        assert a.sqnr_db > b.sqnr_db, (a.name, a.sqnr_db, b.sqnr_db)
        assert a.sqnr_db > 20 and (a.w_bits, a.a_bits, b.w_bits, b.a_bits) == (8, 8, 4, 4)


@pytest.mark.trace
def test_quantized_trace_keeps_the_float_shapes_and_records_how(deit_tiny_quantized):
    from workloads.vit import build_preset

    w8 = deit_tiny_quantized["w8a8"]
    assert _shape(w8) == _shape(build_preset("deit_tiny"))
    assert w8.recipe == "w8a8" and w8.meta["fakequant"]["images"].startswith("synthetic")


@pytest.mark.trace
def test_inline_linear_with_a_module_weight_is_quantized_too():
    """EVA02 computes qkv as F.linear(x, self.qkv.weight, qkv_bias) in the attention module, not by calling the
    Linear: the op mode quantizes it, so it reads back as w4a8 with a finite SQNR like every other GEMM."""
    _timm()
    from workloads.trace import trace_quantized

    w = trace_quantized("eva02_tiny_patch14_224", "w4a8", calib_batches=1)
    qkv = next(x for x in w.layers if x.name == "blocks.0.attn.qkv")
    assert (qkv.w_bits, qkv.a_bits) == (4, 8) and qkv.sqnr_db is not None
    assert all(x.sqnr_db is not None for x in w.layers if x.is_gemm)


# ------------------------------------------------------------------------------------------ command line
@pytest.mark.trace
def test_cli_trace_writes_a_workload_that_simulates(tmp_path):
    _timm()
    from simulator.cli import main as sim_main
    from workloads.cli import main
    from workloads.model import Workload

    out = tmp_path / "lv.yaml"
    assert main(["trace", "levit_128s", "--recipe", "w4a8", "-o", str(out)]) == 0
    w = Workload.load(out)
    assert w.model == "levit_128s" and w.recipe == "w4a8" and w.source == "trace"
    assert sim_main(["run", "hwconfigs/int8.yaml", "--workload", str(out), "--format", "json",
                     "-o", str(tmp_path / "r.json")]) == 0


@pytest.mark.trace
def test_cli_quantize_with_percentile_calibration(tmp_path):
    _timm()
    from workloads.cli import main
    from workloads.model import Workload

    out = tmp_path / "lv.json"
    assert main(["trace", "levit_128s", "--recipe", "w8a8", "--quantize", "--calibration", "percentile",
                 "--percentile", "99.9", "--calib-batches", "1", "-o", str(out)]) == 0
    w = Workload.load(out)
    assert w.meta["fakequant"]["calibration"] == "percentile" and w.meta["fakequant"]["percentile"] == 99.9
    assert all(x.sqnr_db is not None for x in w.layers if x.is_gemm)


@pytest.mark.parametrize("argv, needle", [
    (["trace", "deit_tiny_patch16_224", "-o", "x.txt"], "unknown file type"),
    (["trace", "deit_tiny_patch16_224", "--batch", "0", "-o", "x.yaml"], "batch"),
    (["trace", "deit_tiny_patch16_224", "--quantize", "-o", "x.yaml"], "--quantize needs --recipe"),
])
def test_cli_bad_input_is_one_line_and_exit_2(argv, needle, capsys):
    from workloads.cli import main
    from workloads.cli_common import run_main

    assert run_main(main, argv) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1


@pytest.mark.trace
def test_cli_unknown_model_is_exit_2(capsys, tmp_path):
    _timm()
    from workloads.cli import main
    from workloads.cli_common import run_main

    assert run_main(main, ["trace", "deit_tinyy", "-o", str(tmp_path / "x.yaml")]) == 2
    assert "unknown timm model 'deit_tinyy'" in capsys.readouterr().err
