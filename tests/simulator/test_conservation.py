"""Invariants of the whole engine: MACs conserved, bytes proportional to bits, cycles additive."""

from dataclasses import replace

import pytest
from conftest import HWCONFIGS

from simulator import load_hardware, simulate
from simulator.hardware.config import MemoryConfig
from workloads import build_model, load_workload


@pytest.fixture(scope="module")
def hw():
    return load_hardware(HWCONFIGS / "int8.yaml")


def _big_buffers(hw):
    """Buffers of 64 MiB each and fast DRAM: every operand fits, traffic is compulsory."""
    return replace(hw, buffers=replace(hw.buffers, ifmap_kib=65536, weight_kib=65536, ofmap_kib=65536))


def test_macs_conserved(hw):
    w = load_workload("deit_small-w8a8")
    r = simulate(w, hw)
    assert r.layers["macs"].sum() == w.macs == r.totals["macs"]
    assert r.totals["total_cycles"] == pytest.approx(r.layers["total_cycles"].sum())


def test_bytes_scale_with_bits(hw):
    """Compulsory traffic at 4 bits is exactly half of 8 bits: INT4 packs two values per byte."""
    big = _big_buffers(hw)
    big = replace(big, pe=replace(big.pe, precisions=big.pe.precisions
                                  + (replace(big.pe.precisions[0], w_bits=4, a_bits=4),)))
    r8 = simulate(build_model("deit_tiny", "w8a8"), big).layers
    r4 = simulate(build_model("deit_tiny", "w4a4"), big).layers
    for col in ("dram_ifmap_read_bytes", "dram_filter_read_bytes", "dram_write_bytes", "sram_ifmap_read_bytes",
                "sram_filter_read_bytes"):
        assert r4[col].sum() == pytest.approx(r8[col].sum() / 2), col


def test_compulsory_traffic_of_one_gemm(hw):
    """fc1 of DeiT-S at W8A8, everything fits, every layer from DRAM (memory.activations: dram): reads = M*K + K*N
    bytes, writes = M*N bytes. With activations kept on chip (the default) only the weights cross DRAM: its input
    (norm2's output) and its output (read by the GELU) stay, M*K + M*N bytes on chip."""
    big = replace(_big_buffers(hw), memory=MemoryConfig("dram"))
    w = build_model("deit_small", "w8a8")
    row = simulate(w, big).layers.set_index("name").loc["blocks.0.mlp.fc1"]
    m, n, k = 197, 1536, 384
    assert row["dram_ifmap_read_bytes"] == m * k
    assert row["dram_filter_read_bytes"] == k * n
    assert row["dram_write_bytes"] == m * n
    on = simulate(w, _big_buffers(hw)).layers.set_index("name").loc["blocks.0.mlp.fc1"]
    assert (on["ifmap_source"], on["filter_source"], on["ofmap_dest"]) == ("on_chip", "dram", "on_chip")
    assert (on["dram_ifmap_read_bytes"], on["dram_filter_read_bytes"], on["dram_write_bytes"]) == (0, k * n, 0)
    assert on["onchip_activation_bytes"] == m * k + m * n


def test_batch_scales_macs_and_throughput_is_per_image(hw):
    w1 = load_workload("deit_tiny-w8a8")
    r1, r4 = simulate(w1, hw), simulate(w1.with_batch(4), hw)
    assert r4.totals["macs"] == 4 * r1.totals["macs"]
    assert r4.totals["throughput_fps"] == pytest.approx(4e6 / r4.totals["latency_us"])
