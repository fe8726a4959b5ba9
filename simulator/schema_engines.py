"""Per-engine totals of a chip of several engines, declared once like simulator/schema.py's fields (name, unit,
type, meaning): ``EngineResult`` (simulator/results.py), the JSON's "engines" section, the CLI's engine table,
docs/columns.md."""

from __future__ import annotations

from simulator.schema import Field as F

# per-engine totals of a chip of several engines (simulator/multi.py, docs/engines.md): the JSON's "engines", the
# CLI's engine table; from the schedule (simulator/model/chipsched.py), cycles in the engine's own clock
ENGINE_FIELDS: tuple[F, ...] = (
    F("name", "", str, "engine name"),
    F("engine", "", int, "index in the hardware's engines list"),
    F("freq_mhz", "MHz", float, "the engine's clock"),
    F("layers", "layers", int, "layers assigned to it (per image)"),
    F("busy_cycles", "cycles", float, "sum of its tasks' cycles alone on the chip (each one's Counts total)"),
    F("wait_dram_cycles", "cycles", float, "running, slowed by its DRAM share: integral of (1 - speed)"),
    F("wait_dependency_cycles", "cycles", float, "running at a producer's pace, or work left that cannot start"),
    F("idle_cycles", "cycles", float, "makespan - busy - wait_dram - wait_dependency: nothing to run"),
    F("busy_share", "", float, "busy_cycles / makespan cycles"),
    F("utilization", "", float, "executed MACs / (makespan cycles x R x C x p of its fastest mode); 0 vector-only"),
    F("macs", "MACs", float, "MACs of its layers (all images)"),
    F("energy_uj", "uJ", float, "its layers' energy and that of activations it read from other engines via DRAM"),
    F("area_mm2", "mm2", float, "its PEs (none if vector-only), buffers, vector unit and PPU"),
    F("dram_bytes", "B", float, "DRAM bytes its tasks moved (cross-engine activations via DRAM included)"),
    F("achieved_dram_gbps", "GB/s", float, "dram_bytes / makespan"),
    F("transfer_dram_bytes", "B", float, "activations from other engines moved via DRAM (written once, read once)"),
)

ENGINE_NAMES = tuple(f.name for f in ENGINE_FIELDS)
