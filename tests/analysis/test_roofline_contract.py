"""Two roofline numbers no other test pinned by hand: a layer's ridge point and the vector-unit term of the
busiest-engine latency bound (analysis/roofline_totals.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from analysis.devices import device_from_hardware
from analysis.roofline import layer_roofline
from analysis.roofline_totals import engine_latency
from simulator import load_hardware
from workloads.model import Layer


def test_ridge_is_peak_over_dram_bandwidth():
    """int4.yaml at W4A4: peak 2 x 64 x 64 x 4 MACs x 1 GHz = 32.768 TOPS over the DRAM rate the simulator serves,
    25.6 GB/s x LPDDR4's achievable 0.685 = 17.536 GB/s: ridge = 1,868.6 ops/B (1,280 at the full rate)."""
    lr = layer_roofline(Layer("fc", "gemm", m=197, n=384, k=384, w_bits=4, a_bits=4),
                        device_from_hardware(load_hardware("int4")))
    assert lr.peak_ops_per_s == pytest.approx(32.768e12, rel=1e-12)
    assert lr.ridge == pytest.approx(32.768e12 / 17.536e9, rel=1e-12)
    full = device_from_hardware(load_hardware("int4", (("dram.efficiency", 1.0),)))
    assert layer_roofline(Layer("fc", "gemm", m=197, n=384, k=384, w_bits=4, a_bits=4), full).ridge == \
        pytest.approx(1280.0, rel=1e-12)


def test_busiest_engine_counts_the_vector_unit():
    """Array layers 1 + 2 s (their SRAM time 0.5 s hides), vector layers 3 + 4 s, DRAM 1 + 1 + 2 + 1 = 5 s: the
    vector unit is the busiest engine, 7 s (without its term the bound would be 5 s)."""
    def row(op, compute, memory, sram=None):
        return SimpleNamespace(op=op, compute_time_s=compute, memory_time_s=memory, sram_time_s=sram)

    layers = [row("gemm", 1.0, 1.0, 0.5), row("softmax", 3.0, 1.0), row("matmul", 2.0, 2.0), row("gelu", 4.0, 1.0)]
    assert engine_latency(layers) == 7.0
    layers[1].compute_time_s = 0.5
    assert engine_latency(layers) == 5.0      # now DRAM (5 s) is the busiest
