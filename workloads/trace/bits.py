"""Bit widths come from the model: fake-quant modules (``workloads.fakequant``) and ``torch.ao`` dynamic-quantized
linears report their own bits; other ops get the bits of their tensors' dtypes (fp32 -> dtype fp, 32 bits).
A fake-quant op being dispatched declares its bits through ``workloads.op_context``.
"""

from __future__ import annotations

from workloads.errors import WorkloadError


def require_torch():
    try:
        import torch
    except ImportError:  # pragma: no cover - depends on the environment
        raise WorkloadError("trace", "torch", "torch is not installed", "pip install -e '.[trace]'") from None
    return torch


def dtype_bits(dtype) -> tuple[str, int]:
    """(``fp``|``int``, bits) of a torch dtype."""
    torch = require_torch()
    if dtype.is_floating_point:
        return "fp", torch.finfo(dtype).bits
    if dtype in (torch.qint8, torch.quint8, torch.int8, torch.uint8):
        return "int", 8
    if dtype == getattr(torch, "quint4x2", None):
        return "int", 4
    if dtype == torch.bool:
        return "int", 1
    return "int", torch.iinfo(dtype).bits if not dtype.is_complex else 64


def module_bits(module) -> dict | None:
    """Bit widths a module declares: fake-quant modules (``vitsim_quant``) or torch.ao quantized linears."""
    spec = getattr(module, "vitsim_quant", None)
    if spec:
        return dict(spec)
    mod = type(module).__module__
    if mod.startswith(("torch.ao.nn.quantized", "torch.nn.quantized")):
        w = module.weight() if callable(getattr(module, "weight", None)) else None
        if w is None:
            return None
        torch = require_torch()
        dtype, wb = dtype_bits(w.dtype)
        per_channel = w.is_quantized and w.qscheme() in (torch.per_channel_affine, torch.per_channel_symmetric)
        dynamic = ".dynamic" in mod
        return {"w_bits": wb, "a_bits": 8 if (dynamic and wb <= 8) or not dynamic else wb,
                "out_bits": 32 if dynamic else 8, "dtype": dtype if wb > 8 else "int",
                "w_granularity": "channel" if per_channel else "tensor", "a_granularity": "tensor"}
    return None


def layer_bits(spec, a, w, out) -> dict:
    """Layer bit fields from a declared spec, else from the tensors' dtypes."""
    da, ab = dtype_bits(a.dtype) if not a.is_quantized else ("int", 8)
    dw, wb = dtype_bits(w.dtype) if w is not None and not w.is_quantized else (da, ab)
    ob = dtype_bits(out.dtype)[1] if not out.is_quantized else 8
    bits = {"w_bits": wb, "a_bits": ab, "out_bits": ob, "acc_bits": 32, "dtype": "fp" if "fp" in (da, dw) else "int"}
    if spec:
        bits.update({k: v for k, v in spec.items() if k in ("w_bits", "a_bits", "out_bits", "acc_bits", "dtype",
                                                             "w_granularity", "a_granularity")})
    return bits


# pt2e quantize/dequantize ops (``torch.ops.quantized_decomposed``: torch.export programs quantized by
# ``torch.ao.quantization.quantize_pt2e`` or written by hand): not layers, but they carry the bit widths
QDQ_OPS = ("quantize_per_tensor", "dequantize_per_tensor", "quantize_per_channel", "dequantize_per_channel",
           "quantize_per_channel_group", "dequantize_per_channel_group", "quantize_per_token",
           "dequantize_per_token")


def qdq_bits(func, args, kwargs) -> dict:
    """What a pt2e (de)quantize op says of its tensor: {bits = ceil(log2(quant_max - quant_min + 1)), granularity
    (per_tensor -> tensor, per_channel -> channel, per_channel_group -> group:<group_size>, per_token -> token),
    zero_point (any nonzero zero point)}."""
    import math

    torch = require_torch()
    names = [a.name for a in func._schema.arguments]
    val = dict(zip(names, args)) | dict(kwargs)
    lo, hi = int(val["quant_min"]), int(val["quant_max"])
    zp = val.get("zero_point", val.get("zero_points", 0))
    nonzero = bool(torch.as_tensor(zp).ne(0).any()) if zp is not None else False
    name = func._schema.name.split("::")[-1]
    gran = ("channel" if "per_channel" in name and "group" not in name else f"group:{int(val['group_size'])}"
            if "group" in name else "token" if "per_token" in name else "tensor")
    return {"bits": max(1, math.ceil(math.log2(hi - lo + 1))), "granularity": gran, "zero_point": nonzero}


def qdq_gemm_bits(got: list) -> dict:
    """A GEMM's bit fields from what dequantized its operands: ``got`` = [(qdq_bits, is a parameter)] in operand
    order. The parameter operand is the weight, the other the activation (two activations: the first is the input,
    the second the weight side); both known: an integer layer."""
    if not got:
        return {}
    w = next((i for i, p in got if p), got[1][0] if len(got) > 1 and not got[1][1] else None)
    a = next((i for i, p in got if not p), None)
    spec = {}
    for op, i in (("w", w), ("a", a)):
        if i is not None:
            spec.update({f"{op}_bits": i["bits"], f"{op}_granularity": i["granularity"],
                         f"{op}_zero_point": i["zero_point"]})
    if w is not None and a is not None:
        spec["dtype"] = "int"
    return spec
