"""NVDLA's ResNet-50 table (issue 12 part 6): the shipped configs say what the primer's table says, the ResNet-50
workloads have ResNet-50's MACs, and docs/validation-designs.md's NVDLA block is what tools/validate_designs.py
prints today."""

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from simulator import load_hardware
from workloads import load_workload

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "docs" / "reference" / "nvdla_primer" / "resnet50.csv"


def _table() -> list[dict]:
    with TABLE.open() as f:
        return list(csv.DictReader(f))


def test_the_table_has_the_primers_seven_rows():
    """The copy of the primer's table: 2048 down to 32 MACs, nv_full's row 512 KB / 20 GB/s / 5.5 mm² / 269 fps."""
    rows = _table()
    assert [int(r["macs"]) for r in rows] == [2048, 1024, 512, 256, 128, 64, 32]
    assert rows[0] == {"macs": "2048", "conv_buffer_kb": "512", "sdram_bandwidth_gbps": "20", "area_mm2_28nm": "5.5",
                       "int8_resnet50_fps": "269"}
    assert rows[-1]["int8_resnet50_fps"] == "3.6" and rows[-1]["sdram_bandwidth_gbps"] == "0.5"


@pytest.mark.parametrize("row", _table(), ids=lambda r: r["macs"])
def test_each_config_is_its_row(row):
    """nvdla_<MACs>.yaml: rows x cols = the row's MACs (rows >= cols, the most nearly square split), data + weight
    buffers = the convolution buffer (KB as KiB, split evenly), the row's SDRAM bandwidth, every layer through DRAM,
    a broadcast weight-stationary INT8 array at the assumed 1 GHz."""
    hw = load_hardware(f"nvdla_{row['macs']}")
    r, c = hw.array.rows, hw.array.cols
    assert r * c == int(row["macs"]) and c <= r <= 2 * c
    assert hw.buffers.ifmap_kib + hw.buffers.weight_kib == float(row["conv_buffer_kb"])
    assert hw.buffers.ifmap_kib == hw.buffers.weight_kib
    assert hw.dram.bandwidth_gbps == float(row["sdram_bandwidth_gbps"])
    assert (hw.memory.activations, hw.array.type, hw.array.dataflow) == ("dram", "broadcast", "ws")
    assert hw.freq_mhz == 1000 and hw.default_workload == "resnet50_fused-w8a8"
    assert [(p.dtype, p.w_bits, p.a_bits, p.macs_per_cycle) for p in hw.pe.precisions] == [("int", 8, 8, 1)]


def test_nv_full_and_nv_small_arrays():
    """The split reproduces NVDLA's two reference configurations: 64 x 32 (nv_full) and 8 x 8 (nv_small)."""
    assert (load_hardware("nvdla_2048").array.rows, load_hardware("nvdla_2048").array.cols) == (64, 32)
    assert (load_hardware("nvdla_64").array.rows, load_hardware("nvdla_64").array.cols) == (8, 8)


def _resnet50_macs() -> int:
    """ResNet-50 as timm builds it, counted from the architecture (He et al., CVPR 2016, Table 1, with the stride
    on the 3x3 convolution): stem 7x7/2 to 112x112 (118,013,952 MACs), max pool to 56x56, bottleneck stages of
    3, 4, 6, 3 blocks of width 64, 128, 256, 512 (1x1, 3x3, 1x1 to 4 x width, a 1x1 projection in each first
    block), a 2048 x 1000 classifier."""
    def conv(h, cin, cout, k, s):
        ho = (h + 2 * (k // 2) - k) // s + 1
        return ho, ho * ho * cout * cin * k * k

    _, total = conv(224, 3, 64, 7, 2)
    h, cin = 56, 64
    for width, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for b in range(blocks):
            s = stride if b == 0 else 1
            h2, m2 = conv(h, width, width, 3, s)
            total += conv(h, cin, width, 1, 1)[1] + m2 + conv(h2, width, 4 * width, 1, 1)[1]
            total += conv(h, cin, 4 * width, 1, s)[1] if b == 0 else 0
            h, cin = h2, 4 * width
    return total + 2048 * 1000


def test_resnet50_macs():
    """The traced zoo file has 4,089,184,256 MACs, as counted from the architecture (~4.1 G; He et al. give
    3.8 x 10^9 for the original, stride on the first 1x1); the fused file has the same MACs and 53 batch-norm and
    49 ReLU layers fewer; each conv carries its geometry."""
    traced, fused = load_workload("resnet50-w8a8"), load_workload("resnet50_fused-w8a8")
    assert _resnet50_macs() == 4_089_184_256 == traced.macs == fused.macs
    assert len(traced.layers) == 174 and len(fused.layers) == 174 - 53 - 49
    convs = [x for x in traced.layers if x.op == "conv"]
    assert len(convs) == 53 and all(x.conv_kernel_h > 0 for x in convs)
    assert not [x for x in fused.layers if x.name.endswith((".batch_norm", ".relu"))]
    assert {x.name for x in fused.layers} < {x.name for x in traced.layers}



@pytest.mark.trace
def test_resnet50_macs_are_torchvisions_published_figure():
    """torchvision's model table lists ResNet-50 (the same v1.5 architecture) at 4.089 "GFLOPS", multiply-adds
    (``ResNet50_Weights.IMAGENET1K_V1.meta["_ops"]``: package metadata, nothing downloaded)."""
    models = pytest.importorskip("torchvision.models")
    assert models.ResNet50_Weights.IMAGENET1K_V1.meta["_ops"] == round(load_workload("resnet50-w8a8").macs / 1e9, 3)

def test_doc_and_fused_workload_are_fresh():
    """tools/validate_designs.py --check: the NVDLA block of docs/validation-designs.md and
    workloads/zoo/resnet50_fused-w8a8.yaml are what the script makes today (every row simulated)."""
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "validate_designs.py"), "--check"], capture_output=True,
                       text=True, check=False)
    assert r.returncode == 0, r.stderr
