"""A generated corpus of bad inputs: field-by-field mutations of every shipped hardware and GPU config, of a
workload, a recipe, a sweep spec, SCALE-Sim config and topology files, plus alias bombs, deep nesting, oversize
files, bad command-line values and bad output places.

Each ``Case`` is one command (``argv`` for the ``main`` of a floor's CLI) run in a fresh directory holding
``files``; every case must end with exit 2, one line on stderr, no traceback and nothing written, and that line
must name the offending field or file (``expect``: patterns the line must match, so a refusal for another
reason does not pass). Mutations
that are valid after all (an optional field deleted, ``dram.latency_cycles: 0``, ...) are not cases: ``mutations``
yields everything with an ``expect_bad`` flag and ``cases`` keeps the bad ones, so the accepted ones can be
counted (benchmarks/bench_corpus.py) without a simulation per case in the test.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
HUGE_INT = 10 ** 30
HUGE_FLOAT = 1e30
BOGUS = "bogus_key_zz"

# fields where 0 is allowed (>= 0), and optional fields whose value may be null / empty
ZERO_OK = {"dram.latency_cycles", "tech.leakage_mw_per_mm2", "memory.dram.capacity_gib", "samples", "seed",
           "chunk_size"}
# free-text fields: any string is valid there (an unknown string is not a mutation of them)
FREE_TEXT = {"name", "description", "arch", "source", "default_note", "type", "default_workload", "recipe",
             "model", "label"}
FLOAT_OK_INT = set()  # integer fields that take a float with an integer value (4.0): none of our mutations use it


@dataclass
class Case:
    id: str
    cli: str                       # "simulator" | "workloads" | "analysis"
    argv: list                     # arguments; "{d}" is replaced by the case's directory
    files: object = field(default_factory=dict)  # name -> str or bytes written first (or a callable giving them)
    env: dict = field(default_factory=dict)     # environment variables for the run
    expect_bad: bool = True
    special: str = ""              # "fifo", "dir", "file" output places made by the runner
    expect: tuple = ()             # regular expressions the one stderr line must match (the field or file named)


def field_pattern(path) -> str:
    """A pattern for the dotted field ``path`` as messages write it: a list item as ``[i]``, ``.i`` or
    ``[its name]`` (layers are named by name); an item mutated as a whole may be named by its list alone."""
    parts = [str(p) for p in path]
    trailing = 0
    while parts and parts[-1].isdigit():
        parts.pop()
        trailing += 1
    out = ""
    for p in parts:
        out += r"(\[[^\]]*\]|\.\d+)" if p.isdigit() else (r"\." if out else "") + re.escape(p)
    return r"(?<![\w.])" + out + r"(\[[^\]]*\]|\.\d+)?" * trailing + r"(?![\w])"


def named(*texts: str) -> tuple:
    """``expect`` patterns for literal texts."""
    return tuple(re.escape(t) for t in texts)


def dump(data) -> str:
    return yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False, allow_unicode=True)


def _paths(node, prefix=()):
    """(path tuple, value) of every node below ``node`` (mappings and lists included), depth first."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*prefix, k), v
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield (*prefix, i), v
            yield from _paths(v, (*prefix, i))


def _set(data, path, value, delete=False):
    """A deep copy of ``data`` with ``path`` set to ``value`` (or deleted)."""
    import copy

    out = copy.deepcopy(data)
    node = out
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


def _dotted(path) -> str:
    return ".".join(str(p) for p in path)


def _generic(path) -> str:
    """``pe.precisions.0.w_bits`` -> ``pe.precisions.*.w_bits`` (list items alike)."""
    return ".".join("*" if isinstance(p, int) else str(p) for p in path)


