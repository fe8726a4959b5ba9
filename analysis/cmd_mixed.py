"""``python -m analysis mixed``: derive a mixed-precision recipe by per-layer sensitivity under a budget
(analysis/mixed.py has the method)."""

from __future__ import annotations

from workloads.cli_common import add_output_args, emit, json_text, text_table


def add_parser(sub) -> None:
    m = sub.add_parser("mixed", help="derive a mixed-precision recipe under a latency or energy budget",
                       description="Per-layer bit widths for timm MODEL: start every GEMM at the first candidate "
                                   "recipe and move the layers whose next candidate saves the most latency (or "
                                   "energy) on HW per dB of SQNR lost, until the budget holds. Writes the recipe.")
    m.add_argument("model", metavar="MODEL", help="timm model name, e.g. deit_tiny_patch16_224")
    m.add_argument("--hardware", required=True, metavar="HW", help="shipped hardware name or YAML path")
    m.add_argument("--budget", required=True, metavar="METRIC=VALUE", help="latency_us=N or energy_uj=N")
    m.add_argument("--candidates", default="w8a8,w4a8,w4a4", metavar="R1,R2,...",
                   help="recipes from most to least precise (default: %(default)s)")
    m.add_argument("--img-size", type=int, help="input image size (default: the model's own)")
    m.add_argument("--calib-batches", type=int, default=2, help="synthetic calibration batches (default: 2)")
    m.add_argument("--recipe-out", required=True, metavar="FILE", help="where to write the derived recipe (.yaml)")
    add_output_args(m)
    m.set_defaults(func=cmd_mixed)


def cmd_mixed(args) -> int:
    from pathlib import Path

    import yaml

    from analysis.mixed import derive_mixed, parse_budget
    from simulator.loader import load_hardware
    from workloads.errors import InputError
    from workloads.io import atomic_write_text

    if Path(args.recipe_out).suffix not in (".yaml", ".yml"):
        raise InputError(args.recipe_out, "recipe_out", "unknown file type", ".yaml, .yml")
    budget = parse_budget(args.budget)
    hw = load_hardware(args.hardware)
    candidates = [c.strip() for c in args.candidates.split(",") if c.strip()]
    from workloads.progress import progress, wrote

    progress(f"deriving a mixed-precision recipe for {args.model}: tracing it, measuring each GEMM's SQNR at "
             f"{', '.join(candidates)} and simulating each on {hw.name} (about 30 s)")
    recipe, summary = derive_mixed(args.model, hw, budget, candidates, img_size=args.img_size,
                                   calib_batches=args.calib_batches)
    atomic_write_text(Path(args.recipe_out), yaml.safe_dump(recipe, sort_keys=False))
    wrote(args.recipe_out, "the recipe")
    summary["recipe"] = args.recipe_out
    if args.format == "json":
        emit(json_text(summary), args.output)
    else:
        metric = next(iter(summary["budget"]))
        rows = [[c, n, summary["candidate_totals"][c]] for c, n in summary["choice"].items()]
        rows.append(["mixed-auto", summary["gemm_layers"], summary[metric]])
        emit(text_table(f"{args.model} on {hw.name}: {metric} <= {summary['budget'][metric]:g} "
                        f"({'met' if summary['meets_budget'] else 'NOT met'}); recipe -> {args.recipe_out}",
                        ["recipe", "gemm layers", metric], rows), args.output)
    return 0
