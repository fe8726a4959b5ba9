"""Framework profiles: the kernels a framework really runs for a workload, as roofline layers.

A traced or analytic workload lists the model's arithmetic at its own bit widths. A framework adds and changes work:
PyTorch eager under autocast (timm's ``benchmark.py --amp``) runs

* **attention** through ``scaled_dot_product_attention`` where the model calls it (timm ``Attention`` blocks with
  ``fused_attn``): one fused kernel whose N x N scores never reach DRAM. A workload marks such an attention by its
  shape: a ``q_scale`` multiply before the ``qk`` matmul, only ``add`` layers (position bias, window mask) between
  ``qk`` and ``softmax``, and the ``av`` matmul right after the softmax (``attention_groups``); a traced workload
  also says which attention modules timm builds fused (``meta["sdpa_modules"]``; Swin's ``WindowAttention`` is fused
  only at ``TIMM_FUSED_ATTN=2``, so it runs unfused). Other attentions (LeViT's scale-after-qk with a bias, CaiT's
  talking heads) stay unfused. SDPA reads q, k, v strided and writes (B, N, H, D): the workload's copies right
  before its ``qk`` and ``av`` and the head merge right after it are not made.
* **LayerNorm and softmax in FP32** (autocast's fp32 op list): they read and write 4-byte elements; a cast kernel
  (fp16 -> fp32: 2 + 4 bytes per element) precedes them when their producer wrote FP16 (a GEMM, a multiply), and one
  (fp32 -> fp16: 4 + 2 bytes) follows them when a GEMM consumes them. A model with a LayerNorm keeps its residual
  stream in FP32 (the FP32 position embedding or norm output promotes it): residual and position-embedding adds read
  an FP16 branch and write FP32 (counted as 2 + 2 + 4 bytes per element, a lower bound of the real 4 + 2 + 4).
  Score adds (a relative-position bias or a window mask from an FP32 parameter) write FP32.
* **weight casts**: autocast casts every FP32 weight of a linear/conv to FP16 on every forward (4 + 2 bytes per
  weight), a kernel per GEMM.
* **layout copies** (no arithmetic, pure memory traffic): a traced workload carries them as ``layout`` layers
  (workloads/layout.py): each is costed as a memory kernel at the width of the tensor the framework holds there (the
  output width of the kernel before it: FP32 after an FP32 LayerNorm); the model's own copies come before the casts
  autocast makes at a GEMM's call, a kernel's copy of its strided input (``*.copy_in*``) after them. One copy the
  meta-device trace cannot see is added: PyTorch's depthwise conv copies a channels-last input to NCHW (PVT v2).
  A workload without layout layers (analytic builder, files written before them) gets timm's copies inferred from
  its shapes (the fallback below). Fallback: after every attention the
  heads are merged back (``x.transpose(1, 2).reshape``: one FP16 copy of the attention output, 2 + 2 bytes per
  element); a windowed attention (tokens per attention x batch below the tokens of its qkv GEMM: Swin) copies its
  FP32 input into windows before the qkv GEMM (4 + 4 bytes) and its FP16 output back after (2 + 2), and a shifted
  window (a score add named ``*mask*``) adds a ``torch.roll`` before and after (same bytes). The fused kernel of a
  shifted window reads a materialised FP32 bias+mask tensor of the scores' size (4 bytes written + 4 read per score).
  Carried by the workload already: rotary embeddings' arithmetic (EVA-02: ``mul``/``add``/``neg`` layers); not
  counted: their ``cat`` copies and the relative-position-bias gather (heads x N x N, small), so the bound stays a
  bound.

``lower(workload, profile, attention)`` returns the layers the profile runs (inserted kernels named
``<layer>.cast_in``, ``.cast_out``, ``.weight_cast``, ``<attn>.head_merge``, ``.window_partition``,
``.window_reverse``, ``.roll``, ``.roll_back``, ``.sdpa_mask``), the operands each keeps on chip (the roofline's
``skip``), the attention actually used and the attention groups. Profile ``none`` is the workload as written.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from workloads.errors import InputError
from workloads.layout import LAYOUT
from workloads.model import Layer, Workload

ATTENTION_CHOICES = ("fused", "unfused")
SCORE_WINDOW = 16   # an attention's score ops lie within this many layers before its softmax (SwinV2: 10)


@dataclass(frozen=True)
class FrameworkProfile:
    """What a framework runs around the workload's arithmetic (module docstring)."""

    name: str
    description: str
    attention: str = "unfused"       # fused: SDPA where the model uses it; unfused: scores through DRAM
    fp32_nonlinear: bool = False     # LayerNorm and softmax in FP32 with their cast kernels; FP32 residual stream
    weight_casts: bool = False       # FP32 weights cast to FP16 every forward
    layout: bool = False             # head merge, window partition/reverse, roll as memory traffic
    nonlinear_bits: int = 16         # an INT8/INT4 GEMM workload's non-linear ops run at this width (docs/roofline.md)
    source: str = ""
    fusion: str = "none"             # none (a kernel per layer), inductor, tensorrt: analysis/fusion.py
    attention_all: bool = False      # every attention (windowed, biased) runs as one fused kernel, not only SDPA's
    int8_tensors: bool = False       # a tensor an INT8 GEMM reads is written at 8 bits by its producer
    torch: bool = True               # a PyTorch stack: the torch version decides SDPA / torch.compile (TORCH_VERSIONS)

    def deployed(self) -> FrameworkProfile:
        """This profile running a model deployed at its GEMM precision: non-linear ops at ``nonlinear_bits``, no
        autocast FP32 LayerNorm/softmax or per-forward weight casts; same attention, copies and fusion. The FP16 side
        of a quantized run's speedup (``analysis.cmd_roofline.fp16_baseline``)."""
        return replace(self, fp32_nonlinear=False, weight_casts=False)


