"""Tensor fake-quantizers (torch tensors in, torch tensors out) and ``QuantSpec``, how one layer is quantized.

Closed forms (b bits; every quantizer returns dequantized values, x_hat, in x's dtype):
  uniform symmetric   s = amax / (2^(b-1) - 1), x_hat = s * clamp(round(x / s), -2^(b-1), 2^(b-1) - 1)   (b >= 2)
  uniform asymmetric  lo' = min(lo, 0), hi' = max(hi, 0), s = (hi' - lo') / (2^b - 1), z = round(-lo' / s),
                      x_hat = s * (clamp(round(x / s) + z, 0, 2^b - 1) - z)                        (b >= 1)
  power-of-two scale  s <- 2^ceil(log2 s) (a shift instead of a multiply in the requantizer; never clips more)
  log2                q = round(-log2(|x| / s)), x_hat = sign(x) * s * 2^-q for q <= 2^b' - 1, else 0, with
                      s = the calibrated max |x|, b' = b (x >= 0, post-softmax) or b - 1 (a sign bit)
  twin-uniform        (PTQ4ViT) two uniform ranges of k = 2^(b-1) levels, steps d1 < d2 = d1 * 2^m:
                      x >= 0: x_hat = d1 * clamp(round(x / d1), 0, k - 1) if x < k * d1,
                              else d2 * clamp(round(x / d2), 0, k - 1)
                      x < 0 : x_hat = d1 * clamp(round(x / d1), -k, 0)  (post-GELU negatives, small)
  binary weights      x_hat = alpha * (+1 if w >= 0 else -1), alpha = mean |w| per output channel (XNOR-Net)
  ternary weights     d = 0.7 * mean |w|, x_hat = alpha * sign(w) * [|w| > d], alpha = mean of |w| over |w| > d,
                      per output channel (TWN)
  small float        (``fp_round``; sign, E exponent bits with bias 2^(E-1) - 1, M mantissa bits, subnormals, no
                      inf/NaN codes used: saturating at the largest normal F) e = max(floor(log2 |x|), 1 - bias),
                      step = 2^(e - M), x_hat = clamp(round(x / step) * step, -F, F)  (round half to even)
  block-scaled       (``block_quantize``, workloads/block_formats.py; a block = ``block`` consecutive elements along
                      K) MX (OCP Microscaling v1.0, sec. 6.3): shared scale X = 2^(floor(log2 amax) - emax_elem),
                      emax_elem = floor(log2 F) (E4M3 8, E5M2 15, E2M3 2, E3M2 4, E2M1 2; MXINT8 0: its element
                      is an 8-bit two's complement number with an implied scale 2^-6, |v| <= 127/64), X an E8M0
                      power of two clamped to 2^-127..2^127; x_hat = X * elem(x / X).
                      NVFP4: a per-tensor FP32 scale t = amax_tensor / (448 * 6) and an E4M3 scale per block
                      s = e4m3(amax_block / (6 t)); x_hat = s t * e2m1(x / (s t)).
A range of zero width (all-zero tensor, a dead channel) gives s = 1e-12 and x_hat = 0 there: never NaN.
1-bit symmetric uniform has no levels and is refused (the layer's fields are checked in ``workloads.model``).
Weights: ``quantize_weight``; activations: ``workloads.fakequant.observers.ActQuantizer`` (calibration).
"""

from __future__ import annotations

from dataclasses import dataclass

from workloads.errors import WorkloadError

TINY = 1e-12
TERNARY_THRESHOLD = 0.7   # TWN (Li et al., 2016): delta = 0.7 * E|w|
MSE_RATIOS = tuple(1.0 - 0.025 * i for i in range(29))   # clip ratios searched by MSE calibration: 1.0 .. 0.3


