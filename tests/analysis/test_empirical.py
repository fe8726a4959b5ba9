"""Empirical roofline: tiny measurements, the host device, attributing timed aten ops to layers, flags."""

import pytest

from analysis import empirical
from analysis.cmd_roofline import render_measured
from analysis.devices import device_from_measurement
from analysis.measure import HostMeasurement, attribute, measure_host
from workloads.model import Layer

torch = pytest.importorskip("torch")


def test_tiny_measurements_build_a_host_device():
    m = measure_host(n=32, stream_mib=0.25, repeats=1)
    assert m.fp32_ops_per_s > 0 and m.copy_bytes_per_s > 0 and m.triad_bytes_per_s > 0
    d = device_from_measurement(m)
    assert d.kind == "host" and d.peak("fp32").ops_per_s == m.fp32_ops_per_s
    assert d.peak("fp16").key == "fp32"                  # FP16 layers on a CPU run on the FP32 ceiling
    assert d.dram.bandwidth_bytes_per_s == max(m.copy_bytes_per_s, m.triad_bytes_per_s)
    assert d.has("int8") == (m.int8_ops_per_s > 0)
    assert m.cache_bytes_per_s > 0
    if m.cache_bytes_per_s > d.dram.bandwidth_bytes_per_s:
        assert d.level("cache").bandwidth_bytes_per_s == m.cache_bytes_per_s


def test_attribute_follows_modules_and_inline_ops():
    """Leaf module ops (and the data movement before them) go to the module's layer; inline ops in a parent go
    in order to the next layer of a compatible kind named directly under it; the rest is unattributed."""
    layers = [Layer("blocks.0.attn.qkv", "gemm", m=1, n=1, k=1), Layer("blocks.0.attn.q_scale", "mul", m=1, n=1),
              Layer("blocks.0.attn.qk", "matmul", m=1, n=1, k=1), Layer("blocks.0.attn.softmax", "softmax", m=1, n=1),
              Layer("blocks.0.attn.av", "matmul", m=1, n=1, k=1), Layer("blocks.0.residual1", "add", m=1, n=1)]
    modules = {"blocks.0", "blocks.0.attn", "blocks.0.attn.qkv"}
    events = [("blocks.0.attn.qkv", "t", 1.0), ("blocks.0.attn.qkv", "addmm", 10.0),
              ("blocks.0.attn", "permute", 0.5), ("blocks.0.attn", "mul", 2.0),
              ("blocks.0.attn", "expand", 0.25), ("blocks.0.attn", "bmm", 3.0), ("blocks.0.attn", "_softmax", 4.0),
              ("blocks.0.attn", "bmm", 5.0), ("blocks.0", "add", 6.0), ("blocks.0", "add", 7.0)]
    times, other = attribute(events, layers, modules)
    assert times == {"blocks.0.attn.qkv": 11.0, "blocks.0.attn.q_scale": 2.5, "blocks.0.attn.qk": 3.25,
                     "blocks.0.attn.softmax": 4.0, "blocks.0.attn.av": 5.0, "blocks.0.residual1": 6.0}
    assert other == 7.0                                   # a second add with no layer left for it


@pytest.mark.slow
def test_measure_a_real_vit_forward():
    """deit_tiny, one timed pass on a fixed (not measured) host: every layer gets a time; the flag is exactly
    measured < bound."""
    host = device_from_measurement(HostMeasurement(20e9, 0.0, "", 5e9, 5e9, 0.0, cache_bytes_per_s=50e9))
    r = empirical.measure_model("deit_tiny_patch16_224", host, batch=1, repeats=1)
    assert len(r.rows) == 2 + 12 * 13 + 2
    assert r.totals["unmeasured_layers"] == 0
    for row in r.rows:
        assert row["measured_s"] > 0
        assert row["faster_than_bound"] == (row["measured_s"] < row["bound_s"])
        assert row["cache_bound_s"] == pytest.approx(max(row["ops"] / 20e9, row["bytes"] / 50e9))
        assert row["faster_than_cache_bound"] == (row["measured_s"] < row["cache_bound_s"])
    assert set(r.by_op()) == {"conv", "add", "layernorm", "gemm", "mul", "matmul", "softmax", "gelu"}
    assert "measured_over_bound" in render_measured(r)
