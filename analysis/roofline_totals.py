"""Network totals of a roofline (formulas: analysis/roofline.py's module docstring, "Totals"): the latency bound
(layers one after another, or the busiest engine when the accelerator's engines overlap across layers), throughput,
the memory-bound time fraction, the GEMM crossover batch and the GPU expected time. ``layers`` are
``analysis.roofline.LayerRoofline`` rows."""

from __future__ import annotations

from workloads.model import GEMM_OPS


def _all_gemms_crossover(layers: list) -> int | None:
    """The batch from which every weight GEMM (gemm, conv) is compute-bound: the largest crossover; None if one
    never crosses or crossovers were not computed."""
    xs = [lr.crossover_batch for lr in layers if lr.op in ("gemm", "conv")]
    return max(xs) if xs and all(x is not None for x in xs) else None


def engines_overlap(device) -> bool:
    """True on an accelerator whose vector unit works beside the array or whose weights are prefetched across layers
    (the network latency bound is then the busiest engine's, module docstring)."""
    hw = device.hardware if device.kind == "accelerator" else None
    return hw is not None and (hw.vector.overlap != "none" or hw.prefetches_weights)


def engine_latency(layers: list) -> float:
    """max(array time, other compute time, DRAM time) in s, each summed over the network (module docstring)."""
    array = sum(max(lr.compute_time_s, lr.sram_time_s or 0.0) for lr in layers if lr.op in GEMM_OPS)
    other = sum(lr.compute_time_s for lr in layers if lr.op not in GEMM_OPS)
    return max(array, other, sum(lr.memory_time_s for lr in layers))


def totals(layers: list, batch: int, overlap: bool = False) -> dict:
    """Network totals (module docstring); ``overlap``: the engines overlap across layers (``engines_overlap``)."""
    serial = sum(lr.time_s for lr in layers)
    latency = engine_latency(layers) if overlap else serial
    ops = sum(lr.ops for lr in layers)
    dram = sum(lr.bytes for lr in layers)
    sram = [lr.sram_bytes for lr in layers if lr.sram_bytes is not None]
    mem_time = sum(lr.time_s for lr in layers if lr.bound != "compute")
    return {
        "batch": batch,
        "ops": ops,
        "dram_bytes": dram,
        "sram_bytes": sum(sram) if sram else None,
        "intensity": ops / dram if dram else None,
        "latency_s_bound": latency,
        "throughput_fps_bound": batch / latency if latency else None,
        "attainable_tops": ops / latency / 1e12 if latency else None,
        "memory_bound_time_fraction": mem_time / serial if serial else 0.0,
        "compute_bound_layers": sum(1 for lr in layers if lr.bound == "compute"),
        "memory_bound_layers": sum(1 for lr in layers if lr.bound != "compute"),
        "gemm_crossover_batch": _all_gemms_crossover(layers),
        "compute_time_s": sum(lr.compute_time_s for lr in layers),
        "memory_time_s": sum(lr.memory_time_s for lr in layers),
        **expected_totals(layers, batch),
    }


def expected_totals(layers: list, batch: int) -> dict:
    """``latency_s_expected`` (sum of the layers' expected times) and ``throughput_fps_expected`` on a GPU; None
    where no layer has an expected time (accelerators, the host)."""
    if not layers or any(lr.time_s_expected is None for lr in layers):
        return {"latency_s_expected": None, "throughput_fps_expected": None}
    lat = sum(lr.time_s_expected for lr in layers)
    return {"latency_s_expected": lat, "throughput_fps_expected": batch / lat if lat else None}
