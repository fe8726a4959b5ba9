"""Per-layer roofline: ops, bytes at each memory level, intensity, ceiling, bound and a time lower bound.

The bytes come from the simulator's one traffic model (``simulator.model.traffic``), not from a copy here:
  DRAM level = the COMPULSORY traffic (``compulsory_dram_bytes``): every operand and the result once at its bit
              width. The simulator's modelled DRAM bytes (``dram_read_bytes + dram_write_bytes``) are never
              below it and equal it when every operand fits its buffer.
  SRAM level = the simulator's ARRAY-SIDE traffic (``array_sram_bytes``): exactly the simulator's per-layer
              ``sram_ifmap_read_bytes + sram_filter_read_bytes + sram_ofmap_write_bytes + sram_ofmap_read_bytes``
              for one pass over the temporal dimension. A ws/is layer the simulator splits into c temporal chunks
              re-reads its stationary operand c times; the roofline keeps the one-pass bytes (the minimum).
``Roofline.options`` (``dram_traffic``, ``sram_traffic``) and ``totals`` (``dram_bytes``, ``sram_bytes``) say so.

Per layer (units: ops, bytes, seconds):
  ops       = 2 * macs for GEMM-like layers; OPS_PER_ELEMENT[op] * elements for vector ops
              (analysis.devices.OPS_PER_ELEMENT: softmax 5, layernorm 7, gelu 5, add/mul 1, quantize 2).
  DRAM bytes (compulsory): every operand and the result once at its bit width (bit-packed, INT4 = half a byte):
              GEMM: (ifmap M*K*a_bits/8 + filter K*N*w_bits/8 + ofmap M*N*out_bits/8) * repeat + scales
              (``repeat`` copies are independent: heads of an attention matmul, groups of a grouped conv); vector:
              inputs (``add`` reads two) at a_bits and the output at out_bits. Scales: simulator.quant's count
              (per tensor 0: a register constant; per channel N, group:g ceil(K/g)*N, per token M per copy) at
              the accelerator's ppu.scale_bits, FP16 (SCALE_BITS) on GPUs.
              With ``fused_attention`` the attention scores never leave the chip: the q@k^T output, the softmax
              and the attn@v score input move 0 DRAM bytes (FlashAttention-style fusion).
  SRAM bytes (accelerators, GEMMs; array-side): buffer <-> array bytes as the simulator counts them
              (``simulator.model.kernel.sram_traffic``) with p = the PE mode's macs_per_cycle
              (``hw.pe.resolve``) and acc_bits = min(layer.acc_bits, hw.pe.acc_bits); nr row folds, nc column
              folds of the kernel's mapping (os: M x N on the array; ws/is: K in row blocks of R*p):
              os: ifmap M*K*nc*a_bits + filter K*N*nr*w_bits + ofmap M*N*out_bits;
              ws: ifmap M*K*nc*a_bits + filter K*N*w_bits + ofmap writes M*N*(out_bits + (nr-1)*acc_bits)
                  + partial-sum read-backs M*N*(nr-1)*acc_bits;
              is: as ws with ifmap and filter swapped (filter K*N*nc*w_bits, nc = ceil(M/C); ifmap M*K*a_bits);
              all / 8 * repeat.
  time      = max(ops / peak, DRAM bytes / DRAM bandwidth, SRAM bytes / SRAM bandwidth)
  bound     = ``compute`` if ops / peak is the largest term, else ``memory`` (DRAM) or ``sram``.
  intensity = ops / DRAM bytes; attainable = ops / time = min(peak, intensity * bandwidth) on one level.
  crossover_batch = the smallest batch at which the layer is compute-bound (None: never up to MAX_BATCH).
Totals: latency_s_bound = sum of layer times (layers run one after another); on an accelerator whose engines overlap
across layers (``vector.overlap`` gemm or auto, or weights prefetched across layers, docs/memory.md "Network schedule") it is
the busiest engine's time instead, max(sum over array layers (gemm, matmul, conv) of max(compute, SRAM time), sum
over the other layers of their compute time, sum of DRAM times): each engine still does all its work, but no longer
one layer after another (``options.latency_bound`` says which); throughput_fps_bound =
batch / latency_s_bound; memory_bound_time_fraction = time of layers not compute-bound / the sum of layer times;
gemm_crossover_batch = the batch from which every weight GEMM is compute-bound (largest crossover; None if never);
dram_bytes = the sum of the layers' compulsory DRAM bytes; sram_bytes = the sum of the GEMMs' array-side SRAM
bytes (None on a device without an SRAM level)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from analysis.devices import OPS_PER_ELEMENT, Device
from analysis.roofline_totals import engines_overlap, totals
from analysis.sparse import sparse_view
from simulator.model.traffic import array_sram_bytes, compulsory_dram_bytes
from workloads.errors import InputError
from workloads.model import Layer, Workload

SCALE_BITS = 16
# which traffic each memory level counts (JSON options; module docstring)
TRAFFIC = {
    "dram_traffic": "compulsory: every operand and the result once at its bit width "
                    "(simulator.model.traffic.compulsory_dram_bytes); the simulator's modelled DRAM bytes are >= it",
    "sram_traffic": "array-side: buffer <-> array bytes as the simulator counts them, partial sums at acc_bits "
                    "with read-backs (simulator.model.traffic.array_sram_bytes)",
}
MAX_BATCH = 1 << 16

# precision P -> (shipped recipe name or inline recipe mapping, GEMM ceiling preference)
PRECISIONS: dict[str, tuple[object, str | None]] = {
    "fp32": ({"name": "fp32", "default": {"w_bits": 32, "a_bits": 32, "out_bits": 32, "dtype": "fp"}}, None),
    "tf32": ({"name": "tf32", "default": {"w_bits": 32, "a_bits": 32, "out_bits": 32, "dtype": "fp"}}, "tf32"),
    "fp16": ("fp16", None),
    "fp16acc": ("fp16", "fp16_fp16acc"),
    "bf16": ({"name": "bf16", "default": {"w_bits": 16, "a_bits": 16, "out_bits": 16, "dtype": "fp"}}, "bf16"),
    "fp8": ({"name": "fp8", "default": {"w_bits": 8, "a_bits": 8, "out_bits": 8, "dtype": "fp"}}, None),
    "int8": ("w8a8", None),
    "w8a8": ("w8a8", None),
    "w4a8": ("w4a8", None),
    "int4": ("w4a4", None),
    "w4a4": ("w4a4", None),
    "mixed": ("mixed", None),
    "w8a16": ({"name": "w8a16", "default": {"w_bits": 8, "a_bits": 16, "out_bits": 16, "dtype": "int",
                                            "w_granularity": "channel"},
               "rules": [{"match": "*", "op": "matmul", "w_bits": 16, "dtype": "fp"}]}, None),
    "int8_io": ("w8a8", None),      # INT8 in and out of every kernel, non-linear ops included (meta activations)
    # the block formats of workloads/block_formats.py: FP4 E2M1, an 8-bit scale per 16 (NVFP4) or 32 (MXFP4)
    "nvfp4": ({"name": "nvfp4", "default": {"block_format": "nvfp4", "out_bits": 16}}, None),
    "mxfp4": ({"name": "mxfp4", "default": {"block_format": "mxfp4", "out_bits": 16}}, None),
    "w4a16": ({"name": "w4a16", "default": {"w_bits": 4, "a_bits": 16, "out_bits": 16, "dtype": "int",
                                            "w_granularity": "group:128"},
               "rules": [{"match": "*", "op": "matmul", "w_bits": 16, "dtype": "fp"}]}, None),
}


def apply_precision(workload: Workload, precision: str) -> tuple[Workload, str | None]:
    """Quantize ``workload`` to ``precision`` (a PRECISIONS key); return it and the GEMM ceiling preference."""
    from workloads.quantize import Recipe, load_recipe

    key = precision.lower()
    if key not in PRECISIONS:
        raise InputError("roofline", "precision", f"unknown precision {precision!r}", ", ".join(PRECISIONS))
    spec, prefer = PRECISIONS[key]
    recipe = load_recipe(spec) if isinstance(spec, str) else Recipe.from_dict(spec, f"precision {key}")
    out = recipe.apply(workload)
    if key == "int8_io":
        out = replace(out, meta={**out.meta, "activations": "int8_io"})
    return out, prefer


# precisions a GPU runs only on its own tensor-core format: refused (not emulated) on a GPU without that ceiling
NATIVE_CEILING = {"fp8": "fp8", "nvfp4": "fp4", "mxfp4": "fp4"}


def check_precision(device: Device, precision: str | None) -> None:
    """InputError when ``precision`` needs a tensor-core format the GPU ``device`` lacks (FP8 before Ada/Hopper,
    FP4 before Blackwell)."""
    need = NATIVE_CEILING.get((precision or "").lower())
    if need and device.kind == "gpu" and not device.has(need):
        arch = device.gpu.arch if device.gpu else device.name
        raise InputError(f"--device {device.name}", "--precision", f"{arch} has no {need} tensor cores for "
                         f"{precision}", ", ".join(sorted(
                             p for p, k in NATIVE_CEILING.items() if device.has(k)) + ["fp16", "int8"]))


@dataclass(frozen=True)
class LayerRoofline:
    """One layer on one device (formulas in the module docstring)."""

    name: str
    op: str
    precision: str
    ceiling: str
    peak_ops_per_s: float
    ops: float
    bytes: float                 # DRAM bytes (compulsory: every operand once)
    ifmap_bytes: float
    filter_bytes: float
    ofmap_bytes: float
    scale_bytes: float
    sram_bytes: float | None     # array-side SRAM bytes (the simulator's); None: no SRAM level or not a GEMM
    intensity: float | None      # ops per DRAM byte (None when nothing leaves the chip)
    ridge: float
    compute_time_s: float
    memory_time_s: float
    sram_time_s: float | None
    time_s: float
    attainable_ops_per_s: float
    bound: str
    note: str = ""
    crossover_batch: int | None = None
    time_s_expected: float | None = None   # GPUs: analysis.gpu_expected (launch floor, tiles, efficiencies)

    def to_dict(self) -> dict:
        return asdict(self)


def sram_bytes(layer: Layer, hardware) -> float:
    """Array-side SRAM bytes of a GEMM on an accelerator: ``simulator.model.traffic.array_sram_bytes`` with the
    PE mode's p and the accumulator width the simulator uses (module docstring)."""
    mode, _ = hardware.pe.resolve(layer.dtype, layer.w_bits, layer.a_bits)
    if mode is None:
        raise InputError(layer.name, "precision", f"no PE mode of {hardware.name} runs {layer.precision}",
                         ", ".join(m.label for m in hardware.pe.precisions))
    a = hardware.array
    return array_sram_bytes(str(a.dataflow), layer.m, layer.n, layer.k, layer.repeat, a.rows, a.cols,
                            mode.macs_per_cycle, layer.a_bits, layer.w_bits, layer.out_bits,
                            min(layer.acc_bits, hardware.pe.acc_bits))


