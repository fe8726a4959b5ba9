"""Tensor fake-quantizers (torch tensors in, torch tensors out) and ``QuantSpec``, how one layer is quantized.

Weights: symmetric signed, scale = max|w| / (2^(b-1) - 1) per tensor, per output channel or per group of g input
elements (``group:g``). Activations: asymmetric unsigned, scale = (hi - lo) / (2^b - 1), zero point
round(-lo / scale), with (lo, hi) calibrated per tensor or per channel (min-max, or the mean over calibration
batches of the p-th / (100-p)-th percentiles), or taken per row at run time (``token``, ``group:g``).
``dtype: fp`` rounds to float16 (16 bits) or float8 e4m3 (8 bits); 32 bits is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from workloads.errors import WorkloadError


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

    @classmethod
    def of(cls, layer) -> QuantSpec:
        return cls(layer.w_bits, layer.a_bits, layer.dtype, layer.w_granularity, layer.a_granularity,
                   layer.out_bits, layer.acc_bits)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _float_round(x, bits: int):
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


def quantize_weight(w, bits: int, granularity: str, dtype: str = "int"):
    """Symmetric signed fake-quant of a weight (out channels first): scale = max|w| / (2^(bits-1) - 1) per tensor,
    per output channel, or per group of g consecutive input elements (``group:g``) of each output channel."""
    import torch

    if dtype == "fp":
        return _float_round(w, bits)
    qmax = 2 ** (bits - 1) - 1
    w2 = w.reshape(w.shape[0], -1)
    if granularity == "tensor":
        amax = w2.abs().amax()
    elif granularity == "channel":
        amax = w2.abs().amax(dim=1, keepdim=True)
    elif granularity.startswith("group:"):
        g = int(granularity[6:])
        k = w2.shape[1]
        pad = (-k) % g
        wp = torch.nn.functional.pad(w2, (0, pad)).reshape(w2.shape[0], -1, g)
        amax = wp.abs().amax(dim=2, keepdim=True)
        scale = amax.clamp_min(1e-12) / qmax
        q = (wp / scale).round().clamp(-qmax - 1, qmax) * scale
        return q.reshape(w2.shape[0], -1)[:, :k].reshape(w.shape)
    else:
        raise WorkloadError("recipe", "w_granularity", f"{granularity!r} is not a weight granularity",
                            "tensor, channel, group:<size>")
    scale = amax.clamp_min(1e-12) / qmax
    return ((w2 / scale).round().clamp(-qmax - 1, qmax) * scale).reshape(w.shape)


def _affine(x, lo, hi, bits: int):
    """Asymmetric unsigned fake-quant of x into [lo, hi] with 2^bits levels (lo, hi broadcast against x)."""
    levels = 2 ** bits - 1
    lo = lo.clamp(max=0.0) if hasattr(lo, "clamp") else min(lo, 0.0)
    hi = hi.clamp(min=0.0) if hasattr(hi, "clamp") else max(hi, 0.0)
    scale = (hi - lo).clamp_min(1e-12) / levels
    zp = (-lo / scale).round()
    return ((x / scale).round() + zp).clamp(0, levels).sub(zp).mul(scale)


class ActQuantizer:
    """Fake-quantizes an activation tensor; for ``tensor``/``channel`` granularity it first calibrates (lo, hi).

    ``channel_dim`` is the channel axis (-1 for token-major activations, 1 for NCHW conv inputs).
    Min-max: lo/hi = running min/max over calibration batches. Percentile p: mean over batches of the
    (100-p)-th and p-th percentiles (of the whole tensor, or of each channel)."""

    def __init__(self, bits: int, granularity: str, dtype: str = "int", method: str = "minmax",
                 percentile: float = 99.99, channel_dim: int = -1):
        self.bits, self.granularity, self.dtype = bits, granularity, dtype
        self.method, self.percentile, self.channel_dim = method, percentile, channel_dim
        self.calibrating = False
        self.lo = self.hi = None
        self.batches = 0

    @property
    def static(self) -> bool:
        return self.dtype == "int" and self.granularity in ("tensor", "channel")

    def observe(self, x) -> None:
        import torch

        x = x.detach().float()
        if self.granularity == "channel":
            x = x.movedim(self.channel_dim, -1).reshape(-1, x.shape[self.channel_dim])
        else:
            x = x.reshape(1, -1)
        if self.method == "minmax":
            lo, hi = x.amin(dim=-1 if self.granularity != "channel" else 0), x.amax(
                dim=-1 if self.granularity != "channel" else 0)
            self.lo = lo if self.lo is None else torch.minimum(self.lo, lo)
            self.hi = hi if self.hi is None else torch.maximum(self.hi, hi)
        else:
            if self.granularity == "channel":
                rows = x[:: max(1, x.shape[0] // 4096)]
                q = torch.quantile(rows, torch.tensor([1 - self.percentile / 100, self.percentile / 100]), dim=0)
            else:
                flat = x.reshape(-1)
                flat = flat[:: max(1, flat.numel() // (1 << 22))]
                q = torch.quantile(flat, torch.tensor([1 - self.percentile / 100, self.percentile / 100]))
            lo, hi = q[0], q[1]
            n = self.batches
            self.lo = lo if self.lo is None else (self.lo * n + lo) / (n + 1)
            self.hi = hi if self.hi is None else (self.hi * n + hi) / (n + 1)
        self.batches += 1

    def __call__(self, x):
        if self.dtype == "fp":
            return _float_round(x, self.bits)
        if self.calibrating and self.static:
            self.observe(x)
            return x
        if self.granularity == "tensor":
            if self.lo is None:
                raise RuntimeError("activation quantizer used before calibration")
            return _affine(x, self.lo, self.hi, self.bits)
        if self.granularity == "channel":
            if self.lo is None:
                raise RuntimeError("activation quantizer used before calibration")
            shape = [1] * x.dim()
            shape[self.channel_dim] = -1
            return _affine(x, self.lo.reshape(shape), self.hi.reshape(shape), self.bits)
        xt = x.movedim(self.channel_dim, -1) if self.channel_dim != -1 else x
        if self.granularity == "token":  # dynamic, per row
            out = _affine(xt, xt.amin(-1, keepdim=True), xt.amax(-1, keepdim=True), self.bits)
        else:  # group:g along the channel axis, dynamic
            import torch

            g = int(self.granularity[6:])
            c = xt.shape[-1]
            pad = (-c) % g
            xp = torch.nn.functional.pad(xt, (0, pad)).reshape(*xt.shape[:-1], -1, g)
            out = _affine(xp, xp.amin(-1, keepdim=True), xp.amax(-1, keepdim=True), self.bits)
            out = out.reshape(*xt.shape[:-1], -1)[..., :c]
        return out.movedim(-1, self.channel_dim) if self.channel_dim != -1 else out
