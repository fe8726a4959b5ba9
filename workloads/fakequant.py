"""Fake quantization of a torch model by a recipe, calibration on synthetic images, and SQNR against FP32.

What is quantized: the inputs of every GEMM-like op, the numerics the recipe's ``w_bits``/``a_bits`` describe.
- ``nn.Linear`` / ``nn.Conv2d`` become ``FakeQuantLinear`` / ``FakeQuantConv2d`` in place (same module path, same
  parameters; their ``vitsim_quant`` attribute states the bits, which the tracer reads): weights symmetric signed,
  scale = max|w| / (2^(b-1) - 1) per tensor, per output channel or per group of g input elements (``group:g``);
  inputs asymmetric unsigned, scale = (hi - lo) / (2^b - 1), zero point round(-lo / scale), with (lo, hi) calibrated
  per tensor or per channel (min-max, or the mean over calibration batches of the p-th / (100-p)-th percentiles),
  or taken per row at run time (``token``, ``group:g``).
- activation x activation matmuls (q@k^T, attn@v) are not modules: a dispatch mode entered around the model's
  forward quantizes both operands (first by ``a_bits``, second by ``w_bits``) with calibrated per-tensor ranges.
- ``dtype: fp`` rounds to float16/bfloat16 (16 bits) or float8 e4m3 (8 bits); 32 bits is unchanged.
Vector ops (softmax, layernorm, gelu, ...) run in FP32 on whatever their inputs are.

SQNR of a layer = 10 log10( sum(y_fp32^2) / sum((y_fp32 - y_q)^2) ) in dB, y = the layer's output for the same
input images in the FP32 model and in the fake-quantized model (so the error of earlier layers propagates).
Images are synthetic (seeded smooth noise): this measures numerics, not accuracy. Weights are timm's random
initialisation (``pretrained=False``), not trained weights.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass

from workloads.errors import WorkloadError

_STATE = threading.local()
CALIBRATIONS = ("minmax", "percentile")
MATMUL_ATEN = ("matmul", "mm", "bmm", "baddbmm")
BARE_GEMM_ATEN = ("linear", "conv2d")  # written inline with a weight, outside a fake-quant module


def hidden() -> bool:
    """True while fake-quant arithmetic runs (the tracer must not record it as layers)."""
    return getattr(_STATE, "hidden", 0) > 0


def current_spec() -> dict | None:
    """Bit widths of the GEMM op being dispatched by a fake-quant module, if any."""
    return getattr(_STATE, "spec", None)


@contextmanager
def _hide():
    _STATE.hidden = getattr(_STATE, "hidden", 0) + 1
    try:
        yield
    finally:
        _STATE.hidden -= 1


@contextmanager
def _with_spec(spec: dict):
    old = getattr(_STATE, "spec", None)
    _STATE.spec = spec
    try:
        yield
    finally:
        _STATE.spec = old


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


# --- tensor quantizers (torch tensors in, torch tensors out) -------------------------------------------------------
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


# --- fake-quant modules and the matmul mode (built lazily: they subclass torch classes) -----------------------------
_CLASSES: dict = {}


def _classes() -> dict:
    if _CLASSES:
        return _CLASSES
    import torch
    import torch.nn.functional as F
    from torch.utils._python_dispatch import TorchDispatchMode

    class _FakeQuantMixin:
        """In-place replacement for a Linear/Conv2d: same parameters and path, quantized weight and input."""

        vitsim_quant: dict

        def _setup(self, spec: QuantSpec, method: str, percentile: float, channel_dim: int):
            self.vitsim_quant = spec.as_dict()
            self.spec = spec
            self.act_q = ActQuantizer(spec.a_bits, spec.a_granularity, spec.dtype, method, percentile, channel_dim)
            self._wq = None

        def _qweight(self):
            if self._wq is None:
                with _hide():
                    self._wq = quantize_weight(self.weight.detach(), self.spec.w_bits, self.spec.w_granularity,
                                               self.spec.dtype)
            return self._wq

    class FakeQuantLinear(_FakeQuantMixin, torch.nn.Linear):
        def forward(self, x):
            with _hide():
                xq = self.act_q(x)
                w = self._qweight()
            with _with_spec(self.vitsim_quant):
                return F.linear(xq, w, self.bias)

    class FakeQuantConv2d(_FakeQuantMixin, torch.nn.Conv2d):
        def forward(self, x):
            with _hide():
                xq = self.act_q(x)
                w = self._qweight()
            with _with_spec(self.vitsim_quant):
                return self._conv_forward(xq, w, self.bias)

    class OpQuantMode(TorchDispatchMode):
        """Quantizes the GEMM ops that are not fake-quant modules, picked by their order in the forward:
        matmuls (``MATMUL_ATEN``; activation x activation: both operands by calibrated per-tensor ranges, the
        second with ``w_bits``) and linear/conv calls written inline with a module's weight
        (``F.linear(x, self.qkv.weight, bias)``: input as an activation, weight as a weight)."""

        def __init__(self, matmul_specs: dict, bare_specs: dict, method: str, percentile: float):
            super().__init__()
            self.specs = {("mm", i): s for i, s in matmul_specs.items()}
            self.specs.update({("bare", i): s for i, s in bare_specs.items()})
            self.quant = {}
            for key, s in self.specs.items():
                second = ("tensor" if s.w_granularity == "channel" else s.w_granularity) if key[0] == "mm" else None
                self.quant[key] = (ActQuantizer(s.a_bits, s.a_granularity, s.dtype, method, percentile,
                                                1 if key[0] == "bare" and s.a_granularity == "channel" else -1),
                                   ActQuantizer(s.w_bits, second, s.dtype, method, percentile) if second else None)
            self.count = {"mm": 0, "bare": 0}

        def reset(self) -> None:
            self.count = {"mm": 0, "bare": 0}

        def set_calibrating(self, on: bool) -> None:
            for qa, qb in self.quant.values():
                qa.calibrating = on
                if qb is not None:
                    qb.calibrating = on

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            name = func._schema.name.split("::")[-1]
            kind = "mm" if name in MATMUL_ATEN else "bare" if name in BARE_GEMM_ATEN else None
            if kind is None or hidden() or (kind == "bare" and current_spec() is not None):
                return func(*args, **kwargs)
            key = (kind, self.count[kind])
            self.count[kind] += 1
            if key not in self.quant:
                return func(*args, **kwargs)
            qa, qb = self.quant[key]
            spec = self.specs[key]
            args = list(args)
            with _hide():
                if kind == "mm":
                    j = 1 if name == "baddbmm" else 0
                    args[j], args[j + 1] = qa(args[j]), qb(args[j + 1])
                else:
                    if name == "conv2d":
                        qa.channel_dim = 1
                    args[0] = qa(args[0])
                    args[1] = quantize_weight(args[1], spec.w_bits, spec.w_granularity, spec.dtype)
            with _with_spec(spec.as_dict()):
                return func(*args, **kwargs)

    _CLASSES.update(linear=FakeQuantLinear, conv2d=FakeQuantConv2d, op_mode=OpQuantMode)
    return _CLASSES


def quantize_model(model, workload, events, method: str = "minmax", percentile: float = 99.99):
    """Fake-quantize ``model`` in place following ``workload`` (a recipe applied to its FP32 trace ``events``).

    Linear/Conv2d modules named by GEMM layers become fake-quant modules; matmuls and inline ``F.linear`` calls are
    quantized by a dispatch mode entered around every forward of ``model``. Returns that mode."""
    import torch

    if method not in CALIBRATIONS:
        raise WorkloadError("--calibration", "calibration", f"unknown method {method!r}", ", ".join(CALIBRATIONS))
    if not 50.0 < percentile <= 100.0:
        raise WorkloadError("--percentile", "percentile", f"{percentile} is out of range", "50 < p <= 100")
    cls = _classes()
    modules = dict(model.named_modules())
    matmul_specs: dict[int, QuantSpec] = {}
    bare_specs: dict[int, QuantSpec] = {}
    ordinal = bare = 0
    swapped: set[str] = set()
    for ev, layer in zip(events, workload.layers):
        if ev.aten in MATMUL_ATEN:
            if layer.op in ("matmul", "gemm"):
                matmul_specs[ordinal] = QuantSpec.of(layer)
            ordinal += 1
            continue
        if layer.op not in ("gemm", "conv"):
            continue
        mod = modules.get(ev.path)
        if ev.leaf and isinstance(mod, torch.nn.Linear) and ev.aten == "linear":
            if ev.path not in swapped:
                mod.__class__ = cls["linear"]
                mod._setup(QuantSpec.of(layer), method, percentile, -1)
                swapped.add(ev.path)
        elif ev.leaf and isinstance(mod, torch.nn.Conv2d) and ev.aten == "conv2d":
            if ev.path not in swapped:
                mod.__class__ = cls["conv2d"]
                mod._setup(QuantSpec.of(layer), method, percentile, 1)
                swapped.add(ev.path)
        elif ev.aten in BARE_GEMM_ATEN:
            bare_specs[bare] = QuantSpec.of(layer)
            bare += 1
        else:
            raise WorkloadError(workload.model, f"layers[{layer.name}]",
                                f"cannot fake-quantize op aten.{ev.aten} in {type(mod).__name__}")
    mode = cls["op_mode"](matmul_specs, bare_specs, method, percentile)

    def enter(module, args):
        mode.reset()
        mode.__enter__()

    def leave(module, args, out):
        mode.__exit__(None, None, None)

    model.register_forward_pre_hook(enter)
    model.register_forward_hook(leave, always_call=True)
    model.vitsim_op_mode = mode
    return mode


def set_calibrating(model, on: bool) -> None:
    """Switch every fake-quant observer of ``model`` between calibrating (observe, pass through) and quantizing."""
    cls = _classes()
    for mod in model.modules():
        if isinstance(mod, (cls["linear"], cls["conv2d"])):
            mod.act_q.calibrating = on
    mode = getattr(model, "vitsim_op_mode", None)
    if mode is not None:
        mode.set_calibrating(on)


def calibrate(model, batches) -> None:
    """Run the calibration images through ``model`` with observers on, then freeze the ranges."""
    import torch

    set_calibrating(model, True)
    try:
        with torch.inference_mode():
            for x in batches:
                model(x)
    finally:
        set_calibrating(model, False)


def synthetic_images(batch: int, chans: int, height: int, width: int, seed: int):
    """Seeded stand-in images, already normalised: a smooth random field (bilinear upsampling of an 8x8 grid)
    plus pixel noise, about zero mean and unit variance per channel. Numerics only, never accuracy."""
    import torch

    g = torch.Generator().manual_seed(seed)
    coarse = torch.randn(batch, chans, 8, 8, generator=g)
    smooth = torch.nn.functional.interpolate(coarse, size=(height, width), mode="bilinear", align_corners=False)
    return (0.9 * smooth / smooth.std() + 0.45 * torch.randn(batch, chans, height, width, generator=g))


def sqnr_db(ref, test) -> float | None:
    """10 log10(sum(ref^2) / sum((ref - test)^2)) in dB; None when the two are identical (no error to measure)."""
    import math

    ref = ref.detach().double()
    err = (ref - test.detach().double()).pow(2).sum().item()
    sig = ref.pow(2).sum().item()
    if err == 0.0:
        return None
    if sig == 0.0:
        return -math.inf
    return 10.0 * math.log10(sig / err)


def trace_quantized(name: str, recipe: str, *, img_size: int | None = None, batch: int = 1,
                    calibration: str = "minmax", percentile: float = 99.99, calib_batches: int = 4,
                    seed: int = 0):
    """Trace timm ``name``, fake-quantize it by ``recipe``, calibrate, and return the quantized model's workload
    with each layer's SQNR (dB) against the FP32 model on the same synthetic images."""
    import torch

    from workloads.quantize import load_recipe
    from workloads.trace import create_model, model_input_size, trace_module, with_sqnr

    rec = load_recipe(recipe)
    if calib_batches < 1:
        raise WorkloadError("--calib-batches", "calib_batches", f"{calib_batches} is below 1", "integers >= 1")
    torch.manual_seed(seed)
    model = create_model(name, img_size, device="cpu")
    c, h, w = model_input_size(model, img_size)
    images = synthetic_images(batch, c, h, w, seed)
    ref: list = []
    fp, events = trace_module(model, images, model_name=name, img_size=h,
                              on_output=lambda i, t: ref.append(t.detach().clone()))
    planned = rec.apply(fp)
    quantize_model(model, planned, events, calibration, percentile)
    calibrate(model, [synthetic_images(batch, c, h, w, seed + 1 + i) for i in range(calib_batches)])
    sq: dict[int, float | None] = {}
    traced, _ = trace_module(model, images, model_name=name, img_size=h,
                             on_output=lambda i, t: sq.__setitem__(i, sqnr_db(ref[i], t) if i < len(ref) else None))
    if [x.name for x in traced.layers] != [x.name for x in fp.layers]:
        raise RuntimeError(f"{name}: the fake-quantized model traced to different layers than the FP32 model")
    for got, want in zip(traced.layers, planned.layers):  # bits read back from the quantized model
        if got.is_gemm and (got.w_bits, got.a_bits) != (want.w_bits, want.a_bits):
            raise RuntimeError(f"{name}: layer {got.name} traced as {got.precision}, recipe says {want.precision}")
    final = rec.apply(traced)
    final = with_sqnr(final, {x.name: sq[i] for i, x in enumerate(final.layers) if sq.get(i) is not None})
    meta = dict(final.meta)
    meta["fakequant"] = {"calibration": calibration, "percentile": percentile if calibration == "percentile" else None,
                         "calib_batches": calib_batches, "batch": batch, "images": "synthetic (seeded smooth noise)",
                         "weights": "timm random init (pretrained=False)", "seed": seed,
                         "sqnr": "dB of each layer's output vs the FP32 model on the same images"}
    from dataclasses import replace

    return replace(final, meta=meta)
