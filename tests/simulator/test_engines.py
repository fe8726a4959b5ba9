"""Several engines on one chip (simulator/hardware/chip.py, simulator/model/engines.py, simulator/model/chipsched.py,
simulator/multi.py; docs/engines.md): the schedule against hand-computed cases and the tick-by-tick reference
(tests/reference/engines_reference.py), one-engine designs unchanged, the shipped chips' laws, bad input."""

from __future__ import annotations

import copy
import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from simulator import load_hardware, simulate
from simulator.hardware import ConfigError, hardware_from_dict
from simulator.model.chipsched import Task, schedule, water_fill
from tests.reference.engines_reference import RefTask, run

ROOT = Path(__file__).resolve().parents[2]
CHIPS = ("multi_int4_mlp_int8_attn", "hybrid_gemm_dw", "quad_core")
# shipped one-engine designs (an FPGA design's totals are per one-engine design: the chip path has none)
ONE_ENGINE = [p.stem for p in sorted((ROOT / "hwconfigs").glob("*.yaml"))
              if p.stem not in CHIPS and "fpga" not in yaml.safe_load(p.read_text())]


def test_two_engines_with_independent_layers_take_the_max_not_the_sum():
    """Engine 0 runs a 3 s task, engine 1 a 5 s task, no dependency, no DRAM: makespan = max(3, 5) = 5 s (a
    sequence would take 8). Engine 0 is idle 2 s; the tick-by-tick reference agrees (in cycles)."""
    s = schedule([Task(0, 3.0, 0.0), Task(1, 5.0, 0.0)], 2, 1.0)
    assert s.makespan_s == 5.0
    assert s.busy_s == (3.0, 5.0) and s.idle_s[1] == 0.0 and s.idle_s[0] == pytest.approx(2.0)
    assert run([RefTask(0, 1, 3), RefTask(1, 1, 5)], 2) == 5


@pytest.mark.parametrize("p, c, n", [(4, 8, 4), (8, 2, 4), (3, 3, 5), (5, 1, 10), (1, 7, 3), (6, 4, 1)])
def test_producer_consumer_pipelined_over_tiles_matches_the_tick_by_tick_reference(p, c, n):
    """A producer of n tiles of p cycles on engine 0 and a consumer of n tiles of c cycles on engine 1, tile j of
    the consumer after tile j of the producer. By hand: the consumer starts after the first tile (p) and ends at
    max(n p + c, p + n c) (e.g. p=4, c=8, n=4: max(24, 36) = 36; p=8, c=2, n=4: max(34, 16) = 34). The reference
    steps it cycle by cycle; the model's fluid gate x_c <= x_p - 1/n gives the same, and both equal the formula."""
    hand = max(n * p + c, p + n * c)
    ref = [RefTask(0, n, p), RefTask(1, n, c, producer=0)]
    assert run(ref, 2) == hand
    s = schedule([Task(0, float(n * p), 0.0), Task(1, float(n * c), 0.0, ((0, n),))], 2, 1.0)
    assert s.makespan_s == pytest.approx(hand, rel=1e-12)
    assert s.start_s[1] == pytest.approx(ref[1].start, rel=1e-12) == pytest.approx(p)
    assert s.busy_s[1] + s.wait_dep_s[1] + s.idle_s[1] + s.wait_dram_s[1] == pytest.approx(hand, rel=1e-12)


def test_without_tiles_the_consumer_waits_for_the_whole_producer():
    """tiles = 0 (same engine, or a layer that is not tiled): the consumer starts at the producer's end: 4 + 8."""
    s = schedule([Task(0, 4.0, 0.0), Task(1, 8.0, 0.0, ((0, 0),))], 2, 1.0)
    assert (s.start_s[1], s.makespan_s) == (4.0, 12.0)
    assert run([RefTask(0, 4, 1), RefTask(1, 8, 1, producer=0, whole=True)], 2) == 12


def test_two_cores_each_needing_full_dram_bandwidth_each_get_half():
    """Two tasks of 10 s that each move 10 s x 10 B/s on a 10 B/s DRAM: each gets 5 B/s, runs at half speed and
    ends at 20 s; each engine waits for DRAM 10 s. The reference: 10-cycle tasks of 10 bytes per cycle, DRAM 10 B
    per cycle -> 20 cycles."""
    s = schedule([Task(0, 10.0, 100.0), Task(1, 10.0, 100.0)], 2, 10.0)
    assert s.makespan_s == pytest.approx(20.0)
    assert s.wait_dram_s == pytest.approx((10.0, 10.0))
    assert run([RefTask(0, 1, 10, 100), RefTask(1, 1, 10, 100)], 2, 10.0) == 20


