"""vitsim against SCALE-Sim 3.0 itself, run in its own virtual environment (tools/scalesim_env.sh).

Small layers (seconds of SCALE-Sim each), every dataflow, partial folds in both array dimensions:
- compute cycles (Total Cycles - Stall Cycles) identical;
- ifmap and filter SRAM read counts identical; ofmap SRAM writes identical for ws/is, and for os
  ours + folds * (R + C) (SCALE-Sim counts R + C extra writes per fold, a drain artefact);
- where SCALE-Sim reports no stall, total cycles identical;
- where it stalls: our total cycles at or below its; our DRAM traffic at least the compulsory
  traffic and, without the partial-sum read-back SCALE-Sim does not model, at most its traffic.
Skipped with the reason shown (pytest -ra) when SCALE-Sim cannot be installed.
"""

import sys

import pytest
from conftest import ROOT, skip_or_fail

sys.path.insert(0, str(ROOT / "benchmarks"))
import vs_scalesim as V

pytestmark = [pytest.mark.scalesim, pytest.mark.slow]

LAYERS = {"a": (20, 12, 10), "b": (9, 5, 7), "c": (3, 17, 30), "d": (33, 7, 2), "e": (64, 64, 64),
          "f": (1, 100, 40), "hand": (6, 5, 7)}
# name, R, C, dataflow, SRAM KB per buffer, words/cycle per DRAM interface
NO_STALL = [V.Config(f"ns_{df}_{r}x{c}", r, c, df, 64, 8) for df in ("os", "ws", "is") for r, c in ((4, 4), (8, 4))]
STALLING = [V.Config(f"st_{df}", 8, 8, df, 1, 4) for df in ("os", "ws", "is")]
STALL_LAYERS = {"e": (64, 64, 64), "g": (100, 80, 120)}


@pytest.fixture(scope="module")
def scalesim_py():
    py, why = V.scalesim_python()
    if py is None:
        skip_or_fail(f"SCALE-Sim 3.0 unavailable, cross-check not run: {why}")
    return py


_cache: dict = {}


def _run(py, cfg, layers):
    if cfg.name not in _cache:
        _cache[cfg.name] = V.run_scalesim(py, cfg, layers)
    return _cache[cfg.name]


def _ours(cfg, name, mnk):
    """vitsim's row; ``total_cycles`` without the engine's DRAM floor (it counts the initial fill, which
    SCALE-Sim's convention leaves out of Total Cycles): compute + memory-model stalls."""
    v = V.vitsim_layer(cfg, name, mnk, reps=1)
    return {**v, "total_cycles": v["total_cycles"] - v.get("dram_floor_stall_cycles", 0.0)}


@pytest.mark.parametrize("cfg", NO_STALL, ids=lambda c: c.name)
def test_identical_where_scalesim_does_not_stall(scalesim_py, cfg):
    ss = _run(scalesim_py, cfg, LAYERS)
    for name, mnk in LAYERS.items():
        s, v = ss[name], _ours(cfg, name, mnk)
        assert s["Stall Cycles"] == 0, (name, "config meant not to stall")
        assert v["compute_cycles"] == s["Total Cycles"] - s["Stall Cycles"], name
        assert v["total_cycles"] == s["Total Cycles"], name
        assert v["ifmap_sram_reads"] == s["SRAM IFMAP Reads"], name
        assert v["filter_sram_reads"] == s["SRAM Filter Reads"], name
        extra = v["folds"] * (cfg.rows + cfg.cols) if cfg.dataflow == "os" else 0
        assert v["ofmap_sram_writes"] + extra == s["SRAM OFMAP Writes"], name


def test_hand_computed_4x4_matches_scalesim(scalesim_py):
    """M=6 N=5 K=7 on 4x4 (tests/simulator/test_mapping.py): SCALE-Sim's compute cycles are 51/63/59."""
    for df, cycles in (("os", 51), ("ws", 63), ("is", 59)):
        s = _run(scalesim_py, V.Config(f"ns_{df}_4x4", 4, 4, df, 64, 8), LAYERS)["hand"]
        assert s["Total Cycles"] - s["Stall Cycles"] == cycles


@pytest.mark.parametrize("cfg", STALLING, ids=lambda c: c.name)
def test_at_or_below_scalesim_where_it_stalls(scalesim_py, cfg):
    ss = _run(scalesim_py, cfg, STALL_LAYERS)
    for name, (m, n, k) in STALL_LAYERS.items():
        s, v = ss[name], _ours(cfg, name, (m, n, k))
        assert v["compute_cycles"] == s["Total Cycles"] - s["Stall Cycles"], name
        assert v["ifmap_sram_reads"] == s["SRAM IFMAP Reads"] and v["filter_sram_reads"] == s["SRAM Filter Reads"]
        assert v["total_cycles"] <= s["Total Cycles"], name
        ours = v["dram_ifmap_read_bytes"] + v["dram_filter_read_bytes"] + v["dram_ofmap_read_bytes"] \
            + v["dram_write_bytes"]
        theirs = s["DRAM IFMAP Reads"] + s["DRAM Filter Reads"] + s["DRAM OFMAP Writes"]
        assert ours >= m * k + k * n + m * n, name
        assert ours - v["dram_psum_read_bytes"] <= theirs, name


# SCALE-Sim convolution rows: a stride that does not divide H - F (SCALE-Sim's ceil((H-F+S)/S) grid), a 1x1 and a
# depthwise 'DP' row (C separate single-channel layers), read by vitsim's own topology reader
CONV_TOPOLOGY = ("Layer, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
                 "s2, 14, 14, 3, 3, 3, 8, 2,\n"
                 "pw, 7, 7, 1, 1, 8, 16, 1,\n"
                 "DPc, 9, 9, 3, 3, 4, 1, 1,\n")


@pytest.mark.parametrize("cfg", NO_STALL, ids=lambda c: c.name)
def test_conv_rows_identical(scalesim_py, cfg):
    """Every layer SCALE-Sim runs for the conv topology, in order, against vitsim's reading of the same file:
    compute cycles, total cycles (no stall), ifmap/filter SRAM reads and ofmap SRAM writes identical."""
    from simulator.engine import simulate_layer
    from workloads.scalesim_io import parse_topology

    ss = V.run_scalesim_conv(scalesim_py, cfg, CONV_TOPOLOGY)
    layers = parse_topology(CONV_TOPOLOGY)
    assert len(ss) == len(layers) == 1 + 1 + 4
    hw = V.vitsim_hardware(cfg)
    for layer, s in zip(layers, ss):
        v = simulate_layer(layer, hw)
        assert s["Stall Cycles"] == 0, (layer.name, "config meant not to stall")
        assert v["compute_cycles"] == s["Total Cycles"] - s["Stall Cycles"], layer.name
        assert v["total_cycles"] - v["dram_floor_stall_cycles"] == s["Total Cycles"], layer.name
        assert v["ifmap_sram_reads"] == s["SRAM IFMAP Reads"], layer.name
        assert v["filter_sram_reads"] == s["SRAM Filter Reads"], layer.name
        extra = v["folds"] * (cfg.rows + cfg.cols) if cfg.dataflow == "os" else 0
        assert v["ofmap_sram_writes"] + extra == s["SRAM OFMAP Writes"], layer.name