def value_mutations(path, value, zero_ok=ZERO_OK, free_text=FREE_TEXT, choice_lists=()):
    """(kind, new value, expect_bad) for one field."""
    g = _generic(path)
    last = str(path[-1])
    if isinstance(value, bool):
        yield "wrong_type_str", "maybe", True
        yield "wrong_type_num", 2, True
    elif isinstance(value, (int, float)):
        yield "nan", math.nan, True
        yield "inf", math.inf, True
        yield "-inf", -math.inf, True
        yield "wrong_type_str", "12abc", True
        yield "wrong_type_list", [1, 2], True
        yield "wrong_type_map", {"x": 1}, True
        yield "wrong_type_bool", True, True
        yield "huge", HUGE_INT if isinstance(value, int) else HUGE_FLOAT, True
        yield "negative", -abs(value) - 1, True
        yield "zero", 0, g not in zero_ok and last not in zero_ok
    elif isinstance(value, str):
        yield "wrong_type_list", [1, 2], True
        yield "wrong_type_map", {"x": 1}, True
        if last not in free_text and g not in choice_lists:
            yield "wrong_type_num", 12345, True
            yield "unknown_value", "missing/dir/w.yaml" if g in NAME_FIELDS else "no_such_value", True
    elif isinstance(value, dict):
        yield "unknown_key", {**value, BOGUS: 1}, True
        yield "wrong_type_list", [1], True
        yield "wrong_type_str", "text", True
    elif isinstance(value, list):
        yield "wrong_type_str", "not_a_list.yaml", True
        yield "wrong_type_num", 7, True


# (kind, generic field path or (path, mutation)) that are valid after all: free-form names and metadata
ACCEPTED = {
    "gpu": {("aliases.*", m) for m in ("wrong_type_num", "unknown_value", "wrong_type_str", "huge", "negative",
                                       "zero")},            # names: strings or integers (rtx4090 has the alias 4090)
    "workload": {"meta.note", ("layers.*.sqnr_db", "huge"), ("layers.*.sqnr_db", "negative"),
                 ("layers.*.sqnr_db", "zero"), ("meta", "unknown_key")},  # meta is free-form; SQNR any finite dB
    "spec": {("axes.array.rows", "wrong_type_num"), ("axes.array.cols", "wrong_type_list"),  # one-value axes
             ("axes.dram.bandwidth_gbps", "wrong_type_list"), ("axes.dram.bandwidth_gbps.range.2", "huge")},
}
# free-name fields whose unknown value would be looked up as a timm model (imports torch: seconds): a missing
# file instead, refused as fast
NAME_FIELDS = {"workloads.*"}


def mutations(kind: str, data: dict, runner, name: str, top_unknown=True, extra_ok=None):
    """Every mutation of ``data`` as a Case: ``runner(text)`` -> (cli, argv, files)."""
    seen = set()
    extra_ok = ACCEPTED.get(kind, set()) if extra_ok is None else extra_ok
    if top_unknown:
        cli, argv, files = runner(dump({**data, BOGUS: 1}))
        yield Case(f"{kind}:{name}:{BOGUS}:unknown_key", cli, argv, files, expect=named(BOGUS))
    for path, value in _paths(data):
        for mk, new, bad in value_mutations(path, value):
            key = (_dotted(path), mk)
            if key in seen:
                continue
            seen.add(key)
            if {_generic(path), _dotted(path), (_generic(path), mk), (_dotted(path), mk)} & extra_ok:
                bad = False
            cli, argv, _ = runner("")
            files = (lambda path=path, new=new: runner(dump(_set(data, path, new)))[2])  # dumped when run
            named_as = path if kind != "spec" or path[0] != "axes" else _axis_of(data, path)
            yield Case(f"{kind}:{name}:{_dotted(path)}:{mk}", cli, argv, files, expect_bad=bad,
                       expect=(field_pattern(named_as),))


def _axis_of(spec: dict, path) -> tuple:
    """``axes.dram.bandwidth_gbps.range.0`` -> ``("axes", "dram.bandwidth_gbps")``: a sweep axis value is named by
    its axis (the message says which value)."""
    keys = sorted(spec["axes"], key=len, reverse=True)
    rest = ".".join(map(str, path[1:]))
    key = next((k for k in keys if rest == k or rest.startswith(k + ".")), None)
    return path if key is None else ("axes", key)


