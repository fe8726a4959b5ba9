"""Fused attention (simulator/model/attention.py): hand-computed key tiles, the chain moves only Q, K, V and the
output, the batch evaluator, the option."""

from dataclasses import replace

import numpy as np
import pytest

from simulator import ConfigError, load_hardware, simulate, simulate_totals
from simulator.hardware import hardware_from_dict
from simulator.hardware.config import MemoryConfig
from simulator.model.attention import ONLINE, fuse_workload, key_tile
from simulator.model.batch import DesignBatch, evaluate
from simulator.schema import TOTAL_NAMES
from workloads import load_workload

W = load_workload("deit_small-w8a8")
QKV_BYTES = 6 * 197 * 64      # one of Q, K, V or the attention output of one DeiT-S block at 8 bits: 75,648 B


def _int8(activations="dram", attention="fused", ofmap_kib=None):
    hw = load_hardware("int8")                       # 128 KiB ofmap buffer, 32-bit accumulators
    if ofmap_kib is not None:
        hw = replace(hw, buffers=replace(hw.buffers, ofmap_kib=ofmap_kib))
    return replace(hw, memory=MemoryConfig(activations, attention))


def test_key_tile_hand_computed():
    """M = N = 197, 32-bit accumulators, 128 KiB ofmap: Tk = floor(65,536 * 8 / (197 * 32)) = 83 -> 3 tiles, the
    online rescale (3 - 1) * 197 rows of d + 1 = 65 per head; 1 MiB holds all 197 keys (no rescale); 1 KiB cannot
    hold one key column (1 < 197 * 4 * 2 B): not fused."""
    assert key_tile(197, 197, 128 * 1024, 32) == 83
    assert key_tile(197, 197, 1024 * 1024, 32) == 197
    assert key_tile(197, 197, 1024, 32) == 0
    fused = fuse_workload(W, 128 * 1024, 32)
    extra = [x for x in fused.layers if x.name.endswith(ONLINE)]
    assert len(extra) == 12 and (extra[0].op, extra[0].m, extra[0].n, extra[0].repeat) == ("mul", 394, 65, 6)
    assert extra[0].elements == 6 * 2 * 197 * 65
    assert fuse_workload(fused, 128 * 1024, 32) is fused            # idempotent
    assert fuse_workload(W, 1024 * 1024, 32) is W                     # one tile: nothing to rescale


def test_fused_attention_moves_only_q_k_v_and_the_output():
    """Every layer from DRAM, attention fused: q@k^T reads Q and K, writes nothing; softmax and the rescale move
    nothing; attn@v reads V and writes the output: 4 x 75,648 B per block. Unfused, the scores (6 x 197 x 197 B =
    232,854) are written and read twice more (softmax in and out)."""
    rows = {r.name: r for r in simulate(W, _int8()).layer_results}
    qk, sm, av = rows["blocks.0.attn.qk"], rows["blocks.0.attn.softmax"], rows["blocks.0.attn.av"]
    rescale = rows["blocks.0.attn.av" + ONLINE]
    assert (qk.dram_read_bytes, qk.dram_write_bytes) == (2 * QKV_BYTES, 0)
    assert (sm.dram_read_bytes, sm.dram_write_bytes, rescale.dram_read_bytes, rescale.dram_write_bytes) == (0, 0, 0, 0)
    assert (av.dram_read_bytes, av.dram_write_bytes) == (QKV_BYTES, QKV_BYTES)
    assert (qk.ofmap_dest, sm.ifmap_source, sm.ofmap_dest, av.ifmap_source) == ("on_chip",) * 4
    un = {r.name: r for r in simulate(W, _int8(attention="unfused")).layer_results}
    scores = 6 * 197 * 197
    moved = sum(un[n].dram_read_bytes + un[n].dram_write_bytes for n in ("blocks.0.attn.qk", "blocks.0.attn.softmax",
                                                                         "blocks.0.attn.av"))
    assert moved == 4 * QKV_BYTES + 4 * scores


def test_not_fused_when_no_key_column_fits():
    """A 1 KiB ofmap buffer: no key tile, the chain runs unfused (same totals as unfused)."""
    a = simulate_totals(W, _int8(ofmap_kib=1))
    b = simulate_totals(W, _int8(attention="unfused", ofmap_kib=1))
    assert (a.total_cycles, a.dram_read_bytes, a.energy_uj) == (b.total_cycles, b.dram_read_bytes, b.energy_uj)


def _bits(a):
    return np.asarray(a, dtype=np.float64).view(np.int64)


def test_batch_evaluator_identical_with_fused_attention():
    hws = []
    for base in ("int8", "vit_hsiung28", "tpu_v1"):
        hw = load_hardware(base)
        for okib in (1, 8, 40, 128, 1024):
            for ikib in (64, 512):
                for act in ("on_chip", "dram"):
                    hws.append(replace(hw, buffers=replace(hw.buffers, ofmap_kib=okib, ifmap_kib=ikib),
                                       memory=MemoryConfig(act, "fused")))
    w = load_workload("deit_tiny-w8a8")
    totals, errors = evaluate(w, DesignBatch.from_hardware(hws))
    assert errors == [""] * len(hws)
    for i, hw in enumerate(hws):
        t = simulate_totals(w, hw)
        for name in TOTAL_NAMES:
            assert _bits(totals[name][i]) == _bits(float(t[name])), (i, name)


def test_option_validated():
    d = {"freq_mhz": 100, "array": {"rows": 4, "cols": 4, "dataflow": "os"},
         "pe": {"precisions": [{"w_bits": 8, "a_bits": 8}]}, "buffers": {"ifmap_kib": 8, "weight_kib": 8, "ofmap_kib": 8},
         "dram": {"bandwidth_gbps": 1}, "vector": {"lanes": 4}}
    assert hardware_from_dict(d).memory.attention == "unfused"
    assert hardware_from_dict({**d, "memory": {"attention": "fused"}}).memory.attention == "fused"
    with pytest.raises(ConfigError, match=r"h\.yaml: memory\.attention: .*'flash' \(allowed: unfused, fused\)"):
        hardware_from_dict({**d, "memory": {"attention": "flash"}}, "h.yaml")
