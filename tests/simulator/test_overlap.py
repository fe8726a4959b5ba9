"""Overlap computed from the design (docs/memory.md "Overlap from the design"): buffer depths in the fold walk,
the DMA's outstanding-request bound on bandwidth, the vector unit's tile buffer, cross-layer prefetch into a free
weight slot; the switches as shorthands. Hand-computed cases in each docstring."""

from __future__ import annotations

import copy
import struct
import subprocess
import sys

import pytest

import hwconfigs
from simulator import ConfigError, simulate, simulate_totals
from simulator.hardware import hardware_from_dict
from simulator.hardware.config import DEFAULT_DEPTH, DramConfig
from simulator.model import kernel as K
from simulator.model.design import achieved_bytes_per_cycle, design_of
from simulator.model.foldwalk import depth_of, walk
from simulator.model.kernel_defs import INPUT, OUTPUT
from simulator.model.schedule import intermediate_tile_bytes, slot_bytes, vector_buffered
from workloads import load_workload
from workloads.io import read_structured

TINY = load_workload("deit_tiny-w8a8")


def _walk(n, tile_bytes, lines, depth, lat=0):
    """(prefetch = S_0, stall, end of the last fold) of n folds each reading ``tile_bytes`` of one 8-bit operand
    P (no Q, no Z bits) at 1 B/cycle."""
    out = walk(n, 1, 1, 1, 1, 1, tile_bytes, INPUT, INPUT, OUTPUT, 8, 0, 0, 32, False, False, True, True,
               0.0, 0.0, 0.0, lines, 1.0, lat, 1, depth, 2, 2, 2)
    return out[11], out[6], out[11] + n * lines + out[6]


def test_single_buffered_operand_serializes_dram_with_compute():
    """Depth 1, 3 folds of 10 cycles each reading 32 B at 1 B/cycle: fold 0 starts at 32; fold 1's read waits for
    fold 0's end (42), arrives at 74: stall 32; fold 2 likewise: stall 32. End 126 = DRAM 96 + compute 30 (nothing
    hidden). With 5 cycles of latency every fetch waits 37: end 3 x (32 + 5) + 30 = 141."""
    assert _walk(3, 32, 10, 1) == (32.0, 64.0, 126.0)
    assert _walk(3, 32, 10, 1, lat=5) == (37.0, 74.0, 141.0)


def test_double_buffered_hides_min_dram_compute_minus_one_tile():
    """Depth 2, n equal folds of c compute cycles and m DRAM cycles: end = m + (n - 1) max(m, c) + c, i.e. of the
    serial n (m + c) it hides (n - 1) min(m, c) = min(DRAM, compute) - min(m, c): the first tile's fill when
    compute-bound, the last tile's compute when DRAM-bound.
    Compute-bound m = 6, c = 10, n = 3: serial 48; end 6 + 2 x 10 + 10 = 36, hidden 12 = min(18, 30) - 6.
    DRAM-bound m = 32, c = 10: serial 126; end 32 + 2 x 32 + 10 = 106: fold 1's read runs 32..64, due 42, stall 22;
    fold 2's 64..96, due 74, stall 22; hidden 20 = min(96, 30) - 10."""
    assert _walk(3, 6, 10, 2) == (6.0, 0.0, 36.0)
    assert _walk(3, 6, 10, 1)[2] == 48.0
    assert _walk(3, 32, 10, 2) == (32.0, 44.0, 106.0)


def test_deeper_buffer_runs_further_ahead():
    """4 folds of 10 cycles reading 12 B each at 1 B/cycle, 30 cycles of latency. Depth 3: reads 0..12, 12..24,
    24..36 arrive at 42, 54, 66: folds start 42, 54, 66; fold 3's read waits for fold 0's end (52): 52..64,
    arrives 94: starts 94, end 104. Depth 2: fold 2's read waits for fold 0's end (52): 52..64, arrives 94, starts
    94; fold 3's for fold 1's end (64): 64..76, arrives 106, starts 106: end 116."""
    assert _walk(4, 12, 10, 3, lat=30)[2] == 104.0
    assert _walk(4, 12, 10, 2, lat=30)[2] == 116.0


