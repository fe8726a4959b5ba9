"""The rows of docs/validation-designs.md's two tables (calibration and validation), read from
tools/validation_rows.yaml, run, and compared: one place for the doc generator (tools/validate_designs.py) and the
test (tests/simulator/test_validation_rows.py).

A row names a hardware config, a zoo workload, a batch, ``--set`` overrides and an extractor; ``run_row`` simulates
it and returns the predicted value; ``ratio`` compares it with the published figure:

    ratio = predicted / published   for rates, sizes, powers and energies
    ratio = published / predicted   for times (extractors in TIMES)

so a ratio above 1 always means vitsim predicts more (faster, larger, hungrier) than was published. A row meets the
target when 0.75 <= ratio <= 1.25; its ``band`` is what the test asserts.

Extractors (``extract`` field), from the run's totals (docs/columns.md) unless stated:
    fps               throughput_fps (images/s)
    latency_ms        latency_us / 1e3
    peak_tops         peak_tops;  peak_gops: peak_tops x 1e3
    tops              effective_tops
    tops_per_w        tops_per_w (DRAM included);  tops_per_w_on_chip: tops_per_w_on_chip
    power_w           power_w (DRAM included)
    power_on_chip_w   (energy_uj - energy_dram_uj) / latency_us  (W)
    area_mm2          area_mm2;  area_pe_mm2: area_pe_mm2
    dram_mb           (dram_read_bytes + dram_write_bytes) / 1e6
    fpga_dsp          fpga_dsp;  fpga_power_w: fpga_power_w (FPGA designs)
    layers_ms:REGEX   sum of total_cycles over the layers whose name matches REGEX (re.search), / freq_mhz / 1e3
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROWS = ROOT / "tools" / "validation_rows.yaml"
TARGET = 0.25                       # within 25 % of the published figure
MISS_BAND = 0.10                    # a miss is pinned to +-10 % around its ratio
TIMES = ("latency_ms", "layers_ms")

_TOTALS = {
    "fps": lambda t: t.throughput_fps,
    "latency_ms": lambda t: t.latency_us / 1e3,
    "peak_tops": lambda t: t.peak_tops,
    "peak_gops": lambda t: t.peak_tops * 1e3,
    "tops": lambda t: t.effective_tops,
    "tops_per_w": lambda t: t.tops_per_w,
    "tops_per_w_on_chip": lambda t: t.tops_per_w_on_chip,
    "power_w": lambda t: t.power_w,
    "power_on_chip_w": lambda t: (t.energy_uj - t.energy_dram_uj) / t.latency_us,
    "area_mm2": lambda t: t.area_mm2,
    "area_pe_mm2": lambda t: t.area_pe_mm2,
    "dram_mb": lambda t: (t.dram_read_bytes + t.dram_write_bytes) / 1e6,
    "fpga_dsp": lambda t: t.fpga_dsp,
    "fpga_power_w": lambda t: t.fpga_power_w,
}
EXTRACTORS = tuple(_TOTALS) + ("layers_ms:REGEX",)
FIELDS = ("id", "design", "quantity", "unit", "published", "source", "config", "workload", "batch", "overrides",
          "extract")


def load_rows(path: Path = ROWS) -> dict[str, list[dict]]:
    """{"calibration": [...], "validation": [...]}; every row has the FIELDS, a known extractor and unique id."""
    import yaml

    data = yaml.safe_load(path.read_text())
    seen = set()
    for table in ("calibration", "validation"):
        for row in data.get(table) or ():
            missing = [f for f in FIELDS if f not in row]
            if missing:
                raise ValueError(f"{path.name}: row {row.get('id')}: missing {', '.join(missing)}")
            if row["id"] in seen:
                raise ValueError(f"{path.name}: row {row['id']} twice")
            seen.add(row["id"])
            kind = row["extract"].split(":", 1)[0]
            if kind not in _TOTALS and kind != "layers_ms":
                raise ValueError(f"{path.name}: row {row['id']}: extract {row['extract']!r}; known: "
                                 + ", ".join(EXTRACTORS))
    return {"calibration": list(data.get("calibration") or ()), "validation": list(data.get("validation") or ())}


@lru_cache(maxsize=None)
def _simulate(config: str, workload: str, batch: int, overrides: tuple[str, ...], columns: bool):
    from simulator import simulate, simulate_totals
    from simulator.loader import load_hardware
    from simulator.overrides import parse_sets
    from workloads import load_workload

    hw = load_hardware(config, overrides=parse_sets(overrides))
    w = load_workload(workload).with_batch(batch)
    return hw, (simulate(w, hw) if columns else simulate_totals(w, hw))


def run_row(row: dict) -> float:
    """The row's predicted value (in its unit), from one simulation (cached per config, workload, batch and
    overrides)."""
    kind, _, arg = row["extract"].partition(":")
    key = (row["config"], row["workload"], int(row["batch"]), tuple(row.get("overrides") or ()))
    if kind == "layers_ms":
        hw, r = _simulate(*key, True)
        cols = r.columns()
        pick = re.compile(arg)
        cycles = sum(c for name, c in zip(cols["name"], cols["total_cycles"]) if pick.search(name))
        return cycles / hw.freq_mhz / 1e3
    _, t = _simulate(*key, False)
    return float(_TOTALS[kind](t))


def ratio(row: dict, predicted: float) -> float:
    """predicted / published, inverted for times (module docstring)."""
    kind = row["extract"].split(":", 1)[0]
    return row["published"] / predicted if kind in TIMES else predicted / row["published"]


def meets(q: float) -> bool:
    return abs(q - 1) <= TARGET + 1e-12


def band_for(q: float) -> list[float]:
    """The band a row gets from its first run: [0.75, 1.25] when it meets the target, else +-10 % around q."""
    if meets(q):
        return [1 - TARGET, 1 + TARGET]
    return [float(f"{q * (1 - MISS_BAND):.5g}"), float(f"{q * (1 + MISS_BAND):.5g}")]
