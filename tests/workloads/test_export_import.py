"""torch.export programs as workloads (workloads/trace/export.py; ``vitsim workloads import MODEL.pt2``; docs/onnx.md):
bit widths from PT2E quantize/dequantize ops, a symbolic batch, the same MACs and GEMM names as the timm trace,
one-line errors. The programs are built in the tests (nothing is downloaded)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from workloads.errors import InputError
from workloads.resolve import resolve_workload

ROOT = Path(__file__).absolute().parents[2]


def _quantized_program():
    import torch.ao.quantization.fx._decomposed

    qd = torch.ops.quantized_decomposed

    class Fc(torch.nn.Module):
        """x -> Q/DQ per tensor (zero point 3: asymmetric 8 bits) -> linear with a per-channel symmetric INT8 weight
        -> softmax; and a second linear with 4-bit weights in groups of 16 along K."""

        def __init__(self):
            super().__init__()
            self.register_buffer("wq", torch.randint(-127, 127, (16, 32), dtype=torch.int8))
            self.register_buffer("ws", torch.rand(16) / 100)
            self.register_buffer("wz", torch.zeros(16, dtype=torch.int64))
            self.register_buffer("gq", torch.randint(-8, 7, (8, 16), dtype=torch.int8))
            self.register_buffer("gs", torch.rand(8, 1) / 10)

        def forward(self, x):
            xq = qd.quantize_per_tensor(x, 0.05, 3, -128, 127, torch.int8)
            xd = qd.dequantize_per_tensor(xq, 0.05, 3, -128, 127, torch.int8)
            w = qd.dequantize_per_channel(self.wq, self.ws, self.wz, 0, -127, 127, torch.int8)
            y = torch.nn.functional.linear(xd, w).softmax(-1)
            g = qd.dequantize_per_channel_group(self.gq, self.gs, None, -8, 7, torch.int8, 16, torch.float32)
            return torch.nn.functional.linear(y, g)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.norm = torch.nn.LayerNorm(32)
            self.fc = Fc()

        def forward(self, x):
            n = self.norm(x)
            q = qd.quantize_per_tensor(n, 0.02, 0, -128, 127, torch.int8)   # the norm's output stored as INT8
            return self.fc(qd.dequantize_per_tensor(q, 0.02, 0, -128, 127, torch.int8))

    return Net()


def test_quantized_program_bits(tmp_path):
    """norm: out_bits 8 (the quantize op reading its output). fc.linear1: M = 2 x 5 = 10, N = 16, K = 32; weights
    INT8 per channel, symmetric (zero points 0); input INT8 per tensor, asymmetric (zero point 3); int. fc.linear2:
    weights 4 bits (quant range -8..7) in groups of 16; its input is the float softmax output."""
    path = tmp_path / "q.pt2"
    torch.export.save(torch.export.export(_quantized_program(), (torch.randn(2, 5, 32),)), path)
    w = resolve_workload(path)
    by = {x.name: x for x in w.layers}
    assert [x.op for x in w.layers] == ["layernorm", "gemm", "softmax", "gemm"]
    assert by["norm"].out_bits == 8
    fc = by["fc.linear1"]
    assert (fc.m, fc.n, fc.k, fc.w_bits, fc.a_bits, fc.dtype) == (10, 16, 32, 8, 8, "int")
    assert (fc.w_granularity, fc.a_granularity, fc.w_zero_point, fc.a_zero_point) == ("channel", "tensor", False, True)
    g = by["fc.linear2"]
    assert (g.w_bits, g.w_granularity, g.n, g.k) == (4, "group:16", 8, 16)
    assert g.a_bits == 32 and g.dtype == "fp"


def test_symbolic_batch(tmp_path):
    m = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.GELU())
    b = torch.export.Dim("batch", min=1, max=64)
    ep = torch.export.export(m, (torch.randn(2, 5, 32),), dynamic_shapes=({0: b},))
    torch.export.save(ep, tmp_path / "d.pt2")
    one = resolve_workload(tmp_path / "d.pt2")
    four = resolve_workload(model=str(tmp_path / "d.pt2"), batch=4)
    assert (one.batch, one.layers[0].m, four.batch, four.layers[0].m) == (1, 5, 4, 20)
    assert [x.name for x in one.layers] == ["0", "1"]


@pytest.mark.slow
def test_deit_tiny_matches_the_timm_trace(tmp_path):
    """The same model exported (timm, unfused attention as the tracer runs it): the same MACs and the same GEMM and
    attention-matmul layers by name as the timm trace; the exported graph's extra reshapes are layout layers."""
    timm = pytest.importorskip("timm")
    from timm.layers import set_fused_attn

    set_fused_attn(False)
    try:
        model = timm.create_model("deit_tiny_patch16_224", pretrained=False).eval()
        torch.export.save(torch.export.export(model, (torch.randn(1, 3, 224, 224),)), tmp_path / "deit.pt2")
    finally:
        set_fused_attn(True)
    got = resolve_workload(tmp_path / "deit.pt2")
    want = resolve_workload("deit_tiny_patch16_224")
    assert got.macs == want.macs
    arith = (lambda w: [(x.name, x.op, x.m, x.n, x.k) for x in w.layers if x.op != "layout"])
    assert arith(got) == arith(want)


def test_bad_programs(tmp_path):
    bad = tmp_path / "junk.pt2"
    bad.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a torch.export program"):
        resolve_workload(bad)

    class Two(torch.nn.Module):
        def forward(self, a, b):
            return a @ b

    torch.export.save(torch.export.export(Two(), (torch.randn(2, 3), torch.randn(3, 2))), tmp_path / "two.pt2")
    with pytest.raises(InputError, match="inputs: 2 inputs"):
        resolve_workload(tmp_path / "two.pt2")
    out = subprocess.run([sys.executable, "-m", "workloads", "import", str(bad)], check=False, capture_output=True,
                         text=True, cwd=ROOT)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "junk.pt2" in out.stderr


def test_cli_import_writes_file(tmp_path):
    path = tmp_path / "q.pt2"
    torch.export.save(torch.export.export(_quantized_program(), (torch.randn(2, 5, 32),)), path)
    out = subprocess.run([sys.executable, "-m", "workloads", "import", str(path), "-o", str(tmp_path / "q.yaml")],
                         check=False, capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert f"wrote {tmp_path / 'q.yaml'}: 4 layers" in out.stderr
    assert "w8a8 (channel)" in out.stderr
