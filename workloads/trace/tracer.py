"""Trace a real torch/timm model into a vitsim ``Workload``: one ``Layer`` per arithmetic op, in execution order.

How: one forward pass under ``torch.inference_mode`` with a ``TorchDispatchMode`` that sees every aten op, while
global module hooks keep the stack of running modules, so each op gets its module path (``blocks.3.attn.qkv``).
By default the model is built and run on the ``meta`` device: only shapes are computed, nothing is allocated and no
weights are initialised or downloaded (``pretrained=False``). ``torch`` and ``timm`` are imported inside functions.

Op -> Layer (GEMM view: ifmap M x K, filter K x N, ``repeat`` copies; vector ops: m rows of n elements):
- linear (``linear``/``addmm``/``mm``, dynamic-quantized linear): gemm, M = input elements / K, K = in features,
  N = out features.
- conv: conv, M = batch * output pixels, N = out channels / groups, K = kh * kw * in channels / groups,
  repeat = groups (a depthwise conv is ``groups`` GEMMs with N = 1); a 2-D conv with one stride and padding for
  both axes and dilation 1 also carries its geometry (``conv_*``: workloads/conv.py).
- matmul/bmm with two activations: matmul (``weight_operand`` False), repeat = product of the broadcast batch dims;
  with a parameter as second operand: gemm. ``scaled_dot_product_attention`` (if a model calls it directly) becomes
  its parts: ``qk`` matmul, ``softmax`` and ``av`` matmul.
- softmax, layernorm (also rms_norm/group_norm), gelu, add, mul: vector ops on the output, n = reduced / last dim.
- any other arithmetic op (relu, hardswish, silu, sigmoid, sub, div, neg, batch_norm, mean, pooling, ...):
  ``elementwise`` named ``<module>.<aten op>``; reductions and pooling count their input elements. Ops the tracer does
  not know at all are kept the same way with a warning (never dropped).
- pure data movement with no arithmetic (view, reshape, permute, cat, index/gather, roll, pad, dropout in eval ...):
  how many of each were seen is recorded in ``Workload.meta["layout_ops"]``; with ``layout=True`` (the default of
  ``trace_module``) each one that materialises a new tensor from an activation (its output shares no storage with
  its inputs: ``contiguous``, ``reshape`` of a non-viewable tensor, ``roll``, ``pad``, ``cat``, ``index`` ...) is a
  ``layout`` layer of ``elements`` = its output elements (m = elements, n = 1) named ``<module>.<aten op>``, and so is
  the copy PyTorch's kernel makes of a strided input (``<module>.copy_in``: a linear/matmul input that cannot be
  viewed as a 2-D/3-D matrix, a softmax/LayerNorm input that is not contiguous). workloads/layout.py says who costs
  them (zero on accelerators). Their outputs keep their source's provenance, so no other layer's name changes.
- ``Workload.meta["sdpa_modules"]`` (``trace``): the attention modules that call ``scaled_dot_product_attention`` in
  the model as built with timm's defaults (``workloads.trace.models.create_model``); the tracer itself runs every
  attention unfused to see its ops.

Layers are named by ``workloads.trace.naming``; bit widths come from ``workloads.trace.bits``.
"""

from __future__ import annotations

import warnings

from workloads import op_context
from workloads.errors import WorkloadError
from workloads.model import Workload
from workloads.trace.bits import QDQ_OPS, layer_bits, module_bits, qdq_bits, qdq_gemm_bits, require_torch
from workloads.trace.naming import events_to_layers
from workloads.trace.ops import ELEMENTWISE_ATEN, LAYOUT_ATEN, REDUCTION_ATEN, VECTOR_ATEN, Event


def _aten_name(func) -> str:
    """``aten.add.Tensor`` -> ``add``; ``quantized.linear_dynamic.default`` -> ``linear_dynamic``."""
    return func._schema.name.split("::")[-1] if hasattr(func, "_schema") else str(func).split(".")[-2]


def _prod(xs) -> int:
    p = 1
    for x in xs:
        p *= int(x)
    return p


