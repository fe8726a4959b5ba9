"""Activation quantizers with calibration: observe calibration batches, then fix the quantizer's parameters.

Static ranges (``tensor``/``channel`` granularity) are calibrated on the calibration images:
  minmax      lo, hi = the running min and max
  percentile  lo, hi = the mean over calibration batches of the (100-p)-th and p-th percentiles
  mse         lo, hi = r * (min, max) with the clip ratio r in 1.0, 0.975, ..., 0.3 minimising the squared error
              of the quantized samples (OMSE-style), one r per tensor
Dynamic ranges (``token``, ``group:g``) are taken per row at run time, from min/max.
Zero point: ``zero_point`` None (unstated) or True gives the asymmetric quantizer, False the symmetric one
(s = max(|lo|, |hi|) / (2^(b-1) - 1)). log2 uses s = max |x|; twin-uniform searches its power-of-two step ratio
(workloads.fakequant.quantizers). Outlier channels: the ``outliers`` input channels with the largest calibrated
|x| are quantized apart, at ``outlier_bits`` with their own (asymmetric, per-tensor) range, and the rest's range
is calibrated without them (PackQViT-style per-channel bit map).
Calibration keeps up to ``MAX_ROWS`` sampled rows (tokens) of the input for MSE, log2, twin-uniform and
outliers.
"""

from __future__ import annotations

from workloads.fakequant.quantizers import (
    affine,
    block_quantize,
    float_round,
    log2_quant,
    mse_ratio,
    symmetric,
    twin_search,
    twin_uniform,
)

MAX_ROWS = 4096
ROWS_PER_BATCH = 512


