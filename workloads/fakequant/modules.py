"""Fake-quant modules and the dispatch mode for GEMMs that are not modules (built lazily: they subclass torch classes).

- ``nn.Linear`` / ``nn.Conv2d`` become ``FakeQuantLinear`` / ``FakeQuantConv2d`` in place (same module path, same
  parameters; their ``vitsim_quant`` attribute states the bits): quantized weight, quantized input.
- activation x activation matmuls (q@k^T, attn@v) and ``F.linear``/``conv2d`` written inline with a module's weight
  are quantized by ``OpQuantMode``, a dispatch mode entered around the model's forward, picked by their order.
Quantizer arithmetic runs inside ``op_context.hiding()`` and each quantized GEMM inside
``op_context.declaring(bits)``, so that a tracer watching the dispatch sees the layers and their bits, not the
bookkeeping.
"""

from __future__ import annotations

from workloads import op_context
from workloads.errors import WorkloadError
from workloads.fakequant.observers import ActQuantizer
from workloads.fakequant.quantizers import QuantSpec, block_format_of, quantize_weight
from workloads.quant_fields import CALIBRATION_METHODS

CALIBRATIONS = CALIBRATION_METHODS
MATMUL_ATEN = ("matmul", "mm", "bmm", "baddbmm")
BARE_GEMM_ATEN = ("linear", "conv2d")  # written inline with a weight, outside a fake-quant module


_CLASSES: dict = {}


def act_quantizer(spec: QuantSpec, method: str, percentile: float, channel_dim: int) -> ActQuantizer:
    """The input-activation quantizer of a layer (its own calibration method, else ``method``)."""
    return ActQuantizer(spec.a_bits, spec.a_granularity, spec.dtype, spec.calibration or method, percentile,
                        channel_dim, spec.a_quantizer, spec.a_zero_point, spec.scale_pow2, spec.outlier_channels,
                        spec.outlier_bits, _block(spec.a_block_format, spec.a_scale_bits, spec.dtype, spec.a_bits,
                                                  spec.a_granularity))


def weight_quantized(w, spec: QuantSpec, method: str):
    """A layer's fake-quantized weight."""
    return quantize_weight(w, spec.w_bits, spec.w_granularity, spec.dtype, spec.w_quantizer, spec.w_zero_point,
                           spec.scale_pow2, method, _block(spec.w_block_format, spec.w_scale_bits, spec.dtype,
                                                           spec.w_bits, spec.w_granularity))


def _block(name: str, scale_bits: int, dtype: str, bits: int, granularity: str) -> str:
    """The block format an operand is quantized in ("" for none): its name, else the one its fields imply (a
    group granularity with a stored scale width: workloads.fakequant.quantizers.block_format_of)."""
    if name or not (scale_bits and granularity.startswith("group:")):
        return name
    return block_format_of("", dtype, bits, int(granularity[6:]))


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
            self.act_q = act_quantizer(spec, method, percentile, channel_dim)
            self._method = spec.calibration or method
            self._wq = None

        def _qweight(self):
            if self._wq is None:
                with op_context.hiding():
                    self._wq = weight_quantized(self.weight.detach(), self.spec, self._method)
            return self._wq

    class FakeQuantLinear(_FakeQuantMixin, torch.nn.Linear):
        def forward(self, x):
            with op_context.hiding():
                xq = self.act_q(x)
                w = self._qweight()
            with op_context.declaring(self.vitsim_quant):
                return F.linear(xq, w, self.bias)

    class FakeQuantConv2d(_FakeQuantMixin, torch.nn.Conv2d):
        def forward(self, x):
            with op_context.hiding():
                xq = self.act_q(x)
                w = self._qweight()
            with op_context.declaring(self.vitsim_quant):
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
                self.quant[key] = (act_quantizer(s, method, percentile,
                                                 1 if key[0] == "bare" and s.a_granularity == "channel" else -1),
                                   ActQuantizer(s.w_bits, second, s.dtype, s.calibration or method, percentile,
                                                zero_point=s.w_zero_point or None, use_pow2=s.scale_pow2)
                                   if second else None)
            self.method = method
            self.count = {"mm": 0, "bare": 0}

        def reset(self) -> None:
            self.count = {"mm": 0, "bare": 0}

        def set_calibrating(self, on: bool) -> None:
            for qa, qb in self.quant.values():
                for q in (qa, qb):
                    if q is not None:
                        q.calibrating = on
                        if on:
                            q.params = None

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            name = func._schema.name.split("::")[-1]
            kind = "mm" if name in MATMUL_ATEN else "bare" if name in BARE_GEMM_ATEN else None
            if kind is None or op_context.hidden() or (kind == "bare" and op_context.declared_bits() is not None):
                return func(*args, **kwargs)
            key = (kind, self.count[kind])
            self.count[kind] += 1
            if key not in self.quant:
                return func(*args, **kwargs)
            qa, qb = self.quant[key]
            spec = self.specs[key]
            args = list(args)
            with op_context.hiding():
                if kind == "mm":
                    j = 1 if name == "baddbmm" else 0
                    args[j], args[j + 1] = qa(args[j]), qb(args[j + 1])
                else:
                    if name == "conv2d":
                        qa.channel_dim = 1
                    args[0] = qa(args[0])
                    args[1] = weight_quantized(args[1], spec, spec.calibration or self.method)
            with op_context.declaring(spec.as_dict()):
                return func(*args, **kwargs)

    _CLASSES.update(linear=FakeQuantLinear, conv2d=FakeQuantConv2d, op_mode=OpQuantMode)
    return _CLASSES


def quantize_model(model, workload, events, method: str = "minmax", percentile: float = 99.99):
    """Fake-quantize ``model`` in place following ``workload`` (a recipe applied to its FP32 trace ``events``:
    the traced ops in order, anything with ``aten``, ``path`` and ``leaf``, as ``workloads.trace`` makes them).

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
            if on:
                mod.act_q.params = None
    mode = getattr(model, "vitsim_op_mode", None)
    if mode is not None:
        mode.set_calibrating(on)
