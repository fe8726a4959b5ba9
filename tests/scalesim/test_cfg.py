"""SCALE-Sim .cfg files as vitsim hardware (simulator/scalesim_cfg.py); no SCALE-Sim needed."""

import pytest

from simulator.hardware import ConfigError
from simulator.loader import load_hardware
from simulator.scalesim_cfg import ACC_BITS, CALC_BYTES_PER_CYCLE, parse_scalesim_cfg, scalesim_cfg_text

# SCALE-Sim's own example (scale-sim-v3 configs/scale.cfg): CALC bandwidth, no [layout]/[sparsity],
# trailing spaces after the sizes
EXAMPLE = """[general]
run_name = scale_example_run_32x32_ws

[architecture_presets]
ArrayHeight:    32
ArrayWidth:     32
IfmapSramSzkB:   64 
FilterSramSzkB:  64 
OfmapSramSzkB:   64 
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Bandwidth : 10
Dataflow : os
MemoryBanks:   1
ReadRequestBuffer: 512
WriteRequestBuffer: 512

[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
"""


def _load(tmp_path, text, name="a.cfg"):
    p = tmp_path / name
    p.write_text(text)
    return load_hardware(p)


def test_user_bandwidth_3_0(tmp_path):
    """3.0, USER: ifmap/filter read bandwidth from [layout], ofmap from Bandwidth; one vitsim port of
    their sum (12+12+12 = 36 B/cycle = 36 GB/s at 1000 MHz)."""
    hw = _load(tmp_path, scalesim_cfg_text("r", 16, 8, 32, 64, 128, "is", 12))
    assert (hw.array.rows, hw.array.cols, hw.array.dataflow) == (16, 8, "is")
    assert (hw.buffers.ifmap_kib, hw.buffers.weight_kib, hw.buffers.ofmap_kib) == (32, 64, 128)
    assert hw.dram_bytes_per_cycle == pytest.approx(36) and hw.dram.latency_cycles == 0
    assert [m.label for m in hw.pe.precisions] == ["w8a8"] and hw.pe.acc_bits == ACC_BITS
    assert hw.name == "r" and hw.source.endswith("a.cfg")


def test_layout_bandwidths_read_separately(tmp_path):
    text = scalesim_cfg_text("r", 4, 4, 1, 1, 1, "ws", 5).replace("IfmapSRAMBankBandwidth: 5",
                                                                  "IfmapSRAMBankBandwidth: 7")
    c = parse_scalesim_cfg(text)
    assert (c["ifmap_bw"], c["filter_bw"], c["ofmap_bw"]) == (7, 5, 5)
    assert _load(tmp_path, text).dram_bytes_per_cycle == pytest.approx(17)


def test_scalesim_own_example_calc_mode(tmp_path):
    """CALC: SCALE-Sim sizes the bandwidth so nothing stalls; vitsim gets an unlimited port."""
    hw = _load(tmp_path, EXAMPLE)
    assert (hw.array.rows, hw.array.cols, hw.array.dataflow, hw.buffers.ifmap_kib) == (32, 32, "os", 64)
    assert hw.dram_bytes_per_cycle == pytest.approx(CALC_BYTES_PER_CYCLE)


def test_2x_file_without_layout_uses_bandwidth_everywhere(tmp_path):
    hw = _load(tmp_path, EXAMPLE.replace("CALC", "USER"))
    assert hw.dram_bytes_per_cycle == pytest.approx(30)


def test_keys_are_case_insensitive(tmp_path):
    hw = _load(tmp_path, EXAMPLE.replace("ArrayHeight", "arrayheight").replace("Dataflow : os", "DATAFLOW : WS"))
    assert hw.array.dataflow == "ws"


@pytest.mark.parametrize("edit, match", [
    (lambda t: t.replace("[architecture_presets]", "[arch]"), r"\[architecture_presets\]: missing section"),
    (lambda t: t.replace("ArrayHeight:    32\n", ""), r"\[architecture_presets\] ArrayHeight: missing field"),
    (lambda t: t.replace("ArrayWidth:     32", "ArrayWidth: wide"),
     r"ArrayWidth: expected a positive integer, got 'wide'"),
    (lambda t: t.replace("ArrayWidth:     32", "ArrayWidth: 0"), r"ArrayWidth: 0 is out of range"),
    (lambda t: t.replace("FilterSramSzkB:  64", "FilterSramSzkB:  lots"), r"FilterSramSzkB: expected a positive"),
    (lambda t: t.replace("Dataflow : os", "Dataflow : rs"), r"Dataflow: unknown dataflow 'rs' \(allowed: os, ws, is\)"),
    (lambda t: t.replace("InterfaceBandwidth: CALC", "InterfaceBandwidth: FAST"),
     r"InterfaceBandwidth: unknown value 'FAST' \(allowed: USER, CALC\)"),
    (lambda t: t.replace("[run_presets]\n", ""), "not a SCALE-Sim config|missing"),
    (lambda t: t.replace("CALC", "USER").replace("Bandwidth : 10", "Bandwidth : ten"),
     r"Bandwidth: expected a positive number, got 'ten'"),
    (lambda t: "no sections here\n", "not a SCALE-Sim config"),
])
def test_bad_configs_one_line_errors(tmp_path, edit, match):
    with pytest.raises(ConfigError, match=match) as e:
        _load(tmp_path, edit(EXAMPLE), "bad.cfg")
    msg = str(e.value)
    assert "bad.cfg" in msg and "\n" not in msg


def test_missing_cfg_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_hardware(tmp_path / "none.cfg")


def test_cli_bad_cfg_exit_2(tmp_path, capsys):
    from simulator.cli import main
    from workloads.cli_common import run_main

    p = tmp_path / "bad.cfg"
    p.write_text(EXAMPLE.replace("Dataflow : os", "Dataflow : xx"))
    t = tmp_path / "t.csv"
    t.write_text("Layer, M, N, K,\nfc, 2, 3, 4,\n")
    assert run_main(main, ["run", str(p), "--topology", str(t)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Dataflow" in err[0]
