"""Measurements on this machine (torch, one thread; imported inside functions): ``peaks`` (GEMM peaks and
memory bandwidth), ``layers`` (per-layer times of a real forward pass), ``timing`` (best-of-n timing).
They know no roofline: ``analysis.devices`` turns peaks into the ``host`` device, ``analysis.empirical``
places measured layers against their bounds."""

from analysis.measure.layers import attribute, time_forward
from analysis.measure.peaks import (
    HostMeasurement,
    measure_bandwidth,
    measure_gemm_fp32,
    measure_gemm_int8,
    measure_host,
)

__all__ = ["HostMeasurement", "attribute", "measure_bandwidth", "measure_gemm_fp32", "measure_gemm_int8",
           "measure_host", "time_forward"]