@dataclass(frozen=True)
class QuantSpec:
    """How one GEMM-like layer is fake-quantized (the recipe's fields for that layer)."""

    w_bits: int
    a_bits: int
    dtype: str = "int"
    w_granularity: str = "tensor"
    a_granularity: str = "tensor"
    out_bits: int = 8
    acc_bits: int = 32
    w_quantizer: str = "uniform"
    a_quantizer: str = "uniform"
    w_zero_point: bool = False
    a_zero_point: bool | None = None
    scale_pow2: bool = False
    outlier_channels: int = 0
    outlier_bits: int = 0
    calibration: str = ""
    w_block_format: str = ""
    a_block_format: str = ""
    w_scale_bits: int = 0
    a_scale_bits: int = 0

    @classmethod
    def of(cls, layer) -> QuantSpec:
        return cls(**{f: getattr(layer, f) for f in cls.__dataclass_fields__})

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def float_round(x, bits: int):
    """Round to a ``bits``-wide float format and back to x's dtype (16: float16, 8: float8 e4m3, 32: exact)."""
    import torch

    if bits >= 32:
        return x
    fmt = {16: torch.float16, 8: getattr(torch, "float8_e4m3fn", None)}.get(bits)
    if fmt is None:
        raise WorkloadError("recipe", "w_bits/a_bits", f"no {bits}-bit float format for fake quantization", "8, 16, 32")
    if bits == 8:
        x = x.clamp(-448.0, 448.0)
    return x.to(fmt).to(x.dtype)


# element formats of the block-scaled formats: exponent bits, mantissa bits, largest normal (OCP MX v1.0, Table 2)
FLOAT_ELEMENTS = {"e4m3": (4, 3, 448.0), "e5m2": (5, 2, 57344.0), "e2m3": (2, 3, 7.5), "e3m2": (3, 2, 28.0),
                  "e2m1": (2, 1, 6.0)}
# each block format's element: a FLOAT_ELEMENTS key, or "int8" (MXINT8); with the layer's bits when the name is absent
BLOCK_ELEMENTS = {"mxint8": "int8", "mxfp8_e4m3": "e4m3", "mxfp8_e5m2": "e5m2", "mxfp6_e2m3": "e2m3",
                  "mxfp6_e3m2": "e3m2", "mxfp4": "e2m1", "nvfp4": "e2m1"}


def fp_round(x, exp_bits: int, man_bits: int, max_normal: float):
    """Round to the nearest value of a small float format (module docstring, "small float")."""
    import torch

    bias = 2 ** (exp_bits - 1) - 1
    e = torch.floor(torch.log2(x.abs().clamp_min(TINY))).clamp_min(1 - bias)
    step = torch.exp2(e - man_bits)
    return (torch.round(x / step) * step).clamp(-max_normal, max_normal)


def block_quantize(xb, name: str):
    """Fake-quant of blocks ``xb`` (..., block) in the block format ``name`` (module docstring, "block-scaled");
    the per-tensor scale of NVFP4 is taken over all of ``xb``."""
    import torch

    elem = BLOCK_ELEMENTS[name]
    amax = xb.abs().amax(-1, keepdim=True)
    if name == "nvfp4":
        t = (xb.abs().amax() / (448.0 * 6.0)).clamp_min(TINY)
        s = float_round((amax / (6.0 * t)).clamp(max=448.0), 8).clamp_min(TINY) * t
        return fp_round(xb / s, *FLOAT_ELEMENTS["e2m1"]) * s
    emax = 0 if elem == "int8" else int(torch.floor(torch.log2(torch.tensor(FLOAT_ELEMENTS[elem][2]))).item())
    x = torch.exp2((torch.floor(torch.log2(amax.clamp_min(TINY))) - emax).clamp(-127, 127))
    y = xb / x
    q = (y * 64).round().clamp(-128, 127) / 64 if elem == "int8" else fp_round(y, *FLOAT_ELEMENTS[elem])
    return q * x


