"""Counts -> energy: the only place a picojoule is multiplied (Accelergy's split of actions and their cost).

Per layer (pJ), from the counts of ``simulator.model.layer`` and the technology table (simulator/energy.py):
  energy_mac_pj    = active_macs * mac_pj                  (mac_pj: arithmetic + register traffic of one MAC; active
                     MACs: those the PEs execute and do not gate, simulator/model/sparsity.py; = macs when dense)
  energy_sram_pj   = 8 * (ifmap-buffer bytes * E_ifmap + weight-buffer bytes * E_weight + ofmap-buffer bytes
                     * E_ofmap)                            (E: pJ/bit of each buffer's size)
  energy_dram_pj   = 8 * (dram_read_bytes + dram_write_bytes) * E_dram        (pJ/bit of the DRAM type)
  energy_vector_pj = sum over primitives of ops * E_primitive   (vector unit; for GEMMs the PPU)
  energy_static_pj = leakage_mw * total_cycles * 1e3 / freq_mhz
  energy_sparse_pj = sparse_decode_ops * sparse_decode_pj  (index decoding: multiplexers, decompressor)
  energy_pj        = mac + sram + dram + vector + static + sparse
"""

from __future__ import annotations

from simulator.energy import static_pj
from simulator.model.layer import PRIMITIVES


def ops_energy_pj(counts: dict, primitives_pj: dict) -> float:
    """sum over primitives of count * energy (pJ); ``counts`` maps a primitive (int_add, fp_mult, ...) to ops."""
    e = 0.0
    for prim, n in counts.items():
        e = e + n * primitives_pj[prim]
    return e


def price(c: dict, macs, mac_pj: float, d, primitives_pj: dict, is_gemm: bool) -> dict:
    """Energy fields (pJ) of one layer's counts ``c`` on design ``d`` (numbers or arrays over designs)."""
    ei, ew, eo = d.sram_pj_per_bit
    e_ops = ops_energy_pj({prim: c[prim + "_ops"] for prim in PRIMITIVES}, primitives_pj)
    e = {"mac_pj": mac_pj,
         "energy_mac_pj": c["active_macs"] * mac_pj,
         "energy_sram_pj": 8 * (c["sram_ifmap_bytes"] * ei + c["sram_weight_bytes"] * ew + c["sram_ofmap_bytes"] * eo),
         "energy_dram_pj": 8 * (c["dram_read_bytes"] + c["dram_write_bytes"]) * d.dram_pj_per_bit,
         "energy_vector_pj": e_ops,
         "ppu_energy_pj": e_ops if is_gemm else 0.0,
         "energy_static_pj": static_pj(d.leakage_mw, c["total_cycles"], d.freq_mhz),
         "energy_sparse_pj": c["sparse_decode_ops"] * c["sparse_decode_pj"]}
    e["energy_pj"] = (e["energy_mac_pj"] + e["energy_sram_pj"] + e["energy_dram_pj"] + e["energy_vector_pj"]
                      + e["energy_static_pj"] + e["energy_sparse_pj"])
    return e