def test_depth_derived_from_the_tiles_that_fit():
    """Not stated: 2 where two tiles fit the buffer, else as many as fit, at least 1; stated: as stated."""
    assert depth_of(0, 100.0, 40.0) == 2
    assert depth_of(0, 100.0, 60.0) == 1
    assert depth_of(0, 100.0, 200.0) == 1
    assert depth_of(3, 100.0, 200.0) == 3
    assert depth_of(0, 100.0, 0.0) == 2
    assert DEFAULT_DEPTH == K.DEFAULT_DEPTH == 2


def test_outstanding_requests_cap_bandwidth():
    """25.6 GB/s at 1000 MHz = 25.6 B/cycle rated (DRAM at its full rate, efficiency 1.0); 1 engine x 16 requests x
    64 B in flight over 100 cycles of latency = 10.24 B/cycle achieved; 4 engines: 40.96 > rated, 25.6; no latency
    or no limit: rated. With LPDDR4's sourced achievable fraction (0.685, simulator/tech/dram.py) the rate the DMA
    bound is taken against is 25.6 x 0.685 = 17.536 B/cycle: 16 requests still give 10.24 (the DMA bound is lower),
    4 engines 17.536 (the fraction is). On int8 with 4 outstanding requests: 4 x 64 / 100 = 2.56 B/cycle (below
    int8's achievable rate), and every layer's dram_cycles = its DRAM bytes / 2.56."""
    import numpy as np

    full = {"efficiency": 1.0}
    assert achieved_bytes_per_cycle(DramConfig(25.6, 100, "lpddr4", outstanding=16, **full), 25.6, 1000.0,
                                    100) == 10.24
    assert achieved_bytes_per_cycle(DramConfig(25.6, 100, "lpddr4", dma_engines=4, outstanding=16, **full), 25.6,
                                    1000.0, 100) == 25.6
    assert achieved_bytes_per_cycle(DramConfig(25.6, 0, "lpddr4", outstanding=16, **full), 25.6, 1000.0, 0) == 25.6
    assert achieved_bytes_per_cycle(DramConfig(25.6, 100, "lpddr4", **full), 25.6, 1000.0, 100) == 25.6
    arr = achieved_bytes_per_cycle(DramConfig(25.6, 100, "lpddr4", outstanding=16, **full), np.array([25.6, 6.4]),
                                   np.array([1000.0, 1000.0]), np.array([100, 0]))
    assert arr.tolist() == [10.24, 6.4]
    assert achieved_bytes_per_cycle(DramConfig(25.6, 100, "lpddr4", outstanding=16), 25.6, 1000.0, 100) == 10.24
    assert achieved_bytes_per_cycle(DramConfig(25.6, 100, "lpddr4", dma_engines=4, outstanding=16), 25.6, 1000.0,
                                    100) == pytest.approx(17.536, rel=1e-12)
    hw = _int8(dram={"outstanding": 4})
    assert design_of(hw).bytes_per_cycle == 2.56
    for r in simulate(TINY, hw).layer_results:
        assert r.dram_cycles == pytest.approx((r.dram_read_bytes + r.dram_write_bytes) / 2.56, rel=1e-12)
    assert simulate_totals(TINY, hw).total_cycles > simulate_totals(TINY, _int8()).total_cycles


