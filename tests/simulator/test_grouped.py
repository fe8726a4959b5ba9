"""Grouped and depthwise convolutions packed onto the array (simulator/model/grouped.py, ``array.grouped``), by
hand and against the explicit fold-by-fold placement of tests/reference/grouped_reference.py."""

import numpy as np
import pytest

from simulator.engine import simulate_layer
from simulator.hardware import hardware_from_dict
from simulator.model import kernel as K
from simulator.model.grouped import packing
from simulator.model.layer import kernel_params
from simulator.model.pipeline import scalar_kernel
from simulator.scalesim_cfg import hardware_dict_from_scalesim, parse_scalesim_cfg, scalesim_cfg_text
from tests.reference import grouped_reference as ref
from workloads.conv import conv_out_size, geometry
from workloads.model import Layer

BIG_KIB = 1 << 20


def _hw(df="ws", rows=8, cols=8, grouped="packed", p=1, **extra):
    return hardware_from_dict({
        "name": "t", "freq_mhz": 1000,
        "array": {"rows": rows, "cols": cols, "dataflow": df, "grouped": grouped, **extra},
        "pe": {"type": "fixed", "acc_bits": 32,
               "precisions": [{"dtype": "int", "w_bits": 8, "a_bits": 8, "macs_per_cycle": p}]},
        "buffers": {"ifmap_kib": BIG_KIB, "weight_kib": BIG_KIB, "ofmap_kib": BIG_KIB},
        "dram": {"bandwidth_gbps": 1e6, "latency_cycles": 0}, "vector": {"lanes": 8}})