class ActQuantizer:
    """Fake-quantizes an activation tensor; ``channel_dim`` is the channel axis (-1 for token-major activations,
    1 for NCHW conv inputs)."""

    def __init__(self, bits: int, granularity: str, dtype: str = "int", method: str = "minmax",
                 percentile: float = 99.99, channel_dim: int = -1, quantizer: str = "uniform",
                 zero_point: bool | None = None, use_pow2: bool = False, outliers: int = 0, outlier_bits: int = 0,
                 block_format: str = ""):
        self.bits, self.granularity, self.dtype = bits, granularity, dtype
        self.method, self.percentile, self.channel_dim = method, percentile, channel_dim
        self.quantizer, self.zero_point, self.use_pow2 = quantizer, zero_point, use_pow2
        self.outliers, self.outlier_bits = outliers, outlier_bits
        self.block_format = block_format  # a block-scaled format (workloads/block_formats.py): dynamic, per block
        self.calibrating = False
        self.lo = self.hi = None
        self.batches = 0
        self.rows = []          # sampled calibration rows (tokens x channels)
        self.params = None      # fixed after calibration

    @property
    def static(self) -> bool:
        return self.dtype == "int" and self.granularity in ("tensor", "channel") and not self.block_format

    @property
    def asymmetric(self) -> bool:
        return self.zero_point is not False

    def _as_rows(self, x):
        return x.detach().float().movedim(self.channel_dim, -1).reshape(-1, x.shape[self.channel_dim])

    def observe(self, x) -> None:
        import torch

        rows = self._as_rows(x)
        if self.method == "percentile" and not self.outliers:
            self._observe_percentile(rows)
        else:
            dim = 0 if self.granularity == "channel" else None
            lo = rows.amin(dim=0) if dim == 0 else rows.amin()
            hi = rows.amax(dim=0) if dim == 0 else rows.amax()
            self.lo = lo if self.lo is None else torch.minimum(self.lo, lo)
            self.hi = hi if self.hi is None else torch.maximum(self.hi, hi)
        if self.method == "mse" or self.quantizer != "uniform" or self.outliers:
            have = sum(r.shape[0] for r in self.rows)
            if have < MAX_ROWS:
                step = max(1, rows.shape[0] // ROWS_PER_BATCH)
                self.rows.append(rows[::step][: MAX_ROWS - have].clone())
        self.batches += 1

    def _observe_percentile(self, x) -> None:
        import torch

        qs = torch.tensor([1 - self.percentile / 100, self.percentile / 100])
        if self.granularity == "channel":
            q = torch.quantile(x[:: max(1, x.shape[0] // 4096)], qs, dim=0)
        else:
            flat = x.reshape(-1)
            q = torch.quantile(flat[:: max(1, flat.numel() // (1 << 22))], qs)
        lo, hi = q[0], q[1]
        n = self.batches
        self.lo = lo if self.lo is None else (self.lo * n + lo) / (n + 1)
        self.hi = hi if self.hi is None else (self.hi * n + hi) / (n + 1)

    def _uniform(self, x, lo, hi, bits=None):
        import torch

        bits = bits or self.bits
        if self.asymmetric:
            return affine(x, lo, hi, bits, self.use_pow2)
        return symmetric(x, torch.maximum(torch.as_tensor(lo).abs(), torch.as_tensor(hi).abs()), bits, self.use_pow2)

    def finalize(self) -> None:
        """Fix the quantizer's parameters from what calibration saw."""
        import torch

        if self.lo is None:
            raise RuntimeError("activation quantizer used before calibration")
        samples = torch.cat(self.rows) if self.rows else None
        lo, hi, mask = self.lo, self.hi, None
        if self.outliers:
            amax = torch.maximum(samples.amin(0).abs(), samples.amax(0).abs())
            mask = torch.zeros(samples.shape[1], dtype=torch.bool)
            mask[torch.topk(amax, self.outliers).indices] = True
            inner = samples[:, ~mask]
            out = samples[:, mask]
            lo, hi = inner.amin(), inner.amax()
            if self.method == "percentile":
                qs = torch.tensor([1 - self.percentile / 100, self.percentile / 100])
                lo, hi = torch.quantile(inner.reshape(-1)[:: max(1, inner.numel() // (1 << 22))], qs)
            samples = inner
            self.out_range = (out.amin(), out.amax())
        params = {"lo": lo, "hi": hi, "mask": mask}
        if self.quantizer == "log2":
            params["scale"] = torch.maximum(lo.abs(), hi.abs())
            params["signed"] = bool(lo < 0)
        elif self.quantizer == "twin_uniform":
            params["d1"], params["d2"] = twin_search(samples.reshape(-1), self.bits, float(lo), float(hi))
        elif self.method == "mse":
            r = mse_ratio(samples if self.granularity == "channel" else samples.reshape(-1),
                          lambda s, r: self._uniform(s, lo * r, hi * r))
            params["lo"], params["hi"] = lo * r, hi * r
        self.params = params
        self.rows = []

    def _static(self, x):
        p = self.params
        if self.quantizer == "log2":
            return log2_quant(x, self.bits, p["scale"], p["signed"])
        if self.quantizer == "twin_uniform":
            return twin_uniform(x, self.bits, p["d1"], p["d2"])
        if self.granularity == "channel":
            shape = [1] * x.dim()
            shape[self.channel_dim] = -1
            return self._uniform(x, p["lo"].reshape(shape), p["hi"].reshape(shape))
        return self._uniform(x, p["lo"], p["hi"])

    def __call__(self, x):
        import torch

        if self.dtype == "fp" and not self.block_format:
            return float_round(x, self.bits)
        if self.calibrating and self.static:
            self.observe(x)
            return x
        if self.static:
            if self.params is None:
                self.finalize()
            out = self._static(x)
            mask = self.params["mask"]
            if mask is not None:
                shape = [1] * x.dim()
                shape[self.channel_dim] = -1
                lo, hi = self.out_range
                wide = affine(x, lo, hi, self.outlier_bits, self.use_pow2)
                out = torch.where(mask.reshape(shape), wide, out)
            return out
        xt = x.movedim(self.channel_dim, -1) if self.channel_dim != -1 else x
        if self.granularity == "token":  # dynamic, per row
            out = self._uniform(xt, xt.amin(-1, keepdim=True), xt.amax(-1, keepdim=True))
        else:  # group:g along the channel axis, dynamic (a block format's blocks likewise)
            g = int(self.granularity[6:])
            c = xt.shape[-1]
            pad = (-c) % g
            xp = torch.nn.functional.pad(xt, (0, pad)).reshape(*xt.shape[:-1], -1, g)
            out = block_quantize(xp, self.block_format) if self.block_format else \
                self._uniform(xp, xp.amin(-1, keepdim=True), xp.amax(-1, keepdim=True))
            out = out.reshape(*xt.shape[:-1], -1)[..., :c]
        return out.movedim(-1, self.channel_dim) if self.channel_dim != -1 else out
