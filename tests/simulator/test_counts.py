"""Counts that add up: the contract of simulator/model/counts.py and the declared views of simulator/schema.py.

Properties over every shipped config with its default workload and a slice of the zoo, then one hand-computed case
for each rule no other test pinned (utilization with p > 1, the memory-stall split, sparse-decode energy, chunk
fill and PPU stalls beside a memory stall, scale bytes, the N:M K when K is not a multiple of M, the tie rules of
the exact-fit and loop-order choices). The roofline's ridge and busiest-engine vector term are pinned in
tests/analysis/test_roofline_contract.py.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest

from simulator import load_hardware, simulate
from simulator.hardware import hardware_from_dict
from simulator.model import kernel as K
from simulator.model.counts import ACCESS_NAMES, PRIMITIVES, Counts, access, weighted_sum
from simulator.model.foldwalk import walk
from simulator.model.kernel_defs import INPUT, OUTPUT
from simulator.model.layer import compose_stalls
from simulator.schema import LAYER_FIELDS, TOTAL_FIELDS
from workloads import load_workload
from workloads.model import Layer

ROOT = Path(__file__).resolve().parents[2]
# one-engine designs: a chip of several engines (engines:) sums its layers into a schedule, not a sequence
# (tests/simulator/test_engines.py checks its laws)
SHIPPED = [n for n in sorted(p.stem for p in (ROOT / "hwconfigs").glob("*.yaml")) + sorted(
    p.stem for p in (ROOT / "hwconfigs" / "published").glob("*.yaml")) if not hasattr(load_hardware(n), "engines")]
ZOO_SLICE = ("deit_tiny-w8a8", "levit_128s-w8a8", "swin_tiny-w4a8", "deit_small-w4a4_2of4", "efficientvit_b0-w8a8")
BUFFERS = ("ifmap", "weight", "ofmap")
ENERGY_PARTS = ("energy_mac_pj", "energy_sram_pj", "energy_dram_pj", "energy_vector_pj", "ppu_energy_pj",
                "energy_static_pj", "energy_sparse_pj")
MEMORY_PARTS = ("stall_ifmap_cycles", "stall_filter_cycles", "stall_ofmap_cycles", "stall_ofmap_write_cycles",
                "stall_vector_io_cycles")
STALL_CAUSES = ("stall_memory_cycles", "stall_chunk_fill_cycles", "ppu_stall_cycles", "dram_floor_stall_cycles")
# totals that are a sum over layers of one layer column (schema: "sum of layer ...")
SUMMED = ("total_cycles", "compute_cycles", "stall_cycles", "stall_memory_cycles", "stall_vector_io_cycles",
          "stall_chunk_fill_cycles", "ppu_stall_cycles", "dram_floor_stall_cycles", "overlap_hidden_cycles",
          "prefetched_weight_bytes", "sram_read_bytes", "sram_write_bytes", "dram_read_bytes", "dram_write_bytes",
          "dram_scale_read_bytes", "onchip_activation_bytes", "executed_macs", "dram_metadata_read_bytes")


def _cases():
    for name in SHIPPED:
        yield name, None
    for name, wl in (("int8", ZOO_SLICE[0]), ("int8", ZOO_SLICE[1]), ("int4", ZOO_SLICE[2]),
                     ("int4_sparse", ZOO_SLICE[3]), ("vit_hsiung28", ZOO_SLICE[4]), ("me_vit", ZOO_SLICE[0])):
        yield name, wl


@pytest.mark.parametrize("name, wl", list(_cases()))
def test_parts_add_up_on_shipped_configs(name, wl):
    """Per layer: each buffer's read + write bytes = its total; the memory-stall parts sum to stall_memory; the
    stall causes sum to stall_cycles; total = compute + stall - hidden; the disjoint energy parts sum to energy_pj;
    utilization <= 1. Totals: each summed total = sum of layers x occurrences; energy totals add up."""
    hw = load_hardware(name)
    r = simulate(load_workload(wl or hw.default_workload), hw)
    for d in r.distinct:
        for b in BUFFERS:
            assert d[f"{b}_buf_read_bytes"] + d[f"{b}_buf_write_bytes"] == d[f"sram_{b}_bytes"], (b, d["op"])
        assert sum(d[f"{b}_buf_read_bytes"] for b in BUFFERS) == d["sram_read_bytes"]
        assert sum(d[f"{b}_buf_write_bytes"] for b in BUFFERS) == d["sram_write_bytes"]
        assert math.fsum(d[p] for p in MEMORY_PARTS) == pytest.approx(d["stall_memory_cycles"], rel=1e-9, abs=1e-9)
        assert math.fsum(d[p] for p in STALL_CAUSES) == pytest.approx(d["stall_cycles"], rel=1e-12, abs=1e-9)
        assert d["total_cycles"] == d["compute_cycles"] + d["stall_cycles"] - d["overlap_hidden_cycles"]
        assert math.fsum(d[p] for p in ENERGY_PARTS) == pytest.approx(d["energy_pj"], rel=1e-12)
        # a GEMM's primitive ops are its PPU's, a vector layer's the vector unit's: never both
        assert (d["energy_vector_pj"] if d["macs"] else d["ppu_energy_pj"]) == 0.0
        assert d["utilization"] <= 1.0 + 1e-12
        assert d["dram_psum_write_bytes"] <= d["dram_write_bytes"]
    counts = [0] * len(r.distinct)
    for i in r.order:
        counts[i] += 1
    t = r.totals
    for key in SUMMED:
        assert t[key] == math.fsum(d[key] * n for d, n in zip(r.distinct, counts)) or t[key] == pytest.approx(
            math.fsum(d[key] * n for d, n in zip(r.distinct, counts)), rel=1e-12), key
    parts = ("energy_mac_uj", "energy_sram_uj", "energy_dram_uj", "energy_vector_uj", "energy_ppu_uj",
             "energy_static_uj", "energy_sparse_uj", "energy_host_uj")
    assert math.fsum(t[p] for p in parts) == pytest.approx(t["energy_uj"], rel=1e-12)
    assert t["utilization"] <= 1.0 + 1e-12
    # vector_cycles = total - gemm: their sum is total up to one rounding (cycles are fractional where a DRAM
    # transfer ends mid-cycle)
    assert t["gemm_cycles"] + t["vector_cycles"] == pytest.approx(t["total_cycles"], rel=1e-15)


def test_every_count_field_is_a_declared_view():
    """Every per-layer number that is not a label of the layer or its setup, and every total, has a view formula."""
    labels = {"name", "op", "m", "n", "k", "repeat", "w_bits", "a_bits", "out_bits", "precision", "pe_precision",
              "promoted", "macs", "mapping_efficiency", "macs_per_pe_cycle", "impl", "dataflow", "acc_bits_used",
              "loop_order", "outer_operand", "refetched_operand", "conv_tile_rows", "conv_filter_groups",
              "conv_loop_order", "ifmap_source", "filter_source", "ofmap_dest", "stall_buffer", "cycles_per_element",
              "k_segments", "w_scales", "a_scales", "requant_ops", "rescale_ops", "absmax_ops", "zero_point_ops",
              "zero_point_bytes", "w_sparsity", "w_density", "sparse_mode", "sparse_k", "w_imbalance"}
    assert {f.name for f in LAYER_FIELDS if not f.view} == labels
    assert all(f.view for f in TOTAL_FIELDS)


def _counts(**kw) -> Counts:
    base = {f: 0.0 for f in Counts.__slots__ if f not in ("acc", "ops", "engine")}
    base.update(kw)
    acc = [0.0] * len(ACCESS_NAMES)
    for name, v in kw.pop("accesses", {}).items():
        acc[access(*name)] = v
    base.pop("accesses", None)
    return Counts(**base, acc=tuple(acc), ops=tuple(float(i) for i in range(len(PRIMITIVES))))


def test_counts_add_and_scale():
    """a + b and a.scale(n) act field by field, accesses and ops included; the engine index survives when equal."""
    a = _counts(total=10.0, compute=7.0, macs=3.0, accesses={("ifmap", "dram", "rd"): 5.0})
    b = _counts(total=1.5, compute=1.0, macs=2.0, accesses={("filter", "wbuf", "wr"): 4.0})
    s = a + b
    assert (s.total, s.compute, s.macs) == (11.5, 8.0, 5.0)
    assert s.bytes("ifmap", "dram", "rd") == 5.0 and s.bytes("filter", "wbuf", "wr") == 4.0
    assert s.ops == tuple(2.0 * i for i in range(len(PRIMITIVES)))
    t = a.scale(3)
    assert (t.total, t.bytes("ifmap", "dram", "rd"), t.ops[2]) == (30.0, 15.0, 6.0)
    assert weighted_sum(((a, 2), (b, 4))).total == 26.0
    assert s.engine == 0 and (a + Counts(**{**{f: getattr(b, f) for f in Counts.__slots__}, "engine": 1})).engine == -1


def _hw(**sections):
    d = {"name": "t", "freq_mhz": 1000, "array": {"rows": 4, "cols": 4, "dataflow": "os"},
         "pe": {"type": "scalable", "acc_bits": 32, "precisions": [
             {"dtype": "int", "w_bits": 8, "a_bits": 8, "macs_per_cycle": 1},
             {"dtype": "int", "w_bits": 4, "a_bits": 4, "macs_per_cycle": 2}]},
         "buffers": {"ifmap_kib": 64, "weight_kib": 64, "ofmap_kib": 64},
         "dram": {"bandwidth_gbps": 1000, "latency_cycles": 0, "type": "lpddr4"},
         "vector": {"lanes": 4}, "ppu": {"lanes": 16, "scale_bits": 16, "arithmetic": "fixed"},
         "memory": {"activations": "dram"}, "tech": {"table": "horowitz45"}}
    d.update(copy.deepcopy(sections))
    return hardware_from_dict(d, "test.yaml")


def test_utilization_counts_every_mac_slot_of_a_pe_doing_p_macs():
    """4 x 4 os array, W4A4 mode p = 2, M = N = 4, K = 8: K' = 4, one fold of 4 + 4 + 4 - 2 = 10 lines, compute
    = 9 cycles, no stall (1 TB/s); utilization = 128 MACs / (9 x 16 PEs x 2) = 0.4444 (dividing by R x C alone
    would give 0.889)."""
    from simulator.engine import simulate_layer

    r = simulate_layer(Layer("fc", "gemm", m=4, n=4, k=8, w_bits=4, a_bits=4), _hw())
    assert r["macs_per_pe_cycle"] == 2 and r["compute_cycles"] == 9 and r["total_cycles"] == 9
    assert r["utilization"] == pytest.approx(128 / (9 * 16 * 2), rel=1e-12)


def test_memory_stall_split_by_bytes_of_the_waited_transfers():
    """Three folds (outer P of 4 x 4 elements at 8 bits, inner Q of 4 x 4 at 4 bits re-read every fold, Z written
    16 B per fold), one DRAM channel of 1 B/cycle, no latency, 10 lines per fold. Fold 0 reads 16 + 8 B: it starts
    at 24 (prefetch). Fold 1 reads 24 B from 24 to 48, due at 34: stall 14, split P 14 x 16/24, Q 14 x 8/24.
    Fold 2: fold 0's 16 B write goes first (released at 34, channel free at 48: 48-64), then its 24 B reads
    (64-88), due at 58: stall 30, split by the 40 B waited for: P 12, Q 6, write 12. Sums: 44 = 21.333 + 10.667
    + 0 + 12."""
    out = walk(3, 1, 4, 4, 4, 4, 4, INPUT, INPUT, OUTPUT, 8, 4, 8, 32, False, False, False, True, 0.0, 0.0, 0.0,
               10, 1.0, 0, 1, 2, 2, 2, 2)
    stall, sp, sq, sz, sw, prefetch = out[6], out[7], out[8], out[9], out[10], out[11]
    assert prefetch == 24.0 and stall == 44.0
    assert sp == pytest.approx(14 * 16 / 24 + 12, rel=1e-12)
    assert sq == pytest.approx(14 * 8 / 24 + 6, rel=1e-12)
    assert (sz, sw) == (0.0, 12.0)


def test_chunk_fill_and_ppu_stall_beside_a_memory_stall():
    """compose_stalls(compute 100, memory 30, chunk fill 20, PPU 200, DRAM 0): the PPU overlaps all 150 cycles,
    ppu_stall = 200 - 150 = 50, scalesim total 200, stall 100, total 200. With 260 DRAM cycles the floor adds 60:
    stall 160, total 260; 40 cycles hidden by the schedule leave 220."""
    t = compose_stalls(100.0, 30.0, 20.0, 200, 0.0)
    assert (t.ppu_stall, t.scalesim_total, t.dram_floor, t.stall, t.total) == (50.0, 200.0, 0.0, 100.0, 200.0)
    t = compose_stalls(100.0, 30.0, 20.0, 200, 260.0)
    assert (t.dram_floor, t.stall, t.total) == (60.0, 160.0, 260.0)
    assert compose_stalls(100.0, 30.0, 20.0, 200, 260.0, hidden=40.0).total == 220.0


def test_sparse_decode_energy_is_decode_events_times_their_price():
    """2:4 weights on 2:4 PEs (int8 mode, a_bits 8): every executed MAC is one decoder event priced
    mux2_bit_pj x a_bits x (M - 1) + reg_pj_per_bit x ceil(log2 M) = 8 x 3 x mux + 2 x reg; M = N = 8, K = 16:
    executed = 8 x 8 x 8 = 512 MACs; energy_sparse = 512 x that; and it is the part of energy_pj left after the
    other six."""
    from simulator.energy import hw_tech
    from simulator.engine import simulate_layer

    hw = _hw(sparsity={"structured": ["2:4"]}, pe={"type": "fixed", "acc_bits": 32,
                                                   "precisions": [{"w_bits": 8, "a_bits": 8}]})
    tech = hw_tech(hw)
    r = simulate_layer(Layer("fc", "gemm", m=8, n=8, k=16, w_sparsity="2:4"), hw)
    price = tech.mux2_bit_pj * 8 * 3 + tech.reg_pj_per_bit * 2
    assert r["sparse_decode_ops"] == 512 and r["sparse_decode_pj"] == pytest.approx(price, rel=1e-12)
    assert r["energy_sparse_pj"] == pytest.approx(512 * price, rel=1e-12)
    others = math.fsum(r[p] for p in ENERGY_PARTS if p != "energy_sparse_pj")
    assert r["energy_pj"] - others == pytest.approx(512 * price, rel=1e-9)


def test_scale_bytes_through_dram_and_both_buffers():
    """W8A8, per-channel weight scales (N = 16 scales) and per-token activation scales (M = 8 tokens) at 16 bits:
    32 B of weight scales and 16 B of activation scales are read from DRAM once, written into and read from the
    weight and ifmap buffers once each."""
    from simulator.engine import simulate_layer

    hw = _hw(pe={"type": "fixed", "acc_bits": 32, "precisions": [{"w_bits": 8, "a_bits": 8}]})
    base = simulate_layer(Layer("fc", "gemm", m=8, n=16, k=32), hw)
    r = simulate_layer(Layer("fc", "gemm", m=8, n=16, k=32, w_granularity="channel", a_granularity="token"), hw)
    assert r["dram_scale_read_bytes"] - base["dram_scale_read_bytes"] == 32 + 16
    assert r["weight_buf_read_bytes"] - base["weight_buf_read_bytes"] == 32
    assert r["weight_buf_write_bytes"] - base["weight_buf_write_bytes"] == 32
    assert r["ifmap_buf_read_bytes"] - base["ifmap_buf_read_bytes"] == 16
    assert r["ifmap_buf_write_bytes"] - base["ifmap_buf_write_bytes"] == 16
    assert r["sram_weight_bytes"] - base["sram_weight_bytes"] == 64


def test_nm_compaction_when_k_is_not_a_multiple_of_m():
    """2:4 weights with K = 10 on 2:4 PEs: K_c = ceil(10 / 4) x 2 = 6 (the last, partial group still takes two
    slots); N = 8: 6 x 8 values of 8 bits and 6 x 8 x 2 index bits -> 48 + 12 B of filter from DRAM."""
    from simulator.engine import simulate_layer

    hw = _hw(sparsity={"structured": ["2:4"]}, pe={"type": "fixed", "acc_bits": 32,
                                                   "precisions": [{"w_bits": 8, "a_bits": 8}]})
    r = simulate_layer(Layer("fc", "gemm", m=4, n=8, k=10, w_sparsity="2:4"), hw)
    assert r["sparse_k"] == 6
    assert r["dram_filter_read_bytes"] == 48 + 12 and r["dram_metadata_read_bytes"] == 12
    assert r["executed_macs"] == 4 * 8 * 6


def _kernel(df, m, n, k, rows, cols, ib, wb, ob, ttile=0.0):
    out, full, part = [0.0] * K.N_OUT, [0.0] * K.N_OUT, [0.0] * K.N_OUT
    prm = [0.0] * K.N_PARAMS
    for idx, v in ((K.P_DF, df), (K.P_M, m), (K.P_N, n), (K.P_K, k), (K.P_ROWS, rows), (K.P_COLS, cols),
                   (K.P_MACS, 1.0), (K.P_ABITS, 8), (K.P_WBITS, 8), (K.P_OBITS, 8), (K.P_ACC, 32),
                   (K.P_IFMAP_B, ib), (K.P_WEIGHT_B, wb), (K.P_OFMAP_B, ob), (K.P_BPC, 16.0), (K.P_LAT, 0),
                   (K.P_REPEAT, 1), (K.P_TTILE, ttile)):
        prm[idx] = float(v)
    K.gemm(prm, out, full, part)
    return out


def test_loop_order_tie_runs_row_folds_outer():
    """A square os GEMM on a square array with equal buffers moves the same closed-form DRAM bits either way:
    both orders stall alike too, and the tie runs row folds outer (kernel.gemm_core)."""
    out = _kernel(K.OS, 16, 16, 16, 4, 4, 128, 128, 128)
    assert out[K.ROW_OUTER] == 1.0


def test_exact_fit_counts_as_fitting():
    """os, 4 x 4 array, M = 4 (one row fold), N = 8 (two column folds), K = 16, 8-bit: the filter is 16 x 8 = 128
    B. With a 128 B weight buffer it fits exactly and is read once (128 B from DRAM); with 127 B it does not and
    the inner operand is re-read per outer fold when the orders cost the same or more."""
    fit = _kernel(K.OS, 4, 8, 16, 4, 4, 4096, 128, 4096)
    assert fit[K.DRAM_FILTER] == 128 and fit[K.REFETCH_INNER] == 0.0
    small = _kernel(K.OS, 8, 8, 16, 4, 4, 4096, 127, 4096)
    fits = _kernel(K.OS, 8, 8, 16, 4, 4, 4096, 128, 4096)
    assert fits[K.DRAM_FILTER] == 128 and small[K.DRAM_FILTER] > 128


def test_network_counts_sum_to_the_totals():
    """The network's summed Counts (every distinct layer times its occurrences, ``Network.summed``) carry the
    totals: its total, compute and DRAM reads are the totals' total_cycles, compute_cycles and dram_read_bytes."""
    from simulator.engine import _network, _prepared

    hw = load_hardware("int4")
    w = load_workload("deit_small-w4a4")
    t = simulate(w, hw).totals
    n = _network(_prepared(w, hw), hw).summed()
    assert (n.total, n.compute, n.macs) == (t.total_cycles, t.compute_cycles, t.macs)
    reads = sum(n.bytes(o, "dram", "rd") for o in ("ifmap", "filter", "ofmap", "psum", "scale"))
    assert reads == t.dram_read_bytes and n.engine == 0
