"""``workloads.onnx_import``: quantized ONNX models built here with onnx.helper (no files shipped, no runtime), their
layers, shapes, bits, granularities and zero points checked against hand-computed values; a timm ViT exported with
torch.onnx against the timm trace of the same model."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto as T
from onnx import helper, numpy_helper

from workloads.errors import WorkloadError
from workloads.onnx_import import import_onnx


def _init(name, arr, dtype=None):
    arr = np.asarray(arr)
    if dtype is None:
        return numpy_helper.from_array(arr, name)
    return helper.make_tensor(name, dtype, arr.shape, arr.reshape(-1).tolist())


def _save(tmp_path, nodes, inputs, outputs, inits, opset=21, name="m.onnx", domains=()):
    g = helper.make_graph(nodes, "g", inputs, outputs, inits)
    ops = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, 1) for d in domains]
    m = helper.make_model(g, opset_imports=ops)
    p = tmp_path / name
    onnx.save(m, str(p))
    return p


def _vi(name, shape, dtype=T.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def _layers(w):
    return {x.name: x for x in w.layers}


def test_qdq_matmul_softmax(tmp_path):
    """x [1,8,16] -Q(uint8, zp 3: asymmetric)-> DQ -> MatMul W [16,32] (int8, per-channel scales [32], zp 0)
    -> Add bias -> Q(int8) -> DQ -> Softmax -> Q -> DQ. fc: gemm M = 8, N = 32, K = 16 (MACs 4,096), W8A8
    per-channel weights, asymmetric activations, 8-bit output; softmax: 8 rows of 32, a8 -> out 8."""
    inits = [_init("s", np.float32(0.1)), _init("zp_u", np.uint8(3)), _init("zp_i", np.int8(0)),
             _init("W", np.ones((16, 32), np.int8)), _init("ws", np.full(32, 0.01, np.float32)),
             _init("wzp", np.zeros(32, np.int8)), _init("b", np.zeros(32, np.float32))]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "zp_u"], ["xq"], name="/fc/q_in"),
             helper.make_node("DequantizeLinear", ["xq", "s", "zp_u"], ["xd"], name="/fc/dq_in"),
             helper.make_node("DequantizeLinear", ["W", "ws", "wzp"], ["Wd"], axis=1, name="/fc/dq_w"),
             helper.make_node("MatMul", ["xd", "Wd"], ["y0"], name="/fc/MatMul"),
             helper.make_node("Add", ["y0", "b"], ["y1"], name="/fc/Add"),
             helper.make_node("QuantizeLinear", ["y1", "s", "zp_i"], ["yq"], name="/fc/q_out"),
             helper.make_node("DequantizeLinear", ["yq", "s", "zp_i"], ["yd"], name="/dq"),
             helper.make_node("Softmax", ["yd"], ["p"], axis=-1, name="/attn/Softmax"),
             helper.make_node("QuantizeLinear", ["p", "s", "zp_u"], ["pq"], name="/attn/q"),
             helper.make_node("DequantizeLinear", ["pq", "s", "zp_u"], ["out"], name="/attn/dq")]
    w = import_onnx(_save(tmp_path, nodes, [_vi("x", [1, 8, 16])], [_vi("out", [1, 8, 32])], inits))
    L = _layers(w)
    assert list(L) == ["fc", "attn"]           # the bias Add is the GEMM's bias; Q/DQ are no layers
    fc = L["fc"]
    assert (fc.op, fc.m, fc.n, fc.k, fc.repeat, fc.macs) == ("gemm", 8, 32, 16, 1, 4096)
    assert (fc.w_bits, fc.a_bits, fc.out_bits, fc.dtype) == (8, 8, 8, "int")
    assert (fc.w_granularity, fc.a_granularity, fc.w_zero_point, fc.a_zero_point) == ("channel", "tensor", False, True)
    sm = L["attn"]
    assert (sm.op, sm.m, sm.n, sm.a_bits, sm.out_bits, sm.dtype) == ("softmax", 8, 32, 8, 8, "int")
    assert w.recipe == "onnx" and w.source == "onnx" and w.batch == 1
    assert w.meta["onnx"]["quant_ops"] == {"DequantizeLinear": 4, "QuantizeLinear": 3}


def test_int4_block_weights_and_token_activations(tmp_path):
    """INT4 weights with block_size 32 along K (scales [2, 48]) -> w4, group:32; activations with one scale per
    token (axis 1 of [1, 8, 64]) and uint8 zero point 128 (the signed range shifted: symmetric) -> a8, token."""
    inits = [_init("xs", np.full(8, 0.1, np.float32)), _init("xzp", np.full(8, 128, np.uint8)),
             _init("W", np.zeros((64, 48), np.int8), T.INT4), _init("ws", np.full((2, 48), 0.01, np.float32))]
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xzp"], ["xq"], axis=1),
             helper.make_node("DequantizeLinear", ["xq", "xs", "xzp"], ["xd"], axis=1),
             helper.make_node("DequantizeLinear", ["W", "ws"], ["Wd"], axis=0, block_size=32),
             helper.make_node("MatMul", ["xd", "Wd"], ["y"], name="proj")]
    w = import_onnx(_save(tmp_path, nodes, [_vi("x", [1, 8, 64])], [_vi("y", [1, 8, 48])], inits))
    (p,) = w.layers
    assert (p.name, p.op, p.m, p.n, p.k, p.macs) == ("proj", "gemm", 8, 48, 64, 8 * 48 * 64)
    assert (p.w_bits, p.a_bits, p.out_bits, p.dtype) == (4, 8, 32, "int")
    assert (p.w_granularity, p.a_granularity, p.w_zero_point, p.a_zero_point) == ("group:32", "token", False, False)


def test_qoperator_ops(tmp_path):
    """QLinearMatMul (uint8 x uint8 -> uint8, per-tensor), MatMulInteger (int8, asymmetric weight zero point ->
    int32 out), QLinearConv (depthwise 3x3, stride 1, pad 1, groups 4: M = 1*6*6, N = 1, K = 9, repeat 4) and
    ConvInteger (1x1)."""
    u8 = lambda n, v: _init(n, np.uint8(v))
    inits = [_init("s", np.float32(0.05)), u8("z", 128), u8("za", 7),
             _init("B", np.ones((16, 24), np.uint8)), _init("B2", np.ones((24, 24), np.int8)),
             _init("bzp", np.int8(5)), _init("Wc", np.ones((4, 1, 3, 3), np.uint8)),
             _init("Wc2", np.ones((8, 4, 1, 1), np.uint8))]
    nodes = [helper.make_node("QLinearMatMul", ["x", "s", "za", "B", "s", "z", "s", "z"], ["y"], name="/mm1/Q"),
             helper.make_node("Cast", ["y"], ["yi"], to=T.INT8),
             helper.make_node("MatMulInteger", ["yi", "B2", "", "bzp"], ["y2"], name="/mm2/MMI"),
             helper.make_node("QLinearConv", ["img", "s", "z", "Wc", "s", "z", "s", "z"], ["c"], group=4,
                              kernel_shape=[3, 3], pads=[1, 1, 1, 1], name="/dw/QLinearConv"),
             helper.make_node("ConvInteger", ["c", "Wc2"], ["c2"], name="/pw/ConvInteger")]
    w = import_onnx(_save(tmp_path, nodes, [_vi("x", [1, 10, 16], T.UINT8), _vi("img", [1, 4, 6, 6], T.UINT8)],
                          [_vi("y2", [1, 10, 24], T.INT32), _vi("c2", [1, 8, 6, 6], T.INT32)], inits))
    L = _layers(w)
    m1, m2, dw, pw = L["mm1"], L["mm2"], L["dw"], L["pw"]
    assert (m1.op, m1.m, m1.n, m1.k, m1.w_bits, m1.a_bits, m1.out_bits) == ("gemm", 10, 24, 16, 8, 8, 8)
    assert (m1.a_zero_point, m1.w_zero_point) == (True, False)   # zp 7 shifts uint8; zp 128 is symmetric
    assert (m2.op, m2.m, m2.n, m2.k, m2.out_bits, m2.w_zero_point, m2.a_zero_point) == \
        ("gemm", 10, 24, 24, 32, True, False)
    assert (dw.op, dw.m, dw.n, dw.k, dw.repeat, dw.macs) == ("conv", 36, 1, 9, 4, 36 * 9 * 4)
    assert (dw.conv_in_h, dw.conv_in_channels, dw.conv_kernel_h, dw.conv_stride, dw.conv_padding, dw.conv_groups) \
        == (6, 4, 3, 1, 1, 4)
    assert (pw.op, pw.m, pw.n, pw.k, pw.repeat, pw.out_bits) == ("conv", 36, 8, 4, 1, 32)


QONNX = "qonnx.custom_op.general"


def test_qonnx_quant_and_bipolar(tmp_path):
    """QONNX: 6-bit activations (one scale, zero point 0), 4-bit weights with a scale per output channel ([1, 32]
    against W [16, 32]) and a non-zero zero point -> w4a6, channel, asymmetric weights; BipolarQuant weights
    -> 1-bit binary."""
    f = lambda n, v: _init(n, np.float32(v))
    inits = [f("s", 0.1), f("z0", 0.0), f("b6", 6), f("b4", 4), f("z1", 1.0),
             _init("ws", np.full((1, 32), 0.02, np.float32)), _init("W", np.ones((16, 32), np.float32)),
             _init("W2", np.ones((32, 8), np.float32))]
    nodes = [helper.make_node("Quant", ["x", "s", "z0", "b6"], ["xq"], domain=QONNX, signed=1, narrow=0,
                              rounding_mode="ROUND"),
             helper.make_node("Quant", ["W", "ws", "z1", "b4"], ["Wq"], domain=QONNX, signed=1, narrow=0,
                              rounding_mode="ROUND"),
             helper.make_node("MatMul", ["xq", "Wq"], ["y"], name="fc1"),
             helper.make_node("Quant", ["y", "s", "z0", "b6"], ["yq"], domain=QONNX, signed=1, narrow=0,
                              rounding_mode="ROUND"),
             helper.make_node("BipolarQuant", ["W2", "s"], ["W2q"], domain=QONNX),
             helper.make_node("MatMul", ["yq", "W2q"], ["z"], name="fc2")]
    w = import_onnx(_save(tmp_path, nodes, [_vi("x", [2, 16])], [_vi("z", [2, 8])], inits, opset=13,
                          domains=(QONNX,)))
    fc1, fc2 = w.layers
    assert (fc1.name, fc1.m, fc1.n, fc1.k, fc1.w_bits, fc1.a_bits, fc1.out_bits) == ("fc1", 2, 32, 16, 4, 6, 6)
    assert (fc1.w_granularity, fc1.w_zero_point, fc1.a_zero_point) == ("channel", True, False)
    assert (fc2.w_bits, fc2.w_quantizer, fc2.a_bits, fc2.m, fc2.n, fc2.k) == (1, "binary", 6, 2, 8, 32)
    assert w.meta["onnx"]["quant_ops"] == {"BipolarQuant": 1, "Quant": 3}


def test_decomposed_layernorm_and_erf_gelu(tmp_path):
    """The pre-opset-17 LayerNorm (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add) is one layernorm
    of 5 rows x 12; the erf GELU (Div, Erf, Add, Mul, Mul) one gelu of 5 x 24; the attention pattern
    (q @ k^T, softmax, @ v) keeps the tracer's names qk, softmax, av."""
    f = lambda n, v: _init(n, np.asarray(v, np.float32))
    inits = [f("two", 2.0), f("eps", 1e-6), f("g", np.ones(12)), f("bt", np.zeros(12)), f("r2", 1.4142135),
             f("one", 1.0), f("half", 0.5), f("W", np.ones((12, 24))), f("W2", np.ones((24, 12)))]
    n = helper.make_node
    nodes = [n("ReduceMean", ["x"], ["u"], axes=[-1], name="/norm/ReduceMean"),
             n("Sub", ["x", "u"], ["d"], name="/norm/Sub"), n("Pow", ["d", "two"], ["d2"], name="/norm/Pow"),
             n("ReduceMean", ["d2"], ["v"], axes=[-1], name="/norm/ReduceMean_1"),
             n("Add", ["v", "eps"], ["ve"], name="/norm/Add"), n("Sqrt", ["ve"], ["sd"], name="/norm/Sqrt"),
             n("Div", ["d", "sd"], ["xn"], name="/norm/Div"), n("Mul", ["xn", "g"], ["xg"], name="/norm/Mul"),
             n("Add", ["xg", "bt"], ["h"], name="/norm/Add_1"),
             n("MatMul", ["h", "W"], ["a"], name="/mlp/fc1/MatMul"),
             n("Div", ["a", "r2"], ["a1"], name="/mlp/act/Div"), n("Erf", ["a1"], ["a2"], name="/mlp/act/Erf"),
             n("Add", ["a2", "one"], ["a3"], name="/mlp/act/Add"), n("Mul", ["a", "a3"], ["a4"], name="/mlp/act/Mul"),
             n("Mul", ["a4", "half"], ["a5"], name="/mlp/act/Mul_1"),
             n("MatMul", ["a5", "W2"], ["o"], name="/mlp/fc2/MatMul"),
             n("Transpose", ["o"], ["ot"], perm=[0, 2, 1], name="/attn/Transpose"),
             n("MatMul", ["o", "ot"], ["s"], name="/attn/MatMul"),
             n("Softmax", ["s"], ["p"], axis=-1, name="/attn/Softmax"),
             n("MatMul", ["p", "o"], ["y"], name="/attn/MatMul_1")]
    w = import_onnx(_save(tmp_path, nodes, [_vi("x", [1, 5, 12])], [_vi("y", [1, 5, 12])], inits, opset=13))
    got = [(x.name, x.op, x.m, x.n, x.k, x.repeat) for x in w.layers]
    assert got == [("norm", "layernorm", 5, 12, 0, 1), ("mlp.fc1", "gemm", 5, 24, 12, 1),
                   ("mlp.act", "gelu", 5, 24, 0, 1), ("mlp.fc2", "gemm", 5, 12, 24, 1),
                   ("attn.qk", "matmul", 5, 5, 12, 1), ("attn.softmax", "softmax", 5, 5, 0, 1),
                   ("attn.av", "matmul", 5, 12, 5, 1)]
    assert all(x.dtype == "fp" and x.a_bits == 32 for x in w.layers)
    assert w.layers[4].weight_operand is False


