"""GPU 2:4 sparse tensor-core ceilings (analysis/devices.py::Device.gemm_peak, hwconfigs/gpus/*.yaml ``*_sparse``).

Hand-computed: a 2:4 W8A8 GEMM on the A100 SXM 80GB runs at int8_sparse = 1248 TOPS (datasheet 1248*), twice the
dense 624; a GPU without a sparse ceiling (RTX 4090's YAML lists none) stays at int8 and says so.
"""

from __future__ import annotations

import pytest

from analysis.devices import GPU_PEAK_KEYS, load_device
from analysis.roofline import analyze, layer_roofline
from workloads import build_model, load_recipe
from workloads.model import Layer


def test_two_of_four_gemm_uses_the_sparse_ceiling():
    a100 = load_device("a100_sxm_80gb")
    dense = Layer("fc", "gemm", m=4096, n=3072, k=768)
    sparse = Layer("fc", "gemm", m=4096, n=3072, k=768, w_sparsity="2:4")
    d, s = layer_roofline(dense, a100), layer_roofline(sparse, a100)
    assert (d.ceiling, s.ceiling) == ("int8", "int8_sparse")
    assert s.peak_ops_per_s == 2 * d.peak_ops_per_s == 1248e12
    assert "2:4 sparse tensor cores" in s.note
    fp16 = layer_roofline(Layer("fc", "gemm", m=64, n=64, k=64, w_bits=16, a_bits=16, dtype="fp",
                                w_sparsity="2:4"), a100)
    assert fp16.ceiling == "fp16_fp32acc_sparse"
    assert layer_roofline(Layer("qk", "matmul", m=8, n=8, k=8, weight_operand=False), a100).ceiling == "int8"


def test_no_sparse_ceiling_says_so():
    rtx = load_device("rtx4090")
    lr = layer_roofline(Layer("fc", "gemm", m=64, n=64, k=64, w_sparsity="2:4"), rtx)
    assert lr.ceiling == "int8" and "no int8_sparse ceiling" in lr.note


def test_sparse_keys_are_declared():
    assert {"int8_sparse", "int4_sparse", "fp16_fp32acc_sparse", "fp8_fp32acc_sparse"} <= set(GPU_PEAK_KEYS)


def test_deit_base_2of4_a100_batch_256_at_least_1_3x():
    a100 = load_device("a100_sxm_80gb")
    model = build_model("deit_base", batch=256)
    dense = analyze(load_recipe("w8a8").apply(model), a100, crossover=False)
    sparse = analyze(load_recipe("w8a8_2of4").apply(model), a100, crossover=False)
    ratio = sparse.totals["throughput_fps_bound"] / dense.totals["throughput_fps_bound"]
    assert ratio == pytest.approx(1.448, abs=0.01) and ratio >= 1.3


def test_sparse_bytes_and_accelerator_peak_hand_computed():
    """2:4 INT8 on the A100 reads (8 + 2) / (2 x 8) = 0.625 of the dense filter bytes; on int4_sparse.yaml a 2:4 W4A4
    GEMM runs at w4a4_sparse = 2 x 32.768 TOPS and streams 0.75 of the dense INT4 filter (values + 2-bit indices)."""
    from analysis.devices import device_from_hardware
    from simulator.loader import load_hardware

    a100 = load_device("a100_sxm_80gb")
    d = layer_roofline(Layer("fc", "gemm", m=197, n=768, k=768), a100)
    s = layer_roofline(Layer("fc", "gemm", m=197, n=768, k=768, w_sparsity="2:4"), a100)
    assert s.filter_bytes == 0.625 * d.filter_bytes == 0.625 * 768 * 768
    acc = device_from_hardware(load_hardware("int4_sparse"))
    layer = Layer("fc", "gemm", m=197, n=384, k=384, w_bits=4, a_bits=4, out_bits=4)
    d, s = layer_roofline(layer, acc), layer_roofline(Layer(**{**layer.__dict__, "w_sparsity": "2:4"}), acc)
    assert (d.ceiling, s.ceiling) == ("w4a4", "w4a4_sparse") and s.peak_ops_per_s == 2 * d.peak_ops_per_s
    assert s.filter_bytes == 0.75 * d.filter_bytes == 0.75 * 384 * 384 / 2 and s.ifmap_bytes == d.ifmap_bytes
