"""``python -m analysis``: roofline, sweeps and Pareto fronts (each subcommand in its own module)."""

from __future__ import annotations

import argparse

from workloads.cli_common import Parser, output_format, run_main
from workloads.version import add_version_arg

# Subcommand modules; each defines ``add_parser(subparsers)`` that sets ``func`` on its parser.
_COMMAND_MODULES: list[str] = ["analysis.cmd_sweep", "analysis.cmd_roofline", "analysis.cmd_report", "analysis.cmd_mixed"]


def build_parser(prog: str = "python -m analysis") -> argparse.ArgumentParser:
    p = Parser(prog=prog, description="vitsim analysis: roofline, design-space sweeps, Pareto "
                                                       "fronts, HTML reports.")
    add_version_arg(p)
    sub = p.add_subparsers(dest="command", required=True)
    for module in _COMMAND_MODULES:
        __import__(module, fromlist=["add_parser"]).add_parser(sub)
    return p


def main(argv: list[str] | None = None, prog: str = "python -m analysis") -> int:
    args = build_parser(prog).parse_args(argv)
    output_format(args)
    return args.func(args) or 0


def entry() -> None:
    raise SystemExit(run_main(main))
