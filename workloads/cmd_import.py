"""``python -m workloads import MODEL.onnx|MODEL.pt2`` (``vitsim workloads import``): an ONNX model or a saved
torch.export program as a workload file.

The graph gives the layers, shapes and conv geometry; QDQ / QOperator / QONNX nodes (ONNX) or PT2E
quantize/dequantize ops (torch.export) give bit widths, scale granularity and zero points (docs/onnx.md).
``--recipe`` re-quantizes by name glob as for any workload.
"""

from __future__ import annotations

import sys


def add_parser(sub) -> None:
    p = sub.add_parser("import", help="import an ONNX model (float, QDQ, QOperator or QONNX) or a torch.export "
                                      "program (.pt2) as a workload",
                       description="Read MODEL.onnx (no runtime, no weights needed: shapes come from ONNX shape "
                                   "inference; needs the 'onnx' extra) or MODEL.pt2 (a program saved by "
                                   "torch.export.save, traced on the CPU with its own weights; needs the 'trace' "
                                   "extra) into a vitsim workload: GEMMs, convolutions, attention matmuls and "
                                   "vector ops, with the bit widths, scale granularity and zero points its "
                                   "quantization nodes give. See docs/onnx.md.")
    p.add_argument("model", metavar="MODEL.onnx|MODEL.pt2", help="ONNX model or torch.export program file")
    p.add_argument("--recipe", help="re-quantize by a recipe (a shipped name or a YAML file)")
    p.add_argument("--batch", type=int, help="images per batch (fills a symbolic batch dimension, else rescales)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="workload file to write (.yaml or .json); without it the YAML goes to stdout")
    p.set_defaults(func=cmd_import)


def cmd_import(args) -> int:
    from workloads.errors import InputError
    from workloads.io import check_output_file
    from workloads.model import dump_yaml
    from workloads.resolve import resolve_workload

    if args.output:
        check_output_file(args.output)
    if not str(args.model).lower().endswith((".onnx", ".pt2")):
        raise InputError(args.model, "MODEL", "not an .onnx or .pt2 file", "a path ending in .onnx or .pt2")
    w = resolve_workload(model=args.model, recipe=args.recipe, batch=args.batch)
    q = {(x.precision, x.w_granularity if x.is_gemm else "") for x in w.layers if x.is_gemm}
    summary = (f"{len(w.layers)} layers, {w.macs / 1e9:.3f} GMACs, GEMM precisions "
               f"{', '.join(sorted(f'{p} ({g})' for p, g in q))}")
    if args.output:
        w.save(args.output)
        print(f"wrote {args.output}: {summary}", file=sys.stderr)
    else:
        sys.stdout.write(dump_yaml(w.to_dict()))
        print(f"{w.name}: {summary} (-o FILE.yaml|.json writes a file)", file=sys.stderr)
    return 0
