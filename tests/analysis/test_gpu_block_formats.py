"""GPU profiles know which block-scaled formats their tensor cores run natively (``block_formats.native`` in the GPU
YAML; analysis/gpu_chain.py). Blackwell (sm_120: PTX mma.sync .block_scale, kinds mxf8f6f4 and mxf4nvf4) runs
MXFP8, MXFP6, MXFP4 and NVFP4 at its FP8/FP4 ceilings; a GPU without them rescales every block and runs the GEMM
at its FP16 ceiling; MXINT8 has no block-scaled MMA kind anywhere."""

from __future__ import annotations

import pytest

from analysis.devices import gpu_from_dict, known_devices, load_device
from workloads.block_formats import BLOCK_FORMATS, expand, family, layer_families
from workloads.errors import InputError
from workloads.model import Layer


def gemm(fmt: str | None, **kw) -> Layer:
    """A 197 x 384 x 384 GEMM in block format ``fmt`` (both operands; None: per-tensor FP8)."""
    fields = expand("test", "layer", {"block_format": fmt}) if fmt else {"w_bits": 8, "a_bits": 8, "dtype": "fp"}
    return Layer("blocks.0.mlp.fc1", "gemm", 197, 384, 384, **{**fields, **kw})


def test_families_hand_checked():
    """(dtype, bits, block, scale bits): mxfp8_e4m3 (fp, 8, 32, 8) and _e5m2 -> mxfp8; mxfp6_* -> mxfp6; mxfp4
    (fp, 4, 32, 8); nvfp4 (fp, 4, 16, 8); mxint8 (int, 8, 32, 8); a per-tensor or per-channel layer has none."""
    assert {n: family(n) for n in BLOCK_FORMATS} == {
        "mxint8": "mxint8", "mxfp8_e4m3": "mxfp8", "mxfp8_e5m2": "mxfp8", "mxfp6_e2m3": "mxfp6",
        "mxfp6_e3m2": "mxfp6", "mxfp4": "mxfp4", "nvfp4": "nvfp4"}
    for name in BLOCK_FORMATS:
        assert layer_families(gemm(name)) == (family(name),)
    assert layer_families(gemm(None)) == ()
    assert layer_families(gemm(None, w_granularity="channel")) == ()
    # weights in NVFP4, activations in MXFP8: both families, weights first
    mixed = Layer("x", "gemm", 4, 4, 64, **expand("t", "l", {"w_block_format": "nvfp4", "a_block_format": "mxfp8_e4m3"}))
    assert layer_families(mixed) == ("nvfp4", "mxfp8")


@pytest.mark.parametrize("fmt, ceiling", [("mxfp4", "fp4"), ("nvfp4", "fp4"), ("mxfp8_e4m3", "fp8_fp32acc"),
                                          ("mxfp6_e2m3", "fp8_fp32acc"), ("mxint8", "fp16_fp32acc")])
def test_blackwell_runs_them_natively(fmt, ceiling):
    """RTX 5090: the FP4 and FP8 ceilings for the MX/NV float formats (FP6 on the FP8 one), FP16 for MXINT8."""
    peak, note = load_device("rtx5090").gemm_peak(gemm(fmt))
    assert peak.key == ceiling
    assert ("native (block scales in the tensor cores)" in note) == (fmt != "mxint8")


@pytest.mark.parametrize("device", ["h100_sxm", "rtx4090", "a100_sxm_80gb", "l4"])
@pytest.mark.parametrize("fmt", ["mxfp4", "nvfp4", "mxfp8_e4m3", "mxint8"])
def test_other_gpus_rescale_per_block_at_fp16(device, fmt):
    """Hopper, Ada, Ampere: no block-scaled MMA: the FP16 ceiling, and the note names the missing family."""
    dev = load_device(device)
    peak, note = dev.gemm_peak(gemm(fmt))
    assert peak.key == dev.peak("fp16").key
    assert f"{family(fmt).upper()} not native on {dev.name}: rescaled per block, FP16 compute" in note


def test_per_tensor_fp8_is_unchanged():
    """A per-tensor FP8 GEMM is not block-scaled: H100 runs it on its FP8 ceiling as before."""
    peak, note = load_device("h100_sxm").gemm_peak(gemm(None))
    assert peak.key == "fp8_fp32acc" and "native" not in note


def test_shipped_profiles():
    """Every shipped Blackwell GPU lists the four float families; no other shipped GPU lists any."""
    from workloads.io import read_structured

    for name, path in known_devices().items():
        if "engines" in read_structured(path):   # a chip of several engines is no single device (docs/engines.md)
            continue
        dev = load_device(name)
        if dev.gpu is None:
            continue
        blackwell = "Blackwell" in dev.gpu.arch
        assert dev.gpu.block_formats == (("mxfp8", "mxfp6", "mxfp4", "nvfp4") if blackwell else ()), name
        assert bool(dev.gpu.block_formats_source) == blackwell


BASE = {"name": "g", "peaks_tops": {"fp32": {"value": 10}, "fp16_fp32acc": {"value": 100}},
        "memory": {"dram": {"bandwidth_gbps": 1000}}}


@pytest.mark.parametrize("value, field, message", [
    ({"native": ["mxfp5"]}, "block_formats.native[0]", "unknown block format family 'mxfp5'"),
    ({"native": "mxfp4"}, "block_formats.native", "expected a list"),
    ({"native": ["mxfp4", "mxfp4"]}, "block_formats.native", "appears twice"),
    ({"native": [], "vendor": "x"}, "block_formats", "vendor"),
])
def test_bad_block_formats(value, field, message):
    with pytest.raises(InputError) as e:
        gpu_from_dict({**BASE, "block_formats": value}, "g.yaml")
    text = str(e.value)
    assert "g.yaml" in text and field in text and message in text
