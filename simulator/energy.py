"""Energy from a technology table kept apart from the architecture (``simulator/tech/*.yaml``).

energy_pj = macs * E_mac(precision) + sram_bits * E_sram(buffer KiB) + dram_bits * E_dram(type)
          + vector elements * E_vector(op)
E_mac(int w x a, acc) = int_mult_8x8_pj * w*a/64 + int_add_32_pj * acc/32   [pJ]
E_mac(fp b)           = fp_mult_pj[b] + fp_add_pj[acc]                        [pJ]
E_sram(KiB): log-log interpolation of the table's (KiB, pJ/bit) points, clamped at the ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from workloads.io import read_structured

DRAM_TYPES = ("lpddr4", "hbm2", "gddr5", "ddr3")


def tech_names() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files("simulator.tech").iterdir() if p.name.endswith(".yaml"))


@dataclass(frozen=True)
class TechTable:
    name: str
    int_mult_8x8_pj: float
    int_add_32_pj: float
    fp_mult_pj: tuple[tuple[int, float], ...]
    fp_add_pj: tuple[tuple[int, float], ...]
    sram_points: tuple[tuple[float, float], ...]
    dram_pj_per_bit: tuple[tuple[str, float], ...]
    vector_pj_per_element: tuple[tuple[str, float], ...]

    def mac_pj(self, dtype: str, w_bits: int, a_bits: int, acc_bits: int) -> float:
        """Energy of one MAC in pJ (formula in the module docstring)."""
        if dtype == "fp":
            bits = max(w_bits, a_bits)
            return dict(self.fp_mult_pj)[bits] + dict(self.fp_add_pj)[32 if acc_bits > 16 else 16]
        return self.int_mult_8x8_pj * w_bits * a_bits / 64 + self.int_add_32_pj * acc_bits / 32

    def sram_pj_per_bit(self, kib: float) -> float:
        """SRAM access energy per bit for a buffer of ``kib`` KiB (log-log interpolation)."""
        pts = self.sram_points
        if kib <= pts[0][0]:
            return pts[0][1]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            if kib <= x1:
                f = math.log(kib / x0) / math.log(x1 / x0)
                return math.exp(math.log(y0) + f * math.log(y1 / y0))
        return pts[-1][1]

    def dram_pj(self, dram_type: str) -> float:
        return dict(self.dram_pj_per_bit)[dram_type]

    def vector_pj(self, op: str) -> float:
        d = dict(self.vector_pj_per_element)
        return d.get(op, d["elementwise"])


@lru_cache(maxsize=None)
def load_tech(name: str) -> TechTable:
    """Load ``simulator/tech/<name>.yaml`` (validated by its shape; shipped with the package)."""
    ref = resources.files("simulator.tech") / f"{name}.yaml"
    d = read_structured(Path(str(ref)))
    return TechTable(
        name=d["name"],
        int_mult_8x8_pj=float(d["int_mult_8x8_pj"]),
        int_add_32_pj=float(d["int_add_32_pj"]),
        fp_mult_pj=tuple((int(k), float(v)) for k, v in d["fp_mult_pj"].items()),
        fp_add_pj=tuple((int(k), float(v)) for k, v in d["fp_add_pj"].items()),
        sram_points=tuple((float(a), float(b)) for a, b in d["sram_pj_per_bit"]),
        dram_pj_per_bit=tuple((k, float(v)) for k, v in d["dram_pj_per_bit"].items()),
        vector_pj_per_element=tuple((k, float(v)) for k, v in d["vector_pj_per_element"].items()),
    )


def layer_energy(tech: TechTable, hw, macs: float, mac_mode, elements: int, op: str, sram_ifmap_bytes: float,
                 sram_weight_bytes: float, sram_ofmap_bytes: float, dram_bytes: float) -> dict:
    """Energy breakdown of one layer in pJ (formulas in the module docstring).

    ``mac_mode`` is the PE precision the layer runs at (None for vector ops); SRAM bytes are all
    accesses (reads and writes) of each buffer; ``dram_bytes`` reads plus writes.
    """
    mac = macs * tech.mac_pj(mac_mode.dtype, mac_mode.w_bits, mac_mode.a_bits, hw.pe.acc_bits) if mac_mode else 0.0
    sram = 8 * (sram_ifmap_bytes * tech.sram_pj_per_bit(hw.buffers.ifmap_kib)
                + sram_weight_bytes * tech.sram_pj_per_bit(hw.buffers.weight_kib)
                + sram_ofmap_bytes * tech.sram_pj_per_bit(hw.buffers.ofmap_kib))
    dram = 8 * dram_bytes * (hw.dram.energy_pj_per_bit or tech.dram_pj(hw.dram.type))
    vector = 0.0 if mac_mode else elements * tech.vector_pj(op)
    return {"energy_mac_pj": mac, "energy_sram_pj": sram, "energy_dram_pj": dram, "energy_vector_pj": vector,
            "energy_pj": mac + sram + dram + vector}