def block_format_of(name: str, dtype: str, bits: int, block: int) -> str:
    """The block format a layer names, or the one its fields imply (int 8 -> mxint8; fp 8/6/4 -> mxfp8_e4m3,
    mxfp6_e2m3, mxfp4, or nvfp4 for 4-bit blocks of 16): for workloads written without the format's name."""
    if name:
        return name
    if dtype == "int":
        return "mxint8" if bits == 8 else ""
    return {8: "mxfp8_e4m3", 6: "mxfp6_e2m3", 4: "nvfp4" if block == 16 else "mxfp4"}.get(bits, "")


def pow2(scale):
    """2^ceil(log2 scale): the smallest power of two not below ``scale`` (a tensor)."""
    import torch

    return torch.exp2(torch.ceil(torch.log2(scale.clamp_min(TINY))))


def symmetric(x, amax, bits: int, use_pow2: bool = False):
    """Symmetric signed uniform fake-quant with 2^bits levels, s = amax / (2^(bits-1) - 1) (amax broadcasts)."""
    if bits < 2:
        raise WorkloadError("recipe", "bits", "1-bit symmetric uniform quantization has no levels",
                            "2 or more bits, a zero point, or binary weights")
    qmax = 2 ** (bits - 1) - 1
    scale = amax.clamp_min(TINY) / qmax
    if use_pow2:
        scale = pow2(scale)
    return (x / scale).round().clamp(-qmax - 1, qmax) * scale


def affine(x, lo, hi, bits: int, use_pow2: bool = False):
    """Asymmetric unsigned uniform fake-quant into [min(lo, 0), max(hi, 0)] with 2^bits levels (zero point)."""
    import torch

    levels = 2 ** bits - 1
    lo = torch.as_tensor(lo, dtype=x.dtype).clamp(max=0.0)
    hi = torch.as_tensor(hi, dtype=x.dtype).clamp(min=0.0)
    scale = (hi - lo).clamp_min(TINY) / levels
    if use_pow2:
        scale = pow2(scale)
    zp = (-lo / scale).round()
    return ((x / scale).round() + zp).clamp(0, levels).sub(zp).mul(scale)


def log2_quant(x, bits: int, scale, signed: bool = False):
    """log2 fake-quant: x_hat = sign(x) * scale * 2^-q, q = round(-log2(|x| / scale)) in [0, 2^b' - 1], else 0;
    b' = bits, or bits - 1 when ``signed`` (one bit for the sign)."""
    import torch

    top = 2 ** (bits - 1 if signed else bits) - 1
    scale = torch.as_tensor(scale, dtype=x.dtype).clamp_min(TINY)
    mag = x.abs() if signed else x.clamp_min(0.0)
    q = torch.round(-torch.log2((mag / scale).clamp_min(1e-30))).clamp_min(0.0)
    out = torch.where((q <= top) & (mag > 0), scale * torch.exp2(-q), torch.zeros_like(x))
    return out * torch.sign(x) if signed else out


def twin_uniform(x, bits: int, d1, d2):
    """Twin-uniform fake-quant (module docstring): k = 2^(bits-1) levels of step d1 near zero (and for negatives),
    k levels of step d2 above k * d1."""
    import torch

    k = 2 ** (bits - 1)
    d1 = torch.as_tensor(d1, dtype=x.dtype).clamp_min(TINY)
    d2 = torch.as_tensor(d2, dtype=x.dtype).clamp_min(TINY)
    small = (x / d1).round().clamp(-k, k - 1) * d1
    large = (x / d2).round().clamp(0, k - 1) * d2
    return torch.where(x < k * d1, small, large)


def twin_search(samples, bits: int, lo: float, hi: float):
    """(d1, d2) of a twin-uniform quantizer: d2 = max(hi, 0) / (k - 1), d1 = d2 / 2^m with the power-of-two
    ratio m in 0..12 that minimises the squared error on ``samples`` (PTQ4ViT keeps the ratio a power of two so
    both ranges share one accumulator scale up to a shift)."""
    import torch

    k = 2 ** (bits - 1)
    d2 = torch.tensor(max(hi, TINY) / max(k - 1, 1), dtype=samples.dtype)
    best = None
    for m in range(13):
        d1 = d2 / 2 ** m
        err = (twin_uniform(samples, bits, d1, d2) - samples).pow(2).sum().item()
        if best is None or err < best[0]:
            best = (err, d1)
    return best[1], d2