def test_symbolic_batch_and_rescale(tmp_path):
    """A symbolic batch dimension takes --batch (default 1): M scales with it; attention repeat with it."""
    nodes = [helper.make_node("MatMul", ["x", "W"], ["y"], name="fc")]
    p = _save(tmp_path, nodes, [_vi("x", ["N", 4, 8])], [_vi("y", ["N", 4, 3])],
              [_init("W", np.ones((8, 3), np.float32))])
    assert import_onnx(p).layers[0].m == 4
    w = import_onnx(p, batch=3)
    assert (w.batch, w.layers[0].m) == (3, 12)


@pytest.mark.parametrize("case, message", [
    ("einsum", "node 'bad' (Einsum): unsupported op Einsum"),
    ("custom", "node 'c' (Foo): unsupported custom op my.domain::Foo"),
    ("symbolic", "input 'x': dimension 2 is symbolic (W)"),
    ("garbage", "not a readable ONNX model"),
    ("double", "64-bit floats are unsupported"),
])
def test_errors_name_the_node(tmp_path, case, message):
    W = _init("W", np.ones((8, 3), np.float32))
    if case == "garbage":
        p = tmp_path / "g.onnx"
        p.write_bytes(b"\x08\xff\xff not a protobuf")
    elif case == "einsum":
        p = _save(tmp_path, [helper.make_node("Einsum", ["x", "W"], ["y"], equation="bij,jk->bik", name="bad")],
                  [_vi("x", [1, 4, 8])], [_vi("y", [1, 4, 3])], [W])
    elif case == "custom":
        p = _save(tmp_path, [helper.make_node("Foo", ["x"], ["y"], domain="my.domain", name="c")],
                  [_vi("x", [1, 4, 8])], [_vi("y", [1, 4, 8])], [], domains=("my.domain",))
    elif case == "symbolic":
        p = _save(tmp_path, [helper.make_node("MatMul", ["x", "W"], ["y"])], [_vi("x", [1, 4, "W"])],
                  [_vi("y", [1, 4, 3])], [W])
    else:
        p = _save(tmp_path, [helper.make_node("MatMul", ["x", "W"], ["y"], name="d")], [_vi("x", [1, 4, 8], T.DOUBLE)],
                  [_vi("y", [1, 4, 3], T.DOUBLE)], [_init("W", np.ones((8, 3), np.float64))])
    with pytest.raises(WorkloadError) as e:
        import_onnx(p)
    assert message in str(e.value) and str(p) in str(e.value)


