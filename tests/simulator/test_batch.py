"""The batch evaluator (``simulator.model.batch.evaluate``) equals the one-design path (``simulate_totals``) bit for bit.

``test_batch_equals_single_path`` draws EXAMPLES = 112 Hypothesis examples (derandomized: the same ones on every
run), each one workload and DESIGNS = 48 designs evaluated as one batch: COMBINATIONS = 112 x 48 = 5,376
(design, workload) pairs, each compared on every scalar total of ``simulator.schema.TOTAL_NAMES`` by its IEEE bits,
and on its error (the batch's message is non-empty exactly where ``simulate_totals`` raises ``ConfigError``, and
equals "field: problem" of that error).

Each example's designs mix 1-4 structures (shipped config as the base; PE type fixed / scalable / bitserial / float
in several modes and accumulator widths; dataflow os / ws / is; temporal tiling auto / off; softmax, GELU and
LayerNorm as float / integer / lut; post-softmax quantizer and bits; PPU scale bits and arithmetic; DRAM type and
pJ/bit; technology node and leakage; vector-op cost overrides) with 1-3 geometries (rows and cols 2..160, many not
powers of two; buffer KiB from fractions of a KiB, which force spills and partial-sum spills, to MiBs; fractional
GB/s; DRAM latency; clock), scaled per design (clock and bandwidth together by 1/2, 1, 2 or 1.5) and with their own
vector and PPU lanes. The numbers that reach the GEMM kernel come from few geometries per example because the
one-design path runs the plain-Python kernel: that keeps the file well under a minute and a half.
Sparsity (issue 14): design i gets SPARSITY[i % 8] (dense, 2:4 PEs, 2:4 + zero-skip, unstructured skipping, a
decompressor, SCALE-Sim's convention) without an extra draw, and DeiT-Tiny at w4a4_2of4 / w8a8_2of4 / w8a8_tokens70
joins the workloads; the coverage check asserts 2:4 weights ran on each kind of sparse design.
Network schedule (issue 12 part 5): design i gets SCHEDULE[i % 5] (vector overlap, network prefetch, fused attention;
simulator/model/schedule.py) without an extra draw either (every example of 48 designs holds each one ~10 times).
Pipelined vector lanes (``vector.pipelined``, cycles = passes per op, area of a unit per primitive op): design i gets
PIPELINED[i % 3], again without a draw (3 is prime to 8 and 5: every pipelined choice meets every sparsity kind and
schedule; the drawn cycles_per_element overrides meet both).
Workloads: DeiT-Tiny (zoo recipes, and w4a8_g128 / w8a8_token / w4a4_g64 / fp16 recipes), LeViT, EfficientViT
(zoo, and a recipe applied to a zoo file), a few Swin-Tiny; batch 1..3. The test ends by checking that the run
covered every PE type, dataflow, tiling mode, non-linear implementation, error and non-error designs, tiny
buffers, small arrays, batch > 1 and every workload family.
"""

from __future__ import annotations

import copy
import functools
import struct
from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hwconfigs
from simulator.engine import simulate_totals
from simulator.hardware import ConfigError, SparsityConfig, hardware_from_dict
from simulator.loader import load_hardware
from simulator.model.batch import DesignBatch, evaluate
from simulator.schema import TOTAL_NAMES
from simulator.tech.table import DRAM_TYPES
from workloads import build_model, load_recipe, load_workload
from workloads.io import read_structured

EXAMPLES = 112
DESIGNS = 48
COMBINATIONS = EXAMPLES * DESIGNS  # 5,376 (design, workload) pairs compared
assert COMBINATIONS >= 5000