def layer_roofline(layer: Layer, device: Device, prefer: str | None = None,
                   skip: frozenset = frozenset()) -> LayerRoofline:
    """The roofline of one layer (module docstring); ``skip`` = operands kept on chip by fusion."""
    if layer.is_gemm:
        peak, note = device.gemm_peak(layer, prefer)
        ops = 2.0 * layer.macs
    else:
        if layer.op not in OPS_PER_ELEMENT:
            raise InputError(layer.name, "op", f"no op count for {layer.op!r}", ", ".join(OPS_PER_ELEMENT))
        peak, note = device.vector_peak(layer)
        ops = float(OPS_PER_ELEMENT[layer.op] * layer.elements)
    ppu = getattr(device.hardware, "ppu", None)  # our accelerators; GPUs and the host have none
    moved, filter_scale = sparse_view(device, layer)     # sparse weights as the device stores and streams them
    memory = getattr(device.hardware, "memory", None)   # an accelerator's conv input: tiles or im2col
    parts = dict(compulsory_dram_bytes(moved, skip, ppu.scale_bits if ppu is not None else SCALE_BITS,
                                       memory is not None and memory.conv == "tiles"))
    parts["filter"] = parts["filter"] * filter_scale
    for token in skip:   # a framework profile's real input size of a conv (analysis.framework: not the im2col)
        if token.startswith("ifmap_elements="):
            parts["ifmap"] = float(token.split("=", 1)[1]) * moved.a_bits / 8
    total = sum(parts.values())
    bw = device.dram.bandwidth_bytes_per_s
    t_compute = ops / peak.ops_per_s
    t_mem = total / bw
    sram_b = t_sram = None
    sram = device.level("sram")
    if layer.is_gemm and sram is not None and sram.bandwidth_bytes_per_s and device.hardware is not None:
        sram_b = sram_bytes(layer, device.hardware)
        t_sram = sram_b / sram.bandwidth_bytes_per_s
    if "overlapped" in skip:   # a fused kernel's softmax: its CUDA-core work runs under the kernel's MMAs
        t_compute = 0.0
    time = max(t_compute, t_mem, t_sram or 0.0)
    if t_compute >= time:
        bound = "compute"
    elif t_mem >= time:
        bound = "memory"
    else:
        bound = "sram"
    return LayerRoofline(
        name=layer.name, op=layer.op, precision=layer.precision, ceiling=peak.key, peak_ops_per_s=peak.ops_per_s,
        ops=ops, bytes=total, ifmap_bytes=parts["ifmap"], filter_bytes=parts["filter"], ofmap_bytes=parts["ofmap"],
        scale_bytes=parts["scales"], sram_bytes=sram_b, intensity=ops / total if total else None,
        ridge=peak.ops_per_s / bw, compute_time_s=t_compute, memory_time_s=t_mem, sram_time_s=t_sram,
        time_s=time, attainable_ops_per_s=ops / time if time else peak.ops_per_s, bound=bound, note=note)