def test_vector_overlap_needs_a_buffer_for_a_tile_of_the_intermediate():
    """The gate: a group whose vector layers read 151,296 B (DeiT-Tiny's fc1 output, 197 x 768 at 8 bits) and write
    as much, over n = 168 tiles (fc1 on 32 x 32, os: 7 x 24 folds): one tile = 151,296 / 168 = 900.57 B; it fits
    int8's ofmap slot (128 KiB at depth 2: 65,536 B free), not a 512 B one. End to end on int8: hidden cycles
    with the default buffers; none with a single-buffered ofmap buffer (no slot for the intermediate) unless the
    vector unit has its own (vector.overlap: gemm); none with vector.overlap: none. End to end at DRAM's full rate
    (dram.efficiency 1.0), where the single-buffered ofmap moves none of the GEMMs' times the vector layers hide
    under, so the hidden cycles with and without it are equal (at LPDDR4's 0.685 it also adds write-back stalls to
    the GEMMs, which changes what there is to hide under)."""
    class Row:
        def bytes(self, operand, level, direction):
            return 151_296.0

    tile = intermediate_tile_bytes([Row()], 168)
    assert tile == 151_296 / 168
    assert slot_bytes(131_072, 2) == 65_536.0
    assert vector_buffered(tile, 65_536.0) == 1.0 and vector_buffered(tile, 512.0) == 0.0
    assert vector_buffered(tile, None) == 1.0

    def hidden(buffers=None, vector=None):
        return simulate_totals(TINY, _int8(dram={"efficiency": 1.0}, buffers=buffers or {},
                                           vector=vector or {})).overlap_hidden_cycles

    assert hidden() > 0
    assert hidden(buffers={"ofmap_depth": 1}) == 0
    assert hidden(buffers={"ofmap_depth": 1}, vector={"overlap": "gemm"}) == hidden(vector={"overlap": "gemm"}) > 0
    assert hidden(vector={"overlap": "none"}) == 0


def test_prefetch_fills_the_free_weight_slots():
    """slot = weight bytes x (depth - 1) / depth: 256 KiB at depth 2 -> 131,072 B, at 4 -> 196,608 B, at 1 -> 0.
    End to end on int8: prefetched weights by default (depth 2), none at weight_depth 1 or memory.prefetch: layer;
    prefetch: network with weight_depth 1 has no free slot either."""
    assert slot_bytes(262_144, 2) == 131_072.0 and slot_bytes(262_144, 4) == 196_608.0
    assert slot_bytes(262_144, 1) == 0.0

    def pref(**kw):
        hw = _int8(**kw)
        return hw.prefetches_weights, simulate_totals(TINY, hw).prefetched_weight_bytes

    on, b = pref()
    assert on and b > 0
    assert pref(buffers={"weight_depth": 1}) == (False, 0.0)
    assert pref(memory={"prefetch": "layer"}) == (False, 0.0)
    assert pref(buffers={"weight_depth": 1}, memory={"prefetch": "network"}) == (True, 0.0)
    assert pref(buffers={"weight_depth": 4})[1] >= b


def test_switches_are_shorthands():
    """vector.overlap: none + memory.prefetch: layer reproduce the former default exactly (int8 on its default
    workload DeiT-S W8A8 with DRAM at its full rate, dram.efficiency 1.0, as then: 5,515,215.5 cycles, the figure
    before overlap was derived once the split and the loop order are chosen by cost, docs/energy.md's int8 row of
    that code; 5,623,789.5 before that); double_buffered lists = depths 2/1."""
    wl = load_workload("deit_small-w8a8")
    off = _int8(vector={"overlap": "none"}, memory={"prefetch": "layer"}, dram={"efficiency": 1.0})
    assert simulate_totals(wl, off).total_cycles == 5_515_215.5
    listed = _int8(buffers={"double_buffered": ["ifmap", "weight"]})
    assert listed.buffers.depths == (2, 2, 1)
    assert listed.buffers == _int8(buffers={"ifmap_depth": 2, "weight_depth": 2, "ofmap_depth": 1}).buffers
    assert hardware_from_dict(listed.to_dict(), "again.yaml") == listed


