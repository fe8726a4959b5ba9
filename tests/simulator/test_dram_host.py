"""DRAM achievable fraction (simulator/tech/dram.py, ``dram.efficiency``) and the optional host overhead (``host``
section: ``host_us``, ``energy_host_uj``), by hand; both paths (one design, batch) agree bit for bit."""

from dataclasses import replace

import pytest

import tests.simulator.test_batch as TB
from analysis.devices import device_from_hardware
from simulator.assumptions import assumptions_text
from simulator.engine import simulate, simulate_layer
from simulator.hardware import ConfigError, HostConfig, hardware_from_dict
from simulator.loader import load_hardware
from simulator.scalesim_cfg import hardware_dict_from_scalesim, parse_scalesim_cfg, scalesim_cfg_text
from simulator.tech.dram import EFFICIENCY, bytes_per_cycle
from workloads.model import Layer, Workload


def _hw(dram=None, host=None, **top):
    d = {"name": "t", "freq_mhz": 1000,
         "array": {"rows": 8, "cols": 8, "dataflow": "os"},
         "pe": {"type": "fixed", "acc_bits": 32,
                "precisions": [{"dtype": "int", "w_bits": 8, "a_bits": 8, "macs_per_cycle": 1}]},
         "buffers": {"ifmap_kib": 64, "weight_kib": 64, "ofmap_kib": 64},
         "dram": {"bandwidth_gbps": 16, "latency_cycles": 0, "type": "lpddr4", **(dram or {})},
         "vector": {"lanes": 8}, "memory": {"activations": "dram"}, **top}
    if host is not None:
        d["host"] = host
    return hardware_from_dict(d)


GEMM = Layer("g", "gemm", m=64, n=64, k=64, w_bits=8, a_bits=8, out_bits=8)


def test_sourced_defaults_and_bytes_per_cycle():
    """16 GB/s at 1000 MHz = 16 B/cycle rated; lpddr4 serves 16 * 0.685 = 10.96 B/cycle; dram.efficiency 0.5 ->
    8; a type without a sourced value (gddr5) -> its full rate, 16. Every sourced fraction is in (0, 1] and names
    its source."""
    assert _hw().dram_bytes_per_cycle == pytest.approx(10.96)
    assert _hw({"efficiency": 0.5}).dram_bytes_per_cycle == 8.0
    assert _hw({"type": "gddr5"}).dram_bytes_per_cycle == 16.0
    assert _hw({"type": "ddr4"}).dram.efficiency_used == 0.76
    assert bytes_per_cycle(16, 1000, 1.0) == 16.0
    for frac, source in EFFICIENCY.values():
        assert 0 < frac <= 1 and source


def test_dram_cycles_follow_the_fraction():
    """A 64 x 64 x 64 GEMM, every operand from DRAM once (all fit): 4096 B ifmap + 4096 B filter + 4096 B ofmap =
    12,288 B; at efficiency 0.5 (8 B/cycle): dram_cycles = 12,288 / 8 = 1,536; at 1.0 (16 B/cycle): 768."""
    half = simulate_layer(GEMM, _hw({"efficiency": 0.5}))
    full = simulate_layer(GEMM, _hw({"efficiency": 1.0}))
    assert half["dram_read_bytes"] + half["dram_write_bytes"] == 12_288
    assert half["dram_cycles"] == 1_536
    assert full["dram_cycles"] == 768
    assert half["total_cycles"] >= half["dram_cycles"]      # the layer never beats its DRAM time


def test_roofline_uses_the_same_bandwidth():
    """The roofline's DRAM level = the simulator's bytes per cycle x clock = 16e9 * 0.685 B/s, and says so."""
    hw = _hw()
    dram = {m.name: m for m in device_from_hardware(hw).memory}["dram"]
    assert dram.bandwidth_bytes_per_s == hw.dram_bytes_per_cycle * 1000e6
    assert dram.bandwidth_bytes_per_s == pytest.approx(16e9 * 0.685)
    assert "0.685 achievable" in dram.source and "TI SPRACV1B" in dram.source


