"""Block-scaled formats through the fake-quant path (workloads/fakequant/quantizers.py ``fp_round``,
``block_quantize``; docs/accuracy.md): small-float rounding against PyTorch's float8 casts and against a brute-force
nearest value of the enumerated grid; MX and NVFP4 scales on hand-computed blocks; SQNR ordering; the format's name
carried from recipe to layer to file; a quantized trace."""

from __future__ import annotations

import itertools
import math

import pytest

torch = pytest.importorskip("torch")

from workloads.errors import InputError
from workloads.fakequant.quantizers import FLOAT_ELEMENTS, block_format_of, block_quantize, fp_round
from workloads.model import Layer


def _grid(exp_bits: int, man_bits: int, max_normal: float) -> list[float]:
    """Every finite value of a small float format, from its bit fields (subnormals when the exponent field is 0),
    up to ``max_normal``: the independent enumeration."""
    bias = 2 ** (exp_bits - 1) - 1
    vals = set()
    for e, m in itertools.product(range(2 ** exp_bits), range(2 ** man_bits)):
        v = (m / 2 ** man_bits) * 2.0 ** (1 - bias) if e == 0 else (1 + m / 2 ** man_bits) * 2.0 ** (e - bias)
        if v <= max_normal:
            vals.update((v, -v))
    return sorted(vals)


@pytest.mark.parametrize("name,dtype", [("e4m3", "float8_e4m3fn"), ("e5m2", "float8_e5m2")])
def test_fp_round_equals_torch_float8(name, dtype):
    e, m, f = FLOAT_ELEMENTS[name]
    x = (torch.randn(200_000, generator=torch.Generator().manual_seed(1)) * f / 8).clamp(-f, f)
    x = torch.cat([x, torch.tensor([0.0, f, -f, 2.0 ** -9, 3 * 2.0 ** -10])])
    assert torch.equal(fp_round(x, e, m, f), x.to(getattr(torch, dtype)).float())


@pytest.mark.parametrize("name", ["e2m3", "e3m2", "e2m1"])
def test_fp_round_is_the_nearest_grid_value(name):
    e, m, f = FLOAT_ELEMENTS[name]
    grid = torch.tensor(_grid(e, m, f))
    x = torch.linspace(-1.2 * f, 1.2 * f, 20_001)
    d = (x[:, None] - grid[None, :]).abs()
    best = d.min(dim=1).values
    ties = (d <= best[:, None] + 1e-7).sum(dim=1) > 1
    want = grid[d.argmin(dim=1)]
    got = fp_round(x, e, m, f)
    assert torch.equal(got[~ties], want[~ties])
    assert set(got.tolist()) <= set(grid.tolist())


def test_e2m1_hand_values():
    """E2M1 holds 0, 0.5, 1, 1.5, 2, 3, 4, 6; 2.5 -> 2 and 5 -> 4 (half to even), 7 -> 6 (saturates)."""
    x = torch.tensor([0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 2.5, 5.0, 7.0, 0.2])
    assert fp_round(x, 2, 1, 6.0).tolist() == [0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 2.0, 4.0, 6.0, 0.0]


def test_mx_shared_scale_hand_cases():
    """MXFP4 block (0.5, 1, 1.5, 6): amax 6, X = 2^(floor(log2 6) - 2) = 1, every element on the grid: unchanged.
    Block (0.3, 3): X = 2^(1 - 2) = 0.5, x / X = (0.6, 6) -> (0.5, 6), x_hat = (0.25, 3).
    MXINT8 block (1, 0.01): X = 2^(0 - 0) = 1, elements in steps of 2^-6: 0.01 -> round(0.64) / 64 = 1/64.
    An all-zero block stays zero (no NaN)."""
    assert block_quantize(torch.tensor([[0.5, 1, 1.5, 6.0]]), "mxfp4").tolist() == [[0.5, 1, 1.5, 6.0]]
    assert block_quantize(torch.tensor([[0.3, 3.0]]), "mxfp4").tolist() == [[0.25, 3.0]]
    assert block_quantize(torch.tensor([[1.0, 0.01]]), "mxint8").tolist() == [[1.0, 1 / 64]]
    assert block_quantize(torch.zeros(2, 32), "mxfp8_e4m3").abs().sum().item() == 0.0