def test_dram_shares_are_max_min_fair():
    """Capacity 10 for demands 2, 6, 9: 2 is met, the other two split 8: 4 and 4."""
    assert water_fill([2.0, 6.0, 9.0], 10.0) == [2.0, 4.0, 4.0]
    assert water_fill([1.0, 1.0], 10.0) == [1.0, 1.0]


def test_a_light_task_keeps_its_rate_beside_a_heavy_one():
    """DRAM 10 B/s; task A wants 2 B/s (20 B in 10 s), task B all 10 B/s (100 B in 10 s): A gets its 2 and ends at
    10 s; B gets the other 8 (speed 0.8: 80% done at 10 s), then all 10: the last 20 B take 2 s -> 12 s.
    The reference in cycles agrees."""
    s = schedule([Task(0, 10.0, 20.0), Task(1, 10.0, 100.0)], 2, 10.0)
    assert s.end_s[0] == pytest.approx(10.0) and s.makespan_s == pytest.approx(12.0)
    assert s.wait_dram_s == pytest.approx((0.0, 2.0))
    assert run([RefTask(0, 1, 10, 20), RefTask(1, 1, 10, 100)], 2, 10.0) == 12


def test_a_task_alone_runs_at_full_speed_even_if_its_bytes_exceed_its_time():
    """A layer whose weights were prefetched during earlier layers moves more bytes than its own time at full
    bandwidth allows (200 B in 10 s on 10 B/s): its 10 s already count the DRAM, so alone it takes 10 s."""
    assert schedule([Task(0, 10.0, 200.0)], 1, 10.0).makespan_s == 10.0


def _chip(d: dict, engines: list, **extra) -> dict:
    out = {k: v for k, v in d.items() if k not in ("array", "pe", "buffers", "freq_mhz", "name")}
    out.update(name="chip", engines=engines, **extra)
    return out


def _yaml(name: str) -> dict:
    return yaml.safe_load((ROOT / "hwconfigs" / f"{name}.yaml").read_text())


@pytest.mark.parametrize("name", ONE_ENGINE)
def test_one_engine_designs_are_unchanged_and_equal_a_chip_of_one(name):
    """Every shipped one-engine hwconfig on its default workload: the plain YAML path is a ``Hardware`` (no
    schedule); the same design written as ``engines: [{name: only, ...}]`` gives the same per-layer rows (every
    column bit for bit but ``engine``, 0 either way) and the same totals (sums of the same numbers in the schedule's
    order: equal to 1e-12)."""
    d = _yaml(name)
    hw = load_hardware(name)
    assert not hasattr(hw, "engines")
    one = {k: v for k, v in d.items() if k not in ("array", "pe", "buffers", "freq_mhz", "vector")}
    one["engines"] = [{"name": "only", **{k: d[k] for k in ("array", "pe", "buffers", "freq_mhz", "vector")}}]
    chip = hardware_from_dict(one, f"{name}-as-chip")
    from workloads.resolve import resolve_workload

    wl = resolve_workload(hw.default_workload)
    a, b = simulate(wl, hw), simulate(wl, chip)
    assert [r.to_dict() for r in a.layer_results] == [r.to_dict() for r in b.layer_results]
    for key in ("energy_uj", "dram_read_bytes", "dram_write_bytes", "macs", "sram_read_bytes", "area_mm2"):
        assert b.totals[key] == pytest.approx(a.totals[key], rel=1e-12), key
    assert b.totals.total_cycles == pytest.approx(a.totals.total_cycles, rel=1e-12)
    assert b.engines[0].busy_cycles == pytest.approx(a.totals.total_cycles, rel=1e-12)
    assert b.engines[0].idle_cycles == pytest.approx(0.0, abs=1e-6 * a.totals.total_cycles)


