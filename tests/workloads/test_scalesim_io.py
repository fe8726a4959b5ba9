"""SCALE-Sim topology CSV in and out (workloads/scalesim_io.py) and ``python -m workloads export``."""

import pytest

from workloads.cli import main as workloads_main
from workloads.errors import WorkloadError
from workloads.model import Layer, Workload
from workloads.scalesim_io import parse_topology, read_topology, write_topology

GEMM = """Layer, M, N, K,
fc1, 197, 1536, 384,
qk, 197, 197, 64,
"""


def test_gemm_rows_with_trailing_comma():
    layers = parse_topology(GEMM)
    assert [(x.name, x.op, x.m, x.n, x.k) for x in layers] == [("fc1", "gemm", 197, 1536, 384),
                                                               ("qk", "gemm", 197, 197, 64)]
    assert all((x.w_bits, x.a_bits, x.out_bits) == (8, 8, 8) for x in layers)


def test_rows_without_trailing_comma_and_blank_lines():
    text = "Layer, M, N, K\n\nfc1, 4, 5, 6\n"
    assert [(x.m, x.n, x.k) for x in parse_topology(text)] == [(4, 5, 6)]


def test_conv_rows_become_gemms():
    """224x224 ifmap, 16x16 filter, 3 channels, 384 filters, stride 16 -> 14x14 = 196 pixels,
    N = 384, K = 16*16*3 = 768 (DeiT's patch embedding). 7x7 ifmap, 3x3 filter, stride 2 -> 3x3 = 9."""
    text = ("Layer, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
            "patch, 224, 224, 16, 16, 3, 384, 16,\n"
            "c2, 7, 7, 3, 3, 8, 4, 2,\n")
    a, b = parse_topology(text)
    assert (a.op, a.m, a.n, a.k) == ("conv", 196, 384, 768)
    assert (b.m, b.n, b.k) == (9, 4, 72)


def test_depthwise_rows_are_one_layer_per_channel():
    """SCALE-Sim runs a 'DP' row as C separate single-channel layers ('<name>Channel_<c>'): K = Fh*Fw, repeat 1."""
    text = "h\nDP1, 10, 10, 3, 3, 32, 1, 1,\n"
    xs = parse_topology(text)
    assert len(xs) == 32
    assert [x.name for x in xs[:2]] == ["DP1Channel_0", "DP1Channel_1"]
    assert {(x.m, x.n, x.k, x.repeat) for x in xs} == {(64, 1, 9, 1)}


def test_conv_output_grid_is_scalesims_ceil():
    """oh = ceil((H - F + S) / S): 112x112, 3x3, stride 2 -> 56 x 56 (floor((H-F)/S)+1 would give 55);
    where S divides H - F both agree: 113 -> 56; 7x7, 3x3, stride 2 -> 3."""
    text = "h\nstem, 112, 112, 3, 3, 3, 32, 2,\nb, 113, 113, 3, 3, 3, 32, 2,\nc, 7, 9, 3, 3, 1, 1, 2,\n"
    a, b, c = parse_topology(text)
    assert (a.m, a.k) == (56 * 56, 27)
    assert b.m == 56 * 56
    assert c.m == 3 * 4


def test_sparsity_ratio_read_bad_one_rejected():
    """SCALE-Sim's N:M field (issue 14): N:N is dense, N:M the layer's w_sparsity, anything else one error line."""
    assert parse_topology("h\nfc, 2, 3, 4, 1:1,\n")[0].w_sparsity == "dense"
    assert parse_topology("h\nfc, 2, 3, 4, 2:4,\n", "t.csv")[0].w_sparsity == "2:4"
    with pytest.raises(WorkloadError, match="sparsity.*5:4.*allowed: N:M"):
        parse_topology("h\nfc, 2, 3, 4, 5:4,\n", "t.csv")


@pytest.mark.parametrize("text, match", [
    ("", "empty topology"),
    ("Layer, M, N, K,\n", "no layers after the header"),
    ("h\nfc, 2, x, 4,\n", r"line 2 N: expected a positive integer, got 'x'"),
    ("h\nfc, 2, 0, 4,\n", r"line 2 N: 0 is below 1"),
    ("h\nfc, 2, 3,\n", r"line 2: 3 fields"),
    ("h\n, 2, 3, 4,\n", "empty layer name"),
    ("h\nc, 3, 3, 5, 5, 1, 1, 1,\n", "larger than ifmap"),
])
def test_bad_topologies_give_one_line_errors(text, match):
    with pytest.raises(WorkloadError, match=match) as e:
        parse_topology(text, "bad.csv")
    assert str(e.value).startswith("bad.csv: ") and "\n" not in str(e.value)


def test_missing_file(tmp_path):
    with pytest.raises(WorkloadError, match="file not found"):
        read_topology(tmp_path / "nope.csv")


def test_round_trip(tmp_path):
    """write -> read keeps every GEMM shape; repeat r becomes r rows; vector ops are left out."""
    w = Workload("toy", (Layer("fc", "gemm", 4, 5, 6), Layer("sm", "softmax", 4, 5),
                         Layer("qk", "matmul", 7, 7, 3, repeat=2)))
    p = write_topology(w, tmp_path / "t.csv")
    text = p.read_text()
    assert text.splitlines()[0] == "Layer, M, N, K,"
    assert all(line.endswith(",") for line in text.splitlines())
    back = read_topology(p)
    assert [(x.name, x.m, x.n, x.k) for x in back.layers] == [("fc", 4, 5, 6), ("qk#0", 7, 7, 3), ("qk#1", 7, 7, 3)]
    assert back.model == "t" and back.macs == w.macs


def test_names_with_commas_rejected(tmp_path):
    w = Workload("toy", (Layer("a,b", "gemm", 1, 1, 1),))
    with pytest.raises(WorkloadError, match="comma"):
        write_topology(w, tmp_path / "t.csv")


def test_cli_export_scalesim_and_csv(tmp_path, capsys):
    out = tmp_path / "deit.csv"
    assert workloads_main(["export", "deit_small", "--recipe", "w8a8", "--scalesim", "-o", str(out)]) == 0
    back = read_topology(out)
    # 12 blocks x (qkv, proj, fc1, fc2 + 6 heads x (qk, av)) + patch embedding + head = 12*16 + 2 = 194 rows
    assert len(back.layers) == 194
    assert (back.layers[0].m, back.layers[0].n, back.layers[0].k) == (196, 384, 768)
    flat = tmp_path / "deit_flat.csv"
    assert workloads_main(["export", "deit_small", "--csv", "-o", str(flat)]) == 0
    lines = flat.read_text().splitlines()
    assert lines[0].startswith("name,op,m,n,k,repeat,w_bits,a_bits") and lines[0].endswith(",macs")
    assert lines[1].startswith("patch_embed.proj,conv,196,384,768,1,")


def test_simulator_runs_a_topology(tmp_path):
    """``python -m simulator run X.cfg --topology T.csv`` end to end (in-process)."""
    from simulator.cli import main as sim_main
    from simulator.scalesim_cfg import scalesim_cfg_text

    cfg = tmp_path / "a.cfg"
    cfg.write_text(scalesim_cfg_text("a", 8, 8, 16, 16, 16, "ws", 4))
    topo = tmp_path / "t.csv"
    topo.write_text(GEMM)
    assert sim_main(["run", str(cfg), "--topology", str(topo), "--format", "csv", "-o", str(tmp_path / "r.csv")]) == 0
    assert "fc1" in (tmp_path / "r.csv").read_text()
