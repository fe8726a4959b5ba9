"""GPU totals beyond the per-layer roofline: kernels of a fused runtime, the ideal everything-fused bound, and
board power / energy (formulas: docs/roofline.md, "Fused runtimes" and "GPU power").

* ``merge_kernels``: rows of a fused profile (``analysis.fusion``) grouped by kernel; the head row gets the kernel's
  bound (``fusion.kernel_bound``) and expected time (``gpu_expected.kernel_time``), the members 0.
* ``ideal_totals``: the whole network as one kernel with every tensor between kernels held in L2 when it fits:
      bytes_ideal = weights (and scales) + the first layer's input + the last layer's output
                    + 2 x every tensor the profile writes between kernels that is larger than the L2 (written
                    and read back; a smaller one stays in L2)
      latency_s_ideal = min(the profile's bound, max(sum tensor-core time, sum CUDA-core time,
                                                     bytes_ideal / DRAM bandwidth))
  (peaks at the profile's clock).
* ``energy_totals``: utilization u = latency_s_bound / latency_s_expected (how close the run is to its roofline),
  board power P = idle_w + (tdp_w - idle_w) x u (``GpuInfo.board_power_w``), energy_j_per_image = P x
  latency_s_expected / batch, images_per_s_per_w = throughput_fps_expected / P.
"""

from __future__ import annotations

from dataclasses import replace

from analysis.fusion import FUSED, kernel_bound


def merge_kernels(rows, layers, skips, device, profile: str) -> list:
    """Rows with each kernel's bound and expected time on its head and 0 on its members (module docstring)."""
    from analysis.gpu_expected import arch_family, kernel_time, runtime_params

    params = runtime_params(profile, arch_family(device.gpu.arch if device.gpu else ""))
    scale = device.gpu.sustained_scale if device.gpu else 1.0
    out = list(rows)
    i, n = 0, len(rows)
    while i < n:
        j = i + 1
        while j < n and FUSED in skips.get(j, ()):
            j += 1
        group = range(i, j)
        bound = kernel_bound([rows[k] for k in group], [layers[k] for k in group])
        texp = None
        if device.kind == "gpu":
            texp = kernel_time([(layers[k], rows[k], skips.get(k, frozenset())) for k in group], device, params,
                               scale)
            texp = max(texp, bound) if texp > 0 else 0.0
        out[i] = replace(rows[i], time_s=bound, time_s_expected=texp)
        for k in range(i + 1, j):
            out[k] = replace(rows[k], time_s=0.0, time_s_expected=0.0 if texp is not None else None)
        i = j
    return out


def ideal_totals(rows, layers, device, batch: int) -> dict:
    """``latency_s_ideal`` / ``throughput_fps_ideal`` (module docstring); None without a DRAM bandwidth."""
    l2 = device.level("l2")
    cap = l2.capacity_bytes if l2 is not None and l2.capacity_bytes else 0.0
    weights = sum(r.filter_bytes + r.scale_bytes for r, x in zip(rows, layers) if x.is_gemm and x.weight_operand)
    if not rows:
        return {"dram_bytes_ideal": 0.0, "latency_s_ideal": None, "throughput_fps_ideal": None}
    spill = sum(2 * r.ofmap_bytes for r in rows[:-1] if r.ofmap_bytes > cap)
    nbytes = weights + rows[0].ifmap_bytes + rows[-1].ofmap_bytes + spill
    tensor = sum(r.compute_time_s for r, x in zip(rows, layers) if x.is_gemm)
    vector = sum(r.compute_time_s for r, x in zip(rows, layers) if not x.is_gemm)
    bound = sum(r.time_s for r in rows)
    lat = min(bound, max(tensor, vector, nbytes / device.dram.bandwidth_bytes_per_s))
    return {"dram_bytes_ideal": nbytes, "latency_s_ideal": lat, "throughput_fps_ideal": batch / lat if lat else None}


def energy_totals(totals: dict, device) -> dict:
    """Board power, energy per image and images/s/W at the expected time (module docstring); None without a
    ``power`` entry in the GPU YAML or an expected time."""
    info = getattr(device, "gpu", None)
    lat, bound = totals.get("latency_s_expected"), totals.get("latency_s_bound")
    none = {"utilization": None, "board_power_w": None, "energy_j_per_image": None, "images_per_s_per_w": None}
    if info is None or not lat or not bound or info.tdp_w is None:
        return none
    u = min(1.0, bound / lat)
    power = info.board_power_w(u)
    return {"utilization": u, "board_power_w": power, "energy_j_per_image": power * lat / totals["batch"],
            "images_per_s_per_w": totals["throughput_fps_expected"] / power}
