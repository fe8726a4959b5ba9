"""Naming traced ops (``workloads.trace.tracer.Event``) and turning them into ``Layer``s.

Names: a leaf module that runs one op is named by its path (``blocks.0.mlp.fc1``); ops written inline in a module's
forward are ``<path>.<label>``: ``qk`` (activation matmul feeding a softmax), ``av`` (matmul reading a softmax),
``q_scale`` (scalar multiply feeding a ``qk``), ``residual`` (activation + output of a child module), the name of the
parameter or buffer an op adds or multiplies (``pos_embed``, ``attention_biases`` ...), else the op. Repeated names
in one module are numbered from 1 (``blocks.0.residual1``, ``blocks.0.residual2``). Layout layers (copies) are
``<path>.<aten op>`` / ``<path>.copy_in``, numbered among themselves. For ViT/DeiT the arithmetic layers reproduce
the names, shapes and MACs of ``workloads.vit`` exactly.
"""

from __future__ import annotations

from workloads.model import Layer
from workloads.trace.ops import Event


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
    return any(e.path.startswith(prefix) and e.path != ev.path and e.op != "layout" for e in events[lo + 1:hi])


def _first_act(srcs):
    for s in srcs:
        if s and s[0] != "param":
            return s
    return None


def _name(events: list[Event]) -> None:
    """Path for a leaf module's single native op, else ``path.label``; duplicates numbered from 1."""
    per_path: dict[str, int] = {}
    for ev in events:
        if ev.op != "layout":     # a module's copies do not change its arithmetic layers' names
            per_path[ev.path] = per_path.get(ev.path, 0) + 1
    for ev in events:
        own = ev.leaf and ev.native and per_path.get(ev.path) == 1 and ev.label not in ("q_scale",)
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
                            weight_operand=ev.weight_operand if ev.op == "matmul" else True, **bits, **ev.conv))
    return layers
