"""The optional quantization fields of a layer (which quantizer, zero points, power-of-two scales, outlier channels,
calibration) and a workload's accuracy: allowed values and the combinations that have levels. Formulas and meaning:
docs/accuracy.md; the quantizers themselves: workloads/fakequant/.
"""

from __future__ import annotations

from workloads.errors import WorkloadError, require_choice, require_int, require_mapping

# how a layer's values map to levels (docs/accuracy.md): uniform; log2 and twin_uniform for post-softmax and
# post-GELU activations (PTQ4ViT); binary (1-bit, alpha * sign) and ternary (2-bit, TWN) weights
W_QUANTIZERS = ("uniform", "binary", "ternary")
A_QUANTIZERS = ("uniform", "log2", "twin_uniform")
CALIBRATION_METHODS = ("minmax", "percentile", "mse")
# optional quantization fields: left out of to_dict at these defaults (files written before them are unchanged)
QUANT_DEFAULTS = {"w_quantizer": "uniform", "a_quantizer": "uniform", "w_zero_point": False, "a_zero_point": None,
                  "scale_pow2": False, "outlier_channels": 0, "outlier_bits": 0, "calibration": "",
                  "w_scale_bits": 0, "a_scale_bits": 0, "w_block_format": "", "a_block_format": ""}


def check_quant_fields(source: str, where: str, kw: dict) -> None:
    """The optional quantization fields, each alone (combinations: ``check_quant_combination``)."""
    for f, choices in (("w_quantizer", W_QUANTIZERS), ("a_quantizer", A_QUANTIZERS),
                       ("calibration", CALIBRATION_METHODS + ("",))):
        if f in kw:
            require_choice(source, f"{where}.{f}", kw[f], choices)
    for f in ("w_zero_point", "scale_pow2"):
        if f in kw and not isinstance(kw[f], bool):
            raise WorkloadError(source, f"{where}.{f}", f"expected true or false, got {kw[f]!r}")
    if kw.get("a_zero_point") is not None and not isinstance(kw["a_zero_point"], bool):
        raise WorkloadError(source, f"{where}.a_zero_point", f"expected true or false, got {kw['a_zero_point']!r}")
    for f in ("outlier_channels", "outlier_bits"):
        if f in kw:
            kw[f] = require_int(source, f"{where}.{f}", kw[f], 0)
    for f in ("w_scale_bits", "a_scale_bits"):   # stored scale width; 0: the hardware's ppu.scale_bits
        if f in kw:
            kw[f] = require_int(source, f"{where}.{f}", kw[f], 0, 32)
    from workloads.block_formats import BLOCK_FORMATS

    for f in ("w_block_format", "a_block_format"):
        if f in kw:
            require_choice(source, f"{where}.{f}", kw[f], ("", *BLOCK_FORMATS))


def check_quant_combination(source: str, where: str, kw: dict, max_bits: int) -> None:
    """Bits, quantizers, zero points and outliers that fit together (``kw``: a layer's fields, defaults omitted).
    A 1-bit symmetric uniform quantizer has no levels (round(x / (max / 0))): use ``w_quantizer: binary``."""
    if kw.get("dtype", "int") == "fp":
        return
    wq, aq = kw.get("w_quantizer", "uniform"), kw.get("a_quantizer", "uniform")
    w_bits, a_bits = kw.get("w_bits", 8), kw.get("a_bits", 8)
    if wq == "binary" and w_bits != 1:
        raise WorkloadError(source, f"{where}.w_bits", f"binary weights are 1 bit, got {w_bits}", "1")
    if wq == "ternary" and w_bits != 2:
        raise WorkloadError(source, f"{where}.w_bits", f"ternary weights take 2 bits, got {w_bits}", "2")
    if wq == "uniform" and w_bits == 1 and not kw.get("w_zero_point", False):
        raise WorkloadError(source, f"{where}.w_bits", "1-bit symmetric uniform weights have no levels",
                            "w_quantizer: binary, or w_zero_point: true, or w_bits >= 2")
    if wq != "uniform" and kw.get("w_zero_point", False):
        raise WorkloadError(source, f"{where}.w_zero_point", f"{wq} weights are symmetric", "false")
    if a_bits == 1 and kw.get("a_zero_point") is False:
        raise WorkloadError(source, f"{where}.a_bits", "1-bit symmetric activations have no levels",
                            "a_zero_point: true, or a_bits >= 2")
    if aq != "uniform":
        if kw.get("a_granularity", "tensor") != "tensor":
            raise WorkloadError(source, f"{where}.a_granularity", f"{aq} activations take one calibrated range",
                                "tensor")
        if a_bits < 2:
            raise WorkloadError(source, f"{where}.a_bits", f"{aq} needs at least 2 bits, got {a_bits}", ">= 2")
    o, ob = kw.get("outlier_channels", 0), kw.get("outlier_bits", 0)
    if o and ob <= a_bits:
        raise WorkloadError(source, f"{where}.outlier_bits", f"{ob} is not wider than a_bits {a_bits}",
                            f"{a_bits + 1} to {max_bits} when outlier_channels > 0")
    if ob and not o:
        raise WorkloadError(source, f"{where}.outlier_channels", "outlier_bits set without outlier channels",
                            "outlier_channels >= 1")
    if ob > max_bits:
        raise WorkloadError(source, f"{where}.outlier_bits", f"{ob} bits is unsupported", f"1 to {max_bits}")
    if o and kw.get("k", 0) and o >= kw["k"]:  # vector layers have k = 0
        raise WorkloadError(source, f"{where}.outlier_channels", f"{o} is not below k = {kw.get('k')}",
                            f"0 to {kw.get('k', 1) - 1}")


ACCURACY_KINDS = ("measured", "published", "sqnr")


def check_accuracy(source: str, acc) -> dict | None:
    """A workload's accuracy: ``kind`` measured (``python -m workloads evaluate``), published (a paper's table) or
    sqnr (numerics only: ``sqnr_db``, no top-1); ``top1``/``top5``/``fp32_top1`` in percent (0..100)."""
    if acc is None:
        return None
    require_mapping(source, "accuracy", acc)
    kind = acc.get("kind")
    if kind not in ACCURACY_KINDS:
        raise WorkloadError(source, "accuracy.kind", f"unknown value {kind!r}", ", ".join(ACCURACY_KINDS))
    out = dict(acc)
    for f in ("top1", "top5", "fp32_top1"):
        v = acc.get(f)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 100:
            raise WorkloadError(source, f"accuracy.{f}", f"{v!r} is not a percentage", "numbers 0 to 100")
        out[f] = float(v)
    if kind == "sqnr":
        if not isinstance(acc.get("sqnr_db"), (int, float)):
            raise WorkloadError(source, "accuracy.sqnr_db", "missing or not a number", "dB")
    elif "top1" not in out:
        raise WorkloadError(source, "accuracy.top1", "missing", "a percentage 0 to 100")
    return out
