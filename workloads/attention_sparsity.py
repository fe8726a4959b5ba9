"""Sparse attention: fixed attention masks applied to a ViT workload, with the dense/sparse split of the work.

A recipe's ``attention:`` section (``AttentionMask``) replaces each block's q@k^T, softmax and attn@v by a dense
part (``dense_heads`` heads, full attention, the original layer names) and a sparse part (the other heads, layers
``<name>_sparse``) in which every query attends only its kept keys, t_k per query:
  window   ``{pattern: window, window: w}``: a w x w window of patch tokens (Swin-style local attention):
           t_k = min(T, w * w)
  block    ``{pattern: block, block: b, density: d}``: a block-sparse score matrix of b x b blocks, a fraction d of
           them kept: t_k = min(T, ceil(d * ceil(T / b)) * b)
  vitcod   ``{pattern: vitcod, density: d, dense_heads: h}`` (ViTCoD, You et al., HPCA 2023: attention maps pruned
           to fixed masks, reordered into a dense and a sparse workload): t_k = ceil(d * T) on the sparse heads.
Sparse part shapes (T tokens of the block, hd = head dim, B batch, Hs = H - dense_heads sparse heads):
  q@k^T_sparse  m = T, n = t_k, k = hd, repeat = B * Hs      (only the kept scores: an SDDMM, keys gathered)
  softmax_sparse rows B * Hs * T of t_k
  attn@v_sparse m = T, n = hd, k = t_k, repeat = B * Hs      (an SpMM over the kept scores)
and a ``mask_index`` vector layer per block reading the mask's indices, B * Hs * T rows of t_k elements at
ceil(log2 T) bits (op quantize: one address computation per kept score; a 1-bit valid flag out). The gathered keys are modelled as a
compacted dense GEMM (exact for window and block masks, whose queries share key sets; ViTCoD's reordering
approximates it). MACs of the sparse part = t_k / T of the dense part's.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from workloads.errors import WorkloadError
from workloads.model import Layer, Workload

PATTERNS = ("window", "block", "vitcod")
_BLOCK = re.compile(r"^blocks\.(\d+)\.")


@dataclass(frozen=True)
class AttentionMask:
    pattern: str
    window: int = 0
    block: int = 0
    density: float = 1.0
    dense_heads: int = 0

    @classmethod
    def from_dict(cls, d, source: str) -> AttentionMask:
        allowed = {"window": {"window", "dense_heads"}, "block": {"block", "density", "dense_heads"},
                   "vitcod": {"density", "dense_heads"}}
        if not isinstance(d, dict) or d.get("pattern") not in PATTERNS:
            raise WorkloadError(source, "attention.pattern", f"unknown pattern {d.get('pattern') if isinstance(d, dict) else d!r}",
                                ", ".join(PATTERNS))
        p = d["pattern"]
        extra = set(d) - allowed[p] - {"pattern"}
        if extra:
            raise WorkloadError(source, f"attention.{min(extra)}", f"not a field of the {p} pattern",
                                ", ".join(sorted(allowed[p])))
        kw = {}
        for f in ("window", "block", "dense_heads"):
            if f in d:
                v = d[f]
                if isinstance(v, bool) or not isinstance(v, int) or v < (0 if f == "dense_heads" else 1):
                    raise WorkloadError(source, f"attention.{f}", f"{v!r} is not a valid count",
                                        "an integer >= 0" if f == "dense_heads" else "an integer >= 1")
                kw[f] = v
        if p == "window" and "window" not in d:
            raise WorkloadError(source, "attention.window", "missing", "an integer >= 1")
        if p == "block" and "block" not in d:
            raise WorkloadError(source, "attention.block", "missing", "an integer >= 1")
        if p != "window":
            v = d.get("density")
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 1:
                raise WorkloadError(source, "attention.density", f"{v!r} is not a fraction", "a number in (0, 1]")
            kw["density"] = float(v)
        return cls(p, **kw)

    def keys_per_query(self, t: int) -> int:
        """t_k of a block with ``t`` tokens (module docstring)."""
        if self.pattern == "window":
            return min(t, self.window * self.window)
        if self.pattern == "block":
            return min(t, math.ceil(self.density * math.ceil(t / self.block) - 1e-9) * self.block)
        return max(1, math.ceil(self.density * t - 1e-9))


def apply_attention_mask(workload: Workload, mask: AttentionMask, source: str = "attention") -> Workload:
    """``workload`` with every block's attention split into its dense and sparse parts (module docstring)."""
    b = workload.batch
    if not any(layer.op == "matmul" and layer.name.endswith(".attn.qk") and _BLOCK.match(layer.name)
               for layer in workload.layers):
        raise WorkloadError(source, "attention", f"{workload.model} has no blocks.<i>.attn.qk matmul", "a ViT workload")
    layers = []
    geometry: dict[str, tuple[int, int, int]] = {}     # block prefix -> (T, H, t_k)
    for layer in workload.layers:
        mt = _BLOCK.match(layer.name)
        prefix = layer.name[:mt.end()] if mt else ""
        if mt and layer.name.endswith(".attn.qk") and layer.op == "matmul":
            t, h = layer.m, layer.repeat // b
            if mask.dense_heads > h:
                raise WorkloadError(source, "attention.dense_heads", f"{mask.dense_heads} > the {h} heads of "
                                    f"{layer.name}", f"0 to {h}")
            geometry[prefix] = (t, h, mask.keys_per_query(t))
        g = geometry.get(prefix)
        role = layer.name[len(prefix):] if g else ""
        if role not in ("attn.qk", "attn.softmax", "attn.av"):
            layers.append(layer)
            continue
        t, h, tk = g
        hd_, hs = mask.dense_heads, h - mask.dense_heads
        if hd_:
            layers.append(replace(layer, repeat=b * hd_) if layer.op == "matmul" else replace(layer, m=b * hd_ * t))
        if not hs:
            continue
        if role == "attn.qk":
            layers.append(replace(layer, name=layer.name + "_sparse", n=tk, repeat=b * hs))
            layers.append(Layer(prefix + "attn.mask_index", "quantize", m=b * hs * t, n=tk,
                                a_bits=max(1, math.ceil(math.log2(t))), out_bits=1, dtype="int"))
        elif role == "attn.softmax":
            layers.append(replace(layer, name=layer.name + "_sparse", m=b * hs * t, n=tk))
        else:
            layers.append(replace(layer, name=layer.name + "_sparse", k=tk, repeat=b * hs))
    meta = dict(workload.meta)
    meta["attention_mask"] = {"pattern": mask.pattern, "window": mask.window, "block": mask.block,
                              "density": mask.density, "dense_heads": mask.dense_heads,
                              "keys_per_query": {p[:-1]: g[2] for p, g in geometry.items()}}
    return replace(workload, layers=tuple(layers), meta=meta)
