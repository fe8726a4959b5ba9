"""``python -m analysis report`` (``vitsim report``): one self-contained HTML page for a run, a sweep or a
comparison of two runs (analysis/report/)."""

from __future__ import annotations

import sys
from pathlib import Path

from workloads.errors import InputError

DEFAULT_DIR = "results"


def add_parser(sub) -> None:
    p = sub.add_parser(
        "report", help="one self-contained HTML report: a run, a sweep (--sweep) or two runs (--compare)",
        description="Write one HTML file (inline CSS and SVG, nothing fetched: open it from disk, mail it, print "
                    "it). A run: HW and a workload as for 'run' (the config's default workload without one). "
                    "--sweep RESULTS: the Pareto fronts of a sweep. --compare OTHER: the run against the same "
                    "workload on another design (hw:NAME, or a hardware name or path) or the same design at "
                    "another recipe (recipe:NAME, or a recipe name).")
    p.add_argument("hardware", metavar="HW", nargs="?",
                   help="hardware: a shipped name (int4, tpu_v1, ...) or a YAML / SCALE-Sim .cfg path")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--workload", metavar="FILE|NAME", help="workload file, zoo name (deit_small-w4a4) or model")
    src.add_argument("--model", metavar="NAME", help="model: an analytic preset (deit_small, ...) or a timm model")
    src.add_argument("--topology", metavar="CSV", help="SCALE-Sim topology CSV")
    p.add_argument("--recipe", metavar="R", help="quantization recipe (a shipped name or a YAML file)")
    p.add_argument("--batch", type=int, help="images per batch (rescales the workload)")
    p.add_argument("--sweep", metavar="RESULTS", help="a sweep's results directory (analysis sweep -o)")
    p.add_argument("--objectives", metavar="A,B[,C]", help="with --sweep: objectives (default: the spec's)")
    p.add_argument("--compare", metavar="OTHER",
                   help="a second run: hw:NAME|PATH (another design), recipe:NAME|PATH (another precision) or "
                        "gpu:NAME (a GPU: rtx4090, a100 ...: latency, images/s, energy per image side by side); a "
                        "bare name is looked up among all three")
    p.add_argument("--gpu-framework", default="tensorrt", metavar="NAME",
                   help="with --compare GPU: the GPU's runtime profile (tensorrt, torch_compile, pytorch_eager_amp; "
                        "default %(default)s, the stack quantized models are deployed with)")
    from simulator.overrides import add_set_arg

    add_set_arg(p)
    p.add_argument("-o", "--output", metavar="FILE.html",
                   help=f"the HTML file (default: {DEFAULT_DIR}/report-<name>.html in the current directory)")
    p.set_defaults(func=cmd_report, default_format="html")


def _out_path(args, name: str) -> Path:
    if args.output:
        out = Path(args.output)
        if out.suffix.lower() not in (".html", ".htm"):
            raise InputError("-o", "output", f"{args.output!r}: a report is HTML", "a .html or .htm file")
        return out
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return Path(DEFAULT_DIR) / f"report-{safe}.html"


def _run(args, hardware: str, recipe: str | None = None):
    from simulator.cli import workload_for
    from simulator.engine import simulate
    from simulator.loader import load_hardware
    from simulator.overrides import parse_sets

    hw = load_hardware(hardware, parse_sets(args.overrides))   # --compare hw:OTHER gets the same changes
    if recipe is not None:
        args = _with(args, recipe=recipe)
    workload = workload_for(args, hw)
    return simulate(workload, hw), workload


def _with(args, **kw):
    import argparse

    return argparse.Namespace(**{**vars(args), **kw})


