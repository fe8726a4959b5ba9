"""Trace a real torch/timm model into a vitsim ``Workload``: one ``Layer`` per arithmetic op, in execution order.

How: one forward pass under ``torch.inference_mode`` with a ``TorchDispatchMode`` that sees every aten op, while
global module hooks keep the stack of running modules, so each op gets its module path (``blocks.3.attn.qkv``).
By default the model is built and run on the ``meta`` device: only shapes are computed, nothing is allocated and no
weights are initialised or downloaded (``pretrained=False``). ``torch`` and ``timm`` are imported inside functions.

Op -> Layer (GEMM view: ifmap M x K, filter K x N, ``repeat`` copies; vector ops: m rows of n elements):
- linear (``linear``/``addmm``/``mm``, dynamic-quantized linear): gemm, M = input elements / K, K = in features,
  N = out features.
- conv: conv, M = batch * output pixels, N = out channels / groups, K = kh * kw * in channels / groups,
  repeat = groups (a depthwise conv is ``groups`` GEMMs with N = 1).
- matmul/bmm with two activations: matmul (``weight_operand`` False), repeat = product of the broadcast batch dims;
  with a parameter as second operand: gemm. ``scaled_dot_product_attention`` (if a model calls it directly) becomes
  its parts: ``qk`` matmul, ``softmax`` and ``av`` matmul.
- softmax, layernorm (also rms_norm/group_norm), gelu, add, mul: vector ops on the output, n = reduced / last dim.
- any other arithmetic op (relu, hardswish, silu, sigmoid, sub, div, neg, batch_norm, mean, pooling, ...):
  ``elementwise`` named ``<module>.<aten op>``; reductions and pooling count their input elements. Ops the tracer does
  not know at all are kept the same way with a warning (never dropped).
- pure data movement with no arithmetic (view, reshape, permute, cat, index/gather, roll, pad, dropout in eval ...)
  is not a layer; how many of each were seen is recorded in ``Workload.meta["layout_ops"]``.

Names: a leaf module that runs one op is named by its path (``blocks.0.mlp.fc1``); ops written inline in a module's
forward are ``<path>.<label>``: ``qk`` (activation matmul feeding a softmax), ``av`` (matmul reading a softmax),
``q_scale`` (scalar multiply feeding a ``qk``), ``residual`` (activation + output of a child module), the name of the
parameter or buffer an op adds or multiplies (``pos_embed``, ``attention_biases`` ...), else the op. Repeated names
in one module are numbered from 1 (``blocks.0.residual1``, ``blocks.0.residual2``). For ViT/DeiT this reproduces
the names, shapes and MACs of ``workloads.vit`` exactly.

Bit widths come from the model: fake-quant modules (``workloads.fakequant``) and ``torch.ao`` dynamic-quantized
linears report their own bits; other ops get the bits of their tensors' dtypes (fp32 -> dtype fp, 32 bits).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

from workloads.errors import WorkloadError, require_int
from workloads.model import Layer, Workload

GEMM_ATEN = {"linear", "addmm", "mm", "matmul", "bmm", "baddbmm", "conv1d", "conv2d", "conv3d", "convolution",
             "_convolution", "linear_dynamic", "linear_dynamic_fp16", "scaled_dot_product_attention"}
# aten op -> vitsim vector op
VECTOR_ATEN = {"softmax": "softmax", "_softmax": "softmax", "log_softmax": "softmax", "_log_softmax": "softmax",
               "layer_norm": "layernorm", "native_layer_norm": "layernorm", "rms_norm": "layernorm",
               "_fused_rms_norm": "layernorm", "group_norm": "layernorm", "native_group_norm": "layernorm",
               "gelu": "gelu", "gelu_": "gelu", "add": "add", "add_": "add", "mul": "mul", "mul_": "mul"}
# arithmetic ops that become ``elementwise`` layers (known, so no warning)
ELEMENTWISE_ATEN = {"sub", "sub_", "rsub", "div", "div_", "neg", "neg_", "relu", "relu_", "hardswish", "hardswish_",
                    "hardsigmoid", "hardsigmoid_", "silu", "silu_", "sigmoid", "sigmoid_", "tanh", "tanh_", "exp",
                    "exp_", "log", "pow", "sqrt", "rsqrt", "reciprocal", "abs", "clamp", "clamp_", "clamp_min",
                    "clamp_max", "hardtanh", "hardtanh_", "leaky_relu", "elu", "mish", "erf", "sin", "cos",
                    "batch_norm", "_native_batch_norm_legit_no_training", "native_batch_norm", "addcmul",
                    "masked_fill", "where", "maximum", "minimum", "square", "mean", "sum", "amax", "max", "var",
                    "std", "var_mean", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
                    "_adaptive_avg_pool2d", "max_pool2d", "max_pool2d_with_indices", "adaptive_max_pool2d", "norm",
                    "linalg_vector_norm", "lerp", "logsumexp", "cumsum", "round", "floor", "ceil", "sign", "quantize_per_tensor",
                    "dequantize", "fake_quantize_per_tensor_affine", "fake_quantize_per_channel_affine"}
REDUCTION_ATEN = {"mean", "sum", "amax", "max", "var", "std", "var_mean", "avg_pool1d", "avg_pool2d",
                  "adaptive_avg_pool1d", "adaptive_avg_pool2d", "_adaptive_avg_pool2d", "max_pool2d",
                  "max_pool2d_with_indices", "adaptive_max_pool2d", "norm", "linalg_vector_norm", "logsumexp"}
# no arithmetic: views, copies, gathers, shape queries, eval-mode dropout, casts
LAYOUT_ATEN = {"view", "_unsafe_view", "reshape", "reshape_as", "view_as", "flatten", "unflatten", "transpose",
               "transpose_", "t", "permute", "expand", "expand_as", "unsqueeze", "unsqueeze_", "squeeze", "squeeze_",
               "select", "slice", "narrow", "split", "split_with_sizes", "chunk", "unbind", "tensor_split", "cat",
               "stack", "contiguous", "clone", "alias", "detach", "lift_fresh", "lift_fresh_copy", "copy_",
               "_to_copy", "to", "type_as", "index", "index_select", "gather", "take_along_dim", "roll", "pad",
               "constant_pad_nd", "reflection_pad2d", "replication_pad2d", "repeat", "repeat_interleave", "tile",
               "flip", "dropout", "feature_dropout", "alpha_dropout", "native_dropout", "zeros", "zeros_like",
               "ones", "ones_like", "empty", "empty_like", "full", "full_like", "new_zeros", "new_ones", "new_empty",
               "new_full", "arange", "linspace", "meshgrid", "as_strided", "sym_size", "sym_stride", "sym_numel",
               "size", "stride", "dim", "is_same_size", "item", "_local_scalar_dense", "fill_", "zero_", "movedim",
               "swapaxes", "diagonal", "unfold", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle",
               "_reshape_alias", "set_", "resize_", "_assert_tensor_metadata", "scalar_tensor", "einsum_path"}


@dataclass
class Event:
    """One arithmetic op seen during the forward pass (before naming)."""

    index: int
    path: str
    leaf: bool
    op: str
    label: str
    m: int
    n: int
    k: int = 0
    repeat: int = 1
    weight_operand: bool = True
    srcs: tuple = ()          # provenance of each tensor input: ("ev", i) / ("param", name) / ("in",) / None
    scalar: bool = False      # a Python number among the operands (``q * scale``)
    bits: dict = field(default_factory=dict)
    aten: str = ""
    native: bool = True       # op is a vitsim op proper (not mapped to elementwise)
    name: str = ""


def _torch():
    try:
        import torch
    except ImportError:  # pragma: no cover - depends on the environment
        raise WorkloadError("trace", "torch", "torch is not installed", "pip install -e '.[trace]'") from None
    return torch


def _aten_name(func) -> str:
    """``aten.add.Tensor`` -> ``add``; ``quantized.linear_dynamic.default`` -> ``linear_dynamic``."""
    return func._schema.name.split("::")[-1] if hasattr(func, "_schema") else str(func).split(".")[-2]


def _prod(xs) -> int:
    p = 1
    for x in xs:
        p *= int(x)
    return p


def dtype_bits(dtype) -> tuple[str, int]:
    """(``fp``|``int``, bits) of a torch dtype."""
    torch = _torch()
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
        torch = _torch()
        dtype, wb = dtype_bits(w.dtype)
        per_channel = w.is_quantized and w.qscheme() in (torch.per_channel_affine, torch.per_channel_symmetric)
        dynamic = ".dynamic" in mod
        return {"w_bits": wb, "a_bits": 8 if (dynamic and wb <= 8) or not dynamic else wb,
                "out_bits": 32 if dynamic else 8, "dtype": dtype if wb > 8 else "int",
                "w_granularity": "channel" if per_channel else "tensor", "a_granularity": "tensor"}
    return None


def _make_tracer_class():
    """The tracer: a ``TorchDispatchMode`` plus a module stack, collecting ``Event``s (built lazily: torch)."""
    torch = _torch()
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_flatten

    from workloads import fakequant

    class Tracer(TorchDispatchMode):
        def __init__(self, model, on_output=None):
            super().__init__()
            self.names = {id(m): p for p, m in model.named_modules()}
            # leaf: runs its op itself (no children, or a quantized module whose children only hold parameters)
            self.leaf = {id(m): not any(True for _ in m.children()) or module_bits(m) is not None
                         for m in model.modules()}
            self.modules = {id(m): m for m in model.modules()}
            self.stack: list[int] = []
            self.events: list[Event] = []
            self.layout: dict[str, int] = {}
            self.unknown: dict[str, int] = {}
            self.src: dict[int, tuple] = {}
            self.on_output = on_output
            for pname, p in list(model.named_parameters()) + list(model.named_buffers()):
                self._tag(p, ("param", pname))

        # provenance -----------------------------------------------------------------
        def _tag(self, t, s):
            import weakref

            try:
                self.src[id(t)] = (weakref.ref(t), s)
            except TypeError:
                pass

        def _srcof(self, t):
            hit = self.src.get(id(t))
            if hit is not None and hit[0]() is t:
                return hit[1]
            return ("in",)

        # module stack -----------------------------------------------------------------
        def pre(self, module, args):
            if id(module) in self.names:
                self.stack.append(id(module))

        def post(self, module, args, out):
            if self.stack and self.stack[-1] == id(module):
                self.stack.pop()

        @property
        def path(self) -> str:
            return self.names[self.stack[-1]] if self.stack else ""

        # ops -------------------------------------------------------------------------
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            name = _aten_name(func)
            flat_in = [a for a in tree_flatten((args, kwargs))[0]]
            tins = [a for a in flat_in if isinstance(a, torch.Tensor)]
            srcs = tuple(self._srcof(t) for t in tins)
            outs = [o for o in tree_flatten(out)[0] if isinstance(o, torch.Tensor)]
            hidden = fakequant.hidden()  # fake-quant arithmetic: not a layer, but keeps provenance
            if hidden or name in LAYOUT_ATEN or not outs:
                if not hidden:
                    self.layout[name] = self.layout.get(name, 0) + 1
                act = [s for s in srcs if s[0] != "param"]
                s = act[0] if act else (srcs[0] if srcs else ("in",))
                for o in outs:
                    self._tag(o, s)
                return out
            evs = self._events(name, args, kwargs, tins, srcs, outs[0], flat_in)
            for ev in evs:
                ev.index = len(self.events)
                ev.srcs = tuple(("ev", ev.index + s[1]) if s and s[0] == "rel" else s for s in ev.srcs)
                self.events.append(ev)
            for o in outs:
                self._tag(o, ("ev", evs[-1].index))
            if self.on_output is not None:
                self.on_output(evs[-1].index, outs[0])
            return out

        def _events(self, name, args, kwargs, tins, srcs, out, flat_in) -> list[Event]:
            top = self.stack[-1] if self.stack else None
            path, leaf = self.path, self.leaf.get(top, False)
            module = self.modules.get(top)
            spec = fakequant.current_spec() or (module_bits(module) if module is not None else None)
            a = tins[0] if tins else out
            bits = _bits(spec, a, tins[1] if len(tins) > 1 else None, out)

            def ev(op, label, m, n, k=0, repeat=1, wop=True, native=True, esrcs=srcs, ebits=bits):
                return Event(0, path, leaf, op, label, int(m), int(n), int(k), int(repeat), wop, esrcs,
                             any(isinstance(x, (int, float)) and not isinstance(x, bool) for x in args[1:2]),
                             ebits, name, native)

            if name in ("linear", "linear_dynamic", "linear_dynamic_fp16"):
                kdim = a.shape[-1]
                return [ev("gemm", "linear", a.numel() // kdim, out.shape[-1], kdim)]
            if name in ("addmm",):
                x, w = tins[1], tins[2]
                return [ev("gemm", "linear", x.shape[0], w.shape[1], x.shape[1], esrcs=srcs[1:])]
            if name.startswith("conv") or name in ("convolution", "_convolution"):
                x, w = tins[0], tins[1]
                groups = _conv_groups(name, args, kwargs)
                cout = w.shape[0]
                kk = _prod(w.shape[1:])
                mm = out.shape[0] * _prod(out.shape[2:])
                if groups == 1:
                    return [ev("conv", "conv", mm, cout, kk)]
                return [ev("conv", "conv", mm, cout // groups, kk, repeat=groups)]
            if name in ("matmul", "mm", "bmm", "baddbmm"):
                if name == "baddbmm":
                    tins, srcs = tins[1:], srcs[1:]
                x, y = tins[0], tins[1]
                xs = list(x.shape) if x.dim() > 1 else [1] + list(x.shape)
                ys = list(y.shape) if y.dim() > 1 else list(y.shape) + [1]
                m_, k_, n_ = xs[-2], xs[-1], ys[-1]
                wop = srcs[1][0] == "param"
                if wop and y.dim() == 2:  # activation @ parameter: a linear layer
                    return [ev("gemm", "linear", x.numel() // k_, n_, k_, esrcs=srcs)]
                rep = _prod(torch.broadcast_shapes(tuple(xs[:-2]), tuple(ys[:-2])))
                return [ev("matmul" if not wop else "gemm", "matmul", m_, n_, k_, rep, wop=wop)]
            if name == "scaled_dot_product_attention":
                q, k, v = tins[:3]
                L_, S_, E_, Ev = q.shape[-2], k.shape[-2], q.shape[-1], v.shape[-1]
                rep = _prod(q.shape[:-2])
                warnings.warn(f"{path}: scaled_dot_product_attention split into qk, softmax, av "
                              "(call timm.layers.set_fused_attn(False) to see the model's own ops)", stacklevel=2)
                return [ev("matmul", "qk", L_, S_, E_, rep, wop=False),
                        ev("softmax", "softmax", rep * L_, S_, esrcs=(("rel", -1),)),
                        ev("matmul", "av", L_, Ev, S_, rep, wop=False, esrcs=(("rel", -1), srcs[2]))]
            if name in VECTOR_ATEN:
                op = VECTOR_ATEN[name]
                if op == "layernorm":
                    nshape = _norm_shape(name, args, a)
                    n_ = _prod(nshape) if nshape else a.shape[-1]
                elif op == "softmax":
                    dim = args[1] if len(args) > 1 else kwargs.get("dim", -1)
                    n_ = out.shape[dim]
                else:
                    n_ = out.shape[-1] if out.dim() else 1
                return [ev(op, op, out.numel() // max(n_, 1), n_)]
            if name not in ELEMENTWISE_ATEN:
                self.unknown[name] = self.unknown.get(name, 0) + 1
                warnings.warn(f"{path or '<root>'}: unknown op aten.{name} kept as an elementwise layer", stacklevel=2)
            t = a if name in REDUCTION_ATEN else out
            n_ = t.shape[-1] if t.dim() else 1
            return [ev("elementwise", name.rstrip("_"), t.numel() // max(n_, 1), n_, native=False)]

    return Tracer


def _conv_groups(name, args, kwargs) -> int:
    if "groups" in kwargs:
        return int(kwargs["groups"])
    pos = {"conv1d": 6, "conv2d": 6, "conv3d": 6, "convolution": 8, "_convolution": 8}.get(name)
    return int(args[pos]) if pos is not None and len(args) > pos else 1


def _norm_shape(name, args, a):
    if name in ("layer_norm", "native_layer_norm", "rms_norm", "_fused_rms_norm"):
        return list(args[1]) if len(args) > 1 else [a.shape[-1]]
    if name in ("group_norm", "native_group_norm"):  # C/groups * H * W per group
        g = args[1] if name == "group_norm" else args[6]
        return [a.numel() // a.shape[0] // int(g)]
    return None


def _bits(spec, a, w, out) -> dict:
    """Layer bit fields from a declared spec, else from the tensors' dtypes."""
    da, ab = dtype_bits(a.dtype) if not a.is_quantized else ("int", 8)
    dw, wb = dtype_bits(w.dtype) if w is not None and not w.is_quantized else (da, ab)
    ob = dtype_bits(out.dtype)[1] if not out.is_quantized else 8
    bits = {"w_bits": wb, "a_bits": ab, "out_bits": ob, "acc_bits": 32, "dtype": "fp" if "fp" in (da, dw) else "int"}
    if spec:
        bits.update({k: v for k, v in spec.items() if k in ("w_bits", "a_bits", "out_bits", "acc_bits", "dtype",
                                                             "w_granularity", "a_granularity")})
    return bits