SHIPPED = ("int8", "int4", "mixed", "fp16", "tpu_v1", "vit_hsiung28")
INT, FP = "int", "fp"
# PE sections (validated by hardware_from_dict, which derives each mode's MACs per cycle); None keeps the base's
PE_SECTIONS = {
    "base": None,
    "fixed_w8a8": {"type": "fixed", "precisions": [{"w_bits": 8, "a_bits": 8}]},
    "fixed_w16a8": {"type": "fixed", "precisions": [{"w_bits": 16, "a_bits": 8}]},
    "fixed_w4a8": {"type": "fixed", "precisions": [{"w_bits": 4, "a_bits": 8}]},  # no mode for w8a8 layers
    "scalable_8": {"type": "scalable", "precisions": [{"w_bits": 8, "a_bits": 8}, {"w_bits": 4, "a_bits": 8},
                                                      {"w_bits": 4, "a_bits": 4}, {"w_bits": 2, "a_bits": 2}]},
    "scalable_16": {"type": "scalable", "precisions": [{"w_bits": 16, "a_bits": 16}, {"w_bits": 8, "a_bits": 8},
                                                       {"w_bits": 8, "a_bits": 4}]},
    "bitserial_a": {"type": "bitserial", "serial_operand": "a", "precisions": [{"w_bits": 8, "a_bits": 8}]},
    "bitserial_w": {"type": "bitserial", "serial_operand": "w", "precisions": [{"w_bits": 8, "a_bits": 8}]},
    "bitserial_both": {"type": "bitserial", "serial_operand": "both",
                       "precisions": [{"w_bits": 8, "a_bits": 8, "macs_per_cycle": 0.25}]},
    "bitserial_a_fast": {"type": "bitserial", "serial_operand": "a",
                         "precisions": [{"w_bits": 8, "a_bits": 8, "macs_per_cycle": 1}]},
    "bitserial_w4a4": {"type": "bitserial", "serial_operand": "a", "precisions": [{"w_bits": 4, "a_bits": 4}]},
    "float_fp16": {"type": "float", "precisions": [{"dtype": "fp", "w_bits": 16, "a_bits": 16}]},
    "float_bf16": {"type": "float", "float_format": "bf16",
                   "precisions": [{"dtype": "fp", "w_bits": 16, "a_bits": 16}]},
    "float_fp32": {"type": "float", "precisions": [{"dtype": "fp", "w_bits": 32, "a_bits": 32}]},
    "float_two": {"type": "float", "precisions": [{"dtype": "fp", "w_bits": 16, "a_bits": 16, "macs_per_cycle": 2},
                                                  {"dtype": "fp", "w_bits": 32, "a_bits": 32}]},
}
# (kind, name, recipe): zoo name, analytic model + recipe, or a recipe applied to a zoo file; "heavy" ones (Swin)
# get moderate arrays and buffers
LIGHT = [("zoo", "deit_tiny-w8a8", None), ("zoo", "deit_tiny-w4a4", None), ("zoo", "deit_tiny-w4a8", None),
         ("zoo", "deit_tiny-mixed", None), ("zoo", "deit_tiny-fp16", None),
         ("model", "deit_tiny", "w4a8_g128"), ("model", "deit_tiny", "w8a8_token"), ("model", "deit_tiny", "w4a4_g64"),
         ("model", "deit_tiny", "fp16"),
         ("zoo", "levit_128s-w8a8", None), ("zoo", "levit_128s-w4a8", None),
         ("recipe", "levit_128s-w8a8", "w8a8_token"),
         ("zoo", "efficientvit_b0-w8a8", None), ("zoo", "efficientvit_b0-w4a8", None),
         ("recipe", "efficientvit_b0-w8a8", "w4a8_g128")]
LIGHT += [("model", "deit_tiny", "w4a4_2of4"), ("model", "deit_tiny", "w8a8_2of4"),   # sparse weights (issue 14)
          ("recipe", "deit_tiny-w8a8", "w8a8_tokens70")]
HEAVY = [("zoo", "swin_tiny-w8a8", None), ("zoo", "swin_tiny-w4a8", None)]
# issue 14: design i gets SPARSITY[i % 8] (no extra draw: the examples stay those of the dense test)
SPARSITY = (SparsityConfig(), SparsityConfig(), SparsityConfig(("2:4",)), SparsityConfig(("2:4",), zero_skip=True),
            SparsityConfig(unstructured=True), SparsityConfig(decompress=True),
            SparsityConfig(("2:4",), convention="scalesim"), SparsityConfig())
