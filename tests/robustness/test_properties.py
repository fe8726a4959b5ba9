"""Property tests: random valid inputs always give finite, non-negative results; random bytes never crash the
readers. Hypothesis draws hardware from the documented ranges (well inside simulator/hardware/bounds.py, wide
enough to reach 1x1 arrays, tiny buffers and extreme bandwidths) and small workloads."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from workloads.errors import InputError

PROFILE = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PE = {
    "fixed": [{"dtype": "int", "w_bits": 8, "a_bits": 8}],
    "scalable": [{"dtype": "int", "w_bits": 8, "a_bits": 8}, {"dtype": "int", "w_bits": 4, "a_bits": 8},
                 {"dtype": "int", "w_bits": 4, "a_bits": 4}],
    "bitserial": [{"dtype": "int", "w_bits": 8, "a_bits": 8}],
}
pos = st.floats(min_value=1e-2, max_value=1e4, allow_nan=False, allow_infinity=False)


@st.composite
def hardware(draw) -> dict:
    pe_type = draw(st.sampled_from(sorted(PE)))
    return {
        "name": "random", "freq_mhz": draw(st.floats(1, 5000)),
        "array": {"rows": draw(st.integers(1, 256)), "cols": draw(st.integers(1, 256)),
                  "dataflow": draw(st.sampled_from(["os", "ws", "is"])),
                  "temporal_tiling": draw(st.sampled_from(["auto", "off"]))},
        "pe": {"type": pe_type, "acc_bits": draw(st.sampled_from([16, 24, 32])), "precisions": PE[pe_type],
               "serial_operand": draw(st.sampled_from(["a", "w", "both"]))},
        "buffers": {k: draw(st.floats(0.125, 8192)) for k in ("ifmap_kib", "weight_kib", "ofmap_kib")},
        "dram": {"bandwidth_gbps": draw(pos), "latency_cycles": draw(st.integers(0, 10_000)),
                 "type": draw(st.sampled_from(["lpddr4", "ddr4", "hbm2", "gddr5", "ddr3"]))},
        "vector": {"lanes": draw(st.integers(1, 1024))},
        "ppu": {"lanes": draw(st.integers(1, 1024)), "scale_bits": draw(st.sampled_from([8, 16, 32])),
                "arithmetic": draw(st.sampled_from(["fixed", "float"]))},
        "nonlinear": {op: draw(st.sampled_from(["float", "integer", "lut"])) for op in ("softmax", "gelu", "layernorm")},
        "tech": {"table": "horowitz45", "node_nm": draw(st.floats(5, 180)), "voltage_v": draw(st.floats(0.5, 1.5)),
                 "leakage_mw_per_mm2": draw(st.floats(0, 100))},
    }


@st.composite
def workload(draw) -> dict:
    layers = []
    for i in range(draw(st.integers(1, 5))):
        bits = draw(st.sampled_from([(8, 8), (4, 8), (4, 4)]))
        if draw(st.booleans()):
            layers.append({"name": f"g{i}", "op": draw(st.sampled_from(["gemm", "matmul", "conv"])),
                           "m": draw(st.integers(1, 600)), "n": draw(st.integers(1, 600)), "k": draw(st.integers(1, 600)),
                           "repeat": draw(st.integers(1, 6)), "w_bits": bits[0], "a_bits": bits[1],
                           "w_granularity": draw(st.sampled_from(["tensor", "channel"])),
                           "a_granularity": draw(st.sampled_from(["tensor", "token"]))})
        else:
            layers.append({"name": f"v{i}", "op": draw(st.sampled_from(["softmax", "layernorm", "gelu", "add", "mul"])),
                           "m": draw(st.integers(1, 600)), "n": draw(st.integers(1, 600)),
                           "repeat": draw(st.integers(1, 6)), "a_bits": bits[1]})
    return {"schema_version": 1, "model": "random", "layers": layers}


def _check_numbers(where: str, values: dict) -> None:
    for k, v in values.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            assert math.isfinite(v), f"{where}.{k} = {v}"
            assert v >= 0, f"{where}.{k} = {v}"


@PROFILE
@given(hw=hardware(), wl=workload())
def test_random_valid_inputs_give_finite_non_negative_results(hw, wl):
    from simulator.engine import simulate
    from simulator.hardware import hardware_from_dict
    from workloads.model import Workload

    h = hardware_from_dict(hw, "random")
    w = Workload.from_dict(wl, "random")
    try:
        r = simulate(w, h)
    except InputError:  # e.g. a layer over the fold-walk limit: refused cleanly, not a result
        assume(False)
    _check_numbers("totals", {k: r.totals[k] for k in r.totals})
    for layer in r.layer_results:
        _check_numbers(f"layers[{layer.name}]", layer.to_dict())
    r.to_json()  # the strict writer accepts it


@PROFILE
@given(hw=hardware(), wl=workload(), rows=st.lists(st.integers(1, 256), min_size=1, max_size=4, unique=True))
def test_the_batch_evaluator_gives_finite_non_negative_rows(tmp_path_factory, hw, wl, rows):
    """The sweep path (designs as columns, compiled kernel): every row that ran is finite and non-negative."""
    import yaml

    from analysis.sweep import evaluate, spec_from_dict

    d = tmp_path_factory.mktemp("w")
    (d / "w.yaml").write_text(yaml.safe_dump(wl))
    spec = spec_from_dict({"base": hw, "axes": {"array.rows": rows}, "workloads": [str(d / "w.yaml")]}, "random")
    df = evaluate(spec, workers=0)
    ran = df[df["error"] == ""]
    assert len(ran) == len(rows)
    for m in spec.metrics:
        col = ran[m].to_numpy()
        assert (col >= 0).all() and pd_finite(col), m


def pd_finite(a) -> bool:
    import numpy as np

    return bool(np.isfinite(a).all())


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_random_bytes_never_crash_the_reader(tmp_path_factory, suffix, data):
    from workloads.io import read_structured

    p = tmp_path_factory.mktemp("r") / f"x{suffix}"
    p.write_bytes(data)
    try:
        read_structured(p)
    except InputError as e:
        assert "\n" not in str(e)


@settings(max_examples=150, deadline=None)
@given(doc=st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=8),
                        lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=6), c, max_size=4),
                        max_leaves=20))
def test_random_documents_as_hardware_are_refused_in_one_line(doc):
    """Any document is either a valid hardware config or one ``InputError`` line (no other exception)."""
    from simulator.hardware import hardware_from_dict

    try:
        hardware_from_dict(doc, "random.yaml")
    except InputError as e:
        assert "\n" not in str(e)
