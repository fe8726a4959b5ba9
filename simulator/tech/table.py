"""Technology tables (``simulator/tech/*.yaml``): primitive energies (pJ) and areas (um^2) with their sources,
kept apart from the architecture; node and voltage scaling (first order, E = C V^2 with C ~ feature size):
logic/SRAM energy x (node/node0) * (V/V0)^2, area x (node/node0)^2; DRAM energy and leakage density unscaled.
SRAM energy per bit of a buffer of KiB: log-log interpolation of the table's (KiB, pJ/bit) points, clamped.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, fields, replace
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

from workloads.io import read_structured

DRAM_TYPES = ("lpddr4", "ddr4", "hbm2", "gddr5", "ddr3")


def fp_adder_bits(acc_bits: int) -> int:
    """Width of a float PE's accumulating adder: FP32 when the accumulator is wider than 16 bits, else FP16."""
    return 32 if acc_bits > 16 else 16


def bitserial_parallel_bits(w_bits: int, a_bits: int, macs_per_cycle: float) -> float:
    """Width of a bit-serial PE's parallel operand: w * a * p (p = 1 / bits taken serially per MAC)."""
    return w_bits * a_bits * macs_per_cycle


@cache
def tech_names() -> tuple[str, ...]:
    """Names of the shipped technology tables (``simulator/tech/*.yaml``); listed once per process."""
    return tuple(sorted(p.name[:-5] for p in resources.files("simulator.tech").iterdir() if p.name.endswith(".yaml")))


@dataclass(frozen=True)
class TechTable:
    """One technology's primitive energies (pJ) and areas (um^2 unless named mm2); see the YAML for sources."""

    name: str
    node_nm: float
    voltage_v: float
    int_mult_8x8_pj: float
    int_add_32_pj: float
    fp_mult_pj: tuple[tuple[int, float], ...]
    fp_add_pj: tuple[tuple[int, float], ...]
    bf16_mult_pj: float
    bf16_add_pj: float
    reg_pj_per_bit: float
    lut_read_pj: float
    shift_32_pj: float
    convert_pj: float
    sram_points: tuple[tuple[float, float], ...]
    dram_pj_per_bit: tuple[tuple[str, float], ...]
    int_mult_8x8_um2: float
    int_add_32_um2: float
    fp_mult_um2: tuple[tuple[int, float], ...]
    fp_add_um2: tuple[tuple[int, float], ...]
    bf16_mult_um2: float
    reg_um2_per_bit: float
    sram_mm2_per_kib: float
    leakage_mw_per_mm2: float
    mux2_bit_pj: float            # one 2:1 multiplexer bit switching (sparse PEs, decompressor)
    mux2_bit_um2: float

    # -- arithmetic (pJ)
    def mult_pj(self, w_bits: float, a_bits: float) -> float:
        """Integer multiplier: int_mult_8x8_pj * w * a / 64."""
        return self.int_mult_8x8_pj * w_bits * a_bits / 64

    def add_pj(self, bits: float) -> float:
        """Integer adder (or shifter) of ``bits``: int_add_32_pj * bits / 32."""
        return self.int_add_32_pj * bits / 32

    def fp_mult(self, bits: int, fmt: str = "fp16") -> float:
        return self.bf16_mult_pj if (bits == 16 and fmt == "bf16") else dict(self.fp_mult_pj)[bits]

    def fp_add(self, bits: int, fmt: str = "fp16") -> float:
        return self.bf16_add_pj if (bits == 16 and fmt == "bf16") else dict(self.fp_add_pj)[bits]

    def primitives(self) -> dict[str, float]:
        """Energy (pJ) of the primitive ops the vector unit and the PPU count (vector.py, quant.py)."""
        return {"int_add": self.add_pj(32), "int_mult": self.mult_pj(16, 16), "int_mult_32x16": self.mult_pj(32, 16),
                "shift": self.shift_32_pj, "fp_add": self.fp_add(32), "fp_mult": self.fp_mult(32),
                "convert": self.convert_pj, "lut": self.lut_read_pj}

    def sram_pj_per_bit(self, kib: float) -> float:
        """SRAM access energy per bit for a buffer of ``kib`` KiB (log-log interpolation)."""
        pts = self.sram_points
        if kib <= pts[0][0]:
            return pts[0][1]
        for (x0, y0), (x1, y1) in itertools.pairwise(pts):
            if kib <= x1:
                f = math.log(kib / x0) / math.log(x1 / x0)
                return math.exp(math.log(y0) + f * math.log(y1 / y0))
        return pts[-1][1]

    def dram_pj(self, dram_type: str) -> float:
        return dict(self.dram_pj_per_bit)[dram_type]

    # -- area (um^2)
    def mult_um2(self, w_bits: float, a_bits: float) -> float:
        return self.int_mult_8x8_um2 * w_bits * a_bits / 64

    def add_um2(self, bits: float) -> float:
        return self.int_add_32_um2 * bits / 32

    def fp_mult_area(self, bits: int, fmt: str = "fp16") -> float:
        return self.bf16_mult_um2 if (bits == 16 and fmt == "bf16") else dict(self.fp_mult_um2)[bits]

    def fp_add_area(self, bits: int) -> float:
        return dict(self.fp_add_um2)[bits]

    def scaled(self, node_nm: float, voltage_v: float) -> TechTable:
        """The table moved to ``node_nm`` at ``voltage_v`` (module docstring rule); DRAM and leakage unscaled."""
        if node_nm == self.node_nm and voltage_v == self.voltage_v:
            return self
        e = node_nm / self.node_nm * (voltage_v / self.voltage_v) ** 2
        a = (node_nm / self.node_nm) ** 2
        kw = {}
        for f in fields(self):
            v = getattr(self, f.name)
            k = e if f.name.endswith("_pj") or f.name == "reg_pj_per_bit" else (
                a if f.name.endswith(("_um2", "_mm2_per_kib", "um2_per_bit")) else None)
            if k is None:
                continue
            kw[f.name] = tuple((b, x * k) for b, x in v) if isinstance(v, tuple) else v * k
        kw["sram_points"] = tuple((kib, x * e) for kib, x in self.sram_points)
        return replace(self, node_nm=node_nm, voltage_v=voltage_v, **kw)


_PAIR_FIELDS = ("fp_mult_pj", "fp_add_pj", "fp_mult_um2", "fp_add_um2")


@cache
def load_tech(name: str) -> TechTable:
    """Load ``simulator/tech/<name>.yaml`` (shipped with the package; a missing key is a KeyError naming it)."""
    ref = resources.files("simulator.tech") / f"{name}.yaml"
    d = read_structured(Path(str(ref)))
    kw = {}
    for f in fields(TechTable):
        if f.name == "sram_points":
            kw[f.name] = tuple((float(a), float(b)) for a, b in d["sram_pj_per_bit"])
        elif f.name == "dram_pj_per_bit":
            kw[f.name] = tuple((k, float(v)) for k, v in d[f.name].items())
        elif f.name in _PAIR_FIELDS:
            kw[f.name] = tuple((int(k), float(v)) for k, v in d[f.name].items())
        elif f.name == "name":
            kw[f.name] = str(d["name"])
        else:
            kw[f.name] = float(d[f.name])
    return TechTable(**kw)


@lru_cache(maxsize=64)
def tech_for(table: str, node_nm: float | None, voltage_v: float | None) -> TechTable:
    """The named table scaled to the hardware's node and voltage (None keeps the table's own)."""
    t = load_tech(table)
    return t.scaled(node_nm or t.node_nm, voltage_v or t.voltage_v)