def _dw(h, c, kh, groups=None, n_g=1):
    """A conv on h x h x c, kh x kh, stride 1, padding kh // 2, ``groups`` groups (depthwise: c) of n_g filters."""
    g = c if groups is None else groups
    ho = conv_out_size(h, kh, 1, kh // 2)
    return Layer("dw", "conv", m=ho * ho, n=n_g, k=kh * kh * c // g, repeat=g, w_bits=8, a_bits=8, out_bits=8,
                 **geometry(h, h, c, kh, kh, 1, kh // 2, g))


def test_ws_depthwise_hand_computed():
    """ws, 8 x 8 array, depthwise 2x2 (K_g = 4, N_g = 1) on 4 x 4 x 4 (padding 1: 5 x 5 = 25 output pixels... here
    kh // 2 = 1 gives Ho = 4 + 2 - 2 + 1 = 5, M = 25), g = 4. G_max = min(floor(8 / 4), floor(8 / 1)) = 2,
    copies = ceil(4 / 2) = 2, G = 2. Lines per fold = M + 2R + C - 2 = 25 + 16 + 8 - 2 = 47; compute = 2 * 47 - 1 = 93
    (serial: 4 copies, 4 * 47 - 1 = 187). Mapping efficiency = useful PEs / (R C) = G K_g N_g / 64 = 8 / 64 = 0.125
    (serial 4 / 64). Filter bytes from DRAM: 4 groups x 4 weights = 16 (the zero blocks are never read); input: the 64
    real pixels (tiles, everything fits); output 25 x 4 = 100 bytes."""
    layer = _dw(4, 4, 2)
    assert (layer.m, layer.k, layer.repeat) == (25, 4, 4)
    assert packing(K.WS, 4, 1, 4, 8, 8, 1.0) == (2, 2)
    packed, serial = simulate_layer(layer, _hw()), simulate_layer(layer, _hw(grouped="serial"))
    assert packed["compute_cycles"] == 93
    assert serial["compute_cycles"] == 187
    assert packed["mapping_efficiency"] == pytest.approx(0.125)
    assert serial["mapping_efficiency"] == pytest.approx(4 / 64)
    assert packed["folds"] == 2 and serial["folds"] == 4
    for r in (packed, serial):
        assert r["dram_filter_read_bytes"] == 16
        assert r["dram_ifmap_read_bytes"] == 64
        assert r["dram_write_bytes"] == 100
    # the SRAM side reads every group's operands once either way
    for col in ("sram_ifmap_read_bytes", "sram_filter_read_bytes", "sram_ofmap_write_bytes", "filter_sram_reads",
                "ifmap_sram_reads", "ofmap_sram_writes"):
        assert packed[col] == pytest.approx(serial[col]), col


def test_os_depthwise_hand_computed_and_uneven_groups():
    """os, 8 x 8, depthwise 3x3 (K_g = 9, N_g = 1) on 4 x 4 x 12, M = 16: G_max = floor(C / N_g) = 8, copies =
    ceil(12 / 8) = 2, G = ceil(12 / 2) = 6 (balanced). Per copy: row folds ceil(16 / 8) = 2, lines = G K_g + R + C - 2
    = 54 + 14 = 68; compute = 2 * 2 * 68 - 1 = 271 (serial: 12 * 2 * (9 + 14) - 1 = 551). The 12 groups fill
    2 x 6 = 12 slots: frac = 1, filter bytes = 12 * 9 = 108."""
    layer = _dw(4, 12, 3)
    assert packing(K.OS, 12, 1, 9, 8, 8, 1.0) == (6, 2)
    packed, serial = simulate_layer(layer, _hw("os")), simulate_layer(layer, _hw("os", grouped="serial"))
    assert packed["compute_cycles"] == 271
    assert serial["compute_cycles"] == 551
    assert packed["dram_filter_read_bytes"] == serial["dram_filter_read_bytes"] == 108
    # 10 groups on the same array: G_max 8, copies 2, G 5: 2 * 2 * (45 + 14) - 1 = 235; traffic x 10 / 10
    ten = _dw(4, 10, 3)
    assert packing(K.OS, 10, 1, 9, 8, 8, 1.0) == (5, 2)
    assert simulate_layer(ten, _hw("os"))["compute_cycles"] == 235
    # 9 groups: copies 2, G 5, frac = 9 / 10; the traffic is the 9 groups' own
    nine = _dw(4, 9, 3)
    p9, s9 = simulate_layer(nine, _hw("os")), simulate_layer(nine, _hw("os", grouped="serial"))
    assert p9["dram_filter_read_bytes"] == s9["dram_filter_read_bytes"] == 81
    assert p9["dram_write_bytes"] == s9["dram_write_bytes"] == 16 * 9
    assert p9["sram_filter_read_bytes"] == pytest.approx(s9["sram_filter_read_bytes"])
    assert p9["sram_ifmap_read_bytes"] == pytest.approx(s9["sram_ifmap_read_bytes"])


def test_is_packs_on_rows_only():
    """is, 8 x 8: rows hold K; depthwise 2x2 (K_g = 4): G_max = floor(8 / 4) = 2 whatever the columns (pixels);
    16 groups -> 8 copies of G = 2; per copy ceil(M / C) = ceil(25 / 8) = 4 column folds of N-extent G N_g = 2:
    lines = 2 + 2R + C - 2 = 24, compute = 8 * 4 * 24 - 1 = 767 (serial 16 * 4 * 23 - 1 = 1471)."""
    layer = _dw(4, 16, 2)
    assert simulate_layer(layer, _hw("is"))["compute_cycles"] == 767
    assert simulate_layer(layer, _hw("is", grouped="serial"))["compute_cycles"] == 1471


def test_grouped_not_depthwise_and_too_big_groups_stay_serial():
    """A group whose reduction fills more than half the row block cannot share a ws fold (G_max = 1): the serial
    mapping, bit for bit; a 1-group conv is never packed."""
    big = _dw(4, 8, 3, groups=2, n_g=2)          # K_g = 9 * 4 = 36 > 8 rows
    a, b = simulate_layer(big, _hw()), simulate_layer(big, _hw(grouped="serial"))
    assert a == b
    dense = _dw(4, 4, 3, groups=1, n_g=4)
    assert simulate_layer(dense, _hw()) == simulate_layer(dense, _hw(grouped="serial"))


@pytest.mark.parametrize("df", ["os", "ws", "is"])
@pytest.mark.parametrize("g,kh,rows,cols", [(4, 2, 8, 8), (12, 3, 8, 8), (16, 1, 4, 8), (9, 3, 16, 4), (32, 3, 64, 64),
                                            (7, 2, 8, 8), (5, 3, 32, 4)])
def test_against_explicit_placement(df, g, kh, rows, cols):
    """The kernel's compute cycles = the explicit greedy placement's when every fold holds G groups (ws always: a
    fold's time does not depend on how many groups it holds); otherwise (os/is, the last greedy fold holds fewer) the
    balanced model is never faster and within the temporal steps of the (copies G - g) empty slots."""
    layer = _dw(5, g, kh)
    hw = _hw(df, rows, cols)
    got = simulate_layer(layer, hw)["compute_cycles"]
    want = ref.cycles(df, g, layer.m, 1, layer.k, rows, cols)
    code = {"os": K.OS, "ws": K.WS, "is": K.IS}[df]
    g_pack, copies = packing(code, g, 1, layer.k, rows, cols, 1.0)
    assert len(ref.place(df, g, 1, layer.k, rows, cols)) == copies
    if df == "ws" or g_pack * copies == g:
        assert got == want
    else:
        per_step = -(-layer.m // rows) * layer.k if df == "os" else -(-layer.m // cols)
        assert want <= got <= want + (g_pack * copies - g) * per_step


def test_block_diagonal_gemm_computes_the_grouped_conv():
    """Running each fold's groups as one GEMM over a block-diagonal filter gives every group's own outputs (the
    mapping is a real computation, not a cycle count): 10 groups of N_g = 2, K_g = 3, M = 7, folds of the ws
    placement on 8 x 8 (G = 2)."""
    rng = np.random.default_rng(0)
    x, w = rng.integers(-8, 8, (10, 7, 3)), rng.integers(-8, 8, (10, 3, 2))
    direct = np.concatenate([x[j] @ w[j] for j in range(10)], axis=1)
    folds = ref.place("ws", 10, 2, 3, 8, 8)
    assert [len(f) for f in folds] == [2] * 5
    assert np.array_equal(ref.block_diagonal_conv(x, w, folds), direct)


def test_kernel_params_of_a_packed_conv():
    """kernel_params: the packed GEMM M x G N x G K, ``copies`` repeats, P_GPACK = G, P_GROUPS = g, channels per copy
    G * C / g; the serial mapping keeps the layer's own GEMM and P_GROUPS = 0."""
    from simulator.energy import hw_costs
    from simulator.model.design import design_of
    from simulator.model.layer import gemm_setup

    layer = _dw(4, 12, 3)
    for mode, want in (("packed", (16, 6, 54, 2, 6, 12, 6)), ("serial", (16, 1, 9, 12, 1, 0, 1))):
        hw = _hw("os", grouped=mode)
        s = gemm_setup(layer, hw, hw_costs(hw).tech)
        prm = kernel_params(layer, s, "os", "auto", design_of(hw))
        assert (prm[K.P_M], prm[K.P_N], prm[K.P_K], prm[K.P_REPEAT], prm[K.P_GPACK], prm[K.P_GROUPS],
                prm[K.P_CV_C]) == want
        out = scalar_kernel([prm])[0]
        assert out[K.FOLDS] == want[3] * 2


def test_scalesim_cfg_runs_serial_and_yaml_option_checked():
    """A SCALE-Sim .cfg loads with the serial convention; a wrong ``array.grouped`` is one line naming it."""
    text = scalesim_cfg_text("r", 8, 8, 64, 64, 64, "ws", 10)
    hw = hardware_from_dict(hardware_dict_from_scalesim(parse_scalesim_cfg(text)))
    assert hw.array.grouped == "serial"
    assert _hw().array.grouped == "packed"
    with pytest.raises(Exception, match="array.grouped"):
        _hw(grouped="diagonal")


def test_screening_bound_and_batch_on_packed_depthwise_layers():
    """EfficientViT-B0 (depthwise convs) on int8.yaml (ws) and fp16.yaml (os) with 12 random array shapes: the
    designs pack differently (G follows R and C), the screening bound stays below the exact figures, and the batch
    evaluator equals the one-design path bit for bit."""
    from dataclasses import replace

    import tests.simulator.test_batch as TB
    from simulator.loader import load_hardware
    from simulator.model.batch import DesignBatch, columns
    from simulator.model.design import structure
    from tests.simulator.test_bound import check
    from workloads import load_workload

    rng = np.random.default_rng(21)
    wl = load_workload("efficientvit_b0-w8a8")
    for name in ("int8", "fp16"):
        hw = load_hardware(name)
        n = 12
        cols = {k: np.repeat(v, n) for k, v in columns([hw]).items()}
        cols["rows"], cols["cols"] = rng.integers(4, 129, n), rng.integers(4, 129, n)
        assert check(wl, DesignBatch((structure(hw),), np.zeros(n, dtype=np.intp), cols), name) == n
        hws = [replace(hw, array=replace(hw.array, rows=int(r), cols=int(c)))
               for r, c in zip(cols["rows"][:4], cols["cols"][:4])]
        r = TB.both_paths(wl, hws)
        assert r["mismatches"] == [] and r["nan_on_runnable"] == []