def _make_tracer_class():
    """The tracer: a ``TorchDispatchMode`` plus a module stack, collecting ``Event``s (built lazily: torch)."""
    torch = require_torch()
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_flatten

    class Tracer(TorchDispatchMode):
        def __init__(self, model, on_output=None, layout=True):
            super().__init__()
            self.record_layout = layout
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
            self.qinfo: dict[int, tuple] = {}    # dequantized tensor -> (weakref, qdq_bits): pt2e programs
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
            if name in QDQ_OPS:
                return self._qdq(func, name, args, kwargs, srcs, outs, out)
            hidden = op_context.hidden()  # bookkeeping (fake-quant arithmetic): not a layer, but keeps provenance
            if hidden or name in LAYOUT_ATEN or not outs:
                if not hidden:
                    self.layout[name] = self.layout.get(name, 0) + 1
                act = [s for s in srcs if s[0] != "param"]
                s = act[0] if act else (srcs[0] if srcs else ("in",))
                if not hidden and act and outs and self.record_layout and _is_copy(name, outs[0], tins):
                    a = tins[[x[0] != "param" for x in srcs].index(True)]
                    self._record([self._copy_event(name, a, outs[0], s)], [outs[0]])
                for o in outs:
                    self._tag(o, s)   # a copy keeps its source's provenance (the names of other layers stay)
                return out
            evs = self._events(name, args, kwargs, tins, srcs, outs[0], flat_in)
            copies = self._copies_in(name, args, kwargs, tins, srcs) if self.record_layout else []
            self._record([c for c, _ in copies] + evs, [t for _, t in copies] + [outs[0]] * len(evs))
            for o in outs:
                self._tag(o, ("ev", evs[-1].index))
            return out

        def _qdq(self, func, name, args, kwargs, srcs, outs, out):
            """A pt2e (de)quantize op: no layer; its output keeps its input's provenance; a dequantized tensor
            remembers its bits for the GEMM that reads it, a quantized event output sets that event's out_bits."""
            import weakref

            s = srcs[0] if srcs else ("in",)
            info = qdq_bits(func, args, kwargs)
            for o in outs:
                self._tag(o, s)
            if name.startswith("dequantize") and outs:
                self.qinfo[id(outs[0])] = (weakref.ref(outs[0]), info)
            elif s[0] == "ev" and s[1] < len(self.events):
                self.events[s[1]].bits["out_bits"] = info["bits"]
            return out

        def _qdq_spec(self, tins, srcs) -> dict:
            """Bit fields of a GEMM from the dequantize ops that produced its operands (``bits.qdq_gemm_bits``)."""
            hits = [(self.qinfo.get(id(t)), t, s) for t, s in zip(tins[:3], srcs[:3])]
            return qdq_gemm_bits([(h[1], s[0] == "param") for h, t, s in hits if h is not None and h[0]() is t])

        def _record(self, evs, tensors):
            for ev in evs:
                ev.index = len(self.events)
                ev.srcs = tuple(("ev", ev.index + s[1]) if s and s[0] == "rel" else s for s in ev.srcs)
                self.events.append(ev)
            if self.on_output is not None:   # one call per layer (layout copies too: indices stay aligned)
                for ev, t in zip(evs, tensors):
                    if ev.op == "layout" or ev is evs[-1]:
                        self.on_output(ev.index, t)

        def _copy_event(self, label, a, out, src) -> Event:
            top = self.stack[-1] if self.stack else None
            bits = layer_bits(None, a, None, out)
            return Event(0, self.path, self.leaf.get(top, False), "layout", label, int(out.numel()), 1, 0, 1, True,
                         (src,), False, bits, label, False)

        def _copies_in(self, name, args, kwargs, tins, srcs) -> list:
            """(event, tensor) for each strided activation input PyTorch's kernel copies first (module docstring)."""
            out = []
            for t, s in zip(tins[:2], srcs[:2]):
                if s[0] == "param" or t.dim() < 2:
                    continue
                p = _batch2(t)
                if name in ("linear", "matmul", "bmm") and t.dim() > 2:
                    if _viewable(p, (-1, t.shape[-1]) if name == "linear" else (-1, t.shape[-2], t.shape[-1])):
                        continue
                elif not (name in VECTOR_ATEN and VECTOR_ATEN[name] in ("softmax", "layernorm")
                          and not p.is_contiguous()):
                    continue
                out.append((self._copy_event("copy_in", t, t, s), t))
                if name not in ("matmul", "bmm"):
                    break
            return out

        def _events(self, name, args, kwargs, tins, srcs, out, flat_in) -> list[Event]:
            top = self.stack[-1] if self.stack else None
            path, leaf = self.path, self.leaf.get(top, False)
            module = self.modules.get(top)
            spec = op_context.declared_bits() or (module_bits(module) if module is not None else None)
            a = tins[0] if tins else out
            bits = layer_bits(spec, a, tins[1] if len(tins) > 1 else None, out)
            if not spec and self.qinfo and (name in ("linear", "addmm", "mm", "matmul", "bmm")
                                             or name.startswith("conv") or name in ("convolution", "_convolution")):
                bits.update(self._qdq_spec(tins, srcs))

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
                e = ev("conv", "conv", mm, cout, kk) if groups == 1 else \
                    ev("conv", "conv", mm, cout // groups, kk, repeat=groups)
                e.conv = _conv_geometry(name, args, kwargs, x, w, groups)
                return [e]
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


def _is_copy(name, out, tins) -> bool:
    """``out`` is a new tensor (it shares storage with none of the op's tensor inputs), or would be at batch 2: a
    ``contiguous``/``reshape``/``flatten`` that is a view only because the traced batch is 1."""
    try:
        key = out.untyped_storage()._cdata
        if all(t.untyped_storage()._cdata != key for t in tins):
            return True
    except (RuntimeError, NotImplementedError):   # a tensor without storage (sparse, nested): not a plain copy
        return False
    a = tins[0]
    if name not in ("contiguous", "reshape", "flatten") or a.dim() < 2 or a.shape[0] != 1 or out.shape[0] != 1:
        return False
    p = _batch2(a)
    return not p.is_contiguous() if name == "contiguous" else not _viewable(p, (2, *out.shape[1:]))


def _batch2(t):
    """``t`` with its leading size-1 (batch) dimension at 2, same strides (meta): a traced batch of 1 lets PyTorch
    view tensors it must copy at a larger batch (a size-1 dimension can be merged with anything)."""
    import torch

    if t.dim() < 2 or t.shape[0] != 1:
        return t
    return torch.empty_strided((2, *t.shape[1:]), t.stride(), dtype=t.dtype, device="meta")


def _viewable(t, shape) -> bool:
    try:
        t.view(shape)
        return True
    except RuntimeError:
        return False


def _conv_groups(name, args, kwargs) -> int:
    if "groups" in kwargs:
        return int(kwargs["groups"])
    pos = {"conv1d": 6, "conv2d": 6, "conv3d": 6, "convolution": 8, "_convolution": 8}.get(name)
    return int(args[pos]) if pos is not None and len(args) > pos else 1


def _conv_geometry(name, args, kwargs, x, w, groups) -> dict:
    """The ``conv_*`` fields (workloads/conv.py) of a 2-D convolution with one stride and one padding for both axes,
    dilation 1, not transposed; else {} (the layer keeps its GEMM only)."""
    from workloads.conv import geometry

    if x.dim() != 4 or w.dim() != 4:
        return {}
    pos = {"stride": 3, "padding": 4, "dilation": 5, "transposed": 6 if name in ("convolution", "_convolution") else None}

    def arg(key, default):
        if key in kwargs:
            return kwargs[key]
        i = pos[key]
        return args[i] if i is not None and len(args) > i else default

    def pair(v):
        return tuple(int(a) for a in v) if isinstance(v, (list, tuple)) else (int(v), int(v))

    stride, padding, dilation = arg("stride", 1), arg("padding", 0), arg("dilation", 1)
    if arg("transposed", False) or isinstance(padding, str):   # conv2d.padding's 'same' / 'valid'
        return {}
    s, p, d = pair(stride), pair(padding), pair(dilation)
    if s[0] != s[1] or p[0] != p[1] or len(s) != 2 or d != (1, 1):
        return {}
    return geometry(int(x.shape[2]), int(x.shape[3]), int(x.shape[1]), int(w.shape[2]), int(w.shape[3]), s[0], p[0],
                    groups)


def _norm_shape(name, args, a):
    if name in ("layer_norm", "native_layer_norm", "rms_norm", "_fused_rms_norm"):
        return list(args[1]) if len(args) > 1 else [a.shape[-1]]
    if name in ("group_norm", "native_group_norm"):  # C/groups * H * W per group
        g = args[1] if name == "group_norm" else args[6]
        return [a.numel() // a.shape[0] // int(g)]
    return None


# entry points -------------------------------------------------------------------------------------------------------
def run_events(model, inputs, on_output=None, layout: bool = True):
    """Run ``model(inputs)`` once under the tracer; return (events, layout op counts, unknown op counts).

    ``on_output(event_index, tensor)`` is called with each layer's output (used for SQNR); ``layout``: record the
    copies as ``layout`` events (module docstring)."""
    torch = require_torch()
    _clear_caches(model)
    tracer = _make_tracer_class()(model, on_output=on_output, layout=layout)
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
                 on_output=None, layout: bool = True) -> tuple[Workload, list]:
    """Trace any ``nn.Module`` on ``inputs`` (a tensor, batch first). Returns (workload, events); ``layout``: copies
    are ``layout`` layers (module docstring)."""
    events, layout, unknown = run_events(model, inputs, on_output=on_output, layout=layout)
    if not events:
        raise WorkloadError(model_name, "trace", "the forward pass ran no arithmetic op")
    layers = events_to_layers(events)
    img = img_size or int(inputs.shape[-1])
    meta = {"layout_ops": dict(sorted(layout.items()))}
    sdpa = getattr(model, "vitsim_sdpa_modules", None)     # set by workloads.trace.models.create_model
    if sdpa is not None:
        meta["sdpa_modules"] = list(sdpa)
    if unknown:
        meta["unknown_ops"] = dict(sorted(unknown.items()))
    w = Workload(model=model_name, layers=tuple(layers), img_size=img, batch=int(inputs.shape[0]),
                 recipe="none", source="trace", meta=meta)
    return w, events