def test_cli_import_and_run(tmp_path):
    """``vitsim workloads import`` writes a workload file; ``vitsim run --workload X.onnx`` runs the model directly
    with the same totals as the written file; a bad model is one line on stderr, exit 2."""
    inits = [_init("s", np.float32(0.1)), _init("zp", np.int8(0)), _init("W", np.ones((64, 64), np.int8)),
             _init("ws", np.float32(0.01))]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["xq"]),
             helper.make_node("DequantizeLinear", ["xq", "s", "zp"], ["xd"]),
             helper.make_node("DequantizeLinear", ["W", "ws", "zp"], ["Wd"]),
             helper.make_node("MatMul", ["xd", "Wd"], ["y"], name="/blocks/blocks.0/mlp/fc1/MatMul")]
    p = _save(tmp_path, nodes, [_vi("x", [1, 197, 64])], [_vi("y", [1, 197, 64])], inits)
    out = tmp_path / "w.yaml"
    cmd = [sys.executable, "-m", "analysis.cli_vitsim"]
    r = subprocess.run([*cmd[:2], "workloads", "import", str(p), "-o", str(out)], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert f"wrote {out}" in r.stderr and "w8a8 (tensor)" in r.stderr
    runs = [subprocess.run([*cmd[:2], "simulator", "run", "int8", "--workload", str(x), "--format", "json"],
                           capture_output=True, text=True, check=False) for x in (p, out)]
    assert all(x.returncode == 0 for x in runs), runs[0].stderr + runs[1].stderr
    import json

    a, b = (json.loads(x.stdout)["totals"] for x in runs)
    assert a == b and a["macs"] == 197 * 64 * 64
    bad = tmp_path / "bad.onnx"
    bad.write_text("nope")
    r = subprocess.run([*cmd[:2], "workloads", "import", str(bad)], capture_output=True, text=True, check=False)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "bad.onnx" in r.stderr


@pytest.mark.trace
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore")
def test_timm_vit_export_matches_trace(tmp_path):
    """deit_tiny (random init, nothing downloaded) exported by torch.onnx: every GEMM of the import has the
    name, shape and MACs of the timm trace's; total MACs equal (the task asks within 1 %)."""
    torch = pytest.importorskip("torch")
    timm = pytest.importorskip("timm")
    from workloads.trace import trace

    model = timm.create_model("deit_tiny_patch16_224", pretrained=False).eval()
    path = tmp_path / "deit_tiny.onnx"
    torch.onnx.export(model, (torch.zeros(1, 3, 224, 224),), str(path), dynamo=False, opset_version=17)
    w = import_onnx(path)
    t = trace("deit_tiny_patch16_224")
    assert abs(w.macs - t.macs) <= 0.01 * t.macs
    gemms = lambda x: {y.name: (y.op, y.m, y.n, y.k, y.repeat) for y in x.layers if y.is_gemm}
    assert gemms(w) == gemms(t) and len(gemms(w)) == 1 + 12 * 6 + 1
    vec = {y.name: (y.op, y.elements) for y in t.layers if y.op in ("softmax", "layernorm", "gelu", "add")}
    assert {k: v for k, v in ((y.name, (y.op, y.elements)) for y in w.layers) if k in vec} == vec


def test_mx_block_formats_from_qdq(tmp_path):
    """MXFP4 weights as QDQ writes them (opset 23): FLOAT4E2M1 elements, FLOAT8E8M0 scales, block_size 32 along K
    of W [64, 48]; MXFP8 E4M3 activations likewise along x's last axis -> an fp layer w4a8 with group:32 and 8-bit
    scales on both operands: 48 * 2 + 8 * 2 scales = 112 bytes of scales (hand count)."""
    e8 = lambda n, shape: helper.make_tensor(n, T.FLOAT8E8M0, shape, [127] * int(np.prod(shape)), raw=False)
    inits = [helper.make_tensor("W", T.FLOAT4E2M1, (64, 48), [0] * (64 * 48)), e8("ws", (2, 48)), e8("xs", (1, 8, 2))]
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs"], ["xq"], axis=2, block_size=32,
                              output_dtype=T.FLOAT8E4M3FN),
             helper.make_node("DequantizeLinear", ["xq", "xs"], ["xd"], axis=2, block_size=32),
             helper.make_node("DequantizeLinear", ["W", "ws"], ["Wd"], axis=0, block_size=32),
             helper.make_node("MatMul", ["xd", "Wd"], ["y"], name="fc")]
    w = import_onnx(_save(tmp_path, nodes, [_vi("x", [1, 8, 64])], [_vi("y", [1, 8, 48])], inits, opset=23))
    (fc,) = w.layers
    assert (fc.dtype, fc.w_bits, fc.a_bits, fc.w_granularity, fc.a_granularity) == ("fp", 4, 8, "group:32", "group:32")
    assert (fc.w_scale_bits, fc.a_scale_bits) == (8, 8)
    from simulator.quant import layer_quant

    q = layer_quant(fc, 16)
    assert q["scale_dram_w_bytes"] + q["scale_dram_a_bytes"] == 48 * 2 + 8 * 2