@pytest.mark.parametrize("name", CHIPS)
def test_shipped_chips_add_up(name):
    """On each shipped chip: every engine's busy + wait_dram + wait_dependency + idle = the makespan (its clock);
    the chip's energy = the sum of the engines'; the DRAM rate achieved together stays within the DRAM's, but for
    the weights prefetched across layers (counted in the task that uses them, moved in earlier tasks' idle DRAM
    cycles: at most prefetched_weight_bytes / makespan above it, docs/engines.md "What is not modelled"); the
    makespan is at least the busiest engine's busy time and at most every task in sequence at a 1/k DRAM share."""
    hw = load_hardware(name)
    from workloads.resolve import resolve_workload

    r = simulate(resolve_workload(hw.default_workload), hw)
    t = r.totals
    assert len(r.engines) == len(hw.engines)
    for e, eng in zip(r.engines, hw.engines):
        span = t.latency_us * eng.hw.freq_mhz
        assert e.busy_cycles + e.wait_dram_cycles + e.wait_dependency_cycles + e.idle_cycles == pytest.approx(
            span, rel=1e-9)
        assert min(e.busy_cycles, e.wait_dram_cycles, e.wait_dependency_cycles) >= 0
        assert e.idle_cycles >= -1e-6 * span
        assert 0 <= e.utilization <= 1
    assert sum(e.energy_uj for e in r.engines) == pytest.approx(t.energy_uj, rel=1e-12)
    ahead_gbps = t.prefetched_weight_bytes / (t.latency_us * 1e-6) / 1e9
    w_gbps = hw.dram.bandwidth_gbps * hw.dram.efficiency_used    # the achievable rate (simulator/tech/dram.py)
    assert sum(e.achieved_dram_gbps for e in r.engines) <= (w_gbps + ahead_gbps) * (1 + 1e-9)
    assert t.total_cycles >= max(e.busy_cycles for e in r.engines) * (1 - 1e-12)
    assert t.total_cycles <= sum(e.busy_cycles for e in r.engines) * len(r.engines)
    assert {row.engine for row in r.layer_results} <= set(range(len(hw.engines)))
    assert t.utilization <= 1


def test_rules_place_layers_and_promote_on_the_engine_that_runs_them():
    """multi_int4_mlp_int8_attn: every ``*.mlp.*`` layer on the INT4 engine (1) at w4a8; every other GEMM on the INT8
    engine (0), promoted from w4a8 to w8a8 (the output says so)."""
    hw = load_hardware("multi_int4_mlp_int8_attn")
    from workloads.resolve import resolve_workload

    r = simulate(resolve_workload("deit_small-w4a8"), hw)
    for row in r.layer_results:
        if ".mlp." in row.name:
            assert row.engine == 1
            if row.op == "gemm":
                assert (row.pe_precision, row.promoted) == ("w4a8", False)
        elif row.op == "gemm":
            assert row.engine == 0 and row.pe_precision == "w8a8" and row.promoted


def test_auto_assignment_by_hand():
    """Two engines, link 1 GB/s, three layers of 1e9 B outputs: times (s) [[1, 2], [5, 1], [1, 9]].
    Layer 0: engine 0 ends at 1 (engine 1: 2). Layer 1: engine 0 ends at 1 + 5 = 6; engine 1 needs the input moved
    (1e9 B / 1e9 B/s = 1 s): max(0, 1 + 1) + 1 = 3 -> engine 1. Layer 2: engine 0: max(1, 3 + 1) + 1 = 5; engine 1:
    3 + 9 = 12 -> engine 0. Assignment [0, 1, 0]."""
    from simulator.model.engines import auto

    d = _chip(_yaml("int8"), [{"name": "a"}, {"name": "b"}], shared={"link_gbps": 1.0}, assign="auto")
    d.update(array=_yaml("int8")["array"], pe=_yaml("int8")["pe"], buffers=_yaml("int8")["buffers"], freq_mhz=1000)
    chip = hardware_from_dict(d, "auto-chip")
    assert auto(chip, [[1.0, 2.0], [5.0, 1.0], [1.0, 9.0]], [1e9, 1e9, 1e9]) == [0, 1, 0]


def test_auto_puts_gemms_on_the_bigger_array():
    """A 16x16 and a 64x64 copy of int8 with a fast link, assign: auto, DeiT-Tiny: every GEMM on the 64x64."""
    base = _yaml("int8")
    d = _chip(base, [{"name": "small", "array": {"rows": 16, "cols": 16, "dataflow": "ws"}},
                     {"name": "big", "array": base["array"]}], shared={"link_gbps": 1000.0}, assign="auto")
    d.update(pe=base["pe"], buffers=base["buffers"], freq_mhz=1000)
    from workloads.resolve import resolve_workload

    r = simulate(resolve_workload("deit_tiny-w8a8"), hardware_from_dict(d, "auto-chip"))
    assert all(row.engine == 1 for row in r.layer_results if row.macs)