# naming -------------------------------------------------------------------------------------------------------------
def _producer(events, s):
    return events[s[1]] if s and s[0] == "ev" and 0 <= s[1] < len(events) else None


def _label(events: list[Event]) -> None:
    """Give inline ops their role (qk, av, q_scale, residual, parameter name)."""
    for ev in events:
        if ev.op == "softmax":  # walk back through vector ops to the matmul that feeds it
            p = _producer(events, ev.srcs[0] if ev.srcs else None)
            while p is not None and p.op not in ("matmul", "gemm", "conv") and p.srcs:
                p = _producer(events, _first_act(p.srcs))
            if p is not None and p.op == "matmul" and p.label == "matmul":
                p.label = "qk"
    for ev in events:
        if ev.op == "matmul" and ev.label == "matmul":
            p = _producer(events, ev.srcs[0] if ev.srcs else None)
            if p is not None and p.op == "softmax":
                ev.label = "av"
        if ev.op == "matmul" and ev.label == "qk":
            p = _producer(events, ev.srcs[0] if ev.srcs else None)
            if p is not None and p.op == "mul" and p.scalar and p.path == ev.path:
                p.label = "q_scale"
    child_events = {}
    for ev in events:
        if ev.op in ("gemm", "conv") and ev.label == "linear" and not ev.leaf:
            wname = _weight_param(ev)
            if wname:  # F.linear(x, self.qkv.weight, bias) written in the parent: name it after the weight's module
                ev.label = _param_label(ev.path, wname.rsplit(".", 1)[0]) if "." in wname else wname
        if ev.op in ("add", "mul") and ev.label in ("add", "mul"):
            params = [s[1] for s in ev.srcs if s and s[0] == "param"]
            if params:
                ev.label = _param_label(ev.path, params[0])
            elif ev.op == "add" and len(ev.srcs) >= 2 and not ev.leaf and _is_residual(events, ev, child_events):
                ev.label = "residual"
            elif ev.op == "mul" and ev.scalar:
                ev.label = "scale"


