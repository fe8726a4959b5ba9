"""Token pruning and merging: a keep schedule applied to a ViT workload, with the selection op's own layers.

A ``KeepSchedule`` says after which blocks tokens are reduced and by how much (``keep[i]``: fraction of the
current image tokens kept after block i, 0-based), and how (``method``):
  evit        EViT (Liang et al., ICLR 2022): keep k = ceil(rho * (t - 1)) image tokens with the highest
              class-token attention, fuse the rest into one token: t' = 1 + k + 1.
              Selection layers: ``token_score`` (add, m = B*(H-1), n = t-1: the H heads' class-attention rows
              summed pairwise), ``token_topk`` (topk, m = B, n = t-1), ``token_fuse`` (elementwise, m = B*(t-1-k),
              n = D: the pruned tokens weighted by their attention and summed into one).
  dynamicvit  DynamicViT (Rao et al., NeurIPS 2021): a per-token predictor MLP (LayerNorm; Linear D->D, GELU;
              Linear D->D/2, GELU; Linear D/2->D/4, GELU; Linear D/4->2), then keep k = floor(rho * (t - 1)):
              t' = 1 + k. Layers ``token_pred.*`` (gemm/gelu/layernorm on B*(t-1) rows) and ``token_topk``.
  tome        ToMe (Bolya et al., ICLR 2023): bipartite soft matching merges r = (t - 1) - ceil(rho * (t - 1))
              tokens (r <= |A| = ceil((t - 1) / 2)): t' = t - r. Layers ``token_match`` (matmul |A| x |B| x hd,
              repeat B: key similarity, keys averaged over heads), ``token_argmax`` (topk, m = B*|A|, n = |B|),
              ``token_topk`` (topk, m = B, n = |A|), ``token_merge`` (elementwise, m = B*r, n = D).
The ``topk`` op runs on the vector unit as a radix select over the score bits (simulator/vector.py).
Every later layer's token dimension shrinks from T to t (rows B*T -> B*t, B*H*T -> B*H*t; the attention
matmuls' T x T and T x hd x T; softmax rows of T -> t). The token dimension is recognized by its value T in
layers named ``blocks.<i>.`` after a reduction and in the layers after the last block except the head
(which reads the class token only). T, H, hd and D are read from block 0's q@k^T matmul (m = n = T, k = hd,
repeat = B*H).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from workloads.errors import WorkloadError
from workloads.model import Layer, Workload

METHODS = ("evit", "dynamicvit", "tome")
_BLOCK = re.compile(r"^blocks\.(\d+)\.")


@dataclass(frozen=True)
class KeepSchedule:
    method: str
    keep: tuple[tuple[int, float], ...]      # (block index, fraction of current image tokens kept after it)

    @classmethod
    def from_dict(cls, d, source: str) -> KeepSchedule:
        if not isinstance(d, dict):
            raise WorkloadError(source, "tokens", "expected a mapping", "{method: evit|dynamicvit|tome, keep: {block: ratio}}")
        extra = set(d) - {"method", "keep"}
        if extra:
            raise WorkloadError(source, f"tokens.{min(extra)}", "unknown field", "method, keep")
        method = d.get("method", "evit")
        if method not in METHODS:
            raise WorkloadError(source, "tokens.method", f"unknown method {method!r}", ", ".join(METHODS))
        keep = d.get("keep")
        if not isinstance(keep, dict) or not keep:
            raise WorkloadError(source, "tokens.keep", "missing or empty", "a mapping of block index to keep ratio")
        out = []
        for b, r in keep.items():
            if isinstance(b, bool) or not isinstance(b, int) or b < 0:
                raise WorkloadError(source, f"tokens.keep.{b}", "not a block index", "an integer >= 0")
            if isinstance(r, bool) or not isinstance(r, (int, float)) or not 0 < r <= 1:
                raise WorkloadError(source, f"tokens.keep.{b}", f"{r!r} is not a keep ratio", "a number in (0, 1]")
            out.append((b, float(r)))
        return cls(method, tuple(sorted(out)))

    def to_dict(self) -> dict:
        return {"method": self.method, "keep": dict(self.keep)}


def tokens_after(method: str, t: int, rho: float) -> int:
    """Tokens (class token included) after one reduction of ``t`` tokens keeping ``rho`` (module docstring).
    evit: 1 + ceil(rho (t-1)) + 1 (capped at t); dynamicvit: 1 + floor(rho (t-1)); tome: t - r."""
    n = t - 1
    if method == "evit":
        k = math.ceil(rho * n - 1e-9)
        return t if k >= n else 1 + k + 1
    if method == "dynamicvit":
        return 1 + max(1, math.floor(rho * n + 1e-9))
    return t - merged_tokens(t, rho)


def merged_tokens(t: int, rho: float) -> int:
    """ToMe: r = (t-1) - ceil(rho (t-1)), at most |A| = ceil((t-1)/2) (bipartite matching merges A into B)."""
    n = t - 1
    return min(n - math.ceil(rho * n - 1e-9), (n + 1) // 2)


def _geometry(workload: Workload) -> tuple[int, int, int]:
    """(T, H, hd) from block 0's q@k^T matmul."""
    for layer in workload.layers:
        if layer.op == "matmul" and not layer.weight_operand and layer.m == layer.n and _BLOCK.match(layer.name):
            return layer.m, layer.repeat // workload.batch, layer.k
    raise WorkloadError(workload.name, "layers", "no attention q@k^T matmul in blocks.<i>", "a ViT workload")


