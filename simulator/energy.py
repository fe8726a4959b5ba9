"""Energy from a technology table kept apart from the architecture (``simulator/tech/*.yaml``).

Per layer (pJ): energy_pj = energy_mac_pj + energy_sram_pj + energy_dram_pj + energy_vector_pj + energy_static_pj
  energy_mac_pj    = macs * (E_arith(PE type, precision) + E_reg)
  energy_sram_pj   = 8 * sum over buffers of bytes accessed * E_sram(buffer KiB)          [pJ/bit]
  energy_dram_pj   = 8 * DRAM bytes * E_dram(type)                                       [pJ/bit]
  energy_vector_pj = vector-unit elements * E_elem(op, implementation) + post-processing (PPU) ops * E_op
  energy_static_pj = P_leak_mw * total_cycles * 1e3 / freq_mhz,  P_leak_mw = leakage_mw_per_mm2 * area_mm2
E_arith by PE type (w, a operand bits; acc accumulator bits; p MACs per PE per cycle; b = s bits serial):
  fixed      E_mult(w, a) + E_add(acc)                     E_mult = int_mult_8x8_pj * w * a / 64
  scalable   E_mult(w, a) + E_add(w + a) + E_add(acc) / p  (Bit Fusion: shift-add tree, one accumulate per PE-cycle)
  bitserial  s * (E_mult(b, 1) + E_add(acc))               (one b-bit AND row and one shift-accumulate per bit)
  float      fp_mult(16 or bf16) + fp_add(acc)
  xnor       E_mult(w, a) + E_add(w * a) + E_add(acc) / p  (XNOR-popcount: w = 1 binary or 2 ternary weight bit
             planes gate each activation bit (w * a gates at the bit-product energy), a popcount tree of w * a
             full-adder bits, one accumulate per PE cycle of p MACs; first-order, from the table's adder and
             multiplier by the same linear rules, no XNOR-specific measurement)
  E_add(bits) = int_add_32_pj * bits / 32.  log2 post-softmax operands replace the multiplier by a shifter
  (E_add(w)); twin-uniform ones add one alignment shift (E_add(w + a)).
E_reg = reg_pj_per_bit * bits moved per MAC: os a + w + acc/p, ws a + acc/p, is w + acc/p.
E_sram(KiB): log-log interpolation of the table's (KiB, pJ/bit) points, clamped at the ends.
Node scaling (first order, E = C V^2 with C ~ feature size): logic/SRAM energy x (node/node0) * (V/V0)^2,
area x (node/node0)^2; DRAM energy and leakage density unscaled.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from simulator.area import area_breakdown
from simulator.tech.table import (
    DRAM_TYPES,
    TechTable,
    bitserial_parallel_bits,
    fp_adder_bits,
    load_tech,
    tech_for,
    tech_names,
)

__all__ = ["DRAM_TYPES", "HwCosts", "TechTable", "dram_pj_per_bit", "hw_costs", "hw_tech", "leak_density", "load_tech", "mac_arith_pj",
           "mac_reg_bits", "static_pj", "tech_for", "tech_names"]
# register bits moved per MAC by dataflow: (a, w) coefficients; acc/p is added to each
_REG_OPERANDS = {"os": (1, 1), "ws": (1, 0), "is": (0, 1)}


def mac_arith_pj(tech: TechTable, pe_type: str, dtype: str, w_bits: int, a_bits: int, acc_bits: int,
                 macs_per_cycle: float, fp_format: str = "fp16", post_softmax: str = "uniform") -> float:
    """Arithmetic energy of one MAC in pJ (formulas in the module docstring)."""
    if dtype == "fp":
        bits = max(w_bits, a_bits)
        return tech.fp_mult(bits, fp_format) + tech.fp_add(fp_adder_bits(acc_bits), fp_format)
    mult = tech.add_pj(w_bits) if post_softmax == "log2" else tech.mult_pj(w_bits, a_bits)
    if post_softmax == "twin_uniform":
        mult += tech.add_pj(w_bits + a_bits)
    if pe_type == "xnor":
        return tech.mult_pj(w_bits, a_bits) + tech.add_pj(w_bits * a_bits) + tech.add_pj(acc_bits) / max(
            macs_per_cycle, 1.0)
    if pe_type == "bitserial":
        steps = 1.0 / macs_per_cycle                      # bits processed serially
        return steps * (tech.mult_pj(bitserial_parallel_bits(w_bits, a_bits, macs_per_cycle), 1)
                        + tech.add_pj(acc_bits))
    if pe_type == "scalable":
        return mult + tech.add_pj(w_bits + a_bits) + tech.add_pj(acc_bits) / max(macs_per_cycle, 1.0)
    return mult + tech.add_pj(acc_bits)


def mac_reg_bits(dataflow: str, w_bits: int, a_bits: int, acc_bits: int, macs_per_cycle: float) -> float:
    """Register bits written per MAC: forwarded operands plus the accumulator update (acc/p)."""
    ca, cw = _REG_OPERANDS[dataflow]
    return ca * a_bits + cw * w_bits + acc_bits / macs_per_cycle


def static_pj(leakage_mw: float, cycles: float, freq_mhz: float) -> float:
    """Leakage energy in pJ: P_leak_mw * cycles / freq_mhz [us] * 1e3 [pJ per mW*us]."""
    return leakage_mw * cycles * 1e3 / freq_mhz


@dataclass(frozen=True)
class HwCosts:
    """Everything a simulation needs that depends only on the hardware: computed once per config."""

    tech: TechTable
    primitives: dict                               # pJ per primitive op (vector unit, PPU)
    sram_pj_per_bit: tuple[float, float, float]   # ifmap, weight, ofmap buffers
    dram_pj_per_bit: float
    area: dict
    leakage_mw: float


def hw_tech(hw) -> TechTable:
    """The hardware's technology table, scaled to its node and voltage."""
    return tech_for(hw.tech.table, hw.tech.node_nm, hw.tech.voltage_v)


def dram_pj_per_bit(hw, tech: TechTable) -> float:
    """The config's ``dram.energy_pj_per_bit``, else the table's figure for its DRAM type."""
    return hw.dram.energy_pj_per_bit or tech.dram_pj(hw.dram.type)


@lru_cache(maxsize=128)
def hw_costs(hw) -> HwCosts:
    """Technology lookups, area and leakage of ``hw`` (cached per config; Hardware is hashable)."""
    tech = hw_tech(hw)
    area = area_breakdown(tech, hw)
    b = hw.buffers
    return HwCosts(tech, tech.primitives(),
                   (tech.sram_pj_per_bit(b.ifmap_kib), tech.sram_pj_per_bit(b.weight_kib),
                    tech.sram_pj_per_bit(b.ofmap_kib)),
                   dram_pj_per_bit(hw, tech), area, leak_density(hw, tech) * area["area_mm2"])


def leak_density(hw, tech: TechTable) -> float:
    """mW per mm^2: the hardware's ``tech.leakage_mw_per_mm2`` if set, else the table's."""
    v = hw.tech.leakage_mw_per_mm2
    return tech.leakage_mw_per_mm2 if v is None else v
