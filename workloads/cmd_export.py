"""``python -m workloads export WORKLOAD (--scalesim | --csv) -o FILE``: a workload in other formats.

--scalesim: SCALE-Sim GEMM topology (``Layer, M, N, K,`` rows; see workloads/scalesim_io.py).
--csv: one flat row per layer (every ``Layer`` field plus ``macs``), for spreadsheets and pandas.
"""

from __future__ import annotations

import sys
from dataclasses import fields

from workloads.model import Layer, Workload

CSV_COLUMNS = [f.name for f in fields(Layer)] + ["macs"]


def add_parser(sub) -> None:
    e = sub.add_parser("export", help="write a workload as a SCALE-Sim topology or a flat CSV",
                       description="Export WORKLOAD (a workload file, a zoo name, an analytic model or a timm model, "
                                   "quantized by --recipe) as a SCALE-Sim topology (--scalesim) or a per-layer CSV "
                                   "(--csv).")
    e.add_argument("workload", metavar="WORKLOAD",
                   help="workload file, zoo name (deit_small-w4a4), analytic model (deit_small) or timm model")
    e.add_argument("--recipe", help="quantization recipe: a shipped name or a YAML file")
    e.add_argument("--batch", type=int, help="images per batch (rescales the workload)")
    kind = e.add_mutually_exclusive_group(required=True)
    kind.add_argument("--scalesim", action="store_true", help="SCALE-Sim topology CSV (GEMM rows)")
    kind.add_argument("--csv", action="store_true", help="flat CSV, one row per layer")
    e.add_argument("-o", "--output", required=True, metavar="FILE", help="file to write")
    e.set_defaults(func=cmd_export)


def layers_csv(workload: Workload) -> str:
    """Flat CSV text: ``CSV_COLUMNS``, one row per layer (``k`` 0 and empty ``sqnr_db`` where absent)."""
    from workloads.csvcells import csv_rows

    return csv_rows(CSV_COLUMNS, ([getattr(layer, c) if getattr(layer, c) is not None else "" for c in CSV_COLUMNS]
                                  for layer in workload.layers))


def cmd_export(args) -> int:
    from workloads.io import atomic_write_text
    from workloads.resolve import resolve_workload
    from workloads.scalesim_io import write_topology

    w = resolve_workload(args.workload, recipe=args.recipe, batch=args.batch)
    if args.scalesim:
        write_topology(w, args.output)
        gemms = [x for x in w.layers if x.is_gemm]
        rows = sum(x.repeat for x in gemms)
        print(f"wrote {args.output}: {rows} SCALE-Sim GEMM rows from {len(gemms)} layers "
              f"({len(w.layers) - len(gemms)} vector ops left out)")
        wide = sorted({x.precision for x in gemms if (x.w_bits, x.a_bits) != (8, 8)})
        if wide:
            print(f"note: SCALE-Sim counts every element as one byte; {', '.join(wide)} layers lose their bit widths",
                  file=sys.stderr)
    else:
        atomic_write_text(args.output, layers_csv(w))
        print(f"wrote {args.output}: {len(w.layers)} layers")
    return 0
