"""The kernel side of a packed grouped conv (simulator/model/grouped.py): the filter bits the kernel moves and the
scaling of its outputs to the groups the copies hold. Plain Python compiled with the GEMM kernel
(``kernel.JIT_MODULES``)."""

from __future__ import annotations

from simulator.model.kernel_defs import (
    CLOSED_FORM_BITS,
    DRAM_FILTER,
    DRAM_IFMAP,
    DRAM_OFMAP,
    DRAM_PSUM_READ,
    DRAM_PSUM_WRITE,
    DRAM_WRITE,
    FILTER_READS,
    IFMAP_READS,
    MAP_EFF,
    OFMAP_WRITES,
    P_GPACK,
    P_GROUPS,
    P_REPEAT,
    P_WBITS,
    SRAM_FILTER_READ,
    SRAM_IFMAP_READ,
    SRAM_OFMAP_READ,
    SRAM_OFMAP_WRITE,
)

_PACKED_SCALED = (DRAM_IFMAP, DRAM_FILTER, DRAM_OFMAP, DRAM_WRITE, DRAM_PSUM_READ, DRAM_PSUM_WRITE, IFMAP_READS,
                  FILTER_READS, OFMAP_WRITES, SRAM_IFMAP_READ, SRAM_FILTER_READ, SRAM_OFMAP_WRITE, SRAM_OFMAP_READ,
                  CLOSED_FORM_BITS)


def filter_bits(prm):
    """Filter bits per element the kernel moves: w_bits, or w_bits / G for a packed grouped conv (its block-
    diagonal filter holds G^2 K_g N_g elements of which G K_g N_g are real: simulator/model/grouped.py)."""
    return float(int(prm[P_WBITS])) / max(1.0, prm[P_GPACK])


def packed_groups(prm, out):
    """A packed grouped conv (simulator/model/grouped.py): the P_REPEAT copies of G groups hold g = P_GROUPS groups;
    traffic, SRAM counts and closed-form bits x frac = g / (copies G); filter element reads / G (the zero blocks
    are never read; their bits already are, ``filter_bits``); mapping efficiency x frac / G."""
    g_pack = max(1.0, prm[P_GPACK])
    frac = prm[P_GROUPS] / (prm[P_REPEAT] * g_pack)
    for j in _PACKED_SCALED:
        out[j] *= frac
    out[FILTER_READS] /= g_pack
    out[MAP_EFF] *= frac / g_pack