# ---------------------------------------------------------------------------------------------- the inputs
def shipped_hardware() -> dict[str, Path]:
    import hwconfigs

    return hwconfigs.files("accelerator")


def shipped_gpus() -> dict[str, Path]:
    import hwconfigs

    return hwconfigs.files("gpu")


def _hw_runner(text):
    return "simulator", ["run", "{d}/hw.yaml", "--workload", "deit_tiny-w8a8", "-o", "{d}/out.json",
                         "--out", "{d}/outdir"], {"hw.yaml": text}


def _gpu_runner(text):
    return "analysis", ["roofline", "--device", "{d}/gpu.yaml", "--workload", "deit_tiny-w8a8",
                        "-o", "{d}/out.json"], {"gpu.yaml": text}


def small_workload() -> dict:
    """A three-layer workload (a GEMM, an attention matmul, a softmax) from the shipped DeiT-T W8A8."""
    d = yaml.safe_load((ROOT / "workloads" / "zoo" / "deit_tiny-w8a8.yaml").read_text())
    keep = []
    for op in ("gemm", "matmul", "softmax"):
        keep.append(next(x for x in d["layers"] if x["op"] == op))
    d = {k: v for k, v in d.items() if k != "macs"}
    d["layers"] = keep
    d["meta"] = {"note": "corpus"}
    return d


def _wl_runner(text):
    return "simulator", ["run", "int8", "--workload", "{d}/w.yaml", "-o", "{d}/out.json", "--out", "{d}/outdir"], \
        {"w.yaml": text}


def small_recipe() -> dict:
    return {"name": "corpus", "description": "a recipe to mutate",
            "default": {"w_bits": 8, "a_bits": 8, "out_bits": 8, "acc_bits": 32, "dtype": "int",
                        "w_granularity": "channel", "a_granularity": "tensor"},
            "rules": [{"match": "patch_embed.*", "w_bits": 8}, {"match": "*", "op": "matmul", "w_bits": 8}]}


def _recipe_runner(text):
    return "workloads", ["build", "deit_tiny", "--recipe", "{d}/r.yaml", "-o", "{d}/w.yaml"], {"r.yaml": text}


def small_spec() -> dict:
    return {"name": "corpus", "description": "a sweep spec to mutate", "base": str(ROOT / "hwconfigs" / "int4.yaml"),
            "axes": {"array.rows": [16, 32], "array.cols": {"tie": "array.rows", "scale": 1},
                     "dram.bandwidth_gbps": {"range": [12.8, 25.6, 12.8]}},
            "workloads": ["deit_tiny-w8a8"], "batch": 1, "constraints": ["area_mm2 <= 50"],
            "objectives": ["latency_us", "energy_uj"], "sampling": "grid", "chunk_size": 0}


def _spec_runner(text):
    return "analysis", ["sweep", "{d}/s.yaml", "-o", "{d}/res.parquet", "--workers", "0", "--no-progress"], \
        {"s.yaml": text}


SPEC_OK = {("axes.array.rows", "unknown_key")}  # an axis value list gets BOGUS? no: lists have no keys


def _cfg_text() -> str:
    from simulator.scalesim_cfg import scalesim_cfg_text

    return scalesim_cfg_text("corpus", 32, 32, 64, 64, 64, "os", 10)


def _cfg_runner(text):
    return "simulator", ["run", "{d}/a.cfg", "--topology", "{d}/t.csv", "-o", "{d}/out.json"], \
        {"a.cfg": text, "t.csv": TOPOLOGY}


TOPOLOGY = "Layer, M, N, K,\nfc1, 64, 64, 64,\nconv, 16, 16, 3, 3, 8, 16, 1,\n"