# issue 12 part 5: design i gets SCHEDULE[i % 5] = (vector.overlap, memory.prefetch, memory.attention), the network
# schedule (simulator/model/schedule.py); 5 is prime to 8, so every schedule meets every sparsity kind
SCHEDULE = (("none", "layer", None), ("gemm", "layer", None), ("none", "network", None), ("gemm", "network", "fused"),
            ("gemm", "network", None))
# vector.pipelined: design i gets PIPELINED[i % 3] (no extra draw)
PIPELINED = (False, True, False)


@functools.cache
def _workload(kind: str, name: str, recipe: str | None, batch: int):
    if kind == "zoo":
        w = load_workload(name)
    elif kind == "model":
        w = build_model(name, recipe)
    else:
        w = load_recipe(recipe).apply(load_workload(name))
    return w.with_batch(batch)


@functools.cache
def _shipped_mapping(name: str) -> dict:
    return read_structured(hwconfigs.find(name))


# ----------------------------------------------------------------------------- strategies
class Case(tuple):
    """(label, workload, designs) with a short repr (Hypothesis prints a failing example)."""

    def __repr__(self) -> str:
        return f"Case({self[0]}, {len(self[2])} designs: {[_describe(hw) for hw in self[2][:3]]} ...)"


@st.composite
def structures(draw):
    """A Hardware whose numbers are the base's (they are replaced per design): everything that is not NUMERIC."""
    d = copy.deepcopy(_shipped_mapping(draw(st.sampled_from(SHIPPED))))
    pe = PE_SECTIONS[draw(st.sampled_from(sorted(PE_SECTIONS)))]
    if pe is not None:
        d["pe"] = copy.deepcopy(pe)
    d["pe"]["acc_bits"] = draw(st.sampled_from((32, 32, 24, 20, 16, 48)))
    d["array"].update(dataflow=draw(st.sampled_from(("os", "ws", "is"))),
                      temporal_tiling=draw(st.sampled_from(("auto", "off"))))
    impl = st.sampled_from(("float", "integer", "lut"))
    d["nonlinear"] = {"softmax": draw(impl), "gelu": draw(impl), "layernorm": draw(impl),
                      "post_softmax": draw(st.sampled_from(("uniform", "log2", "twin_uniform")))}
    bits = draw(st.sampled_from((None, None, 4, 6, 8, 12)))
    if bits is not None:
        d["nonlinear"]["post_softmax_bits"] = bits
    d["ppu"] = {"scale_bits": draw(st.sampled_from((16, 8, 32))), "arithmetic": draw(st.sampled_from(("fixed", "float")))}
    d["dram"]["type"] = draw(st.sampled_from(DRAM_TYPES))
    epb = draw(st.sampled_from((None, None, 3.7, 12.5)))
    if epb is not None:
        d["dram"]["energy_pj_per_bit"] = epb
    d["tech"]["node_nm"] = draw(st.sampled_from((45, 28, 16, 65)))
    leak = draw(st.sampled_from((None, None, 0.0, 25.0)))
    if leak is not None:
        d["tech"]["leakage_mw_per_mm2"] = leak
    over = draw(st.sampled_from(({}, {}, {"softmax": 3.5}, {"gelu": 1.25, "layernorm": 7})))
    d["vector"] = {**d["vector"], "cycles_per_element": over}
    return hardware_from_dict(d, "test_batch")


def _kib(draw, heavy: bool) -> float:
    # the first choice is what Hypothesis tries first and shrinks towards: moderate sizes, the cheap ones
    kind = draw(st.sampled_from(("mid", "mid", "big") if heavy else ("mid", "tiny", "mid", "mid", "big")))
    if kind == "tiny":  # a fraction of a KiB to a few KiB: tiles spill, partial sums go to DRAM
        return draw(st.one_of(st.integers(1, 16).map(lambda n: n / 4), st.floats(0.2, 4.0)))
    if kind == "mid":
        return draw(st.one_of(st.integers(4, 96), st.floats(4.0, 96.0)))
    return float(draw(st.integers(97, 4096)))


