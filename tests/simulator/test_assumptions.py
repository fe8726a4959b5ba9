"""The assumptions behind a run's headline (``simulator.assumptions``): one list, the footer of ``vitsim run`` and
the first card of ``vitsim report`` (its totals card); each share computed from the totals, each change a ``--set``
that loads."""

from __future__ import annotations

import html
import re

import pytest

from simulator import load_hardware, simulate
from simulator.assumptions import assumptions, assumptions_text
from workloads import load_workload

EXAMPLE = {"tech.node_nm": 28, "tech.voltage_v": 0.8, "tech.leakage_mw_per_mm2": 10, "dram.bandwidth_gbps": 51.2,
           "dram.type": "hbm2", "freq_mhz": 500, "dram.efficiency": 0.8}


@pytest.fixture(scope="module")
def run():
    hw = load_hardware("int4")
    return hw, simulate(load_workload("deit_small-w4a4"), hw)


def test_topics_and_shares(run):
    """int4 / DeiT-S W4A4: vector unit not pipelined, its share = vector_cycles / total_cycles; leakage share =
    energy_static_uj / energy_uj at the table's 103.5 mW/mm2; DRAM 25.6 GB/s lpddr4 x its sourced achievable fraction
    0.685 = 17.5 GB/s, at 8 pJ/bit; 1000 MHz."""
    hw, r = run
    t = r.totals
    a = {x.topic: x for x in assumptions(hw, t)}
    assert list(a) == ["vector unit", "technology", "leakage", "DRAM", "clock"]
    assert a["vector unit"].value.startswith("not pipelined")
    assert a["vector unit"].effect == f"{100 * t.vector_cycles / t.total_cycles:.0f}% of the cycles"
    assert "--set vector.pipelined=true" in a["vector unit"].change
    assert a["leakage"].value.startswith("103.5 mW/mm2 (the table's")
    assert a["leakage"].effect == f"{100 * t.energy_static_uj / t.energy_uj:.0f}% of the energy"
    assert a["DRAM"].value == ("lpddr4, 25.6 GB/s x 0.685 achievable (measured lpddr4 streaming, TI SPRACV1B; "
                               "simulator/tech/dram.py) = 17.5 GB/s, 8 pJ/bit")
    waits = t.stall_memory_cycles + t.dram_floor_stall_cycles
    assert a["DRAM"].effect == f"{100 * waits / t.total_cycles:.0f}% of the cycles waiting for it"
    assert a["clock"].value == "1000 MHz"


def test_changed_design_says_so():
    hw = load_hardware("int4", (("vector.pipelined", True), ("tech.leakage_mw_per_mm2", 10)))
    t = simulate(load_workload("deit_small-w4a4"), hw).totals
    a = {x.topic: x for x in assumptions(hw, t)}
    assert a["vector unit"].value.startswith("pipelined") and "vector.pipelined=false" in a["vector unit"].change
    assert a["leakage"].value == "10 mW/mm2 (set in the config)"


def test_every_change_is_a_set_that_loads(run):
    hw, r = run
    keys = [k for x in assumptions(hw, r.totals) for k in re.findall(r"--set ([\w.]+)=", x.change)]
    assert len(keys) == 9
    for k in keys:
        value = EXAMPLE.get(k, True if k == "vector.pipelined" else "gemm")
        load_hardware("int4", ((k, value),))        # raises if the key or the example value were wrong


def test_run_footer_and_report_card_show_the_same_list(run, tmp_path):
    """``vitsim run int4`` (its footer) and ``vitsim report int4`` (its first card) show ``assumptions``' list.
    Both run as subprocesses: the command lines are what is checked."""
    import os
    import subprocess
    import sys

    hw, r = run
    vitsim = [sys.executable, "-c", "from analysis.cli_vitsim import entry; entry()"]
    out = tmp_path / "r.html"
    runs = [subprocess.run([*vitsim, *args], capture_output=True, text=True, check=False, cwd=tmp_path,
                           env={**os.environ, "COLUMNS": "1000"})
            for args in (("run", "int4"), ("report", "int4", "-o", str(out)))]
    assert all(x.returncode == 0 for x in runs), [x.stderr for x in runs]
    text = " ".join(runs[0].stdout.split())
    page = out.read_text()
    card = page[page.index('<div class="card '):]           # the first card of the page: the totals card
    card = card[:card.index("</ul></div>")]
    assert card.startswith('<div class="card wide totals">') and 'title="latency_us"' in card
    card = html.unescape(re.sub(r"<[^>]+>", "", card))
    for line, a in zip(assumptions_text(hw, r.totals), assumptions(hw, r.totals)):
        assert line in text
        assert f"{a.topic}: {a.value} → {a.effect}" in card and all(c in card for c in a.change.split(", "))
