"""Vector unit for the non-GEMM ops (softmax, layernorm, gelu, add, mul, quantize, elementwise).

compute_cycles = ceil(elements * cycles_per_element(op) / lanes)
DRAM bytes: inputs read at a_bits (``add`` reads two tensors), output written at out_bits;
stall_cycles = max(0, latency + bytes / bytes_per_cycle - compute_cycles).
"""

from __future__ import annotations

import math

INPUTS = {"add": 2}


def vector_cycles(elements: int, cost: float, lanes: int) -> int:
    """ceil(elements * cost / lanes) cycles."""
    return math.ceil(elements * cost / lanes - 1e-9)


def vector_layer(op: str, elements: int, a_bits: int, out_bits: int, cost: float, lanes: int,
                 bytes_per_cycle: float, latency_cycles: int) -> dict:
    """Cycles and traffic of one vector layer (units: cycles, bytes)."""
    compute = vector_cycles(elements, cost, lanes)
    read = elements * INPUTS.get(op, 1) * a_bits / 8
    write = elements * out_bits / 8
    stall = max(0.0, latency_cycles + (read + write) / bytes_per_cycle - compute)
    return {"compute_cycles": compute, "stall_cycles": stall, "dram_ifmap_read_bytes": read,
            "dram_write_bytes": write, "stall_buffer": "vector_io" if stall > 0 else ""}
