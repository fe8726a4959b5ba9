"""Weight sparsity measured from a real torch model (workloads/trace/sparsity.py): the density the tracer reports is
torch's own count of zeros after ``torch.nn.utils.prune``; a 2:4 mask is recognized as 2:4."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.trace
torch = pytest.importorskip("torch")
timm = pytest.importorskip("timm")

from workloads.trace.sparsity import measure_sparsity, nm_mask, prune_magnitude, weight_sparsity
from workloads.trace.tracer import trace_module


def _model(depth=2):
    torch.manual_seed(0)
    return timm.create_model("deit_tiny_patch16_224", pretrained=False, img_size=32, depth=depth).eval()


def _trace(model):
    return trace_module(model, torch.zeros(1, 3, 32, 32), model_name="tiny", img_size=32)[0]


def test_traced_unstructured_density_matches_torch():
    model = prune_magnitude(_model(), 0.6)
    w = measure_sparsity(model, _trace(model))
    gemms = [layer for layer in w.layers if layer.op == "gemm" and layer.name.startswith("blocks.")]
    assert len(gemms) == 8
    for layer in gemms:
        weight = model.get_submodule(layer.name).weight
        torch_density = float((weight != 0).sum()) / weight.numel()
        assert layer.w_sparsity == "unstructured"
        assert layer.w_density == torch_density and abs(torch_density - 0.4) < 1e-3
        assert list(layer.w_col_nnz) == (weight != 0).sum(dim=1).tolist()
    head = next(layer for layer in w.layers if layer.name == "head")
    assert head.w_sparsity == "dense"


def test_traced_two_of_four_recognized():
    model = prune_magnitude(_model(1), pattern="2:4")
    w = measure_sparsity(model, _trace(model))
    pats = {layer.name: layer.w_sparsity for layer in w.layers if layer.op == "gemm"}
    assert pats == {"blocks.0.attn.qkv": "2:4", "blocks.0.attn.proj": "2:4", "blocks.0.mlp.fc1": "2:4",
                    "blocks.0.mlp.fc2": "2:4", "head": "dense"}


def test_nm_mask_and_a_user_mask():
    x = torch.tensor([[4.0, -1.0, 0.5, -3.0, 1.0, 2.0, -0.1, 0.2]])
    assert nm_mask(x, 2, 4).tolist() == [[1, 0, 0, 1, 1, 1, 0, 0]]
    w = torch.tensor([[1.0, 0.0, 0.0, 2.0], [0.0, 0.0, 0.0, 3.0]])   # 3 of 8 kept, row groups (2, 1): not 2:4
    assert weight_sparsity(w) == {"w_sparsity": "unstructured", "w_density": 3 / 8, "w_col_nnz": (2, 1)}


def test_activation_density_measured_from_a_relu_model():
    """A ReLU MLP: the second Linear's input is post-ReLU, torch counts its zeros; the first sees a dense input."""
    from workloads.trace.sparsity import activation_density

    torch.manual_seed(0)
    mlp = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 8))
    x = torch.randn(64, 16)
    d = activation_density(mlp, x)
    hidden = torch.relu(mlp[0](x))
    assert d["0"] == 1.0 and d["2"] == float((hidden != 0).sum()) / hidden.numel() and 0.3 < d["2"] < 0.7
