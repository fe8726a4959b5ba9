"""Devices: GPU YAMLs agree with the reference CSV, lookups, ridges, accelerator peaks, ceiling choice."""

import csv
from pathlib import Path

import pytest

import hwconfigs
from analysis.devices import load_device, load_device_file
from workloads.errors import InputError
from workloads.model import Layer

CSV = Path(__file__).resolve().parents[2] / "docs" / "reference" / "gpu_specs.csv"  # with its sources there
# CSV gpu name -> our device name
CSV_NAMES = {"RTX 4090": "RTX 4090", "RTX 3090": "RTX 3090", "A100 SXM4 80GB": "A100 SXM 80GB",
             "H100 SXM5 80GB": "H100 SXM", "H100 PCIe 80GB": "H100 PCIe", "L4": "L4",
             "Jetson AGX Orin 64GB (GPU only)": "Jetson AGX Orin"}


def _num(s: str):
    s = s.split("(")[0].strip()
    try:
        return float(s)
    except ValueError:
        return None


@pytest.mark.skipif(not CSV.exists(), reason="reference CSV not available")
def test_gpu_yamls_match_reference_csv():
    """Independent check: every dense peak and bandwidth equals the CSV row (csv module parse, quoted fields)."""
    rows = list(csv.DictReader(line for line in CSV.open() if not line.startswith("#")))
    assert len(rows) == 7
    by_name = {d.name: d for d in (load_device_file(p) for p in hwconfigs.files("gpu").values())}
    cols = {"fp32_nontensor_tflops": "fp32", "tf32_tensor_tflops": "tf32", "fp16_tensor_fp32acc_tflops": "fp16_fp32acc",
            "fp16_tensor_fp16acc_tflops": "fp16_fp16acc", "bf16_tensor_tflops": "bf16_fp32acc",
            "int8_tensor_tops": "int8", "int4_tensor_tops": "int4", "fp8_tensor_tflops": "fp8_fp32acc"}
    for row in rows:
        dev = by_name[CSV_NAMES[row["gpu"]]]
        assert dev.dram.bandwidth_bytes_per_s == pytest.approx(float(row["mem_bw_gbps"]) * 1e9)
        assert dev.level("l2").capacity_bytes == pytest.approx(float(row["l2_mb"]) * 2 ** 20)
        for col, key in cols.items():
            v = _num(row[col])
            if v is None:                       # n/a or empty (H100 INT4): the device has no such ceiling
                assert not dev.has(key), (row["gpu"], key)
            else:
                assert dev.peak(key).ops_per_s == pytest.approx(v * 1e12), (row["gpu"], key)
        for p in dev.peaks:
            assert p.source, (dev.name, p.key)


def test_names_are_case_and_space_insensitive():
    for spec in ("rtx4090", "RTX 4090", "rtx_4090", "4090", str(hwconfigs.find("rtx4090", "gpu"))):
        assert load_device(spec).name == "RTX 4090"
    assert load_device("h100_sxm").name == load_device("H100 SXM").name == "H100 SXM"
    assert load_device("int8").kind == "accelerator"
    assert load_device(str(hwconfigs.find("int4"))).name == "int4-64x64-scalable"


def test_unknown_device_is_one_line_input_error():
    with pytest.raises(InputError) as e:
        load_device("rtx9090")
    assert "unknown device" in str(e.value) and "\n" not in str(e.value) and "rtx4090" in str(e.value)


def test_ridge_points():
    """RTX 4090: fp16 (FP32 accumulate, PyTorch's default) 165.2e12 / 1008e9 = 163.89 ops/B; int8 655.36;
    H100 SXM fp16 989.4e12 / 3350e9 = 295.34."""
    d = load_device("rtx4090")
    assert d.peak("fp16").key == "fp16_fp32acc"
    assert d.ridge("fp16") == pytest.approx(165.2e12 / 1008e9)
    assert d.ridge("fp16") == pytest.approx(163.888, rel=1e-4)
    assert d.ridge("int8") == pytest.approx(655.357, rel=1e-4)
    assert load_device("h100 sxm").ridge("fp16") == pytest.approx(295.343, rel=1e-4)
    # datacenter parts do not halve fp16 with fp32 accumulation
    a100 = load_device("a100")
    assert a100.peak("fp16").ops_per_s == a100.peak("fp16_fp16acc").ops_per_s == 312e12


def test_accelerator_peaks_and_sram_level():
    """int4.yaml: 64x64, 1 GHz, w8a8 p=1, w4a8 p=2, w4a4 p=4 -> 8.192 / 16.384 / 32.768 TOPS.
    SRAM edge feed = max(1*(64*8+64*8), 2*(64*8+64*4), 4*(64*4+64*4)) / 8 + 64*32/8 = 256 + 256 = 512 B/cycle.
    Vector softmax (integer Shiftmax: 6 adds + 5 shifts + 1 multiply = 12 cycles per element):
    5 ops x 64 lanes / 12 x 1e9 = 26.67 GOPS. DRAM level: 25.6 GB/s x 0.685 (LPDDR4's achievable fraction)."""
    d = load_device("int4")
    assert d.peak("w8a8").ops_per_s == pytest.approx(8.192e12)
    assert d.peak("w4a8").ops_per_s == pytest.approx(16.384e12)
    assert d.peak("w4a4").ops_per_s == pytest.approx(32.768e12)
    assert d.level("sram").bandwidth_bytes_per_s == pytest.approx(512e9)
    assert d.level("sram").capacity_bytes == (256 + 256 + 128) * 1024
    assert d.peak("vector:softmax").ops_per_s == pytest.approx(5 * 64 / 12 * 1e9)
    assert d.ridge("w4a4") == pytest.approx(32.768e12 / (25.6e9 * 0.685))   # LPDDR4 at its achievable fraction


def test_int4_falls_back_where_absent():
    w4a4 = Layer("fc1", "gemm", m=197, n=3072, k=768, w_bits=4, a_bits=4)
    peak, note = load_device("h100_sxm").gemm_peak(w4a4)
    assert peak.key == "int8" and "int4" in note
    peak, note = load_device("rtx4090").gemm_peak(w4a4)
    assert peak.key == "int4" and note == ""
    # the fixed INT8 accelerator promotes W4A4 to its W8A8 mode (the simulator's own rule)
    peak, note = load_device("int8").gemm_peak(w4a4)
    assert peak.key == "w8a8" and "promoted" in note


def test_ceiling_choice_per_precision():
    d = load_device("rtx4090")
    fp16 = Layer("x", "gemm", m=1, n=1, k=1, w_bits=16, a_bits=16, dtype="fp")
    assert d.gemm_peak(fp16)[0].key == "fp16_fp32acc"
    assert d.gemm_peak(fp16, prefer="fp16_fp16acc")[0].ops_per_s == 330.3e12
    w4a16 = Layer("x", "gemm", m=1, n=1, k=1, w_bits=4, a_bits=16)
    peak, note = d.gemm_peak(w4a16)
    assert peak.key == "fp16_fp32acc" and "weight-only" in note
    fp8 = Layer("x", "gemm", m=1, n=1, k=1, w_bits=8, a_bits=8, dtype="fp")
    assert d.gemm_peak(fp8)[0].key == "fp8_fp32acc"
    assert load_device("a100").gemm_peak(fp8)[0].key == "fp16_fp32acc"   # no FP8 on Ampere
    with pytest.raises(InputError):
        load_device("int8").gemm_peak(fp16)                             # no FP mode on the INT8 array