def _shrink(layer: Layer, b: int, h: int, t0: int, t: int) -> Layer:
    """``layer`` with its token dimension T = t0 replaced by t (module docstring)."""
    kw = {}
    if layer.op == "matmul" and not layer.weight_operand:
        for f in ("m", "n", "k"):
            if getattr(layer, f) == t0:
                kw[f] = t
    elif layer.op == "layout":   # a copy of B x T x C (or B x H x T x hd) elements: m = all its elements
        if layer.m % (b * t0) == 0:
            kw["m"] = layer.m // t0 * t
    else:
        if layer.m == b * t0:
            kw["m"] = b * t
        elif layer.m == b * h * t0:
            kw["m"] = b * h * t
        if layer.op == "softmax" and layer.n == t0:
            kw["n"] = t
    return replace(layer, **kw) if kw else layer


def selection_layers(method: str, prefix: str, b: int, h: int, hd: int, t: int, rho: float,
                     like: Layer) -> list[Layer]:
    """The layers that choose (or merge) the tokens of one reduction of ``t`` tokens keeping ``rho`` (module
    docstring); ``like`` (the block's softmax) gives the score bits and dtype."""
    d = h * hd
    n = t - 1
    v = {"a_bits": like.out_bits, "out_bits": like.out_bits, "dtype": like.dtype}
    mask = {"a_bits": like.out_bits, "out_bits": 1, "dtype": like.dtype}   # top-k writes a 1-bit keep mask
    if method == "evit":
        pruned = n - (tokens_after("evit", t, rho) - 2)
        out = [Layer(prefix + "token_score", "add", m=b * max(h - 1, 1), n=n, **v),
               Layer(prefix + "token_topk", "topk", m=b, n=n, **mask)]
        if pruned > 0:
            out.append(Layer(prefix + "token_fuse", "elementwise", m=b * pruned, n=d, **v))
        return out
    if method == "dynamicvit":
        rows = b * n
        wa = {"a_bits": like.a_bits, "out_bits": like.a_bits, "dtype": like.dtype}
        return [Layer(prefix + "token_pred.norm", "layernorm", m=rows, n=d, **v),
                Layer(prefix + "token_pred.fc1", "gemm", m=rows, n=d, k=d, **wa),
                Layer(prefix + "token_pred.act1", "gelu", m=rows, n=d, **v),
                Layer(prefix + "token_pred.fc2", "gemm", m=rows, n=d // 2, k=d, **wa),
                Layer(prefix + "token_pred.act2", "gelu", m=rows, n=d // 2, **v),
                Layer(prefix + "token_pred.fc3", "gemm", m=rows, n=d // 4, k=d // 2, **wa),
                Layer(prefix + "token_pred.act3", "gelu", m=rows, n=d // 4, **v),
                Layer(prefix + "token_pred.fc4", "gemm", m=rows, n=2, k=d // 4, **wa),
                Layer(prefix + "token_topk", "topk", m=b, n=n, **mask)]
    r = merged_tokens(t, rho)
    a_set, b_set = (n + 1) // 2, n - (n + 1) // 2 + 1       # B holds the class token (never merged)
    return [Layer(prefix + "token_match", "matmul", m=a_set, n=b_set, k=hd, repeat=b, weight_operand=False,
                  w_bits=like.out_bits, a_bits=like.out_bits, out_bits=like.out_bits, dtype=like.dtype),
            Layer(prefix + "token_argmax", "topk", m=b * a_set, n=b_set, **mask),
            Layer(prefix + "token_topk", "topk", m=b, n=a_set, **mask),
            Layer(prefix + "token_merge", "elementwise", m=b * max(r, 1), n=d, **v)]


def apply_schedule(workload: Workload, schedule: KeepSchedule, source: str = "tokens") -> Workload:
    """``workload`` with tokens reduced after the scheduled blocks: the selection layers appended to each such
    block, every later layer's token dimension shrunk (module docstring). ``meta['tokens']`` records the
    schedule and the tokens entering each block."""
    t0, h, hd = _geometry(workload)
    b = workload.batch
    blocks = sorted({int(mt.group(1)) for layer in workload.layers if (mt := _BLOCK.match(layer.name))})
    for blk, _ in schedule.keep:
        if blk not in blocks:
            raise WorkloadError(source, f"tokens.keep.{blk}", f"{workload.model} has no block {blk}",
                                f"0 to {blocks[-1]}")
    if schedule.keep[-1][0] == blocks[-1]:
        raise WorkloadError(source, f"tokens.keep.{blocks[-1]}", "no block after the last one to prune for",
                            f"0 to {blocks[-1] - 1}")
    keep = dict(schedule.keep)
    t_in = {}                     # tokens entering each block
    t = t0
    for blk in blocks:
        t_in[blk] = t
        if blk in keep:
            if schedule.method == "tome" and merged_tokens(t, keep[blk]) < 1:
                raise WorkloadError(source, f"tokens.keep.{blk}", f"{keep[blk]} merges no token of {t}",
                                    f"a ratio below {1 - 1 / (t - 1):.4f}")
            t = tokens_after(schedule.method, t, keep[blk])
    t_end = t
    layers = []
    last = {}
    for i, layer in enumerate(workload.layers):
        mt = _BLOCK.match(layer.name)
        if mt:
            last[int(mt.group(1))] = i
    softmax = {}
    for layer in workload.layers:
        mt = _BLOCK.match(layer.name)
        if mt and layer.op == "softmax":
            softmax.setdefault(int(mt.group(1)), layer)
    for i, layer in enumerate(workload.layers):
        mt = _BLOCK.match(layer.name)
        if mt:
            blk = int(mt.group(1))
            tt = t_in[blk]
        elif i > max(last.values()) and not layer.name.startswith("head"):
            tt = t_end
        else:
            tt = t0
        layers.append(_shrink(layer, b, h, t0, tt) if tt != t0 else layer)
        if mt and i == last[int(mt.group(1))] and blk in keep:
            like = softmax.get(blk) or Layer("like", "softmax", 1, 1)
            layers += selection_layers(schedule.method, f"blocks.{blk}.", b, h, hd, t_in[blk], keep[blk], like)
    meta = dict(workload.meta)
    meta["tokens"] = {**schedule.to_dict(), "tokens_in": {blk: t_in[blk] for blk in blocks}, "tokens_out": t_end}
    return replace(workload, layers=tuple(layers), meta=meta)