PROFILES: dict[str, FrameworkProfile] = {
    "pytorch_eager_amp": FrameworkProfile(
        "pytorch_eager_amp", "PyTorch eager with autocast FP16, as timm's benchmark.py --amp runs it",
        attention="fused", fp32_nonlinear=True, weight_casts=True, layout=True,
        source="torch.amp autocast op lists (layer_norm, softmax: fp32); timm Attention/WindowAttention fused_attn "
               "paths (F.scaled_dot_product_attention); timm benchmark.py"),
    "torch_compile": FrameworkProfile(
        "torch_compile", "torch.compile (inductor, default mode) under autocast FP16, as timm's benchmark.py "
                         "--torchcompile runs it", attention="fused", fp32_nonlinear=True, weight_casts=True,
        layout=True, fusion="inductor", attention_all=True,
        source="inductor: GEMMs stay cuBLAS calls (no epilogue fusion without max-autotune); pointwise ops, "
               "reductions (LayerNorm, softmax), casts and copies between two GEMMs are generated as fused Triton "
               "kernels; SDPA where the model calls it, and inductor's fuse_attention pass rewrites "
               "softmax(q @ k^T * scale + bias) @ v into SDPA elsewhere; timm benchmark.py --torchcompile"),
    "tensorrt": FrameworkProfile(
        "tensorrt", "TensorRT / FasterTransformer: INT8/FP8/FP16 GEMMs with fused bias, activation, residual and "
                    "quantize epilogues, fused multi-head attention, LayerNorm kernels, INT8 tensors between kernels",
        attention="fused", fusion="tensorrt", attention_all=True, int8_tensors=True, torch=False,
        source="NVIDIA FasterTransformer ViT/Swin guides (docs/vit_guide.md, docs/swin_guide.md: int8_mode, fused "
               "MHA, addBiasResidual+LayerNorm kernels); TensorRT developer guide (layer fusion, Q/DQ fusion)"),
    "none": FrameworkProfile("none", "the workload's layers as written (no framework kernels)"),
}
# torch version -> (fused SDPA, torch.compile): SDPA (scaled_dot_product_attention) and torch.compile arrived in 2.0
TORCH_VERSIONS = {f"1.{m}": (False, False) for m in range(10, 14)} | {f"2.{m}": (True, True) for m in range(15)}
DEFAULT_GPU_PROFILE = "pytorch_eager_amp"