def onchip_skips(workload: Workload, device: Device) -> dict[int, frozenset]:
    """Operands an accelerator keeps on chip between layers (``memory.activations: on_chip``): the simulator's own
    plan (``simulator.model.residency.plan_residency`` on these layers), so its DRAM bytes never fall below the
    roofline's. Empty for GPUs, the host, and accelerators that read every operand from DRAM."""
    hw = device.hardware if device.kind == "accelerator" else None
    if hw is None:
        return {}
    from simulator.model.residency import activation_capacity, plan_residency, skip_of

    capacity = activation_capacity(hw)
    if capacity is None:
        return {}
    return {i: skip_of(p) for i, p in enumerate(plan_residency(list(workload.layers), capacity)) if skip_of(p)}


def fused_skips(layers) -> dict[int, frozenset]:
    """Operands kept on chip by fused attention: the matmul before each softmax keeps its output, the
    softmax moves nothing, the matmul after it reads its score input from chip."""
    out: dict[int, set] = {}
    for i, layer in enumerate(layers):
        if layer.op != "softmax":
            continue
        out.setdefault(i, set()).add("all")
        j = i - 1
        while j >= 0 and layers[j].op != "matmul":
            j -= 1
        if j >= 0:
            out.setdefault(j, set()).add("ofmap")
        j = i + 1
        while j < len(layers) and layers[j].op != "matmul":
            j += 1
        if j < len(layers):
            out.setdefault(j, set()).add("ifmap")
    return {i: frozenset(s) for i, s in out.items()}


