"""Counts -> energy: the only place a picojoule is multiplied (Accelergy's split of actions and their cost).

Per layer (pJ), from its ``Counts`` (simulator/model/counts.py), the design's ``Prices`` and the prices of the
layer's own actions (one MAC in its PE mode: ``mac_pj``; one sparse-decoder event: ``decode_pj``):
  mac     = (active_macs + zero_point_macs) * mac_pj    (active MACs: executed and not gated,
            simulator/model/sparsity.py, = macs when dense; zero_point_macs: the on-array zero-point columns')
  sram    = 8 * (ifmap-buffer bytes * E_ifmap + weight-buffer bytes * E_weight + ofmap-buffer bytes * E_ofmap)
            (a buffer's bytes = its reads + writes; E: pJ/bit of the buffer's size)
  dram    = 8 * (DRAM reads + DRAM writes) * E_dram     (pJ/bit of the DRAM type)
  vector  = sum over primitives of ops * E_primitive    (a vector layer's ops: the vector unit)
  ppu     = the same sum for a GEMM layer's ops          (its post-processing unit)
  static  = leakage_mw * total_cycles * 1e3 / freq_mhz
  sparse  = decode_events * decode_pj                    (index decoding: multiplexers, decompressor)
  total   = mac + sram + dram + (vector + ppu) + static + sparse: disjoint parts.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.energy import static_pj
from simulator.model.counts import PRIMITIVES, Counts


@dataclass(frozen=True, slots=True)
class Energy:
    """Energy parts of one layer or a sum of layers, pJ (module docstring); ``mac_pj`` and ``decode_pj``: the
    per-action prices of one layer (0 in a sum)."""

    mac: object
    sram: object
    dram: object
    vector: object
    ppu: object
    static: object
    sparse: object
    total: object
    mac_pj: object = 0.0
    decode_pj: object = 0.0


def energy_sum(pairs) -> Energy:
    """sum over (energy, n) pairs of energy * n, part by part, in pair order from 0.0."""
    mac = sram = dram = vector = ppu = static = sparse = total = 0.0
    for e, n in pairs:
        mac = mac + e.mac * n
        sram = sram + e.sram * n
        dram = dram + e.dram * n
        vector = vector + e.vector * n
        ppu = ppu + e.ppu * n
        static = static + e.static * n
        sparse = sparse + e.sparse * n
        total = total + e.total * n
    return Energy(mac, sram, dram, vector, ppu, static, sparse, total)


def ops_energy_pj(ops, primitives_pj: dict):
    """sum over primitives of count * energy (pJ); ``ops``: counts by primitive in counts.PRIMITIVES order, or a
    mapping of primitive (int_add, fp_mult, ...) to count."""
    if isinstance(ops, dict):
        ops = tuple(ops.get(prim, 0) for prim in PRIMITIVES)
    e = 0.0
    for prim, n in zip(PRIMITIVES, ops):
        e = e + n * primitives_pj[prim]
    return e


def price(c: Counts, mac_pj, decode_pj, prices, freq_mhz, is_gemm: bool) -> Energy:
    """Energy of counts ``c`` at ``prices`` (simulator/model/design.py ``Prices``) and clock ``freq_mhz``."""
    ei, ew, eo = prices.sram_pj_per_bit
    a = c.acc
    e_ops = ops_energy_pj(c.ops, prices.primitives_pj)
    mac = (c.active_macs + c.zero_point_macs) * mac_pj
    sram = 8 * (sum(_IBUF(a)) * ei + sum(_WBUF(a)) * ew + sum(_OBUF(a)) * eo)
    dram = 8 * (sum(_DRAM_RD(a)) + sum(_DRAM_WR(a))) * prices.dram_pj_per_bit
    vector, ppu = (0.0, e_ops) if is_gemm else (e_ops, 0.0)
    static = static_pj(prices.leakage_mw, c.total, freq_mhz)
    sparse = c.decode_events * decode_pj
    return Energy(mac, sram, dram, vector, ppu, static, sparse, mac + sram + dram + (vector + ppu) + static + sparse,
                  mac_pj, decode_pj)


def _indices(level: str, directions: tuple):
    """A getter of the accesses at ``level`` in ``directions`` (every operand's), to be summed in that order."""
    from operator import itemgetter

    from simulator.model.counts import OPERANDS, access

    return itemgetter(*(access(o, level, d) for d in directions for o in OPERANDS))


_IBUF, _WBUF, _OBUF = (_indices(lv, ("rd", "wr")) for lv in ("ibuf", "wbuf", "obuf"))
_DRAM_RD, _DRAM_WR = _indices("dram", ("rd",)), _indices("dram", ("wr",))