def _weight_param(ev) -> str | None:
    s = ev.srcs[1] if len(ev.srcs) > 1 else None
    return s[1] if s and s[0] == "param" else None


def _param_label(path: str, pname: str) -> str:
    """``blocks.0.attn`` + ``blocks.0.attn.relative_position_bias_table`` -> ``relative_position_bias_table``;
    a parameter outside ``path`` -> its last name, prefixed by its module's name unless that is a number."""
    if path and pname.startswith(path + "."):
        return pname[len(path) + 1:].replace(".", "_")
    parts = pname.split(".")
    if len(parts) > 1 and not parts[-2].isdigit():
        return f"{parts[-2]}_{parts[-1]}"
    return parts[-1]


def _is_residual(events, ev, cache) -> bool:
    """An add of two activations whose producers are separated by ops of a child module (x + f(x))."""
    idx = []
    for s in ev.srcs[:2]:
        if not s or s[0] == "param":
            return False
        idx.append(s[1] if s[0] == "ev" else -1)
    lo, hi = sorted(idx)
    prefix = ev.path + "." if ev.path else ""
    return any(e.path.startswith(prefix) and e.path != ev.path for e in events[lo + 1:hi])


def _first_act(srcs):
    for s in srcs:
        if s and s[0] != "param":
            return s
    return None


