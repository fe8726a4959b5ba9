"""A hardware config split once into what the model reads: structure, numbers, prices.

  structure  the ``Hardware`` with every number zeroed (``structure``): PE type and modes, dataflow, temporal
             tiling, array timing, memory policies, non-linear units, PPU arithmetic, technology, DRAM type: what
             changes the plan, the setups and the fold walk; designs that share it form one variant of a batch
  numbers    ``Design``: R, C, buffer bytes, DRAM bytes per cycle (``achieved_bytes_per_cycle``: the rated rate x the
             DRAM's achievable fraction, ``simulator.tech.dram.bytes_per_cycle``, bounded by the DMA's outstanding
             requests; the fraction is structure) and
             latency, clock, vector and PPU lanes (Python numbers for one design, numpy arrays over a batch)
  prices     ``Prices``: pJ per bit of each buffer (its size's SRAM energy), of DRAM, pJ per primitive op,
             leakage mW (leakage density x area); the only inputs of ``simulator.model.price.price`` besides
             the counts and the per-MAC prices of each layer's PE mode (``layer.GemmSetup.mac_pj``)
``NUMERIC`` names the numbers (and the YAML path of each); ``design_of`` / ``prices_of`` build one design's,
``design_columns`` a batch's from its columns.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

NUMERIC = {
    "rows": lambda hw: hw.array.rows,
    "cols": lambda hw: hw.array.cols,
    "ifmap_kib": lambda hw: hw.buffers.ifmap_kib,
    "weight_kib": lambda hw: hw.buffers.weight_kib,
    "ofmap_kib": lambda hw: hw.buffers.ofmap_kib,
    "bandwidth_gbps": lambda hw: hw.dram.bandwidth_gbps,
    "latency_cycles": lambda hw: hw.dram.latency_cycles,
    "freq_mhz": lambda hw: hw.freq_mhz,
    "vector_lanes": lambda hw: hw.vector.lanes,
    "ppu_lanes": lambda hw: hw.ppu.lanes,
}
INT_NUMERIC = ("rows", "cols", "latency_cycles", "vector_lanes", "ppu_lanes")
# hardware YAML path of each numeric column (sweep axes on these paths become columns)
NUMERIC_PATHS = {"array.rows": "rows", "array.cols": "cols", "buffers.ifmap_kib": "ifmap_kib",
                 "buffers.weight_kib": "weight_kib", "buffers.ofmap_kib": "ofmap_kib",
                 "dram.bandwidth_gbps": "bandwidth_gbps", "dram.latency_cycles": "latency_cycles",
                 "freq_mhz": "freq_mhz", "vector.lanes": "vector_lanes", "ppu.lanes": "ppu_lanes"}


@dataclass(frozen=True)
class Design:
    """The numbers of one design (Python numbers) or of many (numpy arrays of one length)."""

    rows: object
    cols: object
    ifmap_bytes: object          # buffer capacities in bytes
    weight_bytes: object
    ofmap_bytes: object
    bytes_per_cycle: object      # achieved DRAM bytes per array cycle (``achieved_bytes_per_cycle``)
    latency_cycles: object
    freq_mhz: object
    vector_lanes: object
    ppu_lanes: object
    host_us_per_image: float = 0.0   # host overhead (``hardware.HostConfig``): per image, per run
    host_us_per_batch: float = 0.0


@dataclass(frozen=True)
class Prices:
    """What one action costs on a design (numbers, or arrays over designs)."""

    sram_pj_per_bit: tuple       # (ifmap, weight, ofmap) buffers
    dram_pj_per_bit: object
    primitives_pj: dict          # pJ per primitive op (counts.PRIMITIVES)
    leakage_mw: object
    host_w: float = 0.0          # the host's power while its overhead runs (0: not counted)


def structure(hw):
    """``hw`` with every NUMERIC field zeroed (and its name dropped): what designs of one variant share. The
    batch path reads numbers only from its columns, so a zero here can never leak into a result unnoticed."""
    return replace(hw, name="", description="", freq_mhz=0.0,
                   array=replace(hw.array, rows=0, cols=0),
                   buffers=replace(hw.buffers, ifmap_kib=0.0, weight_kib=0.0, ofmap_kib=0.0),
                   dram=replace(hw.dram, bandwidth_gbps=0.0, latency_cycles=0),
                   vector=replace(hw.vector, lanes=0), ppu=replace(hw.ppu, lanes=0))


def achieved_bytes_per_cycle(dram, bandwidth_gbps, freq_mhz, latency_cycles):
    """DRAM bytes per array cycle the design achieves (numbers, or arrays over designs):
        rated = bandwidth_gbps * 1e3 / freq_mhz * efficiency                      [B/cycle]
        in_flight = dma_engines * outstanding * burst_bytes                       [B]
        achieved = min(rated, in_flight / latency_cycles)                         [B/cycle]
    ``efficiency``: the DRAM's achievable fraction (``DramConfig.efficiency_used``, simulator/tech/dram.py
    ``bytes_per_cycle``); then Little's law: no more than ``in_flight`` bytes are on their way during one latency.
    ``dram``: the ``DramConfig`` (its fraction, engines, outstanding requests and burst size); no DMA bound when
    ``outstanding`` is None or the latency is 0. Example: 25.6 GB/s at 1 GHz, efficiency 1.0 = 25.6 B/cycle rated;
    1 engine x 16 requests x 64 B over 100 cycles = 10.24 B/cycle achieved (LPDDR4's sourced 0.685: 17.536 rated,
    still 10.24 achieved)."""
    from simulator.tech.dram import bytes_per_cycle

    rated = bytes_per_cycle(bandwidth_gbps, freq_mhz, dram.efficiency_used)
    if dram.outstanding is None:
        return rated
    in_flight = float(dram.dma_engines * dram.outstanding * dram.burst_bytes)
    if type(latency_cycles).__module__ == "numpy":
        import numpy as np

        lat = np.asarray(latency_cycles, dtype=np.float64)
        cap = np.divide(in_flight, lat, out=np.full(lat.shape, np.inf), where=lat > 0)
        return np.minimum(rated, cap)
    return rated if latency_cycles <= 0 else min(rated, in_flight / latency_cycles)


def design_of(hw) -> Design:
    """The numbers of one Hardware."""
    ib, wb, ob = hw.buffers.bytes
    bpc = achieved_bytes_per_cycle(hw.dram, hw.dram.bandwidth_gbps, hw.freq_mhz, hw.dram.latency_cycles)
    return Design(hw.array.rows, hw.array.cols, ib, wb, ob, bpc, hw.dram.latency_cycles,
                  hw.freq_mhz, hw.vector.lanes, hw.ppu.lanes, *host_numbers(hw))


def host_numbers(hw) -> tuple:
    """(host_us_per_image, host_us_per_batch) of a Hardware (``HostConfig``)."""
    return hw.host.overhead_us_per_image, hw.host.overhead_us_per_batch


def host_w(hw) -> float:
    """The host's power while its overhead runs, 0.0 when not given (its energy then is not counted)."""
    return 0.0 if hw.host.power_w is None else hw.host.power_w


