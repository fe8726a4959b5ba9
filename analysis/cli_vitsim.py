"""``vitsim``: one command line for the three floors, each verb handed to its floor's own parser.

    vitsim run HW ...            simulator/cli.py        (python -m simulator run)
    vitsim trace MODEL ...       workloads/cmd_trace.py  (python -m workloads trace)
    vitsim workloads list|build|trace|export ...         (python -m workloads ...)
    vitsim roofline|sweep|pareto|report ...              (python -m analysis ...)
    vitsim fpga list                                     simulator/cli_fpga.py

Nothing is imported until a verb is chosen, so ``vitsim --help`` and ``vitsim --version`` load no numpy, pandas
or Numba; a verb imports only its floor's command-line module (itself light: the work is imported in the command).
"""

from __future__ import annotations

import sys
from importlib import import_module

# verb -> (command-line module, arguments put before the user's, one-line help)
VERBS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "run": ("simulator.cli", ("run",), "simulate a workload on a hardware config: per-layer table and totals"),
    "trace": ("workloads.cli", ("trace",), "trace a timm model into a workload file (needs the 'trace' extra)"),
    "workloads": ("workloads.cli", (), "list models, recipes and zoo workloads; build, trace, import (ONNX), export"),
    "roofline": ("analysis.cli", ("roofline",), "per-layer roofline on a GPU, an accelerator or this host"),
    "sweep": ("analysis.cli", ("sweep",), "run a design-space sweep spec into a Parquet results directory"),
    "pareto": ("analysis.cli", ("pareto",), "Pareto fronts and top-k of sweep results"),
    "report": ("analysis.cli", ("report",), "one self-contained HTML report: a run, a sweep or a comparison"),
    "fpga": ("simulator.cli_fpga", (), "FPGA parts: 'vitsim fpga list' (resources, clocks, sources)"),
}
EXAMPLES = """examples:
  vitsim run int4                                     DeiT-S W4A4 on the shipped 64x64 INT4 array
  vitsim run int8 --model vit_large --recipe w8a8 -o results/vit_l.json
  vitsim report int4 -o results/report.html           the same run as one HTML page
  vitsim roofline --device rtx4090 --model deit_base --precision int8
  vitsim sweep sweeps/deit_s_array.yaml -o results/deit_s_array.parquet
  vitsim workloads list

'vitsim VERB --help' for a verb's options; 'python -m simulator|workloads|analysis' run the same commands."""


def usage() -> str:
    width = max(map(len, VERBS))
    lines = ["usage: vitsim [--version] [-h] VERB ...", "",
             "vitsim: cycle-approximate simulation and roofline analysis of quantized Vision Transformers.", "",
             "verbs:"]
    lines += [f"  {v.ljust(width)}  {h}" for v, (_, _, h) in VERBS.items()]
    return "\n".join(lines + ["", EXAMPLES, ""])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        sys.stdout.write(usage())
        return 0
    if argv[0] in ("-V", "--version"):
        from workloads.version import package_version

        print(f"vitsim {package_version()}")
        return 0
    verb = argv[0]
    if verb not in VERBS:
        from difflib import get_close_matches

        near = get_close_matches(verb, VERBS, n=1)
        print(f"vitsim: error: unknown verb {verb!r}" + (f" (did you mean {near[0]!r}?)" if near else "")
              + f"; verbs: {', '.join(VERBS)}", file=sys.stderr)
        return 2
    module, prefix, _ = VERBS[verb]
    prog = "vitsim workloads" if verb == "workloads" else "vitsim"
    return import_module(module).main([*prefix, *argv[1:]], prog=prog)


def entry() -> None:
    from workloads.cli_common import run_main

    raise SystemExit(run_main(main))