def _name(events: list[Event]) -> None:
    """Path for a leaf module's single native op, else ``path.label``; duplicates numbered from 1."""
    per_path: dict[str, int] = {}
    for ev in events:
        per_path[ev.path] = per_path.get(ev.path, 0) + 1
    for ev in events:
        own = ev.leaf and ev.native and per_path[ev.path] == 1 and ev.label not in ("q_scale",)
        ev.name = ev.path if own and ev.path else (f"{ev.path}.{ev.label}" if ev.path else ev.label)
    groups: dict[str, list[Event]] = {}
    for ev in events:
        groups.setdefault(ev.name, []).append(ev)
    for name, evs in groups.items():
        if len(evs) > 1:
            for i, ev in enumerate(evs, 1):
                ev.name = f"{name}{i}" if not name.endswith(tuple("0123456789")) else f"{name}_{i}"


def events_to_layers(events: list[Event]) -> list[Layer]:
    _label(events)
    _name(events)
    layers = []
    for ev in events:
        bits = dict(ev.bits)
        if ev.op not in ("gemm", "conv", "matmul"):
            bits.pop("w_granularity", None)
        layers.append(Layer(ev.name, ev.op, m=ev.m, n=ev.n, k=ev.k, repeat=ev.repeat,
                            weight_operand=ev.weight_operand if ev.op == "matmul" else True, **bits))
    return layers


