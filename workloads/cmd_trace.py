"""``python -m workloads trace MODEL ...``: a timm model -> a workload file (needs the ``trace`` extra)."""

from __future__ import annotations

from pathlib import Path


def add_parser(sub) -> None:
    t = sub.add_parser("trace", help="trace a timm model into a workload (needs torch and timm)",
                       description="Run one forward pass of timm model MODEL (pretrained=False: nothing is "
                                   "downloaded) and write one layer per op with its module path, shape and bits.")
    t.add_argument("model", help="timm model name, e.g. deit_small_patch16_224, swin_tiny_patch4_window7_224")
    t.add_argument("--recipe", help="quantization recipe: a shipped name (w8a8, w4a8, w4a4, mixed, fp16) or a YAML file")
    t.add_argument("--img-size", type=int, help="input image size (default: the model's own)")
    t.add_argument("--batch", type=int, default=1, help="images per batch (default: %(default)s)")
    t.add_argument("--quantize", action="store_true",
                   help="fake-quantize the torch model by --recipe, calibrate on synthetic images and record each "
                        "layer's SQNR (dB) against FP32 (numerics only: no data set, random weights)")
    t.add_argument("--calibration", choices=("minmax", "percentile", "mse"), default="minmax",
                   help="activation range calibration for --quantize (default: %(default)s)")
    t.add_argument("--percentile", type=float, default=99.99, help="percentile for --calibration percentile")
    t.add_argument("--calib-batches", type=int, default=4, help="synthetic calibration batches (default: %(default)s)")
    t.add_argument("--prune", metavar="AMOUNT|N:M",
                   help="magnitude-prune the transformer blocks' linear layers of the (random-weight) model first, "
                        "unstructured (a fraction, e.g. 0.5) or N:M (e.g. 2:4), and record each layer's measured "
                        "sparsity (docs/sparsity.md)")
    t.add_argument("-o", "--output", required=True, metavar="FILE", help="workload file to write (.yaml or .json)")
    t.set_defaults(func=cmd_trace)


def cmd_trace(args) -> int:
    from workloads.errors import WorkloadError, require_int, require_number

    out = Path(args.output)
    if out.suffix not in (".yaml", ".yml", ".json"):
        raise WorkloadError(str(out), "output", "unknown file type", ".yaml, .yml, .json")
    require_int("--batch", "batch", args.batch, 1)
    require_number("--percentile", "percentile", args.percentile, 0.0, True, 100.0)  # argparse takes 'nan'
    if args.img_size is not None:
        require_int("--img-size", "img_size", args.img_size, 1)
    if args.prune is not None and args.quantize:
        raise WorkloadError("--prune", "prune", "--prune and --quantize cannot be combined yet", "one of them")
    if args.quantize and not args.recipe:
        raise WorkloadError("--quantize", "recipe", "--quantize needs --recipe")
    calib_batches = require_int("--calib-batches", "calib_batches", args.calib_batches, 1)
    from workloads.progress import progress
    from workloads.trace.models import check_model_name

    check_model_name(args.model)     # a wrong name or recipe is one line, before any progress line
    if args.recipe:
        from workloads.quantize import load_recipe

        load_recipe(args.recipe)
    progress(f"tracing {args.model} (shapes only, nothing downloaded"
             + ("; calibrating fake-quant modules on synthetic images" if args.quantize else "") + "; about 5-60 s)")
    if args.prune is not None:
        from workloads.trace.sparsity import trace_pruned

        w = trace_pruned(args.model, args.prune, img_size=args.img_size, batch=args.batch, recipe=args.recipe)
    elif args.quantize:
        from workloads.trace import trace_quantized

        w = trace_quantized(args.model, args.recipe, img_size=args.img_size, batch=args.batch,
                            calibration=args.calibration, percentile=args.percentile,
                            calib_batches=calib_batches)
    else:
        from workloads.trace import trace

        w = trace(args.model, img_size=args.img_size, batch=args.batch, recipe=args.recipe)
    w.save(out)
    msg = f"wrote {out}: {len(w.layers)} layers, {w.macs / 1e9:.3f} GMACs, recipe {w.recipe}"
    sq = [x.sqnr_db for x in w.layers if x.is_gemm and x.sqnr_db is not None]
    if sq:
        msg += f", GEMM SQNR {min(sq):.1f} to {max(sq):.1f} dB"
    print(msg)
    return 0