def test_nvfp4_scale_hand_case():
    """Blocks (0.1, 0.2) and (1, 3): t = 3 / 2688; block 0: 0.2 / (6 t) = 29.87 -> E4M3 30 (step 2 in [16, 32)),
    s = 30 t = 0.0334821; x / s = (2.987, 5.973) -> E2M1 (3, 6): x_hat = (0.1004464, 0.2008929). Block 1:
    3 / (6 t) = 448 -> s t = 1: (1, 3) unchanged."""
    out = block_quantize(torch.tensor([[0.1, 0.2], [1.0, 3.0]]), "nvfp4")
    assert out[0].tolist() == pytest.approx([90 / 896, 180 / 896], rel=1e-6)
    assert out[1].tolist() == [1.0, 3.0]


def test_sqnr_ordering():
    w = torch.randn(128, 512, generator=torch.Generator().manual_seed(0))

    def sqnr(name):
        b = 16 if name == "nvfp4" else 32
        q = block_quantize(w.reshape(128, -1, b), name).reshape(w.shape)
        return 10 * math.log10((w ** 2).sum().item() / ((q - w) ** 2).sum().item())

    s = {n: sqnr(n) for n in ("mxint8", "mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e2m3", "mxfp4", "nvfp4")}
    assert s["mxint8"] > s["mxfp8_e4m3"] > s["mxfp8_e5m2"] > s["mxfp4"]
    assert s["mxfp6_e2m3"] > s["mxfp4"]
    assert s["nvfp4"] > s["mxfp4"]


def test_format_named_from_recipe_to_file():
    from workloads.block_formats import expand

    fields = expand("<r>", "rules[0]", {"w_block_format": "mxfp6_e3m2", "a_block_format": "nvfp4"})
    layer = Layer.from_dict({"name": "fc", "op": "gemm", "m": 4, "n": 8, "k": 32, **fields})
    assert (layer.w_block_format, layer.a_block_format) == ("mxfp6_e3m2", "nvfp4")
    assert Layer.from_dict(layer.to_dict()) == layer
    assert "w_block_format" not in Layer.from_dict({"name": "x", "op": "gemm", "m": 1, "n": 1, "k": 1}).to_dict()
    with pytest.raises(InputError, match="w_block_format"):
        Layer.from_dict({"name": "fc", "op": "gemm", "m": 1, "n": 1, "k": 1, "w_block_format": "mxfp3"}, "f.yaml")
    # a workload without the name: the format its fields imply
    assert [block_format_of("", "fp", 4, 16), block_format_of("", "fp", 4, 32), block_format_of("", "int", 8, 32),
            block_format_of("", "fp", 8, 32)] == ["nvfp4", "mxfp4", "mxint8", "mxfp8_e4m3"]


@pytest.mark.slow
def test_quantized_trace_block_formats():
    """DeiT-Tiny, random weights, synthetic images: every GEMM carries its format, and MXFP8's median per-layer SQNR
    is above MXFP4's."""
    pytest.importorskip("timm")
    import statistics

    from workloads.trace.quantized import trace_quantized

    med = {}
    for recipe in ("mxfp8", "mxfp4"):
        w = trace_quantized("deit_tiny_patch16_224", recipe, calib_batches=1)
        gemms = [x for x in w.layers if x.op == "gemm"]
        assert gemms and all(x.w_block_format == recipe.replace("mxfp8", "mxfp8_e4m3") for x in gemms)
        med[recipe] = statistics.median(x.sqnr_db for x in w.layers if x.sqnr_db is not None)
    assert med["mxfp8"] > med["mxfp4"] + 6