def cfg_cases():
    base = _cfg_text()
    keys = ["ArrayHeight", "ArrayWidth", "IfmapSramSzkB", "FilterSramSzkB", "OfmapSramSzkB", "Bandwidth",
            "IfmapSRAMBankBandwidth", "FilterSRAMBankBandwidth"]
    lines = base.splitlines()
    for key in keys:
        for mk, new in (("nan", "nan"), ("inf", "inf"), ("-inf", "-inf"), ("text", "lots"), ("zero", "0"),
                        ("negative", "-4"), ("huge", "1e30" if "Bandwidth" in key or "Sz" in key else str(HUGE_INT)),
                        ("percent", "32%"), ("empty", "")):
            out = [f"{key}: {new}" if ln.split(":")[0].strip() == key else ln for ln in lines]
            yield Case(f"cfg:{key}:{mk}", *_cfg_runner("\n".join(out) + "\n"), expect=(_cfg_key(key),))
        out = [ln for ln in lines if ln.split(":")[0].strip() != key]
        yield Case(f"cfg:{key}:deleted", *_cfg_runner("\n".join(out) + "\n"), expect=(_cfg_key(key),))
    for mk, new in (("unknown", "rs"), ("number", "3")):
        yield Case(f"cfg:Dataflow:{mk}", *_cfg_runner(base.replace("Dataflow : os", f"Dataflow : {new}")),
                   expect=(_cfg_key("Dataflow"),))
    yield Case("cfg:InterfaceBandwidth:unknown", *_cfg_runner(base.replace("InterfaceBandwidth: USER",
                                                                           "InterfaceBandwidth: FAST")),
               expect=(_cfg_key("InterfaceBandwidth"),))
    yield Case("cfg:not_utf8", *_cfg_runner(base.replace("run_name = corpus", "run_name = corp\xe9s").encode("latin-1")),
               expect=named("a.cfg: byte "))
    yield Case("cfg:binary", *_cfg_runner(bytes(range(256)) * 4), expect=named("a.cfg: byte "))
    yield Case("cfg:no_sections", *_cfg_runner("ArrayHeight: 32\n"), expect=named("a.cfg", "no section headers"))
    yield Case("cfg:duplicate_key", *_cfg_runner(base.replace("ArrayWidth:     32", "ArrayWidth: 32\nArrayWidth: 8")),
               expect=named("a.cfg: line 7: [architecture_presets] arraywidth appears twice"))
    yield Case("cfg:empty", *_cfg_runner(""), expect=named("a.cfg: [architecture_presets]: missing section"))


def _cfg_key(key: str) -> str:
    """A SCALE-Sim key as messages name it: ``[section] Key`` (a bandwidth summed into vitsim's one DRAM port
    may be named with the others of the sum)."""
    return r"\] ([\w ]+\+ )*" + re.escape(key) + r"\b"


def topology_cases():
    def run(text):
        return "simulator", ["run", "int8", "--topology", "{d}/t.csv", "-o", "{d}/out.json"], {"t.csv": text}

    gemm = ["fc1", "64", "64", "64"]
    conv = ["conv", "16", "16", "3", "3", "8", "16", "1"]
    for kind, row in (("gemm", gemm), ("conv", conv)):
        for i in range(1, len(row)):
            for mk, new in (("nan", "nan"), ("inf", "inf"), ("text", "x"), ("zero", "0"), ("negative", "-3"),
                            ("huge", str(HUGE_INT)), ("float", "2.5")):
                r = list(row)
                r[i] = new
                ok = kind == "conv" and i == 7 and mk == "huge"  # a stride past the ifmap: one output pixel
                fld = ("Layer", "M", "N", "K") if kind == "gemm" else CONV_FIELDS
                # a huge dimension overflows the row's m * n * k, or makes the filter larger than the ifmap
                what = named(f"t.csv: line 2 {fld[i]}") if mk != "huge" else named("t.csv: line 2")
                yield Case(f"topology:{kind}:{i}:{mk}", *run("Layer, M, N, K,\n" + ", ".join(r) + ",\n"),
                           expect_bad=not ok, expect=what)
        yield Case(f"topology:{kind}:missing_field", *run("Layer, M, N, K,\n" + ", ".join(row[:-1]) + ",\n"),
                   expect=named("t.csv: line 2: "))
    for ratio in ("5:4", "0:4", "nan:4", "2:99"):
        yield Case(f"topology:sparse_ratio:{ratio}", *run(f"Layer, M, N, K,\nfc, 8, 8, 8, {ratio},\n"),
                   expect=named("t.csv: line 2 sparsity"))
    yield Case("topology:filter_larger", *run("h\nconv, 2, 2, 3, 3, 8, 16, 1,\n"),
               expect=named("t.csv: line 2 Filter Height"))
    yield Case("topology:empty", *run(""), expect=named("t.csv: file: empty topology"))
    yield Case("topology:header_only", *run("Layer, M, N, K,\n"), expect=named("t.csv: file: no layers"))
    yield Case("topology:not_utf8", *run("Layer, M, N, K,\nf\xe9, 8, 8, 8,\n".encode("latin-1")),
               expect=named("t.csv: byte "))
    yield Case("topology:no_name", *run("Layer, M, N, K,\n, 8, 8, 8,\n"), expect=named("t.csv: line 2 Layer"))


