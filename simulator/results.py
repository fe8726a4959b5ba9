"""SimResult: the per-layer table (pandas) and the totals, with table/CSV/JSON writers.

Totals: total_cycles = sum of layer total_cycles; latency_us = total_cycles / freq_mhz;
throughput_fps = batch / latency_s; energy_uj = sum energy_pj / 1e6; energy_per_image_uj =
energy_uj / batch; power_w = energy / latency; effective_tops = 2 * macs / latency_s / 1e12;
tops_per_w = effective_tops / power_w; images_per_s_per_w = batch / energy_J (= images/s per W);
tops_per_w_on_chip = 2 * macs / (energy without DRAM) [ops/pJ = TOPS/W] (how chips are usually quoted);
utilization = macs / sum over GEMM layers of (total_cycles * R * C * p).
peak_tops_by_precision = 2 * R * C * p * freq (per PE mode); effective_tops_by_precision = 2 * macs / time
of the GEMM layers run in that mode; area_mm2 and its breakdown from simulator/area.py; leakage_w =
leakage density * area (simulator/energy.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

FIRST_COLUMNS = ["name", "op", "m", "n", "k", "repeat", "w_bits", "a_bits", "precision", "pe_precision", "promoted",
                 "macs", "compute_cycles", "stall_cycles", "total_cycles", "utilization", "mapping_efficiency",
                 "sram_read_bytes", "sram_write_bytes", "dram_read_bytes", "dram_write_bytes", "energy_pj"]


@dataclass
class SimResult:
    layers: pd.DataFrame
    totals: dict
    hardware: dict
    workload: dict

    @classmethod
    def build(cls, rows: list[dict], workload, hw) -> SimResult:
        df = pd.DataFrame(rows)
        df = df[FIRST_COLUMNS + [c for c in df.columns if c not in FIRST_COLUMNS]]
        return cls(df, compute_totals(rows, workload.batch, hw), hw.to_dict(),
                   {"model": workload.model, "recipe": workload.recipe, "batch": workload.batch,
                    "img_size": workload.img_size, "layers": len(workload.layers), "macs": workload.macs,
                    "source": workload.source})

    def to_dict(self) -> dict:
        """One JSON-ready object: hardware, workload, layers (records), totals."""
        return {"hardware": self.hardware, "workload": self.workload,
                "layers": json.loads(self.layers.to_json(orient="records")), "totals": self.totals}

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write layers.csv, result.json and hardware.yaml into ``out_dir`` (each atomically)."""
        import yaml

        from workloads.io import atomic_write_text

        out = Path(out_dir)
        return [atomic_write_text(out / "layers.csv", self.layers.to_csv(index=False)),
                atomic_write_text(out / "result.json", json.dumps(self.to_dict(), indent=1)),
                atomic_write_text(out / "hardware.yaml", yaml.safe_dump(self.hardware, sort_keys=False))]


_SUMMED = ("total_cycles", "energy_pj", "macs", "compute_cycles", "stall_cycles", "ppu_stall_cycles",
           "sram_read_bytes", "sram_write_bytes", "dram_read_bytes", "dram_write_bytes", "dram_scale_read_bytes",
           "energy_mac_pj", "energy_sram_pj", "energy_dram_pj", "energy_vector_pj", "energy_static_pj",
           "ppu_energy_pj")


def compute_totals(rows: list[dict], batch: int, hw) -> dict:
    """Network totals from the per-layer row dicts (formulas in the module docstring)."""
    return compute_totals_weighted([(r, 1) for r in rows], batch, hw)


def compute_totals_weighted(weighted: list[tuple[dict, int]], batch: int, hw) -> dict:
    """Totals from (row, how many layers share it) pairs: identical layers are summed once."""
    from simulator.energy import hw_costs

    sums = dict.fromkeys(_SUMMED, 0.0)
    for r, n in weighted:
        for k in _SUMMED:
            sums[k] += r[k] * n
    col = sums.__getitem__

    cycles = float(col("total_cycles"))
    latency_s = cycles / (hw.freq_mhz * 1e6)
    energy_pj = float(col("energy_pj"))
    macs = float(col("macs"))
    gemm_rows = [(r, n) for r, n in weighted if r["macs"] > 0]
    gemm_cycles = float(sum(r["total_cycles"] * n for r, n in gemm_rows))
    slots = float(sum(r["total_cycles"] * r["macs_per_pe_cycle"] * n for r, n in gemm_rows)) * hw.array.rows * hw.array.cols
    power_w = energy_pj * 1e-12 / latency_s
    tops = 2 * macs / latency_s / 1e12
    by_prec: dict[str, list[float]] = {}
    for r, n in gemm_rows:
        acc = by_prec.setdefault(r["pe_precision"], [0.0, 0.0])
        acc[0] += r["macs"] * n
        acc[1] += r["total_cycles"] * n
    f_hz = hw.freq_mhz * 1e6
    effective = {k: float(2 * m / (c / f_hz) / 1e12) for k, (m, c) in by_prec.items()}
    peak = hw.peak_tops()
    area = hw_costs(hw).area
    energy_j = energy_pj * 1e-12
    return {
        "total_cycles": cycles,
        "compute_cycles": float(col("compute_cycles")),
        "stall_cycles": float(col("stall_cycles")),
        "ppu_stall_cycles": float(col("ppu_stall_cycles")),
        "gemm_cycles": gemm_cycles,
        "vector_cycles": cycles - gemm_cycles,
        "latency_us": latency_s * 1e6,
        "throughput_fps": batch / latency_s,
        "images_per_s": batch / latency_s,
        "macs": macs,
        "utilization": macs / slots if slots else 0.0,
        "sram_read_bytes": float(col("sram_read_bytes")),
        "sram_write_bytes": float(col("sram_write_bytes")),
        "dram_read_bytes": float(col("dram_read_bytes")),
        "dram_write_bytes": float(col("dram_write_bytes")),
        "dram_scale_read_bytes": float(col("dram_scale_read_bytes")),
        "energy_uj": energy_pj / 1e6,
        "energy_per_image_uj": energy_pj / 1e6 / batch,
        "energy_mac_uj": float(col("energy_mac_pj")) / 1e6,
        "energy_sram_uj": float(col("energy_sram_pj")) / 1e6,
        "energy_dram_uj": float(col("energy_dram_pj")) / 1e6,
        "energy_vector_uj": float(col("energy_vector_pj")) / 1e6,
        "energy_static_uj": float(col("energy_static_pj")) / 1e6,
        "energy_ppu_uj": float(col("ppu_energy_pj")) / 1e6,
        "power_w": power_w,
        "leakage_w": hw_costs(hw).leakage_mw / 1e3,
        "effective_tops": tops,
        "tops_per_w": tops / power_w if power_w else 0.0,
        "tops_per_w_on_chip": 2 * macs / (energy_pj - float(col("energy_dram_pj"))) if energy_pj else 0.0,
        "images_per_s_per_w": batch / energy_j if energy_j else 0.0,
        "peak_tops": max(peak.values()),
        "peak_tops_by_precision": peak,
        "effective_tops_by_precision": effective,
        "area_mm2": area["area_mm2"],
        "area_pe_mm2": area["area_pe_mm2"],
        "area_sram_mm2": area["area_sram_mm2"],
        "area_vector_mm2": area["area_vector_mm2"],
        "area_ppu_mm2": area["area_ppu_mm2"],
        "peak_tops_per_mm2": max(peak.values()) / area["area_mm2"],
        "promoted_layers": int(sum(n for r, n in weighted if r["promoted"])),
    }