# entry points -------------------------------------------------------------------------------------------------------
def run_events(model, inputs, on_output=None):
    """Run ``model(inputs)`` once under the tracer; return (events, layout op counts, unknown op counts).

    ``on_output(event_index, tensor)`` is called with each layer's output (used for SQNR)."""
    torch = _torch()
    _clear_caches(model)
    tracer = _make_tracer_class()(model, on_output=on_output)
    from torch.nn.modules import module as nn_module

    h1 = nn_module.register_module_forward_pre_hook(tracer.pre)
    h2 = nn_module.register_module_forward_hook(tracer.post, always_call=True)
    try:
        with torch.inference_mode(), tracer:
            model(inputs)
    finally:
        h1.remove()
        h2.remove()
    return tracer.events, tracer.layout, tracer.unknown


def _clear_caches(model) -> None:
    """Empty eval-mode tensor caches (timm's LeViT/EfficientViT ``attention_bias_cache``) so that every traced
    forward derives them from their parameters again (same ops, same names on every pass)."""
    for m in model.modules():
        for key, value in vars(m).items():
            if key.endswith("_cache") and isinstance(value, dict):
                value.clear()


def trace_module(model, inputs, *, model_name: str = "model", img_size: int | None = None,
                 on_output=None) -> tuple[Workload, list]:
    """Trace any ``nn.Module`` on ``inputs`` (a tensor, batch first). Returns (workload, events)."""
    events, layout, unknown = run_events(model, inputs, on_output=on_output)
    if not events:
        raise WorkloadError(model_name, "trace", "the forward pass ran no arithmetic op")
    layers = events_to_layers(events)
    img = img_size or int(inputs.shape[-1])
    meta = {"layout_ops": dict(sorted(layout.items()))}
    if unknown:
        meta["unknown_ops"] = dict(sorted(unknown.items()))
    w = Workload(model=model_name, layers=tuple(layers), img_size=img, batch=int(inputs.shape[0]),
                 recipe="none", source="trace", meta=meta)
    return w, events


