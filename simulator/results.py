"""SimResult: the per-layer table (pandas) and the totals, with table/CSV/JSON writers.

Totals: total_cycles = sum of layer total_cycles; latency_us = total_cycles / freq_mhz;
throughput_fps = batch / latency_s; energy_uj = sum energy_pj / 1e6; energy_per_image_uj =
energy_uj / batch; power_w = energy / latency; effective_tops = 2 * macs / latency_s / 1e12;
tops_per_w = effective_tops / power_w; utilization = macs / sum over GEMM layers of
(total_cycles * R * C * p).
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
    def build(cls, rows: list[dict], workload, hw) -> "SimResult":
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


def compute_totals(rows: list[dict], batch: int, hw) -> dict:
    """Network totals from the per-layer row dicts (formulas in the module docstring)."""
    def col(key):
        return sum(r[key] for r in rows)

    cycles = float(col("total_cycles"))
    latency_s = cycles / (hw.freq_mhz * 1e6)
    energy_pj = float(col("energy_pj"))
    macs = float(col("macs"))
    gemm_rows = [r for r in rows if r["macs"] > 0]
    gemm_cycles = float(sum(r["total_cycles"] for r in gemm_rows))
    slots = float(sum(r["total_cycles"] * r["macs_per_pe_cycle"] for r in gemm_rows)) * hw.array.rows * hw.array.cols
    power_w = energy_pj * 1e-12 / latency_s
    tops = 2 * macs / latency_s / 1e12
    return {
        "total_cycles": cycles,
        "compute_cycles": float(col("compute_cycles")),
        "stall_cycles": float(col("stall_cycles")),
        "gemm_cycles": gemm_cycles,
        "vector_cycles": cycles - gemm_cycles,
        "latency_us": latency_s * 1e6,
        "throughput_fps": batch / latency_s,
        "macs": macs,
        "utilization": macs / slots if slots else 0.0,
        "sram_read_bytes": float(col("sram_read_bytes")),
        "sram_write_bytes": float(col("sram_write_bytes")),
        "dram_read_bytes": float(col("dram_read_bytes")),
        "dram_write_bytes": float(col("dram_write_bytes")),
        "energy_uj": energy_pj / 1e6,
        "energy_per_image_uj": energy_pj / 1e6 / batch,
        "energy_mac_uj": float(col("energy_mac_pj")) / 1e6,
        "energy_sram_uj": float(col("energy_sram_pj")) / 1e6,
        "energy_dram_uj": float(col("energy_dram_pj")) / 1e6,
        "energy_vector_uj": float(col("energy_vector_pj")) / 1e6,
        "power_w": power_w,
        "effective_tops": tops,
        "tops_per_w": tops / power_w if power_w else 0.0,
        "promoted_layers": int(sum(1 for r in rows if r["promoted"])),
    }