def get_profile(name) -> FrameworkProfile:
    """The profile called ``name`` (``None`` -> ``none``; a FrameworkProfile is returned as is); InputError naming
    the choices."""
    if isinstance(name, FrameworkProfile):
        return name
    key = (name or "none").lower()
    if key not in PROFILES:
        raise InputError("--framework", "framework", f"unknown framework profile {name!r}", ", ".join(PROFILES))
    return PROFILES[key]


@dataclass(frozen=True)
class AttentionGroup:
    """One attention in a layer list: indices of its layers (``q_scale`` -1 if absent)."""

    q_scale: int
    qk: int
    score_ops: tuple[int, ...]
    softmax: int
    av: int
    sdpa: bool          # the model would call scaled_dot_product_attention here (module docstring)
    windowed: bool
    shifted: bool
    qkv: int            # the weight GEMM producing q (-1 if none found)


def attention_groups(layers, batch: int = 1, sdpa_modules=None) -> list[AttentionGroup]:
    """Every softmax with a ``qk`` matmul before it and an ``av`` matmul after it (module docstring); ``layers`` without
    layout layers. ``sdpa_modules`` (a traced workload's ``meta["sdpa_modules"]``): the attention modules the model
    really runs through SDPA; without it, every attention of the SDPA shape is taken as SDPA."""
    out = []
    for s, layer in enumerate(layers):
        if layer.op != "softmax":
            continue
        j = s - 1
        while j >= max(0, s - SCORE_WINDOW) and layers[j].op in ("add", "mul", "elementwise", "gemm"):
            j -= 1
        if j < 0 or layers[j].op != "matmul" or layers[j].weight_operand:
            continue
        # a layer between qk and the softmax that does not write a tensor of the scores' size is a side computation
        # (SwinV2's logit scale and its continuous position-bias MLP on the coordinate table), not a score op
        side = {i for i in range(j + 1, s) if layers[i].elements != layer.elements}
        av = s + 1
        post = ()
        if av + 1 < len(layers) and layers[av].op == "gemm" and layers[av].n <= 16 and layers[av].k <= 16:
            post, av = (av,), av + 1          # CaiT's talking heads: proj_w mixes heads after the softmax
        if av >= len(layers) or layers[av].op != "matmul" or layers[av].weight_operand:
            continue
        score = tuple(i for i in range(j + 1, s) if i not in side) + post
        q_scale = j - 1 if j >= 1 and layers[j - 1].op == "mul" and layers[j - 1].name.endswith("q_scale") else -1
        sdpa = q_scale >= 0 and all(layers[i].op == "add" for i in score)
        if sdpa_modules is not None:
            sdpa = sdpa and _prefix(layers[j].name) in sdpa_modules
        qkv = next((i for i in range(j - 1, -1, -1) if layers[i].op in ("gemm", "conv") and layers[i].weight_operand),
                   -1)
        windowed = qkv >= 0 and layers[j].m * batch < layers[qkv].m
        shifted = any("mask" in layers[i].name for i in score)
        out.append(AttentionGroup(q_scale, j, score, s, av, sdpa, windowed, shifted, qkv))
    return out


def _kernel(name: str, elements: int, in_bits: int, out_bits: int) -> Layer:
    """A memory-only kernel of ``elements`` elements read at ``in_bits`` and written at ``out_bits``."""
    return Layer(name, "elementwise", m=max(1, elements), n=1, a_bits=in_bits, w_bits=in_bits, out_bits=out_bits,
                 dtype="fp")