def create_model(name: str, img_size: int | None = None, device: str = "meta"):
    """timm model ``name`` with ``pretrained=False`` and fused attention off, in eval mode, on ``device``.

    On ``meta`` nothing is allocated or initialised (shapes only); use ``cpu`` for real numerics."""
    torch = _torch()
    try:
        import timm
    except ImportError:  # pragma: no cover
        raise WorkloadError("trace", "timm", "timm is not installed", "pip install -e '.[trace]'") from None
    if name.split(".")[0] not in timm.list_models():  # "deit_base_patch16_224.fb_in1k": a pretrained tag is fine
        close = timm.list_models(f"*{name.split('.')[0]}*")[:10]
        raise WorkloadError("--model", "model", f"unknown timm model {name!r}",
                            ", ".join(close) if close else "see `python -m workloads list` or timm.list_models()")
    torch.set_num_threads(1)
    timm.layers.set_fused_attn(False)
    kw = {"pretrained": False}
    if img_size is not None:
        kw["img_size"] = require_int("--img-size", "img_size", img_size, 1)
    try:
        with torch.device(device):
            model = timm.create_model(name, **kw)
    except TypeError:
        if "img_size" not in kw:
            raise
        del kw["img_size"]  # convolutional models (EfficientViT, LeViT-conv) take any input size
        warnings.warn(f"{name} has no img_size argument: built at its default and fed {img_size}x{img_size} "
                      "images", stacklevel=2)
        with torch.device(device):
            model = timm.create_model(name, **kw)
    return model.eval()


