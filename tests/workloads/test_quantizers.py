"""Quantizers against their closed forms (workloads/fakequant/quantizers.py docstring), calibration, and the recipe
fields that choose them. Worked numbers are in each test's docstring."""

import math

import pytest

torch = pytest.importorskip("torch")

from workloads.errors import WorkloadError
from workloads.fakequant.observers import ActQuantizer
from workloads.fakequant.quantizers import (
    affine,
    log2_quant,
    pow2,
    quantize_weight,
    symmetric,
    twin_search,
    twin_uniform,
)
from workloads.model import Layer
from workloads.quantize import Recipe


def test_asymmetric_closed_form():
    """lo = -1, hi = 3, 2 bits: s = 4 / 3, z = round(0.75) = 1; levels s * (0..3 - 1) = -4/3, 0, 4/3, 8/3.
    x = 2.0 -> round(1.5) + 1 = 3 -> 8/3; x = -5 -> clamp(-4 + 1) = 0 -> -4/3; x = 10 -> 3 -> 8/3."""
    x = torch.tensor([2.0, -5.0, 10.0, 0.0, 0.7])
    got = affine(x, torch.tensor(-1.0), torch.tensor(3.0), 2)
    s = 4 / 3
    want = [8 / 3, -s, 8 / 3, 0.0, s * (round(0.7 / s + 1) - 1)]
    assert got.tolist() == pytest.approx(want, rel=1e-6)


def test_asymmetric_one_bit_has_two_levels():
    """1-bit asymmetric over [0, 2]: s = 2, z = 0: levels 0 and 2 (never NaN)."""
    got = affine(torch.tensor([0.2, 1.2, 5.0]), torch.tensor(0.0), torch.tensor(2.0), 1)
    assert got.tolist() == [0.0, 2.0, 2.0]


def test_symmetric_closed_form_and_one_bit_refused():
    """amax = 1, 3 bits: s = 1/3, levels -4/3 .. 1: 0.5 -> round(1.5) = 2 -> 2/3; -2 -> -4 -> -4/3."""
    got = symmetric(torch.tensor([0.5, -2.0, 0.1]), torch.tensor(1.0), 3)
    assert got.tolist() == pytest.approx([2 / 3, -4 / 3, 0.0])
    with pytest.raises(WorkloadError, match="1-bit"):
        symmetric(torch.tensor([1.0]), torch.tensor(1.0), 1)


def test_power_of_two_scale():
    """s = 1/3 -> 2^ceil(log2(1/3)) = 2^-1 = 0.5; 0.8 / 0.5 = 1.6 -> 2 -> 1.0."""
    assert pow2(torch.tensor(1 / 3)).item() == 0.5
    assert symmetric(torch.tensor([0.8]), torch.tensor(1.0), 3, use_pow2=True).tolist() == [1.0]


def test_log2_closed_form():
    """3 bits, s = 1: x = 0.3 -> q = round(-log2 0.3) = round(1.737) = 2 -> 0.25; 1 -> 1; 0.001 -> q = 10 > 7 -> 0;
    0 -> 0; 0.75 -> q = round(0.415) = 0 -> 1. Signed (2 magnitude bits + sign): -0.3 -> -0.25."""
    x = torch.tensor([0.3, 1.0, 0.001, 0.0, 0.75])
    assert log2_quant(x, 3, 1.0).tolist() == [0.25, 1.0, 0.0, 0.0, 1.0]
    assert log2_quant(torch.tensor([-0.3, 0.5]), 3, 1.0, signed=True).tolist() == [-0.25, 0.5]
    assert log2_quant(x, 3, 0.5)[0].item() == 0.25  # 0.3 / 0.5 = 0.6 -> q = round(0.737) = 1 -> 0.5 * 0.5