def prices_of(costs, hw=None) -> Prices:
    """The prices of one Hardware from its ``simulator.energy.hw_costs`` (and the host's power from ``hw``)."""
    return Prices(costs.sram_pj_per_bit, costs.dram_pj_per_bit, costs.primitives, costs.leakage_mw,
                  0.0 if hw is None else host_w(hw))


def design_columns(hw, nums: dict) -> tuple[Design, Prices, dict]:
    """(Design, Prices, area) of one variant's designs from their NUMERIC columns ``nums`` (numpy arrays)."""
    import numpy as np

    from simulator.area import area_breakdown
    from simulator.energy import dram_pj_per_bit, hw_tech, leak_density

    tech = hw_tech(hw)
    kib = (nums["ifmap_kib"], nums["weight_kib"], nums["ofmap_kib"])
    area = area_breakdown(tech, hw, nums["rows"], nums["cols"], kib, nums["vector_lanes"], nums["ppu_lanes"])
    d = Design(nums["rows"], nums["cols"], *((x * 1024).astype(np.int64) for x in kib),
               achieved_bytes_per_cycle(hw.dram, nums["bandwidth_gbps"], nums["freq_mhz"], nums["latency_cycles"]),
               nums["latency_cycles"], nums["freq_mhz"],
               nums["vector_lanes"], nums["ppu_lanes"], *host_numbers(hw))
    prices = Prices(tuple(_per_value(tech.sram_pj_per_bit, x) for x in kib), dram_pj_per_bit(hw, tech),
                    tech.primitives(), leak_density(hw, tech) * area["area_mm2"], host_w(hw))
    return d, prices, area


def _per_value(fn, values):
    """fn(value) for each element, computed once per distinct value (scalar code: same bits as one design)."""
    import numpy as np

    uniq, inv = np.unique(values, return_inverse=True)
    return np.asarray([fn(float(u)) for u in uniq], dtype=np.float64)[inv]