def mse_ratio(samples, quant) -> float:
    """The clip ratio r of MSE_RATIOS minimising sum((quant(samples, r) - samples)^2) (OMSE-style search)."""
    best = None
    for r in MSE_RATIOS:
        err = (quant(samples, r) - samples).pow(2).sum().item()
        if best is None or err < best[0] - 1e-12 * abs(err):
            best = (err, r)
    return best[1]


def _grouped(w2, granularity: str):
    """w2 (out x K) as (out, groups, g) for the scale granularity, and a function undoing it."""
    import torch

    n, k = w2.shape
    if granularity == "tensor":
        return w2.reshape(1, 1, -1), lambda q: q.reshape(n, k)
    if granularity == "channel":
        return w2.reshape(n, 1, k), lambda q: q.reshape(n, k)
    if granularity.startswith("group:"):
        g = int(granularity[6:])
        pad = (-k) % g
        wp = torch.nn.functional.pad(w2, (0, pad)).reshape(n, -1, g)
        return wp, lambda q: q.reshape(n, -1)[:, :k]
    raise WorkloadError("recipe", "w_granularity", f"{granularity!r} is not a weight granularity",
                        "tensor, channel, group:<size>")


def quantize_weight(w, bits: int, granularity: str, dtype: str = "int", quantizer: str = "uniform",
                    zero_point: bool = False, use_pow2: bool = False, method: str = "minmax", block_format: str = ""):
    """Fake-quant of a weight (out channels first), one scale per tensor, output channel or group of g input
    elements of each output channel: symmetric (or with a zero point) uniform, binary or ternary, or a block-scaled
    format (``block_format``; module docstring). ``method`` ``mse`` searches each scale group's clip ratio; other
    methods use the full range."""
    import torch

    if block_format:
        wg, undo = _grouped(w.reshape(w.shape[0], -1), granularity)
        return undo(block_quantize(wg, block_format)).reshape(w.shape)
    if dtype == "fp":
        return float_round(w, bits)
    w2 = w.reshape(w.shape[0], -1)
    if quantizer in ("binary", "ternary"):
        wg, undo = _grouped(w2, "channel" if granularity == "tensor" else granularity)
        mag = wg.abs()
        if quantizer == "binary":
            q = torch.where(wg >= 0, 1.0, -1.0).to(w.dtype) * mag.mean(dim=2, keepdim=True)
        else:
            keep = mag > TERNARY_THRESHOLD * mag.mean(dim=2, keepdim=True)
            alpha = (mag * keep).sum(dim=2, keepdim=True) / keep.sum(dim=2, keepdim=True).clamp_min(1)
            q = torch.sign(wg) * keep * alpha
        return undo(q).reshape(w.shape)
    wg, undo = _grouped(w2, granularity)
    lo, hi = wg.amin(dim=2, keepdim=True), wg.amax(dim=2, keepdim=True)
    amax = torch.maximum(lo.abs(), hi.abs())

    def quant(x, r):
        return affine(x, lo * r, hi * r, bits, use_pow2) if zero_point else symmetric(x, amax * r, bits, use_pow2)

    if method == "mse":
        best = torch.full_like(amax, float("inf"))
        out = quant(wg, 1.0)
        for r in MSE_RATIOS:
            q = quant(wg, r)
            err = (q - wg).pow(2).sum(dim=2, keepdim=True)
            better = err < best
            best = torch.where(better, err, best)
            out = torch.where(better, q, out)
        return undo(out).reshape(w.shape)
    return undo(quant(wg, 1.0)).reshape(w.shape)
