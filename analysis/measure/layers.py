"""Layer timing of a real forward pass: every aten op timed under a ``TorchDispatchMode``, attributed to layers.

Module hooks give each op its module path. Ops inside a leaf module that is a workload layer
(``blocks.0.mlp.fc1``) are that layer's time (bias adds and views included); arithmetic ops written inline
(``q * scale``, ``q @ k^T``, softmax, ``attn @ v``, residual and position adds) go, in order, to the next layer of
the same kind named under the running module; data movement between them (transposes, copies) is charged to the
next arithmetic op.
"""

from __future__ import annotations

import time

from analysis.measure.timing import require_torch

ATEN_KIND = {"mm": "gemm", "addmm": "gemm", "linear": "gemm", "bmm": "matmul", "baddbmm": "matmul",
             "matmul": "matmul", "convolution": "conv", "_convolution": "conv", "conv2d": "conv",
             "_softmax": "softmax", "softmax": "softmax", "native_layer_norm": "layernorm", "layer_norm": "layernorm",
             "gelu": "gelu", "add": "add", "add_": "add", "mul": "mul", "mul_": "mul"}
COMPATIBLE = {"gemm": ("gemm", "matmul"), "matmul": ("matmul", "gemm"), "conv": ("conv",)}


def _timing_mode_class():
    torch = require_torch()
    from torch.utils._python_dispatch import TorchDispatchMode

    class TimingMode(TorchDispatchMode):
        """Times every aten op; ``stack`` is the running module path (set by module hooks)."""

        def __init__(self):
            super().__init__()
            self.stack: list[str] = [""]
            self.events: list[tuple[str, str, float]] = []

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            t = time.perf_counter()
            out = func(*args, **(kwargs or {}))
            dt = time.perf_counter() - t
            self.events.append((self.stack[-1], func.overloadpacket.__name__, dt))
            return out

    del torch
    return TimingMode


def time_forward(model, x, names: dict, repeats: int = 5) -> list[list[tuple[str, str, float]]]:
    """Events (module path, aten op, seconds) of ``repeats`` forward passes of ``model(x)`` (after a warm-up)."""
    torch = require_torch()
    from torch.nn.modules import module as nn_module

    mode = _timing_mode_class()()

    def pre(mod, _inp):
        mode.stack.append(names.get(id(mod), mode.stack[-1]))

    def post(mod, _inp, _out):
        mode.stack.pop()

    runs = []
    h1 = nn_module.register_module_forward_pre_hook(pre)
    h2 = nn_module.register_module_forward_hook(post, always_call=True)
    try:
        with torch.inference_mode():
            model(x)
            for _ in range(repeats):
                mode.events = []
                with mode:
                    model(x)
                runs.append(mode.events)
    finally:
        h1.remove()
        h2.remove()
    return runs


def attribute(events, layers, modules: set[str] = frozenset()) -> tuple[dict[str, float], float]:
    """Seconds per workload layer from one pass's events (rules in the module docstring), and the unmatched rest.

    ``modules`` = the model's module paths: a layer named like a module is timed as that module, any other layer
    is an inline op of its parent module (``blocks.0.attn.qk`` inside ``blocks.0.attn``)."""
    times = {la.name: 0.0 for la in layers}
    inline = [la for la in layers if la.name not in modules]
    used: set[str] = set()
    pending = other = 0.0
    for path, op, dt in events:
        if path in times and path in modules:      # inside a leaf module that is a layer
            times[path] += dt + pending
            pending = 0.0
            continue
        kind = ATEN_KIND.get(op)
        if kind is None:                           # data movement: charged to the next arithmetic op
            pending += dt
            continue
        prefix = path + "." if path else ""
        target = next((la.name for la in inline if la.name not in used and la.name.startswith(prefix)
                       and "." not in la.name[len(prefix):] and la.op in COMPATIBLE.get(kind, (kind,))), None)
        if target is None:
            other += dt + pending
        else:
            used.add(target)
            times[target] += dt + pending
        pending = 0.0
    return times, other + pending