def test_single_buffering_costs_cycles_end_to_end():
    """Every buffer single-buffered on int8 (DeiT-Tiny): more stall cycles than double-buffered, same DRAM bytes;
    stating depth 2 equals the derived default on this design (every fold's tiles fit twice)."""
    one, two = _int8(buffers={"double_buffered": []}), _int8()
    t1, t2 = simulate_totals(TINY, one), simulate_totals(TINY, two)
    assert t1.total_cycles > t2.total_cycles and t1.stall_memory_cycles > t2.stall_memory_cycles
    assert t1.dram_read_bytes == t2.dram_read_bytes
    stated = _int8(buffers={"double_buffered": ["ifmap", "weight", "ofmap"]})
    assert simulate_totals(TINY, stated) == t2


def test_batch_is_bit_identical_with_depths_and_dma_limits():
    """The batch evaluator equals simulate_totals bit for bit with stated depths, the DMA bound and the auto
    options."""
    from simulator.model.batch import DesignBatch, evaluate
    from simulator.schema import TOTAL_NAMES

    hws = [_int8(), _int8(buffers={"double_buffered": []}), _int8(buffers={"ifmap_depth": 3, "ofmap_depth": 1}),
           _int8(dram={"outstanding": 8, "dma_engines": 2}), _int8(buffers={"ofmap_kib": 2, "weight_depth": 4}),
           _int8(dram={"outstanding": 8, "latency_cycles": 50})]
    totals, errors = evaluate(TINY, DesignBatch.from_hardware(hws))
    assert not any(errors)
    for i, hw in enumerate(hws):
        t = simulate_totals(TINY, hw)
        for k in TOTAL_NAMES:
            assert struct.pack("<d", t[k]) == struct.pack("<d", float(totals[k][i])), (i, k)


@pytest.mark.parametrize("section,field,value", [
    ("buffers", "ifmap_depth", 0), ("buffers", "weight_depth", 5), ("buffers", "double_buffered", ["psum"]),
    ("dram", "outstanding", 0), ("dram", "dma_engines", 0), ("dram", "burst_bytes", 1.5),
    ("vector", "overlap", "sometimes"), ("memory", "prefetch", "maybe")])
def test_bad_fields_name_file_field_value(section, field, value):
    d = _int8_dict()
    d.setdefault(section, {})[field] = value
    with pytest.raises(ConfigError) as e:
        hardware_from_dict(d, "my.yaml")
    text = str(e.value)
    assert "my.yaml" in text and f"{section}.{field}" in text and "\n" not in text


def test_depths_and_the_list_together_are_refused(tmp_path):
    """From the command line: both forms stated -> exit 2, one line naming the field."""
    import yaml

    d = _int8_dict()
    d["buffers"].update(double_buffered=["ifmap"], ifmap_depth=2)
    p = tmp_path / "both.yaml"
    p.write_text(yaml.safe_dump(d))
    out = subprocess.run([sys.executable, "-m", "simulator", "run", str(p)], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 2 and out.stderr.strip().count("\n") == 0 and "buffers.ifmap_depth" in out.stderr


def test_scalesim_cfg_keeps_scalesims_behaviour(tmp_path):
    """A .cfg states every buffer double-buffered (whatever the tile size), each layer alone."""
    from simulator.loader import load_hardware
    from simulator.scalesim_cfg import scalesim_cfg_text

    p = tmp_path / "a.cfg"
    p.write_text(scalesim_cfg_text("r", 16, 8, 32, 64, 128, "ws", 12))
    hw = load_hardware(str(p))
    assert hw.buffers.depths == (2, 2, 2) and hw.vector.overlap == "none" and not hw.prefetches_weights


def _int8_dict() -> dict:
    return copy.deepcopy(read_structured(hwconfigs.find("int8")))


def _int8(**sections) -> object:
    d = _int8_dict()
    for name, fields in sections.items():
        d.setdefault(name, {}).update(fields)
    return hardware_from_dict(d, "int8.yaml")