def test_scalesim_cfg_full_rate_and_assumptions_say_where_it_comes_from():
    text = scalesim_cfg_text("r", 8, 8, 64, 64, 64, "ws", 10)
    assert hardware_from_dict(hardware_dict_from_scalesim(parse_scalesim_cfg(text))).dram.efficiency_used == 1.0
    wl = Workload("one", (GEMM,))
    for dram, want in (({}, "16 GB/s x 0.685 achievable (measured lpddr4 streaming"),
                       ({"efficiency": 0.8}, "x 0.8 achievable (set in the config)"),
                       ({"type": "gddr5"}, "at its full rate (no sourced achievable fraction for gddr5)")):
        hw = _hw(dram)
        line = next(x for x in assumptions_text(hw, simulate(wl, hw).totals) if x.startswith("DRAM"))
        assert want in line, line


@pytest.mark.parametrize("value", [0, -0.1, 1.5, float("nan"), float("inf"), "x", True])
def test_bad_efficiency_is_one_line(value):
    with pytest.raises(ConfigError, match="dram.efficiency"):
        _hw({"efficiency": value})


def test_shipped_configs_override_from_cli_keys():
    hw = load_hardware("int8", overrides=(("dram.efficiency", 0.8),))
    assert hw.dram.efficiency == 0.8
    assert hw.dram_bytes_per_cycle == pytest.approx(25.6 * 0.8)


def test_host_overhead_hand_computed():
    """host: 100 us per image, 50 us per run, 10 W; batch 2: host_us = 100 * 2 + 50 = 250 us; latency_us =
    total_cycles / 1000 MHz + 250; images/s = 2 / latency; energy_host_uj = 10 W * 250 us = 2,500 uJ, added to
    energy_uj. Without power_w the time counts and the energy does not; without the section nothing changes."""
    wl = Workload("one", (GEMM,)).with_batch(2)
    base = simulate(wl, _hw()).totals
    t = simulate(wl, _hw(host={"overhead_us_per_image": 100, "overhead_us_per_batch": 50, "power_w": 10})).totals
    assert t["host_us"] == 250.0
    assert t["total_cycles"] == base["total_cycles"]
    assert t["latency_us"] == pytest.approx(base["total_cycles"] / 1000 + 250)
    assert t["images_per_s"] == pytest.approx(2 / (t["latency_us"] * 1e-6))
    assert t["energy_host_uj"] == pytest.approx(2_500)
    assert t["energy_uj"] == pytest.approx(base["energy_uj"] + 2_500)
    free = simulate(wl, _hw(host={"overhead_us_per_batch": 50})).totals
    assert free["host_us"] == 50.0 and free["energy_host_uj"] == 0.0 and free["energy_uj"] == base["energy_uj"]
    assert base["host_us"] == 0.0 and base["latency_us"] == base["total_cycles"] / 1000


@pytest.mark.parametrize("host,field", [({"overhead_us_per_image": -1}, "host.overhead_us_per_image"),
                                        ({"overhead_us_per_batch": float("nan")}, "host.overhead_us_per_batch"),
                                        ({"power_w": 0}, "host.power_w"), ({"watts": 1}, "host")])
def test_bad_host_is_one_line(host, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        _hw(host=host)


def test_batch_equals_single_with_efficiency_and_host():
    """The batch evaluator on designs differing in bandwidth, efficiency and host overhead: every total equal bit
    for bit to the one-design path."""
    wl = Workload("one", (GEMM, Layer("s", "softmax", m=64, n=64))).with_batch(3)
    hws = []
    for eff in (None, 0.5, 1.0):
        for gbps in (1.0, 16.0):
            for host in (HostConfig(), HostConfig(20.0, 5.0, 3.0)):
                h = _hw({} if eff is None else {"efficiency": eff})
                hws.append(replace(h, dram=replace(h.dram, bandwidth_gbps=gbps), host=host))
    r = TB.both_paths(wl, hws)
    assert r["mismatches"] == [] and r["nan_on_runnable"] == []