def _dim(draw, heavy: bool) -> int:
    kind = draw(st.sampled_from(("mid", "mid", "large") if heavy else ("mid", "small", "mid", "mid", "large")))
    return draw({"small": st.integers(2, 8), "mid": st.integers(9, 72), "large": st.integers(73, 160)}[kind])


@st.composite
def geometries(draw, heavy: bool):
    """The numbers that reach the GEMM kernel: (rows, cols, (ifmap, weight, ofmap) KiB, GB/s, latency, MHz)."""
    return (_dim(draw, heavy), _dim(draw, heavy), (_kib(draw, heavy), _kib(draw, heavy), _kib(draw, heavy)),
            draw(st.floats(0.25, 400.0)), draw(st.integers(0, 600)), draw(st.floats(50.0, 2500.0)))


@st.composite
def cases(draw):
    """(workload label, workload, [Hardware] * DESIGNS)."""
    heavy = draw(st.integers(0, 13)) == 13  # about 1 example in 14 runs Swin
    kind, name, recipe = draw(st.sampled_from(HEAVY if heavy else LIGHT))
    batch = draw(st.sampled_from((1, 1, 2, 3) if name.startswith("deit_tiny") else (1, 1, 2)))
    hws = draw(st.lists(structures(), min_size=1, max_size=4))
    geos = draw(st.lists(geometries(heavy), min_size=1, max_size=3))
    designs = []
    for _ in range(DESIGNS):
        hw = draw(st.sampled_from(hws))
        rows, cols, kib, gbps, latency, mhz = draw(st.sampled_from(geos))
        scale = draw(st.sampled_from((1.0, 0.5, 2.0, 1.5)))  # clock and bandwidth together
        designs.append(replace(
            hw, freq_mhz=mhz * scale,
            array=replace(hw.array, rows=rows, cols=cols),
            buffers=replace(hw.buffers, ifmap_kib=kib[0], weight_kib=kib[1], ofmap_kib=kib[2]),
            dram=replace(hw.dram, bandwidth_gbps=gbps * scale, latency_cycles=latency),
            vector=replace(hw.vector, lanes=draw(st.integers(1, 512)), overlap=SCHEDULE[len(designs) % 5][0],
                           pipelined=PIPELINED[len(designs) % 3]),
            ppu=replace(hw.ppu, lanes=draw(st.one_of(st.just(cols), st.integers(1, 512)))),
            sparsity=SPARSITY[len(designs) % len(SPARSITY)],
            memory=replace(hw.memory, prefetch=SCHEDULE[len(designs) % 5][1],
                           attention=SCHEDULE[len(designs) % 5][2] or hw.memory.attention)))
    label = f"{name}" + (f"+{recipe}" if recipe else "") + f"-b{batch}"
    return Case((label, _workload(kind, name, recipe, batch), designs))


# ----------------------------------------------------------------------------- the comparison
def _bits(x: float) -> int:
    return struct.unpack("<q", struct.pack("<d", x))[0]


def both_paths(workload, hws) -> dict:
    """Both paths on every design, and how they differ: every mismatch as text (empty: identical)."""
    totals, errors = evaluate(workload, DesignBatch.from_hardware(hws))
    mismatches = []
    single_errors = []
    nan_on_runnable = []
    for i, hw in enumerate(hws):
        try:
            t = simulate_totals(workload, hw)
            expected = {name: float(t[name]) for name in TOTAL_NAMES}
            single_errors.append("")
        except ConfigError as e:
            expected = dict.fromkeys(TOTAL_NAMES, float("nan"))  # the batch's totals of a design that cannot run
            single_errors.append(f"{e.field}: {e.problem}")
        got = {name: float(totals[name][i]) for name in TOTAL_NAMES}
        mismatches += [f"design {i} {name}: batch {got[name]!r} != single {expected[name]!r}"
                       for name in TOTAL_NAMES if _bits(got[name]) != _bits(expected[name])
                       and not (np.isnan(got[name]) and np.isnan(expected[name]))]
        nan_on_runnable += [f"design {i} {name} is NaN" for name in TOTAL_NAMES
                            if not single_errors[-1] and (np.isnan(got[name]) or np.isnan(expected[name]))]
    return {"mismatches": mismatches, "nan_on_runnable": nan_on_runnable, "batch_errors": list(errors),
            "single_errors": single_errors, "n": len(totals[TOTAL_NAMES[0]]),
            "errors_nan": [bool(np.isnan(totals[name][i])) for i, e in enumerate(single_errors) if e
                           for name in TOTAL_NAMES]}