def test_split_batch_runs_images_side_by_side():
    """quad_core with split: batch at batch 4 (one image per core): the four cores work at once, so the latency is
    below four images in sequence on one core, and each core ran the same work."""
    from workloads.resolve import resolve_workload

    hw = load_hardware("quad_core", (("split", "batch"),))
    r = simulate(resolve_workload("deit_tiny-w8a8", batch=4), hw)
    busy = [e.busy_cycles for e in r.engines]
    assert busy == [busy[0]] * 4
    assert r.totals.total_cycles < 4 * busy[0]
    assert r.totals.total_cycles >= busy[0]
    assert r.totals.throughput_fps == pytest.approx(4 / (r.totals.latency_us * 1e-6), rel=1e-12)


def test_batch_evaluator_refuses_a_chip_in_one_line():
    from simulator.model.batch import DesignBatch

    with pytest.raises(ConfigError, match=r"engines: a chip of several engines; the batch evaluator") as e:
        DesignBatch.from_hardware([load_hardware("quad_core")])
    assert "\n" not in str(e.value)


def test_json_has_the_engines_section_and_the_cli_prints_the_engine_table():
    r = subprocess.run([sys.executable, "-m", "simulator", "run", "quad_core", "--model", "deit_tiny", "--recipe",
                        "w8a8", "--format", "json"], capture_output=True, text=True, cwd=ROOT, check=False)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [e["name"] for e in out["engines"]] == ["core0", "core1", "core2", "core3"]
    assert {"busy_cycles", "wait_dram_cycles", "idle_cycles", "utilization", "energy_uj"} <= set(out["engines"][0])
    t = subprocess.run([sys.executable, "-m", "simulator", "run", "hwconfigs/hybrid_gemm_dw.yaml"],
                       capture_output=True, text=True, cwd=ROOT, check=False)
    assert t.returncode == 0, t.stderr
    assert "engines: busy, wait and idle" in t.stdout
    assert re.search(r"^ *dw +74 ", t.stdout, re.MULTILINE) and re.search(r"^ *gemm +\d+ ", t.stdout, re.MULTILINE)


BAD = [
    ("an engine no layer can run", "tpu_v1_mlp0-w8a8",
     lambda d: d["engines"].append({"name": "int4", "pe": {"type": "fixed", "acc_bits": 32, "precisions": [
         {"dtype": "int", "w_bits": 4, "a_bits": 4}]}}), "engines[2]", "can run no layer"),
    ("a layer no engine can run", "deit_tiny-w8a8",
     lambda d: d.update(pe={"type": "fixed", "acc_bits": 32, "precisions": [{"dtype": "int", "w_bits": 4,
                                                                              "a_bits": 4}]}),
     "engines", "no engine can run layer"),
    ("a rule that matches nothing", "deit_tiny-w8a8",
     lambda d: d.update(assign=[{"name": "no.such.*", "engine": "b"}]), "assign[0]", "matches no layer"),
    ("a rule naming a missing engine", None,
     lambda d: d.update(assign=[{"op": "gemm", "engine": "zz"}]), "assign[0].engine", "not an engine"),
    ("a missing shared resource", None,
     lambda d: d.update(shared={"transfer": "link"}), "shared.transfer", "link_gbps is not set"),
    ("a missing global buffer", None,
     lambda d: d.update(shared={"transfer": "global_buffer"}), "shared.transfer", "global_buffer is not set"),
    ("an engine with its own DRAM", None,
     lambda d: d["engines"][0].update(dram={"bandwidth_gbps": 1}), "engines[0].dram", "share the top-level DRAM"),
    ("a repeated engine name", None,
     lambda d: d["engines"].append({"name": "a"}), "engines[2].name", "missing or repeated"),
    ("split with different engines", None,
     lambda d: d.update(split="batch") or d["engines"][1].update(array={"rows": 8, "cols": 8, "dataflow": "ws"}),
     "engines[1]", "needs identical engines"),
    ("a bad number in an engine", None,
     lambda d: d["engines"][0].update(array={"rows": float("nan"), "cols": 8, "dataflow": "ws"}),
     "engines[0].array.rows", ""),
    ("an fpga section on a chip", None, lambda d: d.update(fpga={"device": "zcu102"}), "fpga", "engines"),
    ("an unknown engine field", None, lambda d: d["engines"][0].update(colour=1), "engines[0].colour", "unknown"),
]


