"""Network-level memory planning (simulator/model/residency.py): hand-computed chains, the residual branch, the
independent reference (tests/reference/residency_reference.py), the batch evaluator and the options."""

from dataclasses import replace

import numpy as np
import pytest
from reference.residency_reference import reference_plan

from simulator import ConfigError, load_hardware, simulate, simulate_totals
from simulator.hardware import hardware_from_dict
from simulator.hardware.config import MemoryConfig
from simulator.model.batch import DesignBatch, evaluate
from simulator.model.network import plan
from simulator.model.residency import DRAM, plan_residency
from simulator.scalesim_cfg import hardware_dict_from_scalesim, parse_scalesim_cfg, scalesim_cfg_text
from simulator.schema import TOTAL_NAMES
from workloads import load_workload
from workloads.model import Layer, Workload


def _hw(ifmap_kib, activations="on_chip"):
    """16 x 16 os array, INT8, 64 KiB weight and ofmap buffers, 16 B/cycle, no latency."""
    return hardware_from_dict({
        "name": "t", "freq_mhz": 1000, "array": {"rows": 16, "cols": 16, "dataflow": "os"},
        "pe": {"type": "fixed", "precisions": [{"w_bits": 8, "a_bits": 8}]},
        "buffers": {"ifmap_kib": ifmap_kib, "weight_kib": 64, "ofmap_kib": 64},
        "dram": {"bandwidth_gbps": 16, "latency_cycles": 0}, "vector": {"lanes": 16},
        "memory": {"activations": activations}}, "t.yaml")


CHAIN = Workload("chain", (Layer("l0", "gemm", 64, 64, 64), Layer("l1", "gemm", 64, 64, 64)))


def test_two_layer_chain_that_fits_stays_on_chip():
    """Two 64 x 64 x 64 INT8 GEMMs: every tensor 4,096 B. 16 KiB ifmap buffer: at l0 the kept T0 (4,096) plus l0's
    own input workspace (4,096) = 8,192 <= 16,384; at l1 T0 is l1's input (no workspace): T0 stays. l0 writes
    nothing, l1 reads nothing from DRAM: reads = input 4,096 + weights 2 x 4,096 = 12,288 B; writes = l1's output
    4,096 B; 8,192 B stayed on chip (T0 written and read once)."""
    r = simulate(CHAIN, _hw(16))
    l0, l1 = r.layer_results
    assert (l0.ifmap_source, l0.ofmap_dest, l1.ifmap_source, l1.ofmap_dest) == ("dram", "on_chip", "on_chip", "dram")
    assert (l0.dram_write_bytes, l1.dram_ifmap_read_bytes) == (0, 0)
    assert r.totals.dram_read_bytes == 12_288 and r.totals.dram_write_bytes == 4_096
    assert r.totals.onchip_activation_bytes == 8_192
    # the kept output still moves on chip: ofmap buffer -> activation (ifmap) buffer, 4,096 B each way
    d = simulate(CHAIN, _hw(16, "dram")).layer_results[0]
    assert l0.ofmap_buf_read_bytes == d.ofmap_buf_read_bytes and l0.ifmap_buf_write_bytes == d.ifmap_buf_write_bytes + 4_096


def test_two_layer_chain_that_does_not_fit_spills():
    """7 KiB (7,168 B): at l0, T0 (4,096) + l0's input workspace (4,096) = 8,192 > 7,168: T0 goes to DRAM and l1
    reads it back: reads 4,096 + 4,096 + 2 x 4,096 = 16,384 B, writes 2 x 4,096 = 8,192 B, as with every layer
    from DRAM (memory.activations: dram), cycle for cycle."""
    r = simulate(CHAIN, _hw(7))
    assert [x.ofmap_dest for x in r.layer_results] == ["dram", "dram"]
    assert r.totals.dram_read_bytes == 16_384 and r.totals.dram_write_bytes == 8_192
    assert r.totals.onchip_activation_bytes == 0
    d = simulate(CHAIN, _hw(7, "dram")).totals
    assert (d.total_cycles, d.dram_read_bytes, d.energy_uj) == (r.totals.total_cycles, 16_384, r.totals.energy_uj)


# pos (add, second input a parameter from DRAM) -> norm -> fc -> res (add: fc's output + pos's output, the residual)
RESID = Workload("resid", (Layer("pos", "add", 32, 64), Layer("norm", "layernorm", 32, 64),
                           Layer("fc", "gemm", 32, 64, 64), Layer("res", "add", 32, 64)))


def test_residual_branch_kept_while_it_fits():
    """Every tensor 32 x 64 = 2,048 B. T_pos lives at layers 0-3 (read by norm and by res), T_norm at 1-2, T_fc at
    2-3; only fc (a GEMM) needs a workspace for its input when that is not kept (2,048). 6 KiB (6,144): T_pos at fc:
    2,048 + 2,048 (workspace: T_norm undecided) = 4,096, kept; T_norm at fc: 2,048 + 2,048 (its own consumer, no
    workspace), kept; T_fc at fc: 4,096 + 2,048 = 6,144, kept: res reads both inputs on chip. 5 KiB (5,120): T_pos
    and T_norm as before, T_fc 6,144 > 5,120 spills: res reads fc's output from DRAM, the residual on chip. 3 KiB
    (3,072): T_pos at fc 4,096 > 3,072: the residual spills (pos writes it, norm and res read it back); T_norm
    2,048 stays; T_fc 2,048 + 2,048 > 3,072 spills."""
    assert [p.ofmap for p in plan_residency(RESID.layers, 6144)] == [True, True, True, False]
    mid = plan_residency(RESID.layers, 5120)
    assert [p.ofmap for p in mid] == [True, True, False, False]
    assert (mid[3].ifmap, mid[3].filter) == (False, True)
    r = simulate(RESID, _hw(5)).layer_results
    assert (r[3].ifmap_source, r[3].filter_source) == ("dram", "on_chip")
    assert r[3].dram_ifmap_read_bytes == 2_048 and r[3].onchip_activation_bytes == 2_048
    assert r[2].dram_write_bytes == 2_048
    small = plan_residency(RESID.layers, 3072)
    assert [p.ofmap for p in small] == [False, True, False, False]
    r = simulate(RESID, _hw(3)).layer_results
    assert (r[3].ifmap_source, r[3].filter_source) == ("dram", "dram")
    assert r[0].dram_write_bytes == 2_048 and r[1].dram_ifmap_read_bytes == 2_048
    assert r[3].dram_ifmap_read_bytes == 4_096