def _describe(hw) -> str:
    return (f"pe={hw.pe.type}:{[m.label for m in hw.pe.precisions]} acc={hw.pe.acc_bits} "
            f"df={hw.array.dataflow} tt={hw.array.temporal_tiling} R={hw.array.rows} C={hw.array.cols} "
            f"kib=({hw.buffers.ifmap_kib!r}, {hw.buffers.weight_kib!r}, {hw.buffers.ofmap_kib!r}) "
            f"gbps={hw.dram.bandwidth_gbps!r} lat={hw.dram.latency_cycles} mhz={hw.freq_mhz!r} "
            f"vec={hw.vector.lanes} ppu={hw.ppu.lanes} nl={hw.nonlinear}")


def test_batch_equals_single_path():
    compared = []
    seen: set = set()

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(case=cases())
    def check(case):
        label, workload, hws = case
        r = both_paths(workload, hws)
        first = r["mismatches"][:1]
        where = hws[int(first[0].split()[1])] if first else None
        assert r["mismatches"] == [], f"{label}: {r['mismatches'][:8]} ... on {_describe(where)}"
        assert r["nan_on_runnable"] == [], f"{label}: {r['nan_on_runnable'][:8]}"
        assert [bool(e) for e in r["batch_errors"]] == [bool(e) for e in r["single_errors"]], label
        assert r["batch_errors"] == r["single_errors"], label
        assert all(r["errors_nan"]), label
        assert r["n"] == len(hws) == DESIGNS
        compared.append(len(hws))
        for hw, err in zip(hws, r["single_errors"]):
            seen.update({("pe ran" if not err else "pe failed", str(hw.pe.type)), ("dataflow", str(hw.array.dataflow)),
                         ("tiling", str(hw.array.temporal_tiling)), ("error" if err else "ran", True),
                         ("softmax", hw.nonlinear.softmax), ("gelu", hw.nonlinear.gelu),
                         ("layernorm", hw.nonlinear.layernorm), ("small array", min(hw.array.rows, hw.array.cols) <= 8),
                         ("tiny buffer", min(hw.buffers.ifmap_kib, hw.buffers.weight_kib, hw.buffers.ofmap_kib) < 4),
                         ("batch>1", workload.batch > 1), ("family", label.split("_")[0]),
                         ("group/token", any(x in label for x in ("_g", "token"))),
                         ("pipelined ran" if not err else "pipelined failed", hw.vector.pipelined),
                         ("sparse run", (str(list(hw.sparsity.structured)), hw.sparsity.unstructured,
                                         hw.sparsity.decompress, hw.sparsity.convention),
                          any(layer.w_sparsity != "dense" for layer in workload.layers) and not err)})

    check()
    assert sum(compared) == COMBINATIONS
    wanted = ({("pe ran", t) for t in ("fixed", "scalable", "bitserial", "float")}
              | {("dataflow", d) for d in ("os", "ws", "is")} | {("tiling", "auto"), ("tiling", "off")}
              | {(op, i) for op in ("softmax", "gelu", "layernorm") for i in ("float", "integer", "lut")}
              | {("error", True), ("ran", True), ("small array", True), ("tiny buffer", True), ("batch>1", True),
                 ("group/token", True), ("pipelined ran", True), ("pipelined ran", False)}
              | {("family", f) for f in ("deit", "levit", "efficientvit")})   # Swin: test_swin_designs (below)
    # sparse weights on every kind of sparse design: test_sparse_designs (below). Which examples Hypothesis draws
    # changes with the modules loaded beside this test, derandomized or not (observed: with tests/workloads collected
    # it drew other examples and no sparse design ran), so that coverage is pinned by a deterministic test
    assert wanted <= seen, sorted(wanted - seen)


