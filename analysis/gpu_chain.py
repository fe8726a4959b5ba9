"""Which ceilings a GEMM layer may run at on a GPU, best first (``Device.gemm_peak`` takes the first the device has).

- ``dtype_chain``: by element type and bits: FP32 -> fp32; FP16/BF16 -> fp16; FP8/FP6 -> fp8 (FP4: fp4 first);
  weight-only integer (activations above 8 bits) -> fp16; W4A4 -> int4, int8; up to 8 bits -> int8; each falling
  back towards fp16 and fp32.
- ``block_scaled_chain``: block-scaled formats (MXFP8/6/4, NVFP4, MXINT8: workloads/block_formats.py) keep that
  chain only on a device whose YAML lists their family under ``block_formats.native`` (analysis/gpu_extras.py);
  elsewhere FP16.
"""

from __future__ import annotations

from workloads.model import Layer


def gpu_chain(device, layer: Layer) -> tuple[list[str], str]:
    """(ceilings best first, a note on how the layer maps): ``dtype_chain`` then ``block_scaled_chain``."""
    chain, note = dtype_chain(layer)
    return block_scaled_chain(device, layer, chain, note)


def dtype_chain(layer: Layer) -> tuple[list[str], str]:
    """Preferred ceilings for a GEMM layer on a GPU, best first, and a note on how it maps."""
    w, a = layer.w_bits, layer.a_bits
    if layer.dtype == "fp":
        bits = max(w, a)
        if bits > 16:
            return ["fp32"], ""
        if bits > 8:
            return ["fp16", "fp32"], ""
        return (["fp4"] if bits <= 4 else []) + ["fp8", "fp16", "fp32"], ""   # fp4: NVFP4 / MXFP4 (Blackwell)
    if a > 8:
        return ["fp16", "fp32"], f"weight-only {layer.precision}: FP16 compute, {w}-bit weight bytes"
    if max(w, a) <= 4:
        return ["int4", "int8", "fp16", "fp32"], ""
    if max(w, a) <= 8:
        note = "" if (w, a) == (8, 8) else f"{layer.precision} runs on the int8 ceiling"
        return ["int8", "fp16", "fp32"], note
    return ["fp16", "fp32"], ""


def block_scaled_chain(device, layer: Layer, chain: list[str], note: str) -> tuple[list[str], str]:
    """A block-scaled GEMM (workloads/block_formats.py) keeps its chain where the device runs every operand's format
    family natively (``block_formats.native`` of its YAML); elsewhere its block scales cannot enter the MMA: the
    kernel rescales every block (dequantizing to FP16, or rescaling partial sums per block on the CUDA cores, about
    as slow), so it runs at the FP16 ceiling while still reading its compact bytes and scales."""
    from workloads.block_formats import layer_families

    fams = layer_families(layer)
    if not fams:
        return chain, note
    native = device.gpu.block_formats if device.gpu is not None else ()
    names = "/".join(f.upper() for f in fams)
    missing = [f for f in fams if f not in native]
    if not missing:
        return chain, "; ".join(x for x in (note, f"{names} native (block scales in the tensor cores)") if x)
    return ["fp16", "fp32"], "; ".join(x for x in (note, f"{'/'.join(m.upper() for m in missing)} not native on "
                                                         f"{device.name}: rescaled per block, FP16 compute") if x)