def _prefix(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name else name


def _is_copy_in(layer) -> bool:
    """A layout layer the tracer recorded for a kernel's own copy of its strided input (``<module>.copy_in<n>``)."""
    return layer.name.rsplit(".", 1)[-1].rstrip("0123456789") == "copy_in"


def _at_width(layer, prev) -> Layer:
    """A layout layer moving the tensor ``prev`` (the kernel before it) wrote: at ``prev``'s output width."""
    if prev is None:
        return layer
    return replace(layer, a_bits=prev.out_bits, out_bits=prev.out_bits, dtype=prev.dtype)


def torch_features(version: str | None, profile: FrameworkProfile) -> bool:
    """Whether ``profile`` has fused SDPA under torch ``version`` (``TORCH_VERSIONS``; None: a torch with SDPA);
    InputError for a version outside the table or torch.compile before 2.0."""
    if version is None:
        return True
    v = ".".join(str(version).split(".")[:2])
    if v not in TORCH_VERSIONS:
        raise InputError("--torch-version", "torch version", f"{version!r} is outside the table",
                         f"{min(TORCH_VERSIONS)} .. 2.14 (major.minor)")
    sdpa, compile_ = TORCH_VERSIONS[v]
    if profile.fusion == "inductor" and not compile_:
        raise InputError("--torch-version", "torch version", f"torch.compile needs torch >= 2.0, got {version}",
                         "2.0 .. 2.14")
    return sdpa or not profile.torch


def lower(workload: Workload, profile: FrameworkProfile, attention: str | None = None,
          torch_version: str | None = None):
    """(layers, skips, attention used, groups): what ``profile`` runs for ``workload`` (module docstring).

    ``attention`` (``fused``/``unfused``) overrides the profile's; ``skips`` maps an index of the returned layers to
    the operands it keeps on chip (``ifmap``, ``ofmap``, ``all``), the roofline's ``skip``. ``torch_version``: a
    torch before 2.0 has no SDPA (its attention runs unfused unless ``attention`` says otherwise)."""
    if attention is not None and attention not in ATTENTION_CHOICES:
        raise InputError("--attention", "attention", f"unknown attention {attention!r}", ", ".join(ATTENTION_CHOICES))
    used = attention or (profile.attention if torch_features(torch_version, profile) else "unfused")
    layers, copies = [], {}        # arithmetic layers; layout layers by the index of the arithmetic layer they precede
    for x in workload.layers:
        if x.op == LAYOUT:
            copies.setdefault(len(layers), []).append(x)
        else:
            layers.append(x)
    carried = profile.layout and bool(copies)     # the workload carries its copies (traced): cost those
    infer = profile.layout and not copies         # else infer timm's copies from the layers' shapes (fallback)
    if not carried:
        copies = {}
    groups = attention_groups(layers, workload.batch, workload.meta.get("sdpa_modules"))
    fused = {g.softmax: g for g in groups if used == "fused" and (g.sdpa or profile.attention_all and not any(
        layers[i].op == "gemm" for i in g.score_ops))}     # talking heads (CaiT) never fuse
    before: dict[int, list] = {}
    after: dict[int, list] = {}
    skip: dict[int, set] = {}
    changed: dict[int, Layer] = {}
    # a quantized deployment (INT8/INT4 GEMMs, FP8/FP4 GEMMs): non-linear ops at nonlinear_bits, unless the
    # precision keeps INT8 tensors everywhere (``int8_io``: the layers as written)
    fp_int = any(l.is_gemm and (l.dtype == "int" or max(l.w_bits, l.a_bits) <= 8) for l in layers) \
        and workload.meta.get("activations") != "int8_io"
    for g in groups:
        if g.softmax in fused:
            skip.setdefault(g.qk, set()).add("ofmap")
            skip.setdefault(g.softmax, set()).update({"all", "overlapped"})
            skip.setdefault(g.av, set()).add("ifmap")
            if g.q_scale >= 0:
                skip.setdefault(g.q_scale, set()).add("all")
            for i in g.score_ops:
                if g.shifted and "mask" in layers[i].name and profile.layout:
                    # the window mask expanded over the batch is materialised (FP32), added to the bias, cast to
                    # FP16 by autocast and read by the fused kernel
                    sc = layers[i]
                    before.setdefault(i, []).append(_kernel(sc.name + ".expand", sc.elements, 1, 32))
                    changed[i] = _kernel(sc.name + ".sdpa_mask", sc.elements, 32, 32)
                    after.setdefault(i, []).append(_kernel(sc.name + ".cast_fp16", sc.elements, 32, 32))
                else:
                    skip.setdefault(i, set()).add("all")
            # SDPA reads q, k, v strided and writes (B, N, H, D): the copies the unfused ops made are not made
            for pos in (g.qk, g.av):
                copies.pop(pos, None)
            if g.av + 1 in copies:
                copies[g.av + 1] = [x for x in copies[g.av + 1] if x.elements != layers[g.av].elements]
        if infer:
            av = layers[g.av]
            base = _prefix(av.name)
            # SDPA's kernels write (B, N, H, D): the head merge after a fused attention is a view, not a copy
            post = [] if g.softmax in fused else [_kernel(base + ".head_merge", av.elements, 16, 16)]
            if g.windowed and g.qkv >= 0:
                q = layers[g.qkv]
                stream = 32 if profile.fp32_nonlinear else 16
                pre = [_kernel(base + ".pad", q.m * q.k, stream, stream),      # F.pad copies even when padding 0
                       _kernel(base + ".window_partition", q.m * q.k, stream, stream)]
                post.append(_kernel(base + ".window_reverse", av.elements, 16, 16))
                if g.shifted:
                    pre.insert(0, _kernel(base + ".roll", q.m * q.k, stream, stream))
                    post.append(_kernel(base + ".roll_back", av.elements, 16, 16))
                before.setdefault(g.qkv, []).extend(pre)
            after.setdefault(g.av, []).extend(post)
        if profile.fp32_nonlinear:
            # elementwise ops between the qkv GEMM and qk (rotary embedding): FP32 sin/cos buffers promote them to
            # FP32; rotate_half stacks a copy; autocast casts the rotated q and k back to FP16 for the attention
            end = g.q_scale if g.q_scale >= 0 else g.qk
            for i in range(g.qkv + 1, end) if g.qkv >= 0 else ():
                x = layers[i]
                if x.op == "mul":
                    changed[i] = replace(x, a_bits=16, out_bits=32, dtype="fp")
                elif x.op == "add":
                    changed[i] = replace(x, a_bits=32, out_bits=32, dtype="fp")
                    after.setdefault(i, []).append(_kernel(x.name + ".cast_fp16", x.elements, 32, 16))
                elif x.op == "elementwise" and infer:
                    after.setdefault(i, []).append(_kernel(x.name + ".stack", 2 * x.elements, 16, 16))
        if infer:
            for i in g.score_ops:   # talking heads: a linear across heads on permuted scores, copied in and out
                x = layers[i]
                if x.op == "gemm":
                    before.setdefault(i, []).append(_kernel(x.name + ".permute_in", x.m * x.k * x.repeat, 16, 16))
                    after.setdefault(i, []).append(_kernel(x.name + ".permute_out", x.elements, 16, 16))
    has_ln = any(l.op == "layernorm" for l in layers)
    fused_score = {i for g in groups if g.softmax in fused for i in (*g.score_ops, g.q_scale, g.softmax)}
    score_adds = {i for g in groups for i in g.score_ops if layers[i].op == "add"}
    for i, layer in enumerate(layers):
        if profile.layout and layer.op == "conv" and i > 0 and not layers[i - 1].is_gemm \
                and layers[i - 1].elements < layer.m * layer.k * layer.repeat:
            # a conv reads its input tensor, not the im2col matrix (k = cin x kh x kw rows per output pixel)
            skip.setdefault(i, set()).update({"ifmap", f"ifmap_elements={layers[i - 1].elements}"})
        elif profile.layout and layer.op == "conv" and i > 0 and layers[i - 1].is_gemm \
                and layers[i - 1].m * layers[i - 1].n * layers[i - 1].repeat < layer.m * layer.k * layer.repeat:
            prev = layers[i - 1]
            skip.setdefault(i, set()).update({"ifmap", f"ifmap_elements={prev.m * prev.n * prev.repeat}"})
            if layer.repeat > 1:   # a depthwise conv on tokens: (B, N, C) -> NCHW contiguous copy, and back
                # (PyTorch's depthwise kernel runs NCHW-contiguous; on the meta device the trace cannot see it)
                before.setdefault(i, []).append(_kernel(layer.name + ".to_nchw", prev.elements, 16, 16))
                if infer:   # a traced workload carries the copy of the NCHW output (the next GEMM's copy_in)
                    after.setdefault(i, []).append(_kernel(layer.name + ".to_tokens", layer.elements, 16, 16))
        if i in changed or i in fused_score:
            continue
        if fp_int:
            if profile.name != "none":
                b = profile.nonlinear_bits
                changed[i] = (replace(layer, out_bits=max(layer.out_bits, b)) if layer.is_gemm else
                              replace(layer, a_bits=max(layer.a_bits, b), out_bits=max(layer.out_bits, b)))
        elif profile.fp32_nonlinear:
            prev = layers[i - 1] if i else None
            nxt = layers[i + 1] if i + 1 < len(layers) else None
            if layer.op in ("layernorm", "softmax"):
                changed[i] = replace(layer, a_bits=32, out_bits=32, dtype="fp")
                if prev is not None and prev.op in ("gemm", "conv", "matmul", "mul", "gelu"):
                    before.setdefault(i, []).append(_kernel(layer.name + ".cast_in", layer.elements, 16, 32))
                if nxt is not None and nxt.is_gemm:   # autocast casts at the GEMM's call: after any copies
                    before.setdefault(i + 1, []).append(_kernel(layer.name + ".cast_out", layer.elements, 32, 16))
            elif layer.op == "add" and i in score_adds or layer.op == "add" and has_ln:
                changed[i] = replace(layer, a_bits=16, out_bits=32, dtype="fp")
        if profile.weight_casts and layer.is_gemm and layer.weight_operand and layer.dtype == "fp" \
                and max(layer.w_bits, layer.a_bits) == 16:
            before.setdefault(i, []).append(_kernel(layer.name + ".weight_cast", layer.k * layer.n * layer.repeat,
                                                    32, 16))
    out, skips = [], {}
    for i, layer in enumerate(layers + [None]):
        mine = copies.get(i, [])
        for x in mine:        # the model's copies, then the casts autocast makes at the call, then the kernel's own
            if not _is_copy_in(x):
                out.append(_at_width(x, out[-1] if out else None))
        if layer is None:
            break
        out.extend(before.get(i, []))
        for x in mine:
            if _is_copy_in(x):
                out.append(_at_width(x, out[-1] if out else None))
        if i in skip:
            skips[len(out)] = frozenset(skip[i])
        out.append(changed.get(i, layer))
        out.extend(after.get(i, []))
    if profile.fusion != "none":
        from analysis.fusion import fuse

        out, skips = fuse(out, skips, profile)
    return out, skips, used, groups


def lowered_workload(workload: Workload, profile: FrameworkProfile, attention: str | None = None,
                     torch_version: str | None = None):
    """(Workload of the profile's layers, skips, attention used). Its ``meta["sdpa_attentions"]`` says how many of
    the attentions ran as one fused SDPA kernel (``"0 of 12"``: the model calls SDPA in none)."""
    layers, skips, used, groups = lower(workload, profile, attention, torch_version)
    fused = sum(x.op == "matmul" and "ofmap" in skips.get(i, ()) for i, x in enumerate(layers))
    meta = {**workload.meta, "sdpa_attentions": f"{fused} of {len(groups)}"}
    return replace(workload, layers=tuple(layers), meta=meta), skips, used
