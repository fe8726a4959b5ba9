"""Regenerate the figures that docs/energy.md, docs/roofline.md and docs/engines.md quote, from the code that
prints them.

    python tools/gen_doc_figures.py            # rewrite every generated block
    python tools/gen_doc_figures.py --check    # exit 1 if a block is stale (tests/test_docs.py runs this)

A block sits between ``<!-- figures:NAME -->`` and ``<!-- figures:NAME end -->``; everything between is
replaced. Each block says the command or function its numbers come from. Nothing here is typed by hand but the
choice of rows (the configs, recipes and precisions shown) and the rounding.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _md(head: list[str], rows: list[list]) -> list[str]:
    return (["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            + ["| " + " | ".join(str(c) for c in r) + " |" for r in rows])


def _int4_variant(**changes):
    """hwconfigs/int4.yaml with top-level sections replaced (validated like any config)."""
    import hwconfigs
    from simulator.hardware import hardware_from_dict
    from simulator.loader import load_hardware
    from workloads.io import read_structured

    base = read_structured(hwconfigs.find("int4"))
    if not changes:
        return load_hardware("int4")
    d = dict(base)
    for key, value in changes.items():
        d[key] = {**base.get(key, {}), **value} if isinstance(value, dict) and key != "pe" else value
    return hardware_from_dict(d, "hwconfigs/int4.yaml (variant)")


# ------------------------------------------------------------------------------------------ docs/energy.md
ARRAYS = (("int8", "w8a8"), ("int4", "w4a4"), ("mixed", "mixed"), ("fp16", "fp16"))


def arrays() -> list[str]:
    from simulator import load_hardware, simulate_totals
    from workloads import load_workload

    rows = []
    for hw_name, recipe in ARRAYS:
        t = simulate_totals(load_workload(f"deit_small-{recipe}"), load_hardware(hw_name))
        parts = "/".join(f"{t[k]:.0f}" for k in ("energy_mac_uj", "energy_sram_uj", "energy_dram_uj",
                                                  "energy_vector_uj", "energy_ppu_uj", "energy_static_uj"))
        rows.append([hw_name, recipe, f"{t.latency_us:.0f}", f"{t.throughput_fps:.0f}", f"{t.energy_per_image_uj:.0f}",
                     f"{t.tops_per_w:.2f}", f"{t.tops_per_w_on_chip:.2f}", f"{t.area_mm2:.2f}", f"{t.peak_tops:.1f}",
                     f"{t.effective_tops:.2f}", f"{t.utilization:.3f}", f"{t.gemm_utilization:.3f}", parts])
    return (["`python -m simulator run <hw> --workload deit_small-<recipe> --format json` (totals):", ""]
            + _md(["hw", "workload", "latency µs", "images/s", "energy/image µJ", "TOPS/W", "on-chip TOPS/W",
                   "area mm²", "peak TOPS", "eff. TOPS", "utilization", "gemm_utilization",
                   "mac/sram/dram/vector/ppu/static µJ"], rows))


SHORT = {"mlp.act": "GELU", "mlp.fc1": "fc1", "mlp.fc2": "fc2", "attn.qkv": "qkv", "attn.softmax": "softmax",
         "attn.qk": "q@k^T", "attn.av": "attn@v", "attn.proj": "proj", "norm1": "LayerNorm 1", "norm2": "LayerNorm 2"}


def dominant() -> list[str]:
    from simulator import load_hardware, simulate
    from workloads import load_workload

    rows = []
    for hw_name, recipe in ARRAYS:
        hw = load_hardware(hw_name)
        r = simulate(load_workload(f"deit_small-{recipe}"), hw)
        cols = r.columns()
        cyc, en = defaultdict(float), defaultdict(float)
        for name, c, e in zip(cols["name"], cols["total_cycles"], cols["energy_pj"]):
            key = name.split(".", 2)[2] if name.startswith("blocks.") else name
            cyc[key] += c
            en[key] += e
        tc, te = sum(cyc.values()), sum(en.values())

        def top(d, total):
            return ", ".join(f"{SHORT.get(k, k)} {100 * v / total:.0f} %"
                             for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:4])

        rows.append([f"{hw_name} ({hw.nonlinear.softmax} non-linear)", top(cyc, tc), top(en, te)])
    return (["Which layers dominate (summed over the 12 blocks; share of total cycles | share of energy):", ""]
            + _md(["hw", "cycles", "energy"], rows))


RECIPES = (("w4a8", "w4a8 (per-channel W)"), ("w4a8_g128", "w4a8_g128"), ("w4a4", "w4a4"),
           ("w4a4_g64", "w4a4_g64 (W and A per group)"), ("w8a8", "w8a8"),
           ("w8a8_token", "w8a8_token (dynamic per-token A)"))


def knobs() -> list[str]:
    from simulator import simulate_totals
    from workloads import resolve_workload

    hw = _int4_variant()
    runs = {r: simulate_totals(resolve_workload(model="deit_small", recipe=r), hw) for r, _ in RECIPES}
    rows = [[label, f"{runs[r].latency_us:.0f}", f"{runs[r].energy_per_image_uj:.0f}",
             f"{runs[r].ppu_stall_cycles:.0f}", f"{runs[r].dram_scale_read_bytes:.0f}", f"{runs[r].energy_ppu_uj:.1f}"]
            for r, label in RECIPES]
    out = ["What the knobs buy on the int4 array (DeiT-S; `resolve_workload(model=\"deit_small\", recipe=R)` on "
           "`hwconfigs/int4.yaml` and its variants through `hardware_from_dict`):", ""]
    out += _md(["recipe", "latency µs", "energy/image µJ", "PPU stall cycles", "scale DRAM bytes", "PPU µJ"], rows)
    w44 = resolve_workload(model="deit_small", recipe="w4a4")
    rows = []
    for impl in ("float", "integer", "lut"):
        t = simulate_totals(w44, _int4_variant(nonlinear={"softmax": impl, "gelu": impl, "layernorm": impl}))
        rows.append([impl, f"{t.latency_us:.0f}", f"{t.vector_cycles:.0f}", f"{t.energy_vector_uj:.1f}",
                     f"{t.energy_per_image_uj:.0f}", f"{t.area_vector_mm2:.3f}"])
    out += [""] + _md(["non-linear impl (w4a4)", "latency µs", "vector cycles", "vector µJ", "energy/image µJ",
                       "vector mm²"], rows)
    w88 = resolve_workload(model="deit_small", recipe="w8a8")
    int8_mode = [{"dtype": "int", "w_bits": 8, "a_bits": 8}]
    pes = (("fixed INT8", {"type": "fixed", "acc_bits": 32, "precisions": int8_mode}), ("scalable", None),
           ("bit-serial (a)", {"type": "bitserial", "acc_bits": 32, "serial_operand": "a", "precisions": int8_mode}))
    rows = []
    for label, pe in pes:
        hw_v = _int4_variant(pe=pe) if pe else _int4_variant()
        for w in (w88, w44):
            t = simulate_totals(w, hw_v)
            tag = " (promoted)" if t.promoted_layers else ""
            rows.append([f"{label}, {w.recipe}{tag}", f"{t.latency_us:.0f}", f"{t.energy_per_image_uj:.0f}",
                         f"{t.energy_mac_uj:.0f}", f"{t.area_mm2:.2f}"])
    out += [""] + _md(["PE type, 64x64 os, DeiT-S", "latency µs", "energy/image µJ", "MAC µJ", "area mm²"], rows)
    g64, a4, g128, a8 = runs["w4a4_g64"], runs["w4a4"], runs["w4a8_g128"], runs["w4a8"]
    out += ["", f"Per-group W4A4 with g = 64 on both operands loads the 64-lane PPU with M · N · ceil(K/64) "
                f"rescales in the wide layers (fc1/fc2/qkv): {g64.ppu_stall_cycles / 1e3:.0f}k PPU stall cycles, "
                f"{100 * (g64.latency_us / a4.latency_us - 1):+.0f} % latency, "
                f"{100 * (g64.energy_per_image_uj / a4.energy_per_image_uj - 1):+.0f} % energy against per-channel "
                f"W4A4; per-group W4A8 at g = 128 costs "
                f"{100 * (g128.energy_per_image_uj / a8.energy_per_image_uj - 1):+.1f} % energy and "
                f"{g128.dram_scale_read_bytes / a8.dram_scale_read_bytes:.1f}x the scale bytes, "
                f"{g128.ppu_stall_cycles:.0f} PPU stall cycles."]
    return out


# ------------------------------------------------------------------------------------------ docs/roofline.md
def gpu_deit_b() -> list[str]:
    from analysis.devices import load_device
    from analysis.roofline import analyze, apply_precision
    from workloads import resolve_workload

    w = resolve_workload(model="deit_base_patch16_224")
    rows = []
    for dev_name in ("rtx4090", "h100_sxm"):
        dev = load_device(dev_name)
        for p in ("fp16", "int8", "int4"):
            for b in (1, 256):
                wp, prefer = apply_precision(w.with_batch(b), p)
                rf = analyze(wp, dev, prefer, crossover=False)
                gemms = [lr for lr in rf.layers if lr.op in ("gemm", "conv")]
                ceiling = max({lr.ceiling for lr in gemms}, key=lambda c: sum(lr.ceiling == c for lr in gemms))
                note = next((lr.note for lr in gemms if lr.note), "")
                t = rf.totals
                rows.append([dev.name, f"{p} ({ceiling}{'; ' + note if note else ''})", b,
                             f"{t['latency_s_bound']:.4g}", f"{t['throughput_fps_bound']:,.0f}",
                             f"{t['memory_bound_time_fraction']:.3f}", f"{t['attainable_tops']:.1f}"])
    return (["`python -m analysis roofline --device DEV --model deit_base_patch16_224 --precision P --batch B "
             "--format json` (totals):", ""]
            + _md(["device", "precision (GEMM ceiling)", "batch", "latency_s_bound", "throughput_fps_bound",
                   "memory_bound_time_fraction", "attainable TOPS"], rows))


# ------------------------------------------------------------------------------------------ docs/engines.md
CHIPS = (("multi_int4_mlp_int8_attn", ()), ("hybrid_gemm_dw", ()), ("quad_core", ()))


def engines() -> list[str]:
    """The shipped chips' per-engine tables as ``python -m simulator run hwconfigs/<chip>.yaml`` prints them."""
    from simulator import load_hardware, simulate
    from simulator.cli_engines import chip_title, engines_text
    from workloads import load_workload

    out = []
    for name, sets in CHIPS:
        hw = load_hardware(name, sets)
        r = simulate(load_workload(hw.default_workload), hw)
        t = r.totals
        out += [f"`python -m simulator run hwconfigs/{name}.yaml` (its default workload, {hw.default_workload}):", "",
                "```", chip_title(r), *engines_text(r, 120).rstrip("\n").split("\n"),
                f"totals: energy {t.energy_uj:,.1f} uJ, utilization {t.utilization:.4f}, area {t.area_mm2:.2f} mm2, "
                f"{t.promoted_layers:.0f} promoted layers", "```", ""]
    return out[:-1]


BLOCKS = {"energy.md": {"arrays": arrays, "dominant": dominant, "knobs": knobs},
          "roofline.md": {"gpu-deit-b": gpu_deit_b},
          "engines.md": {"engines": engines}}


def regenerate(text: str, blocks: dict) -> str:
    for name, fn in blocks.items():
        begin, end = f"<!-- figures:{name} -->", f"<!-- figures:{name} end -->"
        if begin not in text or end not in text:
            raise SystemExit(f"missing markers {begin} ... {end}")
        head, rest = text.split(begin, 1)
        text = head + begin + "\n" + "\n".join(fn()) + "\n" + end + rest.split(end, 1)[1]
    return text


def main(argv: list[str]) -> int:
    stale = []
    for doc, blocks in BLOCKS.items():
        path = DOCS / doc
        text = path.read_text()
        new = regenerate(text, blocks)
        if new != text:
            stale.append(doc)
            if "--check" not in argv:
                path.write_text(new)
                print(f"wrote {path}")
    if "--check" in argv and stale:
        print(f"stale figures in {', '.join(stale)}: run python tools/gen_doc_figures.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main(sys.argv[1:]))
