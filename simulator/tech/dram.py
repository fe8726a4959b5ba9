"""DRAM achievable fraction: the share of a DRAM's rated (wire-rate) bandwidth a controller sustains on streaming
traffic, by DRAM type, with its source. Refresh (the device is busy tRFC of every tREFI: JEDEC's per-generation
refresh timings), bank conflicts (row misses: precharge + activate between bursts) and read/write bus turnaround
all come out of the rated figure; the measured fractions below include all three.

The model serves DRAM at (``bytes_per_cycle``)
    bytes per array cycle = bandwidth_gbps * 1e3 / freq_mhz * efficiency        [B/cycle = GB/s * 1e9 / (MHz * 1e6)]
efficiency = ``dram.efficiency`` when the config gives it (0 < x <= 1), else ``EFFICIENCY[dram.type]``, else 1.0
(a type without a sourced value runs at its full rate, and the assumptions output says so). SCALE-Sim .cfg inputs
load with efficiency 1.0 (SCALE-Sim's interface has no such loss). The simulator (``Hardware.dram_bytes_per_cycle``,
``design.design_columns``) and the roofline's DRAM level (analysis/devices.py) call this one function.

| type   | fraction | source (measured, streaming)                                                                        |
| lpddr4 | 0.685    | TI SPRACV1B (AM64x benchmarks), STREAM on LPDDR4-1600 x16: copy 69 %, scale 71 %, add 67 %, triad 67 % of |
|        |          | the wire rate; the mean of the four                                                                 |
| ddr4   | 0.76     | TI SPRACV1B, same board and method, DDR4-1600 x16: copy 78 %, scale 79 %, add 73 %, triad 74 %; mean   |
|        |          | (TI SPRAD45A, AM62x, DDR4-1600 x16: 77/74/78/78 %, mean 76.75 %, agrees)                             |
| ddr3   | 0.865    | HP technology brief "DDR3 memory technology", Table 6: 2P ProLiant Gen8 (DDR3-1600), 88.6 GB/s measured |
|        |          | of 102.4 GB/s theoretical                                                                           |
| hbm2   | 0.924    | Wang et al., "Shuhai: Benchmarking High Bandwidth Memory on FPGAs", FCCM 2020: 425 GB/s measured on a  |
|        |          | Xilinx Alveo U280, whose two HBM2 stacks are rated 460 GB/s (AMD UG1393: 32 x 14.375 GB/s)            |
| gddr5  | (none)   | no sourced measurement: 1.0                                                                         |
"""

from __future__ import annotations

# dram.type -> (achievable fraction of the rated bandwidth, source): the module docstring's table
EFFICIENCY = {
    "lpddr4": (0.685, "TI SPRACV1B: STREAM on LPDDR4-1600 x16, mean of copy/scale/add/triad (69/71/67/67 %)"),
    "ddr4": (0.76, "TI SPRACV1B: STREAM on DDR4-1600 x16, mean of copy/scale/add/triad (78/79/73/74 %)"),
    "ddr3": (0.865, "HP DDR3 memory technology brief, Table 6: ProLiant Gen8, 88.6 of 102.4 GB/s measured"),
    "hbm2": (0.924, "Wang et al. FCCM 2020 (Shuhai): 425 GB/s measured of the Alveo U280's rated 460 GB/s"),
}


def default_efficiency(dram_type: str) -> float | None:
    """The sourced achievable fraction of ``dram_type``, or None when the table has none."""
    row = EFFICIENCY.get(str(dram_type))
    return None if row is None else row[0]


def efficiency_source(dram_type: str) -> str:
    """The source of ``dram_type``'s default fraction ('' when unsourced)."""
    row = EFFICIENCY.get(str(dram_type))
    return "" if row is None else row[1]


def efficiency_used(dram) -> float:
    """The fraction of a ``DramConfig``'s rated bandwidth the model serves: ``efficiency``, else the type's sourced
    default, else 1.0."""
    if dram.efficiency is not None:
        return dram.efficiency
    d = default_efficiency(dram.type)
    return 1.0 if d is None else d


def efficiency_note(dram) -> str:
    """'25.6 GB/s x 0.685 achievable (<where the fraction comes from>)': the rate a run assumed, for the roofline's
    DRAM level and the assumptions footer."""
    eff, rated = efficiency_used(dram), dram.bandwidth_gbps
    if dram.efficiency is not None:
        why = "set in the config"
    elif default_efficiency(dram.type) is not None:
        why = f"measured {dram.type} streaming, {efficiency_source(dram.type).split(':')[0]}; simulator/tech/dram.py"
    else:
        return f"{rated:g} GB/s at its full rate (no sourced achievable fraction for {dram.type})"
    if eff == 1.0:
        return f"{rated:g} GB/s at its full rate ({why})"
    return f"{rated:g} GB/s x {eff:g} achievable ({why}) = {rated * eff:.3g} GB/s"


def bytes_per_cycle(bandwidth_gbps, freq_mhz, efficiency):
    """DRAM bytes served per array cycle = bandwidth_gbps * 1e3 / freq_mhz * efficiency (numbers or numpy arrays)."""
    return bandwidth_gbps * 1e3 / freq_mhz * efficiency
