"""Designs reach the workers grouped by structural variant (``run.design_order``), and the driver says when it is
compiling the kernels."""

from __future__ import annotations

import itertools
from pathlib import Path

from analysis.sweep import run_sweep, spec_from_dict
from analysis.sweep.run import design_order, structural_positions

ROOT = Path(__file__).absolute().parents[2]
INT4 = str(ROOT / "hwconfigs" / "int4.yaml")
AXES = {"array.rows": [16, 32, 48], "array.dataflow": ["os", "ws", "is"], "buffers.weight_kib": [64, 128],
        "pe.acc_bits": [24, 32]}


def _variant(spec, i: int) -> tuple:
    sizes = [len(a.values) for a in spec.free_axes]
    digits = []
    for s in reversed(sizes):
        i, d = divmod(i, s)
        digits.append(d)
    digits = digits[::-1]
    return tuple(digits[p] for p in structural_positions(spec))


def test_grid_grouped_by_variant():
    """dataflow (position 1) and pe.acc_bits (position 3) select variants: 6 variants of 6 designs, each contiguous
    and in grid order, and every design once."""
    spec = spec_from_dict({"name": "o", "base": INT4, "axes": AXES, "workloads": ["deit_tiny-w4a4"]})
    assert structural_positions(spec) == [1, 3]
    order = list(design_order(spec))
    assert sorted(order) == list(range(spec.grid_size))
    keys = [_variant(spec, i) for i in order]
    changes = sum(a != b for a, b in itertools.pairwise(keys))
    assert changes == 6 - 1
    for k in set(keys):
        mine = [i for i, kk in zip(order, keys) if kk == k]
        assert mine == sorted(mine)


def test_random_sample_grouped_by_variant():
    spec = spec_from_dict({"name": "o", "base": INT4, "axes": AXES, "workloads": ["deit_tiny-w4a4"],
                           "sampling": "random", "samples": 20, "seed": 1})
    order = list(design_order(spec))
    assert sorted(order) == sorted(spec.design_indices())
    keys = [_variant(spec, i) for i in order]
    assert keys == sorted(keys)


def test_numeric_only_spec_keeps_grid_order():
    spec = spec_from_dict({"name": "o", "base": INT4, "axes": {"array.rows": [16, 32], "freq_mhz": [500, 800]},
                           "workloads": ["deit_tiny-w4a4"]})
    assert list(design_order(spec)) == list(range(4))


def test_compiling_kernels_said(tmp_path, monkeypatch, capsys):
    """With a cold Numba cache the driver says so on stderr before the pool starts."""
    from simulator.model import jit

    monkeypatch.setattr(jit, "cache_ready", lambda: False)
    spec = spec_from_dict({"name": "cold", "base": INT4, "axes": {"array.rows": [16, 32]},
                           "workloads": ["deit_tiny-w4a4"]})
    run_sweep(spec, tmp_path / "r.parquet", workers=1, progress=True)
    assert "cold: compiling kernels" in capsys.readouterr().err
    monkeypatch.undo()
    jit.warm_up()                       # compiled or loaded: afterwards the disk cache holds the kernel
    assert jit.cache_ready() is True