@pytest.mark.parametrize("what, workload, change, field, problem", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_one_line_exit_2(tmp_path, what, workload, change, field, problem):
    d = _chip(_yaml("int8"), [{"name": "a"}, {"name": "b"}])
    d.update(array=_yaml("int8")["array"], pe=_yaml("int8")["pe"], buffers=_yaml("int8")["buffers"], freq_mhz=1000)
    d = copy.deepcopy(d)
    change(d)
    path = tmp_path / "chip.yaml"
    path.write_text(yaml.safe_dump(d))
    args = [sys.executable, "-m", "simulator", "run", str(path)]
    if workload:
        args += ["--workload", workload]
    r = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, check=False)
    assert r.returncode == 2, (r.stdout[-500:], r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr
    assert str(path) in lines[0] and field in lines[0] and problem in lines[0]
    assert r.stdout == ""


def test_report_draws_the_engines_side_by_side():
    """The chip's report page has the timeline: one lane per engine and one bar (with its hover title) per
    scheduled task, inside the plot's width; and the per-engine table."""
    from analysis.report.run import run_report
    from analysis.report.timeline import LEFT, WIDTH, timeline_svg
    from workloads.resolve import resolve_workload

    hw = load_hardware("multi_int4_mlp_int8_attn")
    wl = resolve_workload("deit_tiny-w4a8")
    r = simulate(wl, hw)
    svg = timeline_svg(r)
    assert svg.count("<title>") == len(r.timeline) == len(r.names)
    assert svg.count("<rect") == len(r.timeline) + len(hw.engines)
    xs = [float(m) for m in re.findall(r'<rect x="([0-9.]+)"', svg)]
    assert min(xs) >= LEFT and max(xs) <= WIDTH
    html = run_report(r, wl)
    assert "engine timeline" in html and 'id="engines"' in html and ">attn<" in html and ">mlp<" in html


@pytest.mark.parametrize("name", CHIPS)
def test_a_chip_written_out_loads_back_the_same(name):
    """``Chip.to_dict`` (the hardware.yaml of ``--out``) validates and builds the same chip."""
    hw = load_hardware(name)
    again = hardware_from_dict(yaml.safe_load(yaml.safe_dump(hw.to_dict())), "written")
    assert again == hw


def test_a_vector_only_engine_runs_the_vector_layers_and_has_no_pe_area():
    """int8 beside a vector-only unit (``array: none``) taking softmax and GELU by rule: those layers run there, no
    GEMM does; its area is the one-engine area minus the PEs; the chip written out loads back the same."""
    base = _yaml("int8")
    d = _chip(base, [{"name": "gemm"}, {"name": "vec", "array": "none", "vector": {"lanes": 128}}],
              assign=[{"op": "softmax", "engine": "vec"}, {"op": "gelu", "engine": "vec"}])
    d.update(array=base["array"], pe=base["pe"], buffers=base["buffers"], freq_mhz=1000)
    chip = hardware_from_dict(d, "vec-chip")
    from simulator.energy import hw_costs
    from workloads.resolve import resolve_workload

    r = simulate(resolve_workload("deit_tiny-w8a8"), chip)
    on_vec = {row.op for row in r.layer_results if row.engine == 1}
    assert on_vec == {"softmax", "gelu"}
    area = hw_costs(chip.engines[1].hw).area
    assert r.engines[1].area_mm2 == pytest.approx(area["area_mm2"] - area["area_pe_mm2"], rel=1e-12)
    assert r.engines[1].utilization == 0.0 and r.engines[1].macs == 0.0
    assert hardware_from_dict(yaml.safe_load(yaml.safe_dump(chip.to_dict())), "written") == chip


def test_a_screened_sweep_over_a_chip_is_refused_in_one_line(tmp_path):
    """A sweep over a chip runs design by design (tests/analysis/test_sweep_engines.py); the screening bound is per
    one-engine design: ``screen: true`` on a chip is bad input, exit 2, one line, nothing written."""
    spec = tmp_path / "s.yaml"
    spec.write_text(yaml.safe_dump({"name": "s", "base": str(ROOT / "hwconfigs" / "quad_core.yaml"),
                                    "axes": {"array.rows": [16, 32]}, "models": ["deit_tiny"],
                                    "recipes": ["w8a8"], "screen": True}))
    r = subprocess.run([sys.executable, "-m", "analysis", "sweep", str(spec), "-o", str(tmp_path / "o.parquet")],
                       capture_output=True, text=True, cwd=ROOT, check=False)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "screen: true on a chip of several engines" in lines[0]
    assert not (tmp_path / "o.parquet").exists()


def test_activations_crossing_engines_through_dram_are_counted_and_priced():
    """hybrid_gemm_dw with shared.transfer: dram on EfficientViT-B0: every layer whose predecessor ran on the other
    engine reads that predecessor's output (elements x out_bits / 8 bytes) once more and it was written once:
    transfer_dram_bytes per engine = 2 x those bytes (summed by hand from the per-layer rows); the chip's DRAM
    energy grows by 8 x the bytes x the DRAM's pJ/bit over the global-buffer route (which moves them on chip)."""
    from simulator.energy import hw_costs
    from workloads.resolve import resolve_workload

    wl = resolve_workload("efficientvit_b0-w8a8")
    via_gb = simulate(wl, load_hardware("hybrid_gemm_dw"))
    via_dram = simulate(wl, load_hardware("hybrid_gemm_dw", (("shared.transfer", "dram"),)))
    rows = via_dram.layer_results
    expect = [0.0, 0.0]
    for prev, row in itertools.pairwise(rows):
        if prev.engine != row.engine:
            expect[row.engine] += 2 * prev.m * prev.n * prev.repeat * prev.out_bits / 8
    assert [e.transfer_dram_bytes for e in via_dram.engines] == pytest.approx(expect, rel=1e-12)
    assert [e.transfer_dram_bytes for e in via_gb.engines] == [0.0, 0.0]
    pj = hw_costs(load_hardware("hybrid_gemm_dw").engines[0].hw).dram_pj_per_bit
    extra = (via_dram.totals.energy_dram_uj - via_gb.totals.energy_dram_uj) * 1e6
    assert extra == pytest.approx(8 * sum(expect) * pj, rel=1e-9)
    assert via_dram.totals.latency_us >= via_gb.totals.latency_us


@pytest.mark.parametrize("args", [["quad_core", "--compare", "int8"], ["int8", "--compare", "hw:quad_core"]])
def test_report_compare_with_a_chip_is_refused_in_one_line(tmp_path, args):
    out = tmp_path / "r.html"
    r = subprocess.run([sys.executable, "-m", "analysis", "report", *args, "--model", "deit_tiny", "--recipe",
                        "w8a8", "-o", str(out)], capture_output=True, text=True, cwd=ROOT, check=False)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "chip of several engines" in r.stderr
    assert not out.exists()


def test_images_pipeline_across_engines_at_batch_above_one():
    """multi_int4_mlp_int8_attn on DeiT-Tiny W4A8: at batch 3 the attention engine starts image 1 while the MLP
    engine works on image 0, so three images take less than three times one image (and at least the busiest
    engine's work); the per-layer rows are one image's and the totals count three."""
    from workloads.resolve import resolve_workload

    hw = load_hardware("multi_int4_mlp_int8_attn")
    one = simulate(resolve_workload("deit_tiny-w4a8"), hw)
    three = simulate(resolve_workload("deit_tiny-w4a8", batch=3), hw)
    assert three.totals.latency_us < 3 * one.totals.latency_us * (1 - 1e-3)
    assert three.totals.total_cycles >= max(e.busy_cycles for e in three.engines) * (1 - 1e-12)
    assert [r.to_dict() for r in three.layer_results] == [r.to_dict() for r in one.layer_results]
    assert three.totals.macs == pytest.approx(3 * one.totals.macs, rel=1e-12)
    assert three.totals.energy_uj > 2.9 * one.totals.energy_uj
    starts = {}
    for e, start, _, name, image in three.timeline:
        starts[(e, image, name)] = start
    first_mlp_of_0 = min(t for (e, b, _), t in starts.items() if e == 1 and b == 0)
    last_attn_of_0 = max(t for (e, b, _), t in starts.items() if e == 0 and b == 0)
    first_attn_of_1 = min(t for (e, b, _), t in starts.items() if e == 0 and b == 1)
    assert first_attn_of_1 < last_attn_of_0 and first_mlp_of_0 < last_attn_of_0


def test_roofline_of_a_chip_is_refused_in_one_line():
    r = subprocess.run([sys.executable, "-m", "analysis", "roofline", "--device", "quad_core", "--workload",
                        "deit_tiny-w8a8"], capture_output=True, text=True, cwd=ROOT, check=False)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "engines: a chip of several engines has no single" in r.stderr