def test_swin_designs():
    """Swin-T (W8A8 and W4A8, batch 1 and 2) on every shipped config and on each with another geometry (a 24 x 40 ws
    array, small buffers, fractional bandwidth): bit-identical totals, the same errors. Hypothesis draws Swin in
    about one example in 14, and which examples it draws is not guaranteed run to run, so Swin is covered here."""
    base = [load_hardware(n) for n in SHIPPED]
    hws = base + [replace(hw, array=replace(hw.array, rows=24, cols=40, dataflow="ws"),
                          buffers=replace(hw.buffers, ifmap_kib=12.5, weight_kib=20.0, ofmap_kib=6.0),
                          dram=replace(hw.dram, bandwidth_gbps=7.3)) for hw in base]
    for name, batch in (("swin_tiny-w8a8", 1), ("swin_tiny-w4a8", 2)):
        r = both_paths(load_workload(name).with_batch(batch), hws)
        assert r["mismatches"] == [] and r["nan_on_runnable"] == [], (name, r["mismatches"][:8])
        assert r["batch_errors"] == r["single_errors"], name
        assert not all(r["single_errors"]), name          # most designs run
        assert r["n"] == len(hws)


def test_sparse_designs():
    """2:4 weights (DeiT-Tiny W4A4 and W8A8, batch 1 and 2) on every kind of sparse design (SPARSITY: dense, 2:4
    PEs with and without zero skipping, unstructured skipping, a decompressor, SCALE-Sim's convention) crossed with
    every network schedule (SCHEDULE) and both vector units, on int4 and int8 geometry: bit-identical totals, the
    same errors, and every sparse kind runs."""
    base = [load_hardware("int4"), load_hardware("int8")]
    hws = [replace(hw, sparsity=SPARSITY[i % len(SPARSITY)],
                   vector=replace(hw.vector, overlap=SCHEDULE[i % 5][0], pipelined=PIPELINED[i % 3]),
                   memory=replace(hw.memory, prefetch=SCHEDULE[i % 5][1],
                                  attention=SCHEDULE[i % 5][2] or hw.memory.attention))
           for hw in base for i in range(40)]
    ran: set = set()
    for recipe, batch in (("w4a4_2of4", 1), ("w8a8_2of4", 2)):
        w = _workload("model", "deit_tiny", recipe, batch)
        assert any(layer.w_sparsity != "dense" for layer in w.layers)
        r = both_paths(w, hws)
        assert r["mismatches"] == [] and r["nan_on_runnable"] == [], (recipe, r["mismatches"][:8])
        assert r["batch_errors"] == r["single_errors"], recipe
        ran |= {(tuple(hw.sparsity.structured), hw.sparsity.unstructured, hw.sparsity.decompress,
                 hw.sparsity.convention) for hw, e in zip(hws, r["single_errors"]) if not e}
    assert {(("2:4",), False, False, "hardware"), ((), True, False, "hardware"), ((), False, True, "hardware"),
            (("2:4",), False, False, "scalesim")} <= ran, sorted(ran)


def test_shipped_configs_in_one_batch():
    """Every shipped config as it is, in one batch, on an integer and a float workload: the integer-only PEs cannot
    run FP16 (the same error on both paths), everything else is bit-identical."""
    hws = [load_hardware(n) for n in SHIPPED]
    for name in ("deit_tiny-w4a8", "deit_tiny-fp16"):
        r = both_paths(load_workload(name), hws)
        assert r["mismatches"] == [] and r["nan_on_runnable"] == [], (name, r["mismatches"][:8])
        assert r["batch_errors"] == r["single_errors"], name
        assert all(r["errors_nan"]), name
        expect_errors = [name.endswith("fp16") and hw.pe.type != "float" for hw in hws]
        assert [bool(e) for e in r["single_errors"]] == expect_errors, name
