"""Run the published-design rows of docs/validation-designs.md and regenerate their tables.

    python tools/validate_designs.py            # rewrite the calibration and validation tables (every row of
                                                # tools/validation_rows.yaml, run by tools/validation_rows.py), the
                                                # NVDLA, ME-ViT and TPU v1 detail blocks, resnet50_fused-w8a8, the TPU
                                                # v1 application workloads (tools/tpu_v1_apps.py) and the validation
                                                # designs' workloads (tools/published_workloads.py)
    python tools/validate_designs.py --check    # exit 1 if any is stale (tests/simulator/test_nvdla.py runs this)

The two tables sit between ``<!-- figures:calibration -->`` / ``<!-- figures:validation -->`` and their ends; each row
is simulated here and its ratio and band printed as they are. The bands themselves are asserted by
tests/simulator/test_validation_rows.py, so a change that moves a row outside its band fails a test, not only this
check.

NVDLA: every row of the NVDLA Primer's ResNet-50 table (docs/reference/nvdla_primer/resnet50.csv) is run as
``python -m simulator run nvdla_<MACs>`` (hwconfigs/published/nvdla_<MACs>.yaml, default workload
``resnet50_fused-w8a8``). The block sits between ``<!-- figures:nvdla -->`` and ``<!-- figures:nvdla end -->``;
nothing in it is typed by hand.

ME-ViT: the latencies of Table III of arXiv:2402.09709v1 (docs/reference/me_vit/README.md) against ``python -m
simulator run me_vit`` (hwconfigs/published/me_vit.yaml, ``vit_base_256-w8a8``) at each published clock, and again
with each assumed or modelled choice undone (``ME_VIT_VARIANTS``); between ``<!-- figures:me_vit -->`` and its end.

The workload: ``workloads/zoo/resnet50-w8a8.yaml`` is timm's resnet50 as traced (``python -m workloads trace
resnet50 --recipe w8a8 --quantize``): every batch norm and ReLU is a layer of its own. NVDLA runs them in the SDP on
the convolution's output as it leaves the accumulator (batch norm folded into the per-channel scale and bias, ReLU
after it), so they move no data of their own; ``fuse_into_convs`` drops them (MACs unchanged) and writes
``workloads/zoo/resnet50_fused-w8a8.yaml``. Residual adds (the SDP's element-wise input), max and average pooling
(PDP) and the classifier stay.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "validation-designs.md"
TABLE = ROOT / "docs" / "reference" / "nvdla_primer" / "resnet50.csv"
TRACED = ROOT / "workloads" / "zoo" / "resnet50-w8a8.yaml"
FUSED = ROOT / "workloads" / "zoo" / "resnet50_fused-w8a8.yaml"
FUSED_OPS = (".batch_norm", ".relu")   # elementwise layers the SDP applies on the fly
OTHER_CLOCKS_MHZ = (800, 1200)
OTHER_SPLITS = (0.25, 0.75)            # share of the convolution buffer given to input data (the configs: 0.5)
TARGET = 0.25                          # within 25 % of the published throughput
FUSED_HEADER = """\
# ResNet-50 (timm resnet50: the stride on the 3x3 convolution, "v1.5"), INT8 (w8a8), as NVDLA runs it: derived from
# resnet50-w8a8.yaml (traced) by tools/validate_designs.py, which drops the {n_bn} batch norm and {n_relu} ReLU layers
# that the SDP applies to the convolution's output on the fly (batch norm folded into the per-channel scale and bias).
# Residual adds, max/average pooling and the classifier are kept; MACs unchanged ({macs:,}).
"""


def read_table(path: Path = TABLE) -> list[dict]:
    """The primer's rows, as numbers (``macs`` int, the rest float)."""
    with path.open() as f:
        return [{k: int(v) if k == "macs" else float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def fuse_into_convs(w):
    """``w`` without its batch-norm and ReLU elementwise layers (SDP on the fly), model ``<model>_fused``."""
    fused = [x.op == "elementwise" and x.name.endswith(FUSED_OPS) for x in w.layers]
    drop = [x for x, f in zip(w.layers, fused) if f]
    keep = tuple(x for x, f in zip(w.layers, fused) if not f)
    source = f"derived from {w.name} (tools/validate_designs.py: batch norm and ReLU fused into the convolutions)"
    return replace(w, model=f"{w.model}_fused", layers=keep, source=source), drop


def fused_workload():
    """(the fused workload, the layers dropped) from the traced zoo file."""
    from workloads.model import Workload

    return fuse_into_convs(Workload.load(TRACED))


def fused_text() -> str:
    from workloads.model import dump_yaml

    fused, drop = fused_workload()
    n_bn = sum(x.name.endswith(".batch_norm") for x in drop)
    header = FUSED_HEADER.format(n_bn=n_bn, n_relu=len(drop) - n_bn, macs=fused.macs)
    return header + dump_yaml(fused.to_dict())


def _hardware(name: str, freq_mhz: float | None = None, data_share: float | None = None, conv: str | None = None):
    """A shipped config, or a variant at another clock, another split of the convolution buffer (ifmap share of
    ifmap + weight) or another ``memory.conv``, validated like any config."""
    import hwconfigs
    from simulator.hardware import hardware_from_dict
    from simulator.loader import load_hardware
    from workloads.io import read_structured

    if freq_mhz is None and data_share is None and conv is None:
        return load_hardware(name)
    d = dict(read_structured(hwconfigs.find(name)))
    if freq_mhz is not None:
        d["freq_mhz"] = freq_mhz
    if data_share is not None:
        b = d["buffers"]
        total = b["ifmap_kib"] + b["weight_kib"]
        d["buffers"] = {**b, "ifmap_kib": total * data_share, "weight_kib": total * (1 - data_share)}
    if conv is not None:
        d["memory"] = {**d.get("memory", {}), "conv": conv}
    return hardware_from_dict(d, f"hwconfigs/published/{name}.yaml (variant)")


def compulsory_mb(w, hw) -> float:
    """MB per frame if every layer read its inputs and wrote its output once (simulator/model/traffic.py)."""
    from simulator.model.traffic import compulsory_dram_bytes

    tiles = hw.memory.conv == "tiles"   # a conv with geometry reads its input once, not its im2col matrix
    return sum(sum(compulsory_dram_bytes(x, scale_bits=hw.ppu.scale_bits, conv_tiles=tiles).values())
               for x in w.layers) / 1e6


def nvdla_row(row: dict, w) -> dict:
    """One row: the simulated frame rate, DRAM, area and where the time goes."""
    from simulator import simulate

    name = f"nvdla_{row['macs']}"
    hw = _hardware(name)
    r = simulate(w, hw)
    t, cols = r.totals, r.columns()
    total = sum(cols["total_cycles"])
    conv = [i for i, op in enumerate(cols["op"]) if op in ("conv", "gemm")]
    dram_bound = sum(cols["total_cycles"][i] for i in conv if cols["dram_cycles"][i] > cols["compute_cycles"][i])
    others = {f: _simulate_fps(w, _hardware(name, freq_mhz=f)) / row["int8_resnet50_fps"] for f in OTHER_CLOCKS_MHZ}
    splits = {s: _simulate_fps(w, _hardware(name, data_share=s)) / row["int8_resnet50_fps"] for s in OTHER_SPLITS}
    im2col = _simulate_fps(w, _hardware(name, conv="im2col")) / row["int8_resnet50_fps"]
    return {"row": row, "hw": hw, "fps": t.throughput_fps, "dram_mb": (t.dram_read_bytes + t.dram_write_bytes) / 1e6,
            "compulsory_mb": compulsory_mb(w, hw), "area_mm2": t.area_mm2, "gemm_utilization": t.gemm_utilization,
            "dram_bound_share": dram_bound / total, "vector_share": t.vector_cycles / total, "other_clocks": others,
            "other_splits": splits, "im2col": im2col, "layers": _excess(w, hw, cols)}


def _excess(w, hw, cols: dict, top: int = 3) -> list[str]:
    """The ``top`` groups of layers (block index replaced by ``*``) moving the most DRAM bytes above compulsory, each
    as text: layers, DRAM MB against compulsory MB, input and filter MB read, and the convolution plan of the group's
    first layer (loop order, filter groups, output rows per input tile)."""
    import re

    from simulator.model.traffic import compulsory_dram_bytes

    groups: dict[str, dict] = {}
    for i, x in enumerate(w.layers):
        g = groups.setdefault(re.sub(r"\.\d+\.", ".*.", x.name), {"first": i, "n": 0, "dram": 0.0, "comp": 0.0,
                                                                 "in": 0.0, "filt": 0.0})
        comp = compulsory_dram_bytes(x, scale_bits=hw.ppu.scale_bits, conv_tiles=hw.memory.conv == "tiles")
        g["n"] += 1
        g["dram"] += (cols["dram_read_bytes"][i] + cols["dram_write_bytes"][i]) / 1e6
        g["comp"] += sum(comp.values()) / 1e6
        g["in"] += cols["dram_ifmap_read_bytes"][i] / 1e6
        g["filt"] += cols["dram_filter_read_bytes"][i] / 1e6
    out = []
    for k, g in sorted(groups.items(), key=lambda kv: kv[1]["comp"] - kv[1]["dram"])[:top]:
        i = g["first"]
        plan = (f"; {cols['conv_loop_order'][i].replace('_', ' ')}, {cols['conv_filter_groups'][i]} filter groups, "
                f"input tiles of {cols['conv_tile_rows'][i]} output rows" if cols["conv_loop_order"][i] else "")
        out.append(f"`{k}` ({g['n']} layers: {g['dram']:.1f} MB against {g['comp']:.1f} MB; input {g['in']:.1f} MB, "
                   f"filters {g['filt']:.1f} MB read{plan})")
    return out


def _simulate_fps(w, hw) -> float:
    from simulator import simulate_totals

    return simulate_totals(w, hw).throughput_fps


def _why(x: dict) -> str:
    ratio = x["fps"] / x["row"]["int8_resnet50_fps"]
    where = (f"{100 * x['dram_bound_share']:.0f} % of the time in DRAM-bound convolutions, "
             f"array {100 * x['gemm_utilization']:.0f} % busy in the convolutions")
    moves = x["dram_mb"] / x["compulsory_mb"]
    verdict = "within 25 %" if abs(ratio - 1) <= TARGET else "**outside 25 %**"
    return f"{verdict}: {where}; DRAM {moves:.2f}x compulsory"


def nvdla_block() -> list[str]:
    w = fused_workload()[0]   # what workloads/zoo/resnet50_fused-w8a8.yaml holds when it is fresh
    rows = [nvdla_row(r, w) for r in read_table()]
    head = ["MACs (array)", "conv. buffer KB", "SDRAM GB/s", "published frames/s", "vitsim frames/s", "ratio",
            "ratio at " + " / ".join(f"{f} MHz" for f in OTHER_CLOCKS_MHZ),
            "ratio with " + " / ".join(f"{s:g}" for s in OTHER_SPLITS) + " of the buffer for data",
            "ratio with im2col convs", "DRAM MB/frame (vitsim / compulsory)",
            "area mm² (published / vitsim)", "why"]
    body = []
    for x in rows:
        r, hw = x["row"], x["hw"]
        body.append([f"{r['macs']} ({hw.array.rows} x {hw.array.cols})", f"{r['conv_buffer_kb']:g}",
                     f"{r['sdram_bandwidth_gbps']:g}", f"{r['int8_resnet50_fps']:g}", f"{x['fps']:.1f}",
                     f"**{x['fps'] / r['int8_resnet50_fps']:.2f}**",
                     " / ".join(f"{x['other_clocks'][f]:.2f}" for f in OTHER_CLOCKS_MHZ),
                     " / ".join(f"{x['other_splits'][s]:.2f}" for s in OTHER_SPLITS), f"{x['im2col']:.2f}",
                     f"{x['dram_mb']:.1f} / {x['compulsory_mb']:.1f}", f"{r['area_mm2_28nm']:g} / {x['area_mm2']:.2f}",
                     _why(x)])
    ratios = [x["fps"] / x["row"]["int8_resnet50_fps"] for x in rows]
    within = sum(abs(q - 1) <= TARGET for q in ratios)
    excess: dict[str, list[str]] = {}
    for x in rows:
        text = "; ".join(x["layers"])
        excess.setdefault(text, []).append(f"nvdla_{x['row']['macs']}")
    notes = [f"- {', '.join(names)}: {text}" for text, names in excess.items()]
    return ([f"`python -m simulator run nvdla_<MACs>` (workload `{w.name}`: {len(w.layers)} layers, "
             f"{w.macs:,} MACs; clock 1000 MHz, an assumption; generated by `python tools/validate_designs.py`):", ""]
            + _md(head, body)
            + ["", f"{within} of {len(rows)} rows within 25 % of the published frame rate; ratios "
                   f"{min(ratios):.2f} to {max(ratios):.2f}.", "",
               "Where the DRAM bytes above compulsory are (the three groups of layers with the most; DRAM MB as "
               "simulated against compulsory MB, per frame; the convolution plan of the group's first layer, "
               "docs/memory.md):", ""] + notes)


# ME-ViT (arXiv:2402.09709v1, Table III; docs/reference/me_vit/README.md): published latency of one ME-PE on ViT-B
# at 256 px, per clock; the config is hwconfigs/published/me_vit.yaml (designed for 300 MHz).
ME_VIT_ROWS = ((300, 41.69, 23.98), (150, 83.38, 11.99))   # (freq_mhz, latency ms, FPS) as printed
ME_VIT_VARIANTS = (   # (column, patch to hwconfigs/published/me_vit.yaml): each ASSUMED or modelled choice undone
    ("ws dataflow", {"array": {"dataflow": "ws"}}),
    ("serial folds", {"array": {"folds": "serial"}}),
    ("vector not overlapped", {"vector": {"overlap": "none"}}),
    ("1 MAC per DSP", {"pe": {"precisions": [{"dtype": "int", "w_bits": 8, "a_bits": 8, "macs_per_cycle": 1}]}}),
    ("activations via DRAM", {"memory": {"activations": "dram"}}),
)


def _patched(name: str, patch: dict):
    """A shipped config with ``patch`` merged in (dicts merged key by key, anything else replaced), validated like
    any config."""
    import hwconfigs
    from simulator.hardware import hardware_from_dict
    from workloads.io import read_structured

    def merge(a: dict, b: dict) -> dict:
        return {**a, **{k: merge(a[k], v) if isinstance(v, dict) and isinstance(a.get(k), dict) else v
                        for k, v in b.items()}}

    return hardware_from_dict(merge(dict(read_structured(hwconfigs.find(name))), patch),
                              f"hwconfigs/published/{name}.yaml (variant)")


def me_vit_block() -> list[str]:
    from simulator import simulate_totals
    from simulator.loader import load_hardware
    from workloads import load_workload

    hw = load_hardware("me_vit")
    w = load_workload(hw.default_workload)
    head = ["clock MHz", "published ms (FPS)", "vitsim ms (FPS)", "ratio"] + [f"ratio with {v}" for v, _ in
                                                                             ME_VIT_VARIANTS]
    body, ratios = [], []
    for f, ms, fps in ME_VIT_ROWS:
        t = simulate_totals(w, _patched("me_vit", {"freq_mhz": f}))
        ratio = ms / (t.latency_us / 1e3)
        ratios.append(ratio)
        alt = [ms / (simulate_totals(w, _patched("me_vit", {"freq_mhz": f, **p})).latency_us / 1e3)
               for _, p in ME_VIT_VARIANTS]
        body.append([f"{f}", f"{ms:g} ({fps:g})", f"{t.latency_us / 1e3:.2f} ({t.throughput_fps:.2f})",
                     f"**{ratio:.2f}**"] + [f"{q:.2f}" for q in alt])
    t = simulate_totals(w, hw)
    ideal = w.macs / (hw.array.rows * hw.array.cols * 2)
    within = sum(abs(q - 1) <= TARGET for q in ratios)
    return ([f"`python -m simulator run me_vit` (workload `{hw.default_workload}`: {len(w.layers)} layers, "
             f"{w.macs:,} MACs; "
             "ratio = published latency / vitsim latency = vitsim FPS / published FPS; generated by "
             "`python tools/validate_designs.py`):", ""] + _md(head, body)
            + ["", f"{within} of {len(ratios)} rows within 25 %. At 300 MHz: {t.total_cycles:,.0f} cycles = "
                   f"{t.compute_cycles:,.0f} compute (GEMMs and vector) - {t.overlap_hidden_cycles:,.0f} vector "
                   f"cycles hidden beside the array + {t.stall_cycles:,.0f} stall; all MACs at 2 per PE per cycle "
                   f"would take {ideal:,.0f} cycles "
                   f"({ideal / hw.freq_mhz / 1e3:.2f} ms against the published theoretical 37.86); array "
                   f"{100 * t.gemm_utilization:.1f} % busy over the GEMMs; DRAM "
                   f"{(t.dram_read_bytes + t.dram_write_bytes) / 1e6:.1f} MB per frame."])


def _num(v: float) -> str:
    """A predicted value as the tables print it: grouped integers from 100 up, else 3-4 significant digits."""
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def rows_block(table: str) -> list[str]:
    """The calibration or the validation table, every row simulated now (tools/validation_rows.py)."""
    import validation_rows as V

    rows = V.load_rows()[table]
    head = ["design", "quantity", "published (source)", "vitsim", "ratio", "band", "status"]
    head += ["calibration because"] if table == "calibration" else ["committed before its first run"]
    head += ["why they differ"]
    body, ratios = [], []
    for r in rows:
        p = V.run_row(r)
        q = V.ratio(r, p)
        ratios.append(q)
        lo, hi = r["band"]
        inside = "" if lo <= q <= hi else " **outside its band**"
        status = ("within 25 %" if V.meets(q) else "**miss**") + inside
        extra = r["kind"] if table == "calibration" else f"`{r['committed'][:10]}`"
        body.append([r["design"], r["quantity"], f"{r['published']:g} {r['unit']} ({r['source']})",
                     f"{_num(p)} {r['unit']}", f"**{q:.2f}**", f"{lo:g} - {hi:g}", status, extra, r["why"]])
    within = sum(V.meets(q) for q in ratios)
    designs = len({r["config"] for r in rows})
    return _md(head, body) + ["", f"{within} of {len(rows)} rows within 25 % ({designs} configs); ratios "
                                  f"{min(ratios):.2f} to {max(ratios):.2f}."]


def _md(head: list[str], rows: list[list]) -> list[str]:
    return (["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            + ["| " + " | ".join(str(c) for c in r) + " |" for r in rows])


def regenerate(text: str, name: str, lines: list[str]) -> str:
    begin, end = f"<!-- figures:{name} -->", f"<!-- figures:{name} end -->"
    if begin not in text or end not in text:
        raise SystemExit(f"{DOC}: missing markers {begin} ... {end}")
    head, rest = text.split(begin, 1)
    return head + begin + "\n" + "\n".join(lines) + "\n" + end + rest.split(end, 1)[1]


def main(argv: list[str]) -> int:
    check = "--check" in argv
    sys.path.insert(0, str(ROOT / "tools"))     # tools/ is not a package: its siblings
    import published_workloads
    import tpu_v1_apps

    stale = []
    fused = fused_text()
    if not FUSED.exists() or FUSED.read_text() != fused:
        stale.append(str(FUSED.relative_to(ROOT)))
        if not check:
            FUSED.write_text(fused)
    for path, body in {**tpu_v1_apps.zoo_files(), **published_workloads.zoo_files()}.items():
        if not path.exists() or path.read_text() != body:
            stale.append(str(path.relative_to(ROOT)))
            if not check:
                path.write_text(body)
    text = DOC.read_text()
    new = regenerate(regenerate(text, "nvdla", nvdla_block()), "me_vit", me_vit_block())
    new = regenerate(new, "tpu_v1", tpu_v1_apps.block(_md))
    new = regenerate(regenerate(new, "calibration", rows_block("calibration")), "validation", rows_block("validation"))
    if new != text:
        stale.append(str(DOC.relative_to(ROOT)))
        if not check:
            DOC.write_text(new)
    if check and stale:
        print(f"stale: {', '.join(stale)}: run python tools/validate_designs.py", file=sys.stderr)
        return 1
    for s in stale:
        print(f"wrote {s}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main(sys.argv[1:]))
