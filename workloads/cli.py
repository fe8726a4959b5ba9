"""``python -m workloads``: list models, recipes and the zoo; build, trace, import (ONNX) and export workloads."""

from __future__ import annotations

import argparse

from workloads.cli_common import Parser, add_output_args, emit, json_text, output_format, rich_table, run_main
from workloads.version import add_version_arg


def build_parser(prog: str = "python -m workloads") -> argparse.ArgumentParser:
    p = Parser(prog=prog, description="vitsim workloads: layers, shapes, bit widths.")
    add_version_arg(p)
    sub = p.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("list", help="list models, recipes and zoo workloads")
    add_output_args(ls)
    ls.set_defaults(func=cmd_list)
    b = sub.add_parser("build", help="build a model's workload: an analytic ViT/DeiT (no torch) or a traced timm model",
                       description="Build MODEL's workload: an analytic preset (deit_small, vit_large, "
                                   "vit_base_patch16_224, ...: no torch), else a timm model, traced (needs the "
                                   "'trace' extra). --recipe quantizes it.")
    b.add_argument("model", metavar="MODEL", help="analytic preset (deit_small, vit_large, ...) or a timm model name")
    b.add_argument("--recipe", help="quantization recipe: a shipped name or a YAML file")
    b.add_argument("--batch", type=int, default=1, help="images per batch (default: %(default)s)")
    b.add_argument("--img-size", type=int, help="input image size (default: the model's own)")
    b.add_argument("-o", "--output", metavar="FILE",
                   help="workload file to write (.yaml or .json); without it the YAML goes to stdout")
    b.set_defaults(func=cmd_build)
    for module in _COMMAND_MODULES:
        __import__(module, fromlist=["add_parser"]).add_parser(sub)
    return p


# Subcommands defined in their own modules (each has ``add_parser(subparsers)`` setting ``func``).
_COMMAND_MODULES: list[str] = ["workloads.cmd_trace", "workloads.cmd_export", "workloads.cmd_accuracy",
                                "workloads.cmd_import"]


def main(argv: list[str] | None = None, prog: str = "python -m workloads") -> int:
    args = build_parser(prog).parse_args(argv)
    output_format(args)
    return args.func(args) or 0


def cmd_list(args) -> int:
    from workloads.quantize import load_recipe, recipe_names
    from workloads.resolve import zoo_names
    from workloads.vit import PRESETS

    recipes = {n: load_recipe(n).description for n in recipe_names()}
    data = {"models": {n: "analytic" for n in PRESETS}, "recipes": recipes, "zoo": zoo_names()}
    for name, how in _traceable_models().items():   # a preset is also traceable: say both
        data["models"][name] = f"analytic, {how}" if name in data["models"] else how
    if args.format == "json":
        emit(json_text(data), args.output)
    elif args.format == "csv":
        from workloads.csvcells import csv_rows

        rows = [["model", k, v] for k, v in data["models"].items()] + [["recipe", k, v] for k, v in recipes.items()]
        emit(csv_rows(["kind", "name", "detail"], rows + [["zoo", z, ""] for z in data["zoo"]]), args.output)
    else:
        text = rich_table("models", ["name", "how"], [[k, v] for k, v in data["models"].items()])
        text += rich_table("recipes", ["name", "description"], [[k, v] for k, v in recipes.items()])
        text += rich_table("zoo (use with --workload)", ["name"], [[z] for z in data["zoo"]])
        emit(text, args.output)
    return 0


def _traceable_models() -> dict[str, str]:
    """Models the tracer knows (added by workloads.families when present)."""
    try:
        from workloads.families import FAMILIES
    except ImportError:
        return {}
    return {name: f"trace ({fam})" for fam, names in FAMILIES.items() for name in names}


def cmd_build(args) -> int:
    from workloads.resolve import resolve_workload

    w = resolve_workload(model=args.model, recipe=args.recipe, batch=args.batch, img_size=args.img_size)
    summary = f"{len(w.layers)} layers, {w.macs / 1e9:.3f} GMACs"
    if args.output:
        w.save(args.output)
        print(f"wrote {args.output}: {summary}")
    else:
        import sys

        from workloads.model import dump_yaml

        sys.stdout.write(dump_yaml(w.to_dict()))
        print(f"{w.name}: {summary} (-o FILE.yaml|.json writes a file)", file=sys.stderr)
    return 0


def entry() -> None:
    raise SystemExit(run_main(main))