def compare_kind(other: str) -> tuple[str, str]:
    """("hw" | "recipe", name or path) for --compare OTHER."""
    import hwconfigs
    from workloads.quantize import recipe_names

    for kind in ("hw", "recipe", "gpu"):
        if other.startswith(kind + ":"):
            return kind, other[len(kind) + 1:]
    path = Path(other)
    if path.suffix.lower() in (".cfg",):
        return "hw", other
    if path.suffix.lower() in (".yaml", ".yml", ".json") or "/" in other:
        from workloads.io import read_structured

        data = read_structured(path)
        return ("hw" if isinstance(data, dict) and ("array" in data or "engines" in data) else "recipe"), other
    hw_names = set(hwconfigs.names())     # hwconfigs/*.yaml and hwconfigs/published/*.yaml
    is_hw, is_recipe = other in hw_names, other in recipe_names()
    if not (is_hw or is_recipe) and _is_gpu(other):
        return "gpu", other
    if is_hw and is_recipe:
        raise InputError("--compare", "compare", f"{other!r} is both a hardware and a recipe name",
                         f"hw:{other} or recipe:{other}")
    if not (is_hw or is_recipe):
        raise InputError("--compare", "compare", f"{other!r} is neither a shipped hardware nor a recipe",
                         f"hw:NAME|PATH ({', '.join(sorted(hw_names))}), recipe:NAME|PATH "
                         f"({', '.join(recipe_names())})")
    return ("hw" if is_hw else "recipe"), other


def _is_gpu(name: str) -> bool:
    """A GPU name or alias (hwconfigs/gpus)."""
    import hwconfigs
    from analysis.devices import _norm, known_devices

    gpus = {p.resolve() for p in hwconfigs.files("gpu").values()}
    found = known_devices().get(_norm(name))
    return found is not None and found.resolve() in gpus


def _gpu_report(args, ra, wa, gpu: str) -> str:
    """The accelerator run ``ra`` (workload ``wa``) beside GPU ``gpu`` (analysis/report/gpu_compare.py)."""
    from analysis.devices import load_device
    from analysis.framework import PROFILES
    from analysis.report.gpu_compare import gpu_compare_report
    from analysis.roofline import analyze

    device = load_device(gpu)
    if device.kind != "gpu":
        raise InputError("--compare", "compare", f"{gpu!r} is not a GPU", "gpu:NAME (hwconfigs/gpus)")
    fw = args.gpu_framework.lower()
    if fw not in PROFILES or fw == "none":
        raise InputError("--gpu-framework", "framework", f"unknown GPU runtime profile {args.gpu_framework!r}",
                         ", ".join(p for p in PROFILES if p != "none"))
    rf = analyze(wa, device, crossover=False, framework=fw)
    return gpu_compare_report(ra, wa, rf)


def cmd_report(args) -> int:
    from workloads.cli_common import emit

    if args.sweep:
        if args.hardware or args.workload or args.model or args.topology or args.compare or args.overrides:
            raise InputError("--sweep", "sweep", "a sweep report takes only RESULTS (and --objectives)",
                             "--sweep RESULTS [--objectives A,B]")
        from analysis.report.sweep import sweep_report

        if not Path(args.sweep).exists():
            raise InputError(args.sweep, "--sweep", "no such results directory or file")
        html = sweep_report(args.sweep, args.objectives)
        out = _out_path(args, Path(args.sweep.rstrip("/")).stem)
    else:
        if not args.hardware:
            raise InputError("report", "HW", "a hardware config is required (or --sweep RESULTS)",
                             "a shipped name such as int4, or a YAML / .cfg path")
        if args.objectives:
            raise InputError("--objectives", "objectives", "only with --sweep")
        ra, wa = _run(args, args.hardware)
        name = f"{Path(args.hardware).stem}-{wa.model}-{wa.recipe}"
        if args.compare and ra.engines:   # a chip of several engines has its own page (docs/engines.md)
            raise InputError("--compare", "compare", f"{args.hardware} is a chip of several engines; --compare takes "
                             "one-engine designs", "vitsim report CHIP (its timeline and per-engine table)")
        if args.compare:
            from analysis.report.compare import compare_report

            kind, other = compare_kind(args.compare)
            if kind == "gpu":
                html = _gpu_report(args, ra, wa, other)
            else:
                rb, wb = _run(args, other, args.recipe) if kind == "hw" else _run(args, args.hardware, other)
                if rb.engines:
                    raise InputError("--compare", "compare", f"{other} is a chip of several engines; --compare takes "
                                     "one-engine designs", "vitsim report CHIP (its timeline and per-engine table)")
                html = compare_report(ra, wa, rb, wb)
            name += f"-vs-{Path(other).stem}"
        else:
            from analysis.report.run import run_report

            html = run_report(ra, wa)
        out = _out_path(args, name)
    emit(html, str(out), announce=False)
    print(f"wrote {out} ({len(html) / 1024:,.0f} KiB): open file://{out.resolve()}", file=sys.stderr)
    return 0