CONV_FIELDS = ("Layer", "IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width", "Channels", "Num Filter",
               "Strides")


ALIAS_BOMB = ('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
              + "".join(f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi")))


def bomb_cases():
    """Alias bombs, a recursive alias, deep nesting and an oversize file in each kind of input."""
    hw = (shipped_hardware()["int4"]).read_text()
    wl = dump(small_workload())
    cases = [("hardware", _hw_runner, hw), ("workload", _wl_runner, wl), ("recipe", _recipe_runner, dump(small_recipe())),
             ("spec", _spec_runner, dump(small_spec())), ("gpu", _gpu_runner, shipped_gpus()["rtx4090"].read_text())]
    for kind, runner, text in cases:
        f = next(iter(runner("")[2]))  # the file name
        bomb = ALIAS_BOMB.replace("a: &a", "zz_a: &a")  # keys the loaders would not know: refused before that
        yield Case(f"bomb:{kind}:alias_bomb_top", *runner(bomb + text), expect=named(f"{f}: line 7: more than"))
        field_bomb = text.replace("\nname:", "\nname: *i\nzz_name:", 1) if "\nname:" in text else None
        if field_bomb is None and text.startswith("name:"):
            field_bomb = "name: *i\nzz_name:" + text[5:]
        if field_bomb is not None:  # the bomb in the ``name`` field, as the 600-byte case
            yield Case(f"bomb:{kind}:alias_bomb_in_name", *runner(ALIAS_BOMB.replace("a: &a", "zz_a: &a")
                                                                    + field_bomb), expect=named(f"{f}: line 7: more than"))
        yield Case(f"bomb:{kind}:recursive_alias", *runner("zz: &r [*r]\n" + text), expect=named(f"{f}: line 1: alias"))
        yield Case(f"bomb:{kind}:deep_nesting", *runner("zz: " + "[" * 200_000 + "]" * 200_000 + "\n" + text),
                   expect=named(f"{f}: line 1: nested too deeply"))
        yield Case(f"bomb:{kind}:oversize", *runner(text + "#" + "x" * 60_000 + "\n"),
                   env={"VITSIM_MAX_INPUT_BYTES": "50000"}, expect=named(f"{f}: larger than", "VITSIM_MAX_INPUT_BYTES"))
        yield Case(f"bomb:{kind}:not_a_mapping", *runner("- 1\n- 2\n"), expect=named(f"{f}: top level"))
        yield Case(f"bomb:{kind}:bad_yaml", *runner("a: [1, 2\n"), expect=named(f"{f}: line 2: not valid"))
        yield Case(f"bomb:{kind}:empty", *runner(""), expect=named(f"{f}: top level"))
        yield Case(f"bomb:{kind}:python_tag", *runner("!!python/object/apply:os.system ['true']\n"),
                   expect=named(f"{f}: line 1: not valid"))


def json_cases():
    """Workloads as JSON with NaN / Infinity tokens (Python's json accepts them)."""
    import json

    d = small_workload()
    for value in (math.nan, math.inf, -math.inf):
        for key in ("m", "n", "k", "sqnr_db", "w_bits"):
            text = json.dumps(_set(d, ("layers", 0, key), value))  # NaN, Infinity, -Infinity tokens
            yield Case(f"json:workload:layers.0.{key}:{value}", "simulator",
                       ["run", "int8", "--workload", "{d}/w.json", "-o", "{d}/out.json"], {"w.json": text},
                       expect=(r"w\.json: " + field_pattern(("layers", 0, key)),))
        text = json.dumps(_set(d, ("batch",), value))
        yield Case(f"json:workload:batch:{value}", "simulator", ["run", "int8", "--workload", "{d}/w.json"],
                   {"w.json": text}, expect=named("w.json: batch: "))
    yield Case("json:deep", "simulator", ["run", "int8", "--workload", "{d}/w.json"],
               {"w.json": "[" * 100_000 + "]" * 100_000}, expect=named("w.json: nested too deeply"))


def cli_cases():
    """Bad command-line values and output places (each names the option, the value or the place)."""
    run = ["run", "int8", "--workload", "deit_tiny-w8a8"]
    for v in ("0", "-1", "nan", "x", str(HUGE_INT), "1000000000", "1e9"):
        # a batch whose layers overflow 2^53 is named by the layer and the batch that would fit
        yield Case(f"cli:run:--batch:{v}", "simulator", [*run[:2], "--model", "deit_tiny", "--batch", v, "-o",
                                                           "{d}/out.json"], expect=(r"--batch|\bbatch\b",))
    yield Case("cli:run:--columns", "simulator", [*run, "--columns", "nope"], expect=named("--columns", "'nope'"))
    yield Case("cli:run:--format", "simulator", [*run, "--format", "xml"], expect=named("--format", "'xml'"))
    yield Case("cli:run:unknown_hw", "simulator", ["run", "int9"], expect=named("hardware", "'int9'"))
    yield Case("cli:run:-o_dir", "simulator", [*run, "-o", "{d}/adir"], special="dir", expect=named("/adir: "))
    yield Case("cli:run:-o_under_file", "simulator", [*run, "-o", "{d}/afile/x.json"], special="file",
               expect=named("/afile: "))
    yield Case("cli:run:-o_deep_under_file", "simulator", [*run, "-o", "{d}/afile/x/y.json"], special="file",
               expect=named("/afile: "))
    yield Case("cli:run:-o_fifo", "simulator", [*run, "-o", "{d}/afifo"], special="fifo", expect=named("/afifo: "))
    yield Case("cli:run:-o_device", "simulator", [*run, "-o", "/dev/null"], expect=named("/dev/null: "))
    yield Case("cli:run:--out_file", "simulator", [*run, "--out", "{d}/afile"], special="file",
               expect=named("/afile: "))
    yield Case("cli:run:--out_under_file", "simulator", [*run, "--out", "{d}/afile/sub"], special="file",
               expect=named("/afile: "))
    yield Case("cli:roofline:-o_dir", "analysis", ["roofline", "--device", "rtx4090", "--workload", "deit_tiny-w8a8",
                                                   "-o", "{d}/adir"], special="dir", expect=named("/adir: "))
    yield Case("cli:sweep:-o_file", "analysis", ["sweep", "{d}/s.yaml", "-o", "{d}/afile", "--workers", "0"],
               {"s.yaml": dump(small_spec())}, special="file", expect=named("/afile: "))
    for v in ("-1", str(HUGE_INT)):
        yield Case(f"cli:sweep:--workers:{v}", "analysis", ["sweep", "{d}/s.yaml", "-o", "{d}/res.parquet",
                                                             "--workers", v], {"s.yaml": dump(small_spec())},
                   expect=named("--workers", v))
    yield Case("cli:sweep:--chunk-size:0", "analysis", ["sweep", "{d}/s.yaml", "-o", "{d}/res.parquet",
                                                         "--chunk-size", "0"], {"s.yaml": dump(small_spec())},
               expect=named("--chunk-size"))
    yield Case("cli:build:--batch:huge", "workloads", ["build", "deit_tiny", "--batch", str(HUGE_INT), "-o",
                                                       "{d}/w.yaml"], expect=(r"\bbatch\b",))
    yield Case("cli:build:--img-size:nan", "workloads", ["build", "deit_tiny", "--img-size", "nan", "-o",
                                                         "{d}/w.yaml"], expect=named("--img-size", "'nan'"))
    yield Case("cli:build:-o_suffix", "workloads", ["build", "deit_tiny", "-o", "{d}/w.txt"], expect=named("w.txt"))
    yield Case("cli:env:VITSIM_MAX_FOLDS", "simulator", [*run, "-o", "{d}/out.json"],
               env={"VITSIM_MAX_FOLDS": "nan"}, expect=named("VITSIM_MAX_FOLDS", "'nan'"))
    yield Case("cli:run:--workload_empty", "simulator", [*run[:2], "--workload", ""], expect=named("--workload"))
    yield Case("cli:run:-o_trailing_slash", "simulator", [*run, "-o", "{d}/x.json/"], expect=named("x.json/: "))
    yield Case("cli:run:-o_unknown_suffix", "simulator", [*run, "-o", "{d}/o.xlsx"], expect=named("'.xlsx'"))


def oversize_cases():
    """Work refused before it starts: sweep axes and points, fold walks, layer products."""
    spec = small_spec()
    for mk, axis in (("range_1e9", {"range": [1, 1_000_000_000, 1]}), ("log_num", {"log_range": [1, 1e6], "num": 10 ** 8}),
                     ("factor", {"log_range": [1, 1e300], "factor": 1.0000001})):
        s = dict(spec, axes={"array.rows": axis})
        yield Case(f"oversize:axis:{mk}", *_spec_runner(dump(s)), expect=named("s.yaml: axes.array.rows.",
                                                                                "VITSIM_MAX_AXIS_VALUES"))
    s = dict(spec, axes={"array.rows": {"range": [1, 1000]}, "array.cols": {"range": [1, 1000]},
                         "buffers.weight_kib": {"range": [1, 1000]}})
    yield Case("oversize:points", *_spec_runner(dump(s)), expect=named("s.yaml: axes: ", "VITSIM_MAX_POINTS"))
    one = yaml.safe_load(shipped_hardware()["int4"].read_text())
    one["array"].update(rows=1, cols=1)
    yield Case("oversize:folds_vit_huge_b1024_1x1", "simulator",
               ["run", "{d}/hw.yaml", "--model", "vit_huge", "--recipe", "w4a4", "--batch", "1024", "-o", "{d}/o.json"],
               {"hw.yaml": dump(one)}, expect=named("hw.yaml: array: ", "VITSIM_MAX_FOLDS"))
    w = small_workload()
    w["layers"][0]["k"] = 2 ** 54
    yield Case("oversize:k_2^54", *_wl_runner(dump(w)), expect=(r"w\.yaml: " + field_pattern(("layers", 0, "k")),))
    yield Case("oversize:topology_rows", "simulator", ["run", "int8", "--topology", "{d}/t.csv"],
               lambda: {"t.csv": "Layer, M, N, K,\n" + "".join(f"l{i}, 8, 8, 8,\n" for i in range(101))},
               env={"VITSIM_MAX_LAYERS": "100"}, expect=named("t.csv: line 102: more than 100 layers"))
    yield Case("oversize:cfg_lines", *_cfg_runner(_cfg_text() + "".join(f"[s{i}]\n" for i in range(100))),
               env={"VITSIM_MAX_CFG_ENTRIES": "100"}, expect=named("a.cfg: line ", "VITSIM_MAX_CFG_ENTRIES"))


def all_mutations():
    """Every generated input (bad and accepted), in a stable order."""
    for name, path in shipped_hardware().items():
        data = yaml.safe_load(path.read_text())
        yield from mutations("hardware", data, _hw_runner, name)
    for name, path in shipped_gpus().items():
        data = yaml.safe_load(path.read_text())
        yield from mutations("gpu", data, _gpu_runner, name)
    yield from mutations("workload", small_workload(), _wl_runner, "deit_tiny3")
    yield from mutations("recipe", small_recipe(), _recipe_runner, "corpus")
    yield from mutations("spec", small_spec(), _spec_runner, "corpus")
    yield from cfg_cases()
    yield from topology_cases()
    yield from bomb_cases()
    yield from json_cases()
    yield from cli_cases()
    yield from oversize_cases()


def cases(full: bool = False) -> list[Case]:
    """The bad inputs. ``full``: every mutation of every field (benchmarks/bench_corpus.py). Otherwise (the test,
    under a minute): every field of every shipped config with one mutation, the kinds taken in turn, every
    mutation of every field of int4.yaml and rtx4090.yaml, and all the other cases."""
    out, groups = [], {}
    for c in all_mutations():
        if not c.expect_bad:
            continue
        kind, name, fld = (c.id.split(":") + ["", ""])[:3]
        if full or kind not in ("hardware", "gpu") or name in ("int4", "rtx4090"):
            out.append(c)
        else:
            groups.setdefault((kind, name, fld), []).append(c)
    out += [group[i % len(group)] for i, group in enumerate(groups.values())]
    return out


# ---------------------------------------------------------------------------------------------- running a case
MAINS = {"simulator": "simulator.cli", "workloads": "workloads.cli", "analysis": "analysis.cli"}


def prepare(case: Case, d: Path) -> list[str]:
    """Write the case's files and output places into ``d``; its argv with ``{d}`` filled in."""
    import os

    files = case.files() if callable(case.files) else case.files
    for name, content in files.items():
        p = d / name
        p.write_bytes(content) if isinstance(content, bytes) else p.write_text(content, encoding="utf-8")
    if case.special == "dir":
        (d / "adir").mkdir()
    elif case.special == "file":
        (d / "afile").write_text("keep me\n")
    elif case.special == "fifo":
        os.mkfifo(d / "afifo")
    return [a.replace("{d}", str(d)) for a in case.argv]


def snapshot(d: Path) -> dict:
    """Every path under ``d`` with its size (FIFOs: -1): what a failed run must leave as it was."""
    out = {}
    for p in sorted(d.rglob("*")):
        out[str(p.relative_to(d))] = -1 if p.is_fifo() else (p.stat().st_size if p.is_file() else 0)
    return out


def run_in_process(case: Case, d: Path) -> tuple[int, str, str]:
    """Run the case through its CLI's ``main`` and ``run_main`` in this process: (exit code, stdout, stderr)."""
    import contextlib
    import importlib
    import io
    import os

    from workloads.cli_common import run_main

    argv = prepare(case, d)
    main = importlib.import_module(MAINS[case.cli]).main
    out, err = io.StringIO(), io.StringIO()
    old = {k: os.environ.get(k) for k in case.env}
    os.environ.update(case.env)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = run_main(main, argv)
            except SystemExit as e:  # argparse usage errors
                rc = e.code if isinstance(e.code, int) else 1
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return rc, out.getvalue(), err.getvalue()


def problems(rc: int, stderr: str, before: dict, after: dict, expect: tuple = ()) -> list[str]:
    """What is wrong with a run of a bad input (empty: exit 2, one line, no traceback, nothing written, the line
    matching every pattern of ``expect``: the field or file named)."""
    bad = [f"the message does not name {p!r}" for p in expect if not re.search(p, stderr)]
    if rc != 2:
        bad.append(f"exit {rc}")
    lines = stderr.strip().splitlines()
    if len(lines) != 1:
        bad.append(f"{len(lines)} lines on stderr")
    if "Traceback" in stderr:
        bad.append("traceback")
    if after != before:
        bad.append(f"files changed: {sorted(set(after) ^ set(before)) or 'sizes'}")
    return bad
