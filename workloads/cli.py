"""``python -m workloads``: list models, recipes and the zoo; build workloads."""

from __future__ import annotations

import argparse

from workloads.cli_common import add_output_args, emit, json_text, rich_table, run_main


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m workloads", description="vitsim workloads: layers, shapes, bit widths.")
    sub = p.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("list", help="list models, recipes and zoo workloads")
    add_output_args(ls)
    ls.set_defaults(func=cmd_list)
    b = sub.add_parser("build", help="build a plain ViT/DeiT workload analytically (no torch)")
    b.add_argument("model", help="preset name, e.g. deit_small_patch16_224 or deit_small")
    b.add_argument("--recipe", help="quantization recipe: a shipped name or a YAML file")
    b.add_argument("--batch", type=int, default=1)
    b.add_argument("-o", "--output", required=True, metavar="FILE", help="workload file to write (.yaml or .json)")
    b.set_defaults(func=cmd_build)
    for module in _COMMAND_MODULES:
        __import__(module, fromlist=["add_parser"]).add_parser(sub)
    return p


# Subcommands defined in their own modules (each has ``add_parser(subparsers)`` setting ``func``).
_COMMAND_MODULES: list[str] = ["workloads.cmd_trace", "workloads.cmd_export"]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


def cmd_list(args) -> int:
    from workloads.quantize import load_recipe, recipe_names
    from workloads.registry import zoo_names
    from workloads.vit import PRESETS

    recipes = {n: load_recipe(n).description for n in recipe_names()}
    data = {"models": {n: "analytic" for n in PRESETS}, "recipes": recipes, "zoo": zoo_names()}
    data["models"].update(_traceable_models())
    if args.format == "json":
        emit(json_text(data), args.output)
    elif args.format == "csv":
        lines = ["kind,name,detail"] + [f"model,{k},{v}" for k, v in data["models"].items()]
        lines += [f'recipe,{k},"{v}"' for k, v in recipes.items()] + [f"zoo,{z}," for z in data["zoo"]]
        emit("\n".join(lines), args.output)
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
    from workloads.registry import build_model

    w = build_model(args.model, args.recipe, args.batch)
    w.save(args.output)
    print(f"wrote {args.output}: {len(w.layers)} layers, {w.macs / 1e9:.3f} GMACs")
    return 0


def entry() -> None:
    raise SystemExit(run_main(main))