def test_twin_uniform_closed_form():
    """4 bits: k = 8 levels per range, d1 = 1/64, d2 = 1/8. x = 0.05 < 8/64 = 0.125: round(3.2) = 3 -> 3/64;
    x = 0.5 >= 0.125: round(4) = 4 -> 0.5; x = 2 -> clamp(16, 0, 7) -> 7/8; x = -0.05 (post-GELU negative):
    round(-3.2) = -3 -> -3/64; x = -1 -> clamp(-64, -8, 0) = -8 -> -1/8."""
    got = twin_uniform(torch.tensor([0.05, 0.5, 2.0, -0.05, -1.0]), 4, 1 / 64, 1 / 8)
    assert got.tolist() == pytest.approx([3 / 64, 0.5, 7 / 8, -3 / 64, -1 / 8])


def test_twin_search_beats_uniform_on_softmax_like_values():
    """Mostly tiny values plus a few large ones (a softmax row): the searched d1 is a power-of-two fraction of d2 and
    the twin quantizer's error is below one uniform range's of the same bits."""
    g = torch.Generator().manual_seed(0)
    x = torch.cat([torch.rand(2000, generator=g) * 0.02, torch.rand(20, generator=g)])
    d1, d2 = twin_search(x, 4, 0.0, float(x.max()))
    assert d2.item() == pytest.approx(float(x.max()) / 7)
    m = math.log2(d2.item() / d1.item())
    assert m == round(m) and m >= 1
    err_twin = (twin_uniform(x, 4, d1, d2) - x).pow(2).sum()
    err_uni = (affine(x, 0.0, x.max(), 4) - x).pow(2).sum()
    assert err_twin < 0.5 * err_uni


def test_binary_and_ternary_weights():
    """Binary: alpha = mean|w| per row: row [1, -3] -> 2 * [1, -1]. Ternary (TWN): row [0.1, 1, -2, 0.3]:
    mean|w| = 0.85, delta = 0.595; kept 1 and -2, alpha = 1.5 -> [0, 1.5, -1.5, 0]."""
    wb = quantize_weight(torch.tensor([[1.0, -3.0]]), 1, "channel", quantizer="binary")
    assert wb.tolist() == [[2.0, -2.0]]
    wt = quantize_weight(torch.tensor([[0.1, 1.0, -2.0, 0.3]]), 2, "channel", quantizer="ternary")
    assert wt[0].tolist() == pytest.approx([0.0, 1.5, -1.5, 0.0])


def test_weight_zero_point_and_mse():
    """Asymmetric 2-bit weights over [0, 3] per row: s = 1, levels 0..3 exactly; MSE calibration clips a lone
    outlier: row of 99 values in [-1, 1] and one 5 -> error below the full-range quantizer's."""
    w = torch.tensor([[0.0, 1.0, 2.0, 3.0]])
    assert quantize_weight(w, 2, "channel", zero_point=True).tolist() == [[0.0, 1.0, 2.0, 3.0]]
    g = torch.Generator().manual_seed(1)
    w = torch.cat([torch.rand(1, 99, generator=g) * 2 - 1, torch.tensor([[5.0]])], dim=1)
    full = quantize_weight(w, 4, "channel")
    mse = quantize_weight(w, 4, "channel", method="mse")
    assert (mse - w).pow(2).sum() < (full - w).pow(2).sum()


def test_degenerate_ranges_never_nan():
    """All-zero weights and an all-constant activation: finite outputs (zero where the range is empty)."""
    for q in ("uniform", "binary", "ternary"):
        bits = {"uniform": 4, "binary": 1, "ternary": 2}[q]
        out = quantize_weight(torch.zeros(3, 4), bits, "channel", quantizer=q)
        assert torch.isfinite(out).all() and out.abs().sum() == 0
    aq = ActQuantizer(4, "tensor", method="mse", quantizer="uniform")
    aq.calibrating = True
    aq(torch.zeros(2, 8))
    aq.calibrating = False
    assert torch.isfinite(aq(torch.ones(2, 8))).all()
    lq = ActQuantizer(4, "tensor", quantizer="log2")
    lq.calibrating = True
    lq(torch.zeros(2, 8))
    lq.calibrating = False
    assert torch.isfinite(lq(torch.rand(2, 8))).all()


