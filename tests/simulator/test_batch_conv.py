"""The batch evaluator equals the one-design path bit for bit on convolutions with geometry (issue 12 part 3).

Strategies of tests/simulator/test_batch.py (hardware structures and geometries) on conv workloads: 1-3 conv layers
with random geometry (input 3..40 pixels, 1..32 channels, filters 1..7, stride 1..3, padding 0..2, groups 1, a
divisor of the channels, or depthwise), 4/8/16-bit, batch 1..3, and the shipped AlexNet CONV1-5 (Eyeriss' workload,
at 8 bits);
each design reads conv inputs as tiles or as im2col (``memory.conv``) and maps grouped convs packed or serial
(``array.grouped``). EXAMPLES x DESIGNS pairs are compared on every
total by its IEEE bits (``test_batch.both_paths``); the coverage check asserts both conv modes, depthwise and
grouped layers, and several tile sizes ran.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tests.simulator.test_batch as TB
from simulator.engine import simulate
from workloads import load_workload
from workloads.conv import conv_out_size, geometry
from workloads.model import Layer, Workload

EXAMPLES = 40
DESIGNS = 16


@st.composite
def conv_layers(draw, i: int):
    """One conv layer with geometry (the strategy of the module docstring)."""
    h = draw(st.integers(3, 40))
    w = draw(st.integers(3, 40))
    c = draw(st.integers(1, 32))
    kh, kw = draw(st.integers(1, min(7, h))), draw(st.integers(1, min(7, w)))
    s, p = draw(st.integers(1, 3)), draw(st.integers(0, 2))
    groups = draw(st.sampled_from([1, c] + [g for g in (2, 3, 4) if c % g == 0]))
    n = draw(st.integers(1, 48))
    bits = draw(st.sampled_from((8, 8, 4, 16)))
    ho, wo = conv_out_size(h, kh, s, p), conv_out_size(w, kw, s, p)
    return Layer(f"conv{i}", "conv", m=ho * wo, n=n, k=kh * kw * c // groups, repeat=groups, w_bits=bits,
                 a_bits=bits, out_bits=bits, **geometry(h, w, c, kh, kw, s, p, groups))


@st.composite
def cases(draw):
    if draw(st.integers(0, 7)) == 0:
        wl, label = load_workload("alexnet_conv-w16a16"), "alexnet"   # at 8 bits: most drawn PEs run it
        wl = replace(wl, layers=tuple(replace(x, w_bits=8, a_bits=8, out_bits=8) for x in wl.layers))
    else:
        layers = [draw(conv_layers(i)) for i in range(draw(st.integers(1, 3)))]
        wl, label = Workload("convs", tuple(layers)), "convs"
    wl = wl.with_batch(draw(st.sampled_from((1, 1, 2, 3))))
    hws = draw(st.lists(TB.structures(), min_size=1, max_size=3))
    geos = draw(st.lists(TB.geometries(False), min_size=1, max_size=3))
    designs = []
    for _ in range(DESIGNS):
        hw = draw(st.sampled_from(hws))
        rows, cols, kib, gbps, latency, mhz = draw(st.sampled_from(geos))
        designs.append(replace(
            hw, freq_mhz=mhz, array=replace(hw.array, rows=rows, cols=cols,
                                            grouped=draw(st.sampled_from(("packed", "packed", "serial")))),
            buffers=replace(hw.buffers, ifmap_kib=kib[0], weight_kib=kib[1], ofmap_kib=kib[2]),
            dram=replace(hw.dram, bandwidth_gbps=gbps, latency_cycles=latency),
            vector=replace(hw.vector, lanes=draw(st.integers(1, 512))),
            memory=replace(hw.memory, conv=draw(st.sampled_from(("tiles", "tiles", "im2col"))))))
    return TB.Case((f"{label}-b{wl.batch}", wl, designs))


def test_batch_equals_single_path_on_convs():
    seen: set = set()

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(case=cases())
    def check(case):
        label, workload, hws = case
        r = TB.both_paths(workload, hws)
        assert r["mismatches"] == [], f"{label}: {r['mismatches'][:8]}"
        assert r["nan_on_runnable"] == [], label
        assert r["batch_errors"] == r["single_errors"], label
        for hw, err in zip(hws, r["single_errors"]):
            seen.update({("conv", str(hw.memory.conv), not err), ("workload", label.split("-")[0], not err),
                         ("grouped", str(hw.array.grouped), not err)})
        for layer in workload.layers:
            seen.update({("groups", "depthwise" if layer.conv_groups == layer.conv_in_channels > 1 else
                          "grouped" if layer.conv_groups > 1 else "dense")})

    check()
    wanted = {("conv", "tiles", True), ("conv", "im2col", True), ("workload", "alexnet", True),
              ("workload", "convs", True), ("groups", "depthwise"), ("groups", "grouped"), ("groups", "dense"),
              ("grouped", "packed", True), ("grouped", "serial", True)}
    assert wanted <= seen, sorted(wanted - seen)


def test_tile_sizes_vary():
    """The plan's tile rows differ across buffer sizes on one conv (whole image, a few rows, one row)."""
    from simulator.loader import load_hardware

    layer = Layer("c", "conv", m=32 * 32, n=16, k=27, w_bits=8, a_bits=8, out_bits=8,
                  **geometry(32, 32, 3, 3, 3, 1, 1, 1))
    hw = load_hardware("int8")
    rows = []
    for kib in (64.0, 1.0, 0.25):
        r = simulate(Workload("x", (layer,)), replace(hw, buffers=replace(hw.buffers, ifmap_kib=kib)))
        rows.append(r.layers.iloc[0]["dram_ifmap_read_bytes"])
    assert rows[0] == 32 * 32 * 3       # whole image once
    assert rows[0] < rows[1] < rows[2]  # smaller tiles: more halo rows
