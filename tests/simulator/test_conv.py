"""Convolutions as convolutions (issue 12 part 3): input tiles with their halo, loop order over filter groups,
depthwise and grouped convs (simulator/model/convtile.py, kernel.conv_inputs), by hand and against the brute-force
loop nest of tests/reference/conv_loopnest.py."""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from simulator.model import kernel as K
from simulator.model.convtile import conv_plan, window_rows
from simulator.model.jit import compiled
from simulator.model.traffic import compulsory_dram_bytes, gemm_traffic
from tests.reference.conv_loopnest import best, compulsory_bits
from workloads.conv import conv_out_size, geometry
from workloads.errors import WorkloadError
from workloads.model import Layer, Workload

BIG = 1 << 30


def _conv(h, w, c, kh, kw, s, p, images, n, bits=8, groups=1):
    """(Layer, kernel.P_CV_* tuple) of a conv with N = n filters per group."""
    ho, wo = conv_out_size(h, kh, s, p), conv_out_size(w, kw, s, p)
    layer = Layer("c", "conv", m=images * ho * wo, n=n, k=kh * kw * c // groups, repeat=groups, w_bits=bits,
                  a_bits=bits, out_bits=bits, **geometry(h, w, c, kh, kw, s, p, groups))
    return layer, (h, w, c // groups, kh, kw, s, p, ho, wo, images)


def _run(layer, cv, ib=BIG, wb=BIG, ob=BIG, bpc=1e9, lat=0, df="ws"):
    return gemm_traffic(df, layer.m, layer.n, layer.k, 4, 4, 1.0, layer.a_bits, layer.w_bits, layer.out_bits, 32,
                        (ib, wb, ob), bpc, lat, layer.repeat, conv=cv)


def test_3x3_stride1_fetches_input_once_when_it_fits():
    """3x3, stride 1, no padding, on 10 x 10 x 4 at 8 bits, 8 filters; everything fits: the input's 400 bytes once
    (the im2col ifmap would be 64 * 36 = 2304), the filters' 9 * 4 * 8 = 288 bytes once."""
    layer, cv = _conv(10, 10, 4, 3, 3, 1, 0, 1, 8)
    r = _run(layer, cv)
    assert r["dram_ifmap_read_bytes"] == 400
    assert r["dram_filter_read_bytes"] == 288
    assert layer.m * layer.k == 2304
    assert compulsory_dram_bytes(layer, conv_tiles=True)["ifmap"] == 400
    assert compulsory_dram_bytes(layer)["ifmap"] == 2304     # im2col, as before (SCALE-Sim's convention)


def test_padding_fetches_no_zeros():
    """Padding 1 on the same input: 10 x 10 output, still the 400 bytes of real pixels."""
    layer, cv = _conv(10, 10, 4, 3, 3, 1, 1, 1, 8)
    assert layer.m == 100
    assert _run(layer, cv)["dram_ifmap_read_bytes"] == 400


def test_tile_split_adds_exactly_the_halo_rows():
    """10 x 10 x 4, 3x3, stride 1, 8 x 8 output, rows of 10 * 4 = 40 bytes. Two images (800 bytes) with a 500-byte
    ifmap buffer: a tile fits 250 bytes = 6 rows -> 4 output rows; each image is 2 tiles of 6 input rows, 12 rows
    where 10 are the image: the split adds Fh - s = 2 halo rows per image, 800 + 2 * 2 * 40 = 960 bytes."""
    layer, cv = _conv(10, 10, 4, 3, 3, 1, 0, 2, 8)
    r = _run(layer, cv, ib=500)
    assert r["conv_tile_rows"] == 4
    assert r["conv_tiles"] == 4
    assert r["dram_ifmap_read_bytes"] == 800 + 2 * 2 * 40


def test_one_row_tiles_add_halo_per_split():
    """One image, 300-byte ifmap buffer: a tile fits 150 bytes = 3 input rows -> 1 output row; 8 tiles of 3 rows,
    7 splits each adding 2 rows: 400 + 7 * 2 * 40 = 960 bytes."""
    layer, cv = _conv(10, 10, 4, 3, 3, 1, 0, 1, 8)
    r = _run(layer, cv, ib=300)
    assert (r["conv_tile_rows"], r["conv_tiles"]) == (1, 8)
    assert r["dram_ifmap_read_bytes"] == 960


def test_stride2_tiles_share_one_row():
    """3x3 stride 2 on 9 x 9 x 4 (4 x 4 output), rows of 36 bytes: two tiles of 2 output rows read rows 0-4 and
    4-8: 10 rows, one (Fh - s = 1) shared."""
    layer, cv = _conv(9, 9, 4, 3, 3, 2, 0, 2, 8)
    r = _run(layer, cv, ib=400)    # whole 648 > 400; half 200 fits 5 rows (180)
    assert r["conv_tile_rows"] == 2
    assert r["dram_ifmap_read_bytes"] == 2 * 10 * 36
    assert window_rows(0, 4, 2, 3, 0, 9) == 9


def test_loop_order_filter_groups_against_input_tiles():
    """10 x 10 x 4, 3x3, one image, 64 filters of K = 36 at 8 bits (2304 filter bytes), 300-byte ifmap buffer (8
    tiles, 960 input bytes), 1000-byte weight buffer: groups of floor(500 / 36) = 13 filters, 5 groups.
    filters outer: 5 * 960 + 2304 = 7104; tiles outer: 960 + 8 * 2304 = 19392 -> filters outer."""
    layer, cv = _conv(10, 10, 4, 3, 3, 1, 0, 1, 64)
    r = _run(layer, cv, ib=300, wb=1000)
    assert r["conv_filter_groups"] == 5
    assert r["conv_loop_order"] == "filters_outer"
    assert (r["dram_ifmap_read_bytes"], r["dram_filter_read_bytes"]) == (5 * 960, 2304)
    # 2 filters (72 bytes), weight buffer 40: 2 groups of 1; filters outer 2 * 960 + 72 > tiles outer 960 + 8 * 72
    layer, cv = _conv(10, 10, 4, 3, 3, 1, 0, 1, 2)
    r = _run(layer, cv, ib=300, wb=40)
    assert r["conv_loop_order"] == "tiles_outer"
    assert (r["dram_ifmap_read_bytes"], r["dram_filter_read_bytes"]) == (960, 8 * 72)


def test_depthwise_reads_input_once():
    """Depthwise 3x3 (groups = C = 4, N = 1, K = 9 per group) on 10 x 10 x 4: 4 GEMMs of 64 x 9 x 1; the input is
    read once, 4 * 100 = 400 bytes (im2col: 4 * 64 * 9 = 2304), the filters 4 * 9 = 36 bytes."""
    layer, cv = _conv(10, 10, 4, 3, 3, 1, 0, 1, 1, groups=4)
    assert (layer.n, layer.k, layer.repeat) == (1, 9, 4)
    r = _run(layer, cv)
    assert r["dram_ifmap_read_bytes"] == 400
    assert r["dram_filter_read_bytes"] == 36


def test_grouped_conv_per_group_gemms():
    """2 groups of 2 channels, 3 filters each: per group K = 18, N = 3; input 400 bytes once, filters 2 * 54."""
    layer, cv = _conv(10, 10, 4, 3, 3, 1, 0, 1, 3, groups=2)
    r = _run(layer, cv)
    assert (r["dram_ifmap_read_bytes"], r["dram_filter_read_bytes"]) == (400, 108)


def test_array_side_unchanged():
    """SRAM reads into the array and compute cycles stay the im2col GEMM's."""
    layer, cv = _conv(10, 10, 4, 3, 3, 1, 0, 2, 8)
    a, b = _run(layer, cv, ib=500), _run(layer, (0,) * 10, ib=500)
    for key in ("compute_cycles", "sram_ifmap_read_bytes", "sram_filter_read_bytes", "sram_ofmap_write_bytes",
                "ifmap_sram_reads", "folds"):
        assert a[key] == b[key], key


def test_lead_time_and_streaming_stall():
    """Everything fits, 1 byte per cycle, latency 10, a 4 x 4 array: the first tile (the whole image, 400 bytes) and
    the filters of the first column fold (4 of 8 filters, 4 * 36 = 144 bytes) arrive before the array starts:
    prefetch = 10 + 544 cycles (the initial fill, not a stall); the other 144 filter bytes stream under the compute.
    With 0.01 bytes per cycle the channel needs (144 + 512 ofmap bytes written) / 0.01 = 65,600 cycles after the
    fill: the stall is what exceeds the compute (the walk's own write stall included), split ifmap : filter as their
    bytes, 400 : 288."""
    layer, cv = _conv(10, 10, 4, 3, 3, 1, 0, 1, 8)
    r0 = _run(layer, cv, bpc=1e12)
    r = _run(layer, cv, bpc=1.0, lat=10)
    assert r["prefetch_cycles"] - r0["prefetch_cycles"] == pytest.approx(10 + 544 - 544 / 1e12, abs=1e-6)
    assert r["stall_memory_cycles"] == r0["stall_memory_cycles"] == 0
    assert r["compute_cycles"] > 144
    slow = _run(layer, cv, bpc=0.01, lat=10)
    assert slow["prefetch_cycles"] == pytest.approx(10 + 54400)
    assert slow["dram_write_bytes"] == 512
    assert slow["stall_memory_cycles"] == pytest.approx(65600 - slow["compute_cycles"])
    extra = slow["stall_memory_cycles"] - slow["stall_ofmap_cycles"] - slow["stall_ofmap_write_cycles"]
    assert slow["stall_ifmap_cycles"] == pytest.approx(extra * 400 / 688)
    assert slow["stall_filter_cycles"] == pytest.approx(extra * 288 / 688)


geo = st.tuples(st.integers(1, 12), st.integers(1, 12), st.integers(1, 6), st.integers(1, 5), st.integers(1, 5),
                st.integers(1, 3), st.integers(0, 2), st.integers(1, 3), st.integers(1, 9))


@settings(max_examples=300, deadline=None)
@given(geo, st.integers(8, 2000), st.integers(8, 2000), st.sampled_from([4, 8, 16]))
def test_plan_equals_brute_force_loop_nest(g, ib, wb, bits):
    """convtile's closed forms (largest fitting tile, cheaper loop order) = the least traffic over every tile size
    and both loop orders of the element-by-element loop nest; the input never below the compulsory input."""
    h, w, c, kh, kw, s, p, images, n = g
    ho, wo = conv_out_size(h, kh, s, p), conv_out_size(w, kw, s, p)
    assume(ho >= 1 and wo >= 1)
    k = kh * kw * c
    r = conv_plan(h, w, c, kh, kw, s, p, ho, wo, images, n, k, bits, bits, ib * 8.0, wb * 8.0, 4)
    ref = best(h, w, c, kh, kw, s, p, ho, wo, images, n, k, bits, bits, ib * 8, wb * 8)
    assert (r[4] + r[5], r[4], r[5]) == ref
    assert r[4] >= compulsory_bits(h, w, c, kh, kw, s, p, ho, wo, images, bits)


@settings(max_examples=60, deadline=None)
@given(geo, st.integers(64, 4000), st.sampled_from(["os", "ws", "is"]), st.floats(0.5, 64), st.integers(0, 200))
def test_compiled_equals_plain_python_and_compulsory_bound(g, ib, df, bpc, lat):
    """The Numba kernel = the plain-Python one on conv rows; modelled DRAM bytes never below the compulsory ones."""
    h, w, c, kh, kw, s, p, images, n = g
    ho, wo = conv_out_size(h, kh, s, p), conv_out_size(w, kw, s, p)
    assume(ho >= 1 and wo >= 1)
    layer, cv = _conv(h, w, c, kh, kw, s, p, images, n)
    code = {"os": K.OS, "ws": K.WS, "is": K.IS}[df]
    # P_DEPTH_* = 0: depths derived from the tiles; P_GPACK, P_GROUPS = 1, 0: not a packed grouped conv
    prm = [code, layer.m, layer.n, layer.k, 4, 4, 1.0, 8, 8, 8, 32, ib, ib, ib, bpc, lat, 1, 1.0, 0, 0, *cv, 0, 0, 0,
           1, 0]
    out = np.zeros((1, K.N_OUT))
    compiled().gemm_batch(np.array([prm], dtype=float), out, np.zeros(K.N_OUT), np.zeros(K.N_OUT))
    py, full, part = [0.0] * K.N_OUT, [0.0] * K.N_OUT, [0.0] * K.N_OUT
    K.gemm([float(x) for x in prm], py, full, part)
    assert out[0].tolist() == py
    comp = compulsory_dram_bytes(layer, conv_tiles=True)
    assert py[K.DRAM_IFMAP] >= comp["ifmap"]
    assert py[K.DRAM_FILTER] >= comp["filter"]


def test_geometry_checks_one_line_errors():
    """A layer whose geometry disagrees with its GEMM is refused at load, naming the field."""
    base = {"name": "c", "op": "conv", "m": 64, "n": 8, "k": 36, **geometry(10, 10, 4, 3, 3)}
    assert Layer.from_dict(dict(base)).conv_stride == 1
    cases = [({"k": 35}, "layers[c].k"), ({"m": 65}, "layers[c].m"), ({"conv_groups": 3}, "layers[c].conv_groups"),
             ({"conv_groups": 2}, "layers[c].repeat"), ({"conv_stride": 0}, "layers[c].conv_stride"),
             ({"conv_kernel_h": 12, "k": 144}, "layers[c].conv_kernel_h"), ({"op": "gemm"}, "layers[c].conv_in_h")]
    for change, fld in cases:
        with pytest.raises(WorkloadError) as e:
            Layer.from_dict({**base, **change}, "f.yaml")
        assert e.value.field == fld
        assert "\n" not in str(e.value)
    d = {k: v for k, v in base.items() if k != "conv_kernel_w"}
    with pytest.raises(WorkloadError, match="conv_kernel_w"):
        Layer.from_dict(d, "f.yaml")
    good = Layer.from_dict(dict(base))
    with pytest.raises(WorkloadError, match="conv_in_h|m"):
        Workload("x", (replace(good, m=65),))


def test_round_trip_and_batch():
    """Geometry survives to_dict/from_dict; a batch of 3 scales M by 3 and keeps the geometry (3 images)."""
    layer, _ = _conv(10, 10, 4, 3, 3, 1, 1, 1, 8)
    assert Layer.from_dict(layer.to_dict()) == layer
    wl = Workload("x", (layer,)).with_batch(3)
    assert wl.layers[0].m == 300 and wl.layers[0].conv_in_h == 10
    plain = replace(layer, **dict.fromkeys(geometry(0, 0, 0, 0, 0, 0, 0, 0), 0))
    assert "conv_in_h" not in plain.to_dict()


def test_report_fields():
    """The per-layer report names the plan: AlexNet conv3 on Eyeriss v1 at batch 4 runs 5-row tiles, 48 filter
    groups of 8 (1.77 MB of filters in 36.75 KiB halves), input tiles outer; a GEMM layer reports 0, 0, ''."""
    from simulator import simulate
    from simulator.loader import load_hardware
    from workloads import load_workload

    r = simulate(load_workload("alexnet_conv-w16a16").with_batch(4), load_hardware("eyeriss_v1")).layers
    conv3 = r[r["name"] == "conv3"].iloc[0]
    assert (conv3["conv_tile_rows"], conv3["conv_filter_groups"], conv3["conv_loop_order"]) == (5, 48, "tiles_outer")
    g = simulate(load_workload("deit_tiny-w8a8"), load_hardware("int8")).layers
    qkv = g[g["name"] == "blocks.0.attn.qkv"].iloc[0]
    assert (qkv["conv_tile_rows"], qkv["conv_filter_groups"], qkv["conv_loop_order"]) == (0, 0, "")
