"""The buffers and the DRAM port of a hardware configuration: sizes, depths (slots), the DMA's requests in flight.
Frozen dataclasses, no I/O; re-exported by simulator/hardware/config.py. Formulas that use them:
simulator/model/foldwalk.py ``depth_of`` / ``walk`` (depths), simulator/model/design.py
``achieved_bytes_per_cycle`` (the DMA bound), docs/memory.md "Overlap from the design"."""

from __future__ import annotations

from dataclasses import dataclass

BUFFER_NAMES = ("ifmap", "weight", "ofmap")
DEFAULT_DEPTH = 2      # slots of a buffer whose depth is not stated: double-buffered where two tiles fit
MAX_DEPTH = 4          # slots a buffer may have (the fold walk keeps this many fold starts: foldwalk._slot_free)


@dataclass(frozen=True)
class BufferConfig:
    """The three on-chip buffers (KiB) and how many tiles each holds at once (``*_depth``, slots): depth 1 = the
    DMA cannot fetch the next tile while the current one computes (its DRAM time adds to compute), 2 = double-
    buffered, d = the DMA runs up to d - 1 tiles ahead. None (not stated): ``DEFAULT_DEPTH`` where that many of the
    tiles the mapping chose fit the buffer, else as many as fit, at least 1 (simulator/model/foldwalk.py
    ``depth_of``); a stated depth is taken as stated. YAML ``double_buffered: [ifmap, ...]`` is a shorthand: the
    buffers listed get depth 2, the others 1."""

    ifmap_kib: float
    weight_kib: float
    ofmap_kib: float
    ifmap_depth: int | None = None
    weight_depth: int | None = None
    ofmap_depth: int | None = None

    @property
    def bytes(self) -> tuple[int, int, int]:
        """(ifmap, weight, ofmap) capacities in bytes."""
        return int(self.ifmap_kib * 1024), int(self.weight_kib * 1024), int(self.ofmap_kib * 1024)

    @property
    def depths(self) -> tuple[int, int, int]:
        """(ifmap, weight, ofmap) stated depths, 0 where not stated (the kernel derives them, ``depth_of``)."""
        return tuple(0 if d is None else d for d in (self.ifmap_depth, self.weight_depth, self.ofmap_depth))

    def slots(self, name: str) -> int:
        """Depth of buffer ``name`` as stated, else ``DEFAULT_DEPTH`` (what the network schedule reads)."""
        d = getattr(self, f"{name}_depth")
        return DEFAULT_DEPTH if d is None else d


@dataclass(frozen=True)
class DramConfig:
    """DRAM: rated bandwidth, latency (array cycles), type (prices energy). ``efficiency``: the achievable fraction
    of the rated bandwidth (refresh, bank conflicts, read/write turnaround); None: the type's sourced default
    (simulator/tech/dram.py), 1.0 for a type without one. ``dma_engines`` x ``outstanding`` requests of
    ``burst_bytes`` each in flight bound the achieved bandwidth by latency x bandwidth (Little's law):
    achieved bytes/cycle = min(rated x efficiency, dma_engines * outstanding * burst_bytes / latency_cycles)
    (simulator/model/design.py ``achieved_bytes_per_cycle``); ``outstanding`` None: no such limit."""

    bandwidth_gbps: float
    latency_cycles: int
    type: str
    energy_pj_per_bit: float | None = None
    dma_engines: int = 1
    outstanding: int | None = None
    burst_bytes: int = 64
    efficiency: float | None = None

    @property
    def efficiency_used(self) -> float:
        """The fraction of the rated bandwidth the model serves (``simulator.tech.dram.efficiency_used``)."""
        from simulator.tech.dram import efficiency_used

        return efficiency_used(self)

    @property
    def rate_note(self) -> str:
        """The rate a run assumed and where its fraction comes from (``simulator.tech.dram.efficiency_note``)."""
        from simulator.tech.dram import efficiency_note

        return efficiency_note(self)