@pytest.mark.parametrize("model", ["deit_tiny-w8a8", "deit_small-w4a8", "levit_128s-w8a8", "deit_tiny-mixed"])
@pytest.mark.parametrize("kib", [24, 96, 256, 1024, 24576])
def test_plan_equals_the_reference(model, kib):
    """The reference builds the tensor graph from layer names and steps an explicit buffer (a dict of resident
    tensors) layer by layer: same tensors kept, same operands on chip, never over capacity (with workspace)."""
    layers = load_workload(model).layers
    cap = kib * 1024
    ours = plan_residency(layers, cap)
    ref = reference_plan(layers, cap)
    assert [(p.ifmap, p.filter, p.ofmap) for p in ours] == [(r["ifmap"], r["filter"], r["ofmap"]) for r in ref]
    assert [p.other_bytes for p in ours] == [r["other_bytes"] for r in ref]
    assert max(r["peak_bytes"] for r in ref) <= cap


@pytest.mark.parametrize("name", ["tpu_v1", "vit_hsiung28", "int8"])
def test_dram_bytes_saved_are_the_kept_operands(name):
    """Per network: DRAM bytes under dram - under on_chip = the on-chip bytes (every kept operand once), and
    keeping activations never costs DRAM traffic or time on the shipped designs with DeiT-S."""
    w = load_workload("deit_small-w8a8")
    hw = load_hardware(name)
    on, off = simulate_totals(w, hw), simulate_totals(w, replace(hw, memory=MemoryConfig("dram")))
    moved_on = on.dram_read_bytes + on.dram_write_bytes
    moved_off = off.dram_read_bytes + off.dram_write_bytes
    assert on.onchip_activation_bytes > 0
    assert moved_on <= moved_off - on.onchip_activation_bytes + 1e-6
    assert on.total_cycles <= off.total_cycles


def test_tpu_v1_keeps_every_activation_at_batch_1():
    """TPU v1's 24 MiB Unified Buffer holds every DeiT-S activation: only the image patches (196 x 768 B), the
    position embedding (a parameter, 197 x 384 B) and the weights are read, only the 1,000 logits written."""
    w = load_workload("deit_small-w8a8")
    rows = simulate(w, load_hardware("tpu_v1")).layer_results
    assert all(r.ofmap_dest == "on_chip" for r in rows[:-1]) and rows[-1].ofmap_dest == "dram"
    assert sum(r.dram_write_bytes for r in rows) == 1_000
    assert sum(r.dram_ifmap_read_bytes for r in rows) == 196 * 768 + 197 * 384


def _bits(a):
    return np.asarray(a, dtype=np.float64).view(np.int64)


@pytest.mark.parametrize("workload", ["deit_tiny-w8a8", "levit_128s-w8a8"])
def test_batch_evaluator_identical_with_memory_plans(workload):
    """Designs differing in their ifmap buffer (so in their memory plan) and in the policy, in one batch: every
    total bit-identical to simulate_totals."""
    w = load_workload(workload)
    hws = []
    for base in ("int8", "vit_hsiung28", "tpu_v1"):
        hw = load_hardware(base)
        for kib in (8, 40, 96.5, 200, 700, 4096):
            for pol in ("on_chip", "dram"):
                hws.append(replace(hw, buffers=replace(hw.buffers, ifmap_kib=kib), memory=MemoryConfig(pol)))
    totals, errors = evaluate(w, DesignBatch.from_hardware(hws))
    assert errors == [""] * len(hws)
    for i, hw in enumerate(hws):
        t = simulate_totals(w, hw)
        for name in TOTAL_NAMES:
            assert _bits(totals[name][i]) == _bits(float(t[name])), (i, name)
    assert len({float(x) for x in totals["onchip_activation_bytes"]}) > 3


def test_policy_option_validated_and_scalesim_keeps_dram():
    with pytest.raises(ConfigError, match=r"t\.yaml: memory\.activations: .*'sram' \(allowed: on_chip, dram\)"):
        _hw(16, "sram")
    assert _hw(16).memory.activations == "on_chip"
    cfg = hardware_dict_from_scalesim(parse_scalesim_cfg(scalesim_cfg_text("s", 8, 8, 64, 64, 64, "os", 8), "s"))
    hw = hardware_from_dict(cfg, "s.cfg")
    assert hw.memory.activations == "dram"
    unique, _, _ = plan(CHAIN, None, None)
    assert [u[2] for u in unique] == [DRAM]
    assert hw.to_dict()["memory"]["activations"] == "dram"