def test_outlier_channels_get_their_own_range():
    """8 channels, channel 3 a 100x outlier: with 1 outlier channel at 8 bits the others' 4-bit range excludes it,
    so their error falls by more than 10x, and the outlier channel is kept to 8-bit precision."""
    g = torch.Generator().manual_seed(2)
    x = torch.randn(64, 8, generator=g)
    x[:, 3] *= 100
    plain, split = ActQuantizer(4, "tensor"), ActQuantizer(4, "tensor", outliers=1, outlier_bits=8)
    for q in (plain, split):
        q.calibrating = True
        q(x)
        q.calibrating = False
    keep = [i for i in range(8) if i != 3]
    e_plain = (plain(x) - x)[:, keep].pow(2).sum()
    e_split = (split(x) - x)[:, keep].pow(2).sum()
    assert e_split < e_plain / 10
    assert split.params["mask"].tolist() == [i == 3 for i in range(8)]
    rng = float(x[:, 3].max() - x[:, 3].min())
    assert (split(x) - x)[:, 3].abs().max() <= rng / 255 / 2 + 1e-4


def test_symmetric_activation_when_zero_point_false():
    """a_zero_point False: s = max(|lo|, |hi|) / 7 at 4 bits; calibrated on [-1, 3]: s = 3/7, 1.0 -> 2 * 3/7."""
    q = ActQuantizer(4, "tensor", zero_point=False)
    q.calibrating = True
    q(torch.tensor([-1.0, 3.0]))
    q.calibrating = False
    assert q(torch.tensor([1.0])).item() == pytest.approx(6 / 7)


def test_recipe_fields_validated():
    """a_zero_point and the new fields load; wrong values and level-less combinations are one-line errors."""
    r = Recipe.from_dict({"name": "r", "default": {"a_zero_point": True, "w_zero_point": True, "w_bits": 4,
                                                   "a_quantizer": "uniform", "calibration": "mse"},
                          "rules": [{"match": "*fc2", "a_quantizer": "twin_uniform", "outlier_channels": 4,
                                     "outlier_bits": 8, "a_bits": 4}]}, "r.yaml")
    assert dict(r.default)["a_zero_point"] is True
    bad = [({"a_zero_point": "yes"}, "a_zero_point"), ({"w_quantizer": "log2"}, "w_quantizer"),
           ({"calibration": "kl"}, "calibration"), ({"outlier_channels": -1}, "outlier_channels")]
    for default, field in bad:
        with pytest.raises(WorkloadError, match=field):
            Recipe.from_dict({"name": "r", "default": default}, "r.yaml")
    for d, msg in [({"w_bits": 1}, "no levels"), ({"w_bits": 2, "w_quantizer": "binary"}, "1 bit"),
                   ({"a_bits": 4, "outlier_channels": 2, "outlier_bits": 4}, "not wider"),
                   ({"a_quantizer": "log2", "a_granularity": "token"}, "one calibrated range")]:
        with pytest.raises(WorkloadError, match=msg):
            Layer.from_dict({"name": "x", "op": "gemm", "m": 2, "n": 2, "k": 8, **d}, "w.yaml")


def test_quant_fields_round_trip_and_defaults_left_out():
    """Default-valued new fields are not written (old files unchanged); set ones round-trip."""
    plain = Layer("x", "gemm", 2, 3, 4)
    assert "a_zero_point" not in plain.to_dict() and "outlier_bits" not in plain.to_dict()
    x = Layer("x", "gemm", 2, 3, 8, a_bits=4, a_zero_point=False, outlier_channels=2, outlier_bits=8,
              a_quantizer="log2", scale_pow2=True)
    assert Layer.from_dict(x.to_dict()) == x


def test_trace_quantize_attaches_an_sqnr_kind_never_a_top1():
    """trace --quantize: the workload's accuracy is kind sqnr, the mean of its GEMM layers' SQNR, with no top1."""
    from workloads.trace import trace_quantized

    w = trace_quantized("deit_tiny_patch16_224", "w8a8", img_size=32, calib_batches=1)
    values = [x.sqnr_db for x in w.layers if x.is_gemm and x.sqnr_db is not None]
    assert w.accuracy["kind"] == "sqnr" and "top1" not in w.accuracy
    assert w.accuracy["sqnr_db"] == pytest.approx(sum(values) / len(values), abs=1e-3)
    assert w.accuracy["min_sqnr_db"] == min(values)
