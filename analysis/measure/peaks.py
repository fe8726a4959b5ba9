"""Measured peaks and bandwidth of this machine (one thread, ``torch.set_num_threads(1)``; best of ``repeats``):
  fp32 GEMM: s x s x s ``torch.mm`` for s in n/4, n/2, n; ops = 2 s^3; peak = the best ops / time.
  int8 GEMM: the faster of ``torch._int_mm`` and the fbgemm/x86 ``quantized.linear`` kernel on n x n x n.
  DRAM bandwidth (STREAM-like, arrays of ``stream_mib`` MiB each, far larger than the caches): copy
  ``b.copy_(a)`` moves 2 x 4N bytes; triad ``a = b + s * c`` moves 3 x 4N bytes (no write-allocate counted,
  as in STREAM); the same triad on arrays that stay in the L2 cache.
The numbers only: ``analysis.devices.device_from_measurement`` makes them a roofline device.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

from analysis.measure.timing import best_time, require_torch


def measure_gemm_fp32(n: int = 1024, repeats: int = 5) -> float:
    """FP32 GEMM ops/s: best over sizes n/4, n/2, n of 2 s^3 / best time of ``torch.mm`` (s x s by s x s)."""
    torch = require_torch()
    best = 0.0
    for s in sorted({max(8, n // 4), max(8, n // 2), n}):
        a, b = torch.randn(s, s), torch.randn(s, s)
        best = max(best, 2 * s ** 3 / best_time(lambda a=a, b=b: torch.mm(a, b), repeats))
    return best


def measure_gemm_int8(n: int = 1024, repeats: int = 5) -> tuple[float, str]:
    """INT8 GEMM ops/s and the kernel: the faster of ``torch._int_mm`` and ``quantized.linear`` (0 if neither)."""
    torch = require_torch()
    best, kernel = 0.0, ""
    try:
        a = torch.randint(-128, 127, (n, n), dtype=torch.int8)
        b = torch.randint(-128, 127, (n, n), dtype=torch.int8)
        ops = 2 * n ** 3 / best_time(lambda: torch._int_mm(a, b), max(1, repeats // 2))
        best, kernel = ops, "torch._int_mm"
    except (RuntimeError, AttributeError, NotImplementedError):
        pass
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = torch.quantize_per_tensor(torch.randn(n, n), 0.05, 0, torch.qint8)
            packed = torch.ops.quantized.linear_prepack(w, None)
            x = torch.quantize_per_tensor(torch.randn(n, n), 0.05, 128, torch.quint8)
            ops = 2 * n ** 3 / best_time(lambda: torch.ops.quantized.linear(x, packed, 1.0, 0), repeats)
        if ops > best:
            best, kernel = ops, f"quantized.linear ({torch.backends.quantized.engine})"
    except (RuntimeError, AttributeError, NotImplementedError):
        pass
    return best, kernel


def measure_bandwidth(stream_mib: float = 128, repeats: int = 5, cache_kib: float = 64) -> dict:
    """STREAM-like copy and triad bandwidth in bytes/s (module docstring), and the triad on three arrays of
    ``cache_kib`` KiB that stay in the core's L2 cache (the ``cache`` level), 64 passes per timing."""
    torch = require_torch()
    n = int(stream_mib * 2 ** 20 / 4)
    a, b, c = torch.ones(n), torch.ones(n), torch.ones(n)
    copy = 2 * 4 * n / best_time(lambda: b.copy_(a), repeats)
    triad = 3 * 4 * n / best_time(lambda: torch.add(b, c, alpha=3.0, out=a), repeats)
    m = int(cache_kib * 1024 / 4)
    x, y, z = torch.ones(m), torch.ones(m), torch.ones(m)

    def passes():
        for _ in range(64):
            torch.add(y, z, alpha=3.0, out=x)

    cache = 64 * 3 * 4 * m / best_time(passes, repeats)
    return {"copy": copy, "triad": triad, "cache_triad": cache}


@dataclass
class HostMeasurement:
    fp32_ops_per_s: float
    int8_ops_per_s: float
    int8_kernel: str
    copy_bytes_per_s: float
    triad_bytes_per_s: float
    seconds: float
    cache_bytes_per_s: float = 0.0

    def to_dict(self) -> dict:
        return {"fp32_gflops": self.fp32_ops_per_s / 1e9, "int8_gops": self.int8_ops_per_s / 1e9,
                "int8_kernel": self.int8_kernel, "copy_gbps": self.copy_bytes_per_s / 1e9,
                "triad_gbps": self.triad_bytes_per_s / 1e9, "cache_triad_gbps": self.cache_bytes_per_s / 1e9,
                "measure_seconds": self.seconds}


def measure_host(n: int = 1024, stream_mib: float = 128, repeats: int = 5) -> HostMeasurement:
    """Peaks and bandwidth of this machine (one thread)."""
    t = time.perf_counter()
    fp32 = measure_gemm_fp32(n, repeats)
    int8, kernel = measure_gemm_int8(n, repeats)
    bw = measure_bandwidth(stream_mib, repeats)
    return HostMeasurement(fp32, int8, kernel, bw["copy"], bw["triad"], time.perf_counter() - t, bw["cache_triad"])