def model_input_size(model, img_size: int | None) -> tuple[int, int, int]:
    """(C, H, W) the model expects: ``img_size`` if given, else its pretrained config."""
    cfg = getattr(model, "pretrained_cfg", None) or getattr(model, "default_cfg", {}) or {}
    c, h, w = cfg.get("input_size", (3, 224, 224))
    if img_size:
        h = w = img_size
    return c, h, w


def trace(name: str, *, img_size: int | None = None, batch: int = 1, recipe: str | None = None,
          quantize: bool = False, calibration: str = "minmax", calib_batches: int = 4) -> Workload:
    """Trace timm model ``name`` into a Workload; apply ``recipe``; with ``quantize`` also fake-quantize the torch
    model by the recipe, calibrate on synthetic images and record each layer's SQNR (dB) against FP32."""
    torch = _torch()
    torch.set_num_threads(1)
    batch = require_int("--batch", "batch", batch, 1)
    if quantize:
        if recipe is None:
            raise WorkloadError("--quantize", "recipe", "--quantize needs --recipe")
        from workloads.fakequant import trace_quantized

        return trace_quantized(name, recipe, img_size=img_size, batch=batch, calibration=calibration,
                               calib_batches=calib_batches)
    try:  # shapes only: nothing allocated, nothing initialised
        wl = _trace_on(name, img_size, batch, "meta")
    except (NotImplementedError, RuntimeError) as exc:  # a model doing data-dependent work in __init__/forward
        warnings.warn(f"{name}: tracing on the meta device failed ({exc.__class__.__name__}: {str(exc)[:120]}); "
                      "tracing on the CPU with real tensors", stacklevel=2)
        wl = _trace_on(name, img_size, batch, "cpu")
    if recipe:
        from workloads.quantize import load_recipe

        wl = load_recipe(recipe).apply(wl)
    return wl


def _trace_on(name: str, img_size: int | None, batch: int, device: str) -> Workload:
    torch = _torch()
    model = create_model(name, img_size, device=device)
    c, h, w = model_input_size(model, img_size)
    x = torch.zeros(batch, c, h, w, device=device)
    return trace_module(model, x, model_name=name, img_size=h)[0]


def with_sqnr(workload: Workload, sqnr: dict[str, float]) -> Workload:
    """Copy of ``workload`` with ``sqnr_db`` set on the named layers."""
    return replace(workload, layers=tuple(replace(x, sqnr_db=round(sqnr[x.name], 3)) if x.name in sqnr else x
                                          for x in workload.layers))
