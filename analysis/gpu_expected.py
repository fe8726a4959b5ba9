"""Expected GPU time per kernel, beside the roofline bound: launch floor, tensor-core tiles and waves, efficiencies.

Per kernel (units: seconds, bytes, FLOP), with the parameters of the GPU's architecture (``ARCH``, each sourced):

  memory kernel (vector op, cast, layout copy):
      t = bytes / (dram_bandwidth * mem_efficiency) + kernel_fixed_s
  GEMM (gemm, conv, unfused matmul), for the tile (tm, tn) of ``TILES`` that gives the least time (cuBLAS's
  heuristic picks among such tiles):
      tiles = ceil(M / tm) * ceil(N / tn) * repeat;  waves = ceil(tiles / (sm_count * ctas_per_sm(tm, tn)))
      t_math = waves * ctas_per_sm * 2 * tm * tn * Kp / (peak / sm_count) / gemm_efficiency,  Kp = ceil(K / 32) * 32
      t = max(t_math, bytes / (dram_bandwidth * mem_efficiency)) + kernel_fixed_s
      (dimensions padded to the tile, tiles spread over the SMs: a 197 x 64 head matmul pads to 256 x 64)
  fused attention (SDPA, FlashAttention-style): the qk and av matmuls of one kernel at attention_efficiency, the
      query length padded to 128 and the key length to 64 (the kernel's blocks); the softmax inside costs nothing
      more; bytes = q, k, v read and the output written (the roofline's fused bytes).
  every kernel: t_expected = max(t, launch_s)   (eager PyTorch issues kernels from the CPU at most one per
      launch_s; a kernel shorter than that leaves the GPU waiting: the launch floor)

Worked example (the launch floor; tests/analysis/test_gpu_expected.py): a GELU on 1,024 FP16 elements on an A100
(2,039 GB/s, Ampere: mem_efficiency 0.77, kernel_fixed_s 3e-6, launch_s 2.0e-5) moves 4,096 bytes:
4096 / (2039e9 * 0.77) = 2.6 ns, + 3 us = 3.0 us, below the 20 us launch floor: t_expected = 20 us
(LLMCompass measured 48 us for it with its own Python loop around each call).
Tile quantization: M = 197, N = 64, K = 64, repeat 6 on 82 SMs with tile 128 x 64: ceil(197/128) = 2 row tiles,
1 column tile, 12 tiles in 1 wave: t_math = 2 * 128 * 64 * 64 / (peak / 82) / eff (the work of 256 rows, not 197).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# (tm, tn) tensor-core CTA tiles cuBLAS/CUTLASS use for FP16 GEMMs; smaller ones fit 2 CTAs per SM
TILES = ((256, 128), (128, 256), (128, 128), (128, 64), (64, 128), (64, 64))
K_TILE = 32
ATTN_Q_BLOCK, ATTN_KV_BLOCK = 128, 64


@dataclass(frozen=True)
class ArchParams:
    """Expected-time parameters of one GPU architecture (module docstring), with where each comes from."""

    family: str
    launch_s: float              # CPU issue time per kernel in eager PyTorch (the launch floor)
    kernel_fixed_s: float        # GPU-side fixed cost per kernel (ramp-up, tail)
    gemm_efficiency: float       # fraction of the tensor peak large FP16 GEMM tiles reach
    mem_efficiency: float        # fraction of DRAM bandwidth streaming kernels reach
    attention_efficiency: float  # fraction of the tensor peak a fused attention kernel reaches (head dim 32-128)
    source: str


# Fitted per architecture (tools/validate_gpu.py fits them on the timm rows of docs/validation-gpu.md: RTX 4090 for
# Ada, RTX 5090 + RTX PRO 6000 Max-Q for Blackwell; Ampere on LLMCompass's measured A100 kernels, held out on the
# RTX 3090); Hopper and Turing have no measured rows here: Ampere's/Ada's values, marked unfitted.
ARCH: dict[str, ArchParams] = {
    "Ampere": ArchParams("Ampere", 2.0e-5, 3e-6, 0.93, 0.77, 0.60,
                         "launch_s: LLMCompass A100 GELU on 1,024 elements 48 us (its Python loop, an upper value) "
                         "and the 21 us it adds to every simulated A100 kernel; gemm_efficiency: LLMCompass A100 "
                         "8192x12288x12288 GEMM 287-291 of 312 TFLOPS; mem_efficiency: LLMCompass A100 GELU on 537M "
                         "FP16 elements, 390 G elements/s x 4 B = 1561 of 2039 GB/s; attention_efficiency: Ada's "
                         "(not fitted: the RTX 3090 rows are held out)"),
    "Turing": ArchParams("Turing", 2.0e-5, 3e-6, 0.80, 0.77, 0.45, "unfitted: Ampere's values, gemm 0.80, "
                                                                   "attention 0.45"),
    "Ada": ArchParams("Ada", 1.0e-5, 3e-6, 0.96, 0.90, 0.60,
                      "gemm/mem/attention efficiencies fitted on the RTX 4090 torch 2.9 timm rows (grid, least mean "
                      "|log error|: tools/validate_gpu.py --fit Ada); launch_s, kernel_fixed_s: Ampere's halved "
                      "(faster host path of torch 2.9), not fitted (batch-1024 rows do not see them)"),
    "Hopper": ArchParams("Hopper", 1.0e-5, 3e-6, 0.75, 0.85, 0.50,
                         "unfitted: no measured rows; gemm 0.75 (H100 FP16 cuBLAS GEMMs reach ~700-750 of 989 "
                         "TFLOPS dense)"),
    "Blackwell": ArchParams("Blackwell", 1.0e-5, 3e-6, 0.96, 0.75, 0.60,
                            "gemm/mem/attention efficiencies fitted on the RTX 5090 and RTX PRO 6000 Max-Q torch 2.9 "
                            "timm rows (tools/validate_gpu.py --fit Blackwell; refitted once the workloads carried "
                            "their copies as layout layers: 0.90/0.85 before); launch_s, kernel_fixed_s as Ada"),
}


def arch_family(arch: str) -> str:
    """``Ada AD102 (sm_89)`` -> ``Ada``; unknown -> ``Ampere`` (the most measured)."""
    word = (arch or "").split(" ")[0]
    return word if word in ARCH else "Ampere"


def ctas_per_sm(tm: int, tn: int) -> int:
    return 1 if tm * tn >= 128 * 128 else 2


def gemm_math_time(m: int, n: int, k: int, repeat: int, peak: float, sm_count: int, eff: float) -> float:
    """Least tile-quantized math time of an M x N x K GEMM (module docstring)."""
    per_sm = peak / sm_count
    kp = math.ceil(k / K_TILE) * K_TILE
    best = math.inf
    for tm, tn in TILES:
        c = ctas_per_sm(tm, tn)
        tiles = math.ceil(m / tm) * math.ceil(n / tn) * repeat
        waves = math.ceil(tiles / (sm_count * c))
        best = min(best, waves * c * 2.0 * tm * tn * kp / per_sm / eff)
    return best


def attention_math_time(m: int, n: int, k: int, repeat: int, peak: float, eff: float, is_qk: bool) -> float:
    """Math time of one matmul of a fused attention: L padded to the query block, S to the key block."""
    if is_qk:
        m, n = math.ceil(m / ATTN_Q_BLOCK) * ATTN_Q_BLOCK, math.ceil(n / ATTN_KV_BLOCK) * ATTN_KV_BLOCK
    else:
        m, k = math.ceil(m / ATTN_Q_BLOCK) * ATTN_Q_BLOCK, math.ceil(k / ATTN_KV_BLOCK) * ATTN_KV_BLOCK
    return 2.0 * m * n * k * repeat / peak / eff


def expected_time(layer, lr, device, skip: frozenset) -> float:
    """Expected seconds of one roofline layer ``lr`` (of ``layer``) on GPU ``device`` (module docstring)."""
    p = ARCH[arch_family(device.gpu.arch if device.gpu else "")]
    bw = device.dram.bandwidth_bytes_per_s * p.mem_efficiency
    if "all" in skip:
        return 0.0                           # inside a fused kernel
    if layer.is_gemm and ("ofmap" in skip or "ifmap" in skip) and layer.op == "matmul":
        t = attention_math_time(layer.m, layer.n, layer.k, layer.repeat, lr.peak_ops_per_s,
                                p.attention_efficiency, "ofmap" in skip)
        t = max(t, lr.bytes / bw)
        return max(t + p.kernel_fixed_s, p.launch_s) if "ofmap" in skip else t   # one launch per fused kernel
    if layer.op == "conv" and layer.repeat > 1 and layer.n <= 16:
        # grouped/depthwise convolution: CUDA-core kernel (cuDNN), memory-bound on real shapes
        t = 2.0 * layer.macs / device.peak(device.vector_key).ops_per_s
        return max(max(t, lr.bytes / bw) + p.kernel_fixed_s, p.launch_s)
    if layer.is_gemm:
        t = gemm_math_time(layer.m, layer.n, layer.k, layer.repeat, lr.peak_ops_per_s, (device.gpu.sm_count if device.gpu else None) or 1,
                           p.gemm_efficiency)
        return max(max(t, lr.bytes / bw) + p.kernel_fixed_s, p.launch_s)
    return max(lr.bytes / bw + p.kernel_fixed_s, p.launch_s)


# ---------------------------------------------------------------------------------------------- fused runtimes
@dataclass(frozen=True)
class RuntimeParams:
    """Expected-time parameters of a fused runtime on one architecture: launch cost per kernel, GEMM efficiency per
    data type (fraction of that ceiling's peak), attention and memory efficiencies, with their source."""

    launch_s: float
    kernel_fixed_s: float
    gemm_efficiency: tuple[tuple[str, float], ...]   # (fp16 | int8 | fp8 | fp4 | int4, efficiency)
    attention_efficiency: float
    mem_efficiency: float
    source: str

    def gemm(self, ceiling: str) -> float:
        """Efficiency of a GEMM on ceiling ``ceiling`` (e.g. ``int8``, ``fp16_fp32acc``, ``fp8_fp32acc``)."""
        effs = dict(self.gemm_efficiency)
        for key in ("int8", "int4", "fp8", "fp4"):
            if ceiling.startswith(key):
                return effs.get(key, effs["fp16"])
        return effs["fp16"]


def _from_arch(family: str, launch_s: float, source: str, **over) -> RuntimeParams:
    a = ARCH[family]
    base = {"launch_s": launch_s, "kernel_fixed_s": a.kernel_fixed_s, "gemm_efficiency": (("fp16", a.gemm_efficiency),),
                "attention_efficiency": a.attention_efficiency, "mem_efficiency": a.mem_efficiency, "source": source}
    base.update(over)
    return RuntimeParams(**base)


def runtime_params(profile: str, family: str) -> RuntimeParams:
    """``RUNTIMES[(profile, family)]``, else the profile's ``*`` entry built on the family's ARCH values."""
    got = RUNTIMES.get((profile, family))
    if got is not None:
        return got
    return RUNTIME_DEFAULTS[profile](family)


# torch.compile runs the same cuBLAS GEMMs and SDPA kernels as eager: the architecture's efficiencies; its Python
# wrapper issues kernels faster than eager dispatch (launch_s below); fitted values where calibration rows exist.
# TensorRT/FasterTransformer: C++ enqueue (a few us per kernel); INT8 IMMA GEMMs below the FP16 efficiency.
RUNTIME_DEFAULTS = {
    "torch_compile": lambda fam: _from_arch(fam, 5e-6, f"{fam}: eager's efficiencies (same cuBLAS/SDPA kernels); "
                                                       "launch 5 us (inductor's generated wrapper), not fitted"),
    "tensorrt": lambda fam: _from_arch(fam, 3e-6, f"{fam}: eager's efficiencies, INT8 GEMMs at 0.7 (not fitted); "
                                                  "launch 3 us (C++ enqueue)",
                                       gemm_efficiency=(("fp16", ARCH[fam].gemm_efficiency), ("int8", 0.7),
                                                        ("fp8", 0.7), ("fp4", 0.6), ("int4", 0.6))),
}
RUNTIMES: dict[tuple[str, str], RuntimeParams] = {
    ("tensorrt", "Ampere"): RuntimeParams(
        3e-6, 3e-6, (("fp16", 0.30), ("int8", 0.20)), 0.25, 0.30,
        "fitted on FasterTransformer's published A100 rows (docs/vit_guide.md, docs/swin_guide.md: ViT-B/16 at 384 "
        "and Swin-V1 T/S/B/L, FP16 and INT8, batch 1-64; docs/validation-gpu-runtimes.md): grid gemm fp16 "
        "{0.3, 0.45, 0.6} x int8 {0.2, 0.3, 0.45} x memory {0.2, 0.3, 0.5}, attention 0.25, least mean |log error|; "
        "FT's 2021 kernels (CUDA 11.4) run far below the A100 peaks: ~72 of 312 TFLOPS on ViT-B/384 FP16"),
}


def _gemm_math(layer, lr, device, skip, eff: float, attn_eff: float) -> float:
    if layer.op == "matmul" and ("ofmap" in skip or "ifmap" in skip):
        return attention_math_time(layer.m, layer.n, layer.k, layer.repeat, lr.peak_ops_per_s, attn_eff,
                                   "ofmap" in skip)
    if layer.op == "conv" and layer.repeat > 1 and layer.n <= 16:
        return 2.0 * layer.macs / device.peak(device.vector_key).ops_per_s
    sms = (device.gpu.sm_count if device.gpu else None) or 1
    return gemm_math_time(layer.m, layer.n, layer.k, layer.repeat, lr.peak_ops_per_s, sms, eff)


def kernel_time(items, device, params: RuntimeParams, clock_scale: float = 1.0) -> float:
    """Expected seconds of one fused kernel: ``items`` = [(layer, roofline row, skip)], head first.

        t = max(sum of its GEMM/attention math (tile-quantized, at the runtime's per-dtype efficiency),
                sum bytes / (bandwidth x mem_efficiency)) + kernel_fixed_s;   t_expected = max(t, launch_s)
    (epilogue and softmax arithmetic runs under the MMAs; ``clock_scale``: sustained / peak clock, stretching the
    math of a power-limited card)."""
    if all("all" in skip for _, _, skip in items):
        return 0.0
    bw = device.dram.bandwidth_bytes_per_s * params.mem_efficiency
    math_t = sum(_gemm_math(x, lr, device, skip, params.gemm(lr.ceiling), params.attention_efficiency)
                 for x, lr, skip in items if x.is_gemm) / clock_scale
    mem_t = sum(lr.bytes for _, lr, _ in items) / bw
    return max(max(math_t, mem_t) + params.kernel_fixed_s, params.launch_s)
