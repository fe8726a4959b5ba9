"""Analytic builder for plain ViT/DeiT: every op in execution order, shapes from the config.

Tokens T = (img/patch)^2 + 1 (class token). Per block (D = dim, H = heads, hd = D/H, B = batch):
norm1 (layernorm B*T x D), attn.qkv (gemm M=B*T N=3D K=D), q_scale (mul), attn.qk
(matmul T x T x hd, repeat B*H), softmax (B*H*T rows of T), attn.av (matmul T x hd x T),
attn.proj (gemm D x D), residual1 (add), norm2, mlp.fc1 (gemm N=r*D), mlp.act (gelu),
mlp.fc2 (gemm K=r*D), residual2 (add). Before the blocks: patch_embed.proj (conv as GEMM,
M = B*(img/patch)^2, N = D, K = 3*patch^2, with its geometry: img x img x 3, patch x patch filter, stride
patch) and pos_embed (add); after: norm and head
(gemm on the class token, M = B). Names follow timm's module paths.
"""

from __future__ import annotations

from dataclasses import dataclass

from workloads.conv import geometry
from workloads.errors import WorkloadError, require_int
from workloads.model import Layer, Workload


@dataclass(frozen=True)
class ViTConfig:
    """Shape hyper-parameters of a plain ViT."""

    img_size: int = 224
    patch: int = 16
    depth: int = 12
    dim: int = 768
    heads: int = 12
    mlp_ratio: float = 4.0
    classes: int = 1000
    in_chans: int = 3


PRESETS: dict[str, ViTConfig] = {
    "deit_tiny_patch16_224": ViTConfig(dim=192, heads=3),
    "deit_small_patch16_224": ViTConfig(dim=384, heads=6),
    "deit_base_patch16_224": ViTConfig(),
    "vit_small_patch16_224": ViTConfig(dim=384, heads=6),
    "vit_base_patch16_224": ViTConfig(),
    "vit_large_patch16_224": ViTConfig(depth=24, dim=1024, heads=16),
    "vit_huge_patch14_224": ViTConfig(patch=14, depth=32, dim=1280, heads=16),
}
# Short names: the preset without its patch/size suffix (deit_small, vit_large, vit_huge).
SHORT_NAMES = {name.split("_patch")[0]: name for name in PRESETS}


def build_vit(cfg: ViTConfig, batch: int = 1, model: str = "vit") -> Workload:
    """All layers of a plain ViT at ``batch`` images, in execution order; bits default to W8A8 until a recipe sets them."""
    for f in ("img_size", "patch", "depth", "dim", "heads", "classes", "in_chans"):
        require_int(model, f, getattr(cfg, f), 1)
    batch = require_int(model, "batch", batch, 1)
    if cfg.img_size % cfg.patch or cfg.dim % cfg.heads:
        raise WorkloadError(model, "img_size/patch/dim/heads", "img_size must divide by patch and dim by heads")
    b, d, h = batch, cfg.dim, cfg.heads
    hd = d // h
    patches = (cfg.img_size // cfg.patch) ** 2
    t = patches + 1
    hidden = int(d * cfg.mlp_ratio)
    L = []
    L.append(Layer("patch_embed.proj", "conv", m=b * patches, n=d, k=cfg.in_chans * cfg.patch ** 2,
                   **geometry(cfg.img_size, cfg.img_size, cfg.in_chans, cfg.patch, cfg.patch, cfg.patch)))
    L.append(Layer("pos_embed", "add", m=b * t, n=d))
    for i in range(cfg.depth):
        p = f"blocks.{i}."
        L += [
            Layer(p + "norm1", "layernorm", m=b * t, n=d),
            Layer(p + "attn.qkv", "gemm", m=b * t, n=3 * d, k=d),
            Layer(p + "attn.q_scale", "mul", m=b * h * t, n=hd),
            Layer(p + "attn.qk", "matmul", m=t, n=t, k=hd, repeat=b * h, weight_operand=False),
            Layer(p + "attn.softmax", "softmax", m=b * h * t, n=t),
            Layer(p + "attn.av", "matmul", m=t, n=hd, k=t, repeat=b * h, weight_operand=False),
            Layer(p + "attn.proj", "gemm", m=b * t, n=d, k=d),
            Layer(p + "residual1", "add", m=b * t, n=d),
            Layer(p + "norm2", "layernorm", m=b * t, n=d),
            Layer(p + "mlp.fc1", "gemm", m=b * t, n=hidden, k=d),
            Layer(p + "mlp.act", "gelu", m=b * t, n=hidden),
            Layer(p + "mlp.fc2", "gemm", m=b * t, n=d, k=hidden),
            Layer(p + "residual2", "add", m=b * t, n=d),
        ]
    L.append(Layer("norm", "layernorm", m=b * t, n=d))
    L.append(Layer("head", "gemm", m=b, n=cfg.classes, k=d))
    return Workload(model=model, layers=tuple(L), img_size=cfg.img_size, batch=batch,
                    source="analytic", meta={"config": cfg.__dict__})


def build_preset(name: str, batch: int = 1) -> Workload:
    """Build a named preset (``deit_small_patch16_224`` or short ``deit_small``)."""
    full = SHORT_NAMES.get(name, name)
    if full not in PRESETS:
        raise WorkloadError("model", "", f"unknown model {name!r}", ", ".join([*PRESETS, *SHORT_NAMES]))
    return build_vit(PRESETS[full], batch=batch, model=full)