def crossover_batch(layer: Layer, batch: int, device: Device, prefer: str | None = None,
                    skip: frozenset = frozenset(), max_batch: int = MAX_BATCH) -> int | None:
    """Smallest batch at which ``layer`` (taken from a workload at ``batch``) is compute-bound; None if never.

    Rescales the layer with ``Workload.with_batch`` (attention matmuls scale repeat, the rest rows) and
    bisects; a weight GEMM's intensity grows with the batch, so the bound flips at most once.
    """
    if not layer.is_gemm:   # ops and bytes both scale with the elements: the bound never flips (and a framework's
        # weight cast does not scale with the batch at all)
        return 1 if layer_roofline(layer, device, prefer, skip).bound == "compute" else None
    one = Workload(model=layer.name, layers=(layer,), batch=batch)

    def compute_bound(b: int) -> bool:
        return layer_roofline(one.with_batch(b).layers[0], device, prefer, skip).bound == "compute"

    if compute_bound(1):
        return 1
    if not compute_bound(max_batch):
        return None
    lo, hi = 1, max_batch
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if compute_bound(mid):
            hi = mid
        else:
            lo = mid
    return hi


@dataclass
class Roofline:
    """The roofline of a workload on a device: per-layer records and totals."""

    device: Device
    workload: Workload
    layers: list[LayerRoofline]
    totals: dict
    options: dict

    def to_dict(self) -> dict:
        return {"device": self.device.to_dict(),
                "workload": {"model": self.workload.model, "recipe": self.workload.recipe,
                             "batch": self.workload.batch, "img_size": self.workload.img_size,
                             "layers": len(self.workload.layers), "macs": self.workload.macs,
                             "source": self.workload.source},
                "options": dict(self.options),
                "layers": [lr.to_dict() for lr in self.layers], "totals": dict(self.totals)}

    def frame(self):
        """Per-layer pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame([lr.to_dict() for lr in self.layers])

    def by_op(self) -> dict[str, dict]:
        """Time per op type split by bound: {op: {"compute": s, "memory": s, "sram": s}}."""
        out: dict[str, dict] = {}
        for lr in self.layers:
            d = out.setdefault(lr.op, {"compute": 0.0, "memory": 0.0, "sram": 0.0})
            d[lr.bound] += lr.time_s
        return out


def analyze(workload: Workload, device: Device, prefer: str | None = None, fused_attention: bool = False,
            crossover: bool = True, framework=None, attention: str | None = None,
            torch_version: str | None = None) -> Roofline:
    """Roofline of every layer of ``workload`` on ``device`` plus totals; identical layers computed once.

    ``framework`` (an ``analysis.framework.PROFILES`` name, e.g. ``pytorch_eager_amp``; ``"device"``: the device's
    own profile) runs the workload as that framework does (its casts, FP32 non-linear ops, layout copies, fused
    attention); ``attention`` (``fused``/``unfused``) overrides the profile's. Without both, the layers as written
    (``fused_attention`` keeps every attention's scores on chip). GPUs also get each layer's expected time, the ideal
    everything-fused bound and, with a ``power`` entry, energy (analysis/gpu_kernels.py). ``framework`` may be a
    FrameworkProfile; ``torch_version`` (e.g. ``1.13``) decides SDPA and torch.compile (framework.TORCH_VERSIONS)."""
    from analysis.framework import get_profile, lowered_workload
    from analysis.gpu_extras import device_framework

    profile_name = device_framework(device) if framework == "device" else framework
    if profile_name is not None or attention is not None:
        profile = get_profile(profile_name)
        workload, skips, used = lowered_workload(workload, profile, attention, torch_version)
        fused_attention = used == "fused"
        if profile.name != "none":
            from analysis.gpu_extras import at_max_clock

            device = at_max_clock(device)       # what a measured run can reach (GPU Boost): max_clock_mhz
    else:
        from workloads.layout import without_layout

        workload = without_layout(workload)     # copies cost nothing without a framework profile (workloads/layout.py)
        profile, used = None, ("fused" if fused_attention else "unfused")
        skips = fused_skips(workload.layers) if fused_attention else {}
    skips = dict(skips)
    for i, kept in onchip_skips(workload, device).items():   # what the accelerator's memory plan keeps on chip
        skips[i] = skips.get(i, frozenset()) | kept
    expect = device.kind == "gpu"
    sustained = device.gpu.sustained_scale if expect and device.gpu else 1.0
    cache: dict[tuple, LayerRoofline] = {}
    cross: dict[tuple, int | None] = {}
    out = []
    for i, layer in enumerate(workload.layers):
        skip = skips.get(i, frozenset())
        key = (replace(layer, name=""), skip)
        lr = cache.get(key)
        if lr is None:
            lr = cache[key] = layer_roofline(layer, device, prefer, skip)
            if crossover:
                cross[key] = crossover_batch(layer, workload.batch, device, prefer, skip)
        texp = None
        if expect:
            from analysis.gpu_expected import expected_time

            texp = expected_time(layer, lr if sustained == 1.0 else replace(lr, peak_ops_per_s=lr.peak_ops_per_s *
                                                                               sustained), device, skip)
        out.append(replace(lr, name=layer.name, crossover_batch=cross.get(key), time_s_expected=texp))
    if profile is not None and profile.fusion != "none":
        from analysis.gpu_kernels import merge_kernels

        out = merge_kernels(out, workload.layers, skips, device, profile.name)
    overlap = engines_overlap(device)
    tot = totals(out, workload.batch, overlap)
    if expect:
        from analysis.gpu_kernels import energy_totals, ideal_totals

        tot.update(ideal_totals(out, workload.layers, device, workload.batch))
        tot.update(energy_totals(tot, device))
    return Roofline(device, workload, out, tot,
                    {"precision_preference": prefer, "fused_attention": fused_attention, "attention": used,
                     "latency_bound": "busiest engine (array, vector unit, DRAM overlap across layers)" if overlap
                     else "sum of layer times",
                     "framework": profile.name if profile else "none", "torch_version": torch_version,
                     "sdpa_attentions": workload.meta.get("sdpa_attentions") if profile else None,
                     "framework_description": profile.description if profile else "the workload's layers as "
                                                                                  "written", **TRAFFIC})
