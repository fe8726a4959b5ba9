"""``python -m workloads evaluate`` (real top-1/top-5 on the user's images) and ``python -m workloads accuracy
--published`` (published results with sources). Formulas and caveats: docs/accuracy.md."""

from __future__ import annotations

from workloads.cli_common import add_output_args, emit, json_text, text_table

PUBLISHED_COLUMNS = ("method", "model", "model_paper", "w_bits", "a_bits", "top1", "fp32_top1", "source")


def add_parser(sub) -> None:
    e = sub.add_parser("evaluate", help="top-1/top-5 of a timm model in FP32 and fake-quantized, on your images",
                       description="Evaluate timm MODEL on an ImageFolder directory in FP32 and fake-quantized by "
                                   "--recipe (calibrated on --calib images): top-1 and top-5. Weights come from "
                                   "--checkpoint or the local timm/Hugging Face cache; nothing is downloaded.")
    e.add_argument("model", metavar="MODEL", help="timm model name, e.g. deit_small_patch16_224")
    e.add_argument("--recipe", required=True, help="quantization recipe: a shipped name or a YAML file")
    e.add_argument("--data", required=True, metavar="DIR", help="ImageFolder directory: one sub-directory per class")
    e.add_argument("--checkpoint", metavar="FILE", help="weights (.pth/.pt state dict or .safetensors)")
    e.add_argument("--calib", type=int, default=32, metavar="N", help="calibration images (default: %(default)s)")
    e.add_argument("--calib-data", metavar="DIR", help="calibrate on this ImageFolder instead (e.g. a train split)")
    e.add_argument("--limit", type=int, metavar="N", help="evaluate a seeded random subset of N images")
    e.add_argument("--batch-size", type=int, default=32, help="images per forward pass (default: %(default)s)")
    e.add_argument("--calibration", choices=("minmax", "percentile", "mse"), default="minmax",
                   help="activation range calibration where the recipe names none (default: %(default)s)")
    e.add_argument("--percentile", type=float, default=99.99, help="percentile for --calibration percentile")
    e.add_argument("--seed", type=int, default=0, help="subset and calibration sampling seed (default: 0)")
    e.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    e.add_argument("--save-workload", metavar="FILE",
                   help="also write the quantized workload with its measured accuracy (.yaml/.json)")
    add_output_args(e)
    e.set_defaults(func=cmd_evaluate)
    a = sub.add_parser("accuracy", help="published ImageNet top-1 of ViT quantization methods, with sources",
                       description="List published top-1 results (method, model, bits, top1, fp32_top1, source) "
                                   "transcribed from the papers' main tables (docs/accuracy.md).")
    a.add_argument("--published", action="store_true", required=True, help="list the published results table")
    a.add_argument("--model", help="timm name, paper name (DeiT-S/224) or a prefix (deit_small)")
    a.add_argument("--method", help="PTQ4ViT, RepQ-ViT, FQ-ViT, I-ViT, Base PTQ")
    add_output_args(a)
    a.set_defaults(func=cmd_accuracy)


def cmd_accuracy(args) -> int:
    from workloads.accuracy import published_rows

    rows = published_rows(model=args.model, method=args.method)
    if args.format == "json":
        emit(json_text(rows), args.output)
    elif args.format == "csv":
        from workloads.csvcells import csv_rows

        emit(csv_rows(PUBLISHED_COLUMNS, ([r[c] for c in PUBLISHED_COLUMNS] for r in rows)), args.output)
    else:
        emit(text_table(f"published ImageNet top-1 (%): {len(rows)} rows", list(PUBLISHED_COLUMNS),
                        [[f"{r[c]:.2f}" if c in ("top1", "fp32_top1") else r[c] for c in PUBLISHED_COLUMNS]
                         for r in rows], max_cell=48), args.output)
    return 0


def cmd_evaluate(args) -> int:
    from pathlib import Path

    from workloads.accuracy.evaluate import evaluate_accuracy
    from workloads.errors import WorkloadError

    if args.save_workload and Path(args.save_workload).suffix not in (".yaml", ".yml", ".json"):
        raise WorkloadError(args.save_workload, "save_workload", "unknown file type", ".yaml, .yml, .json")
    report, workload = evaluate_accuracy(
        args.model, args.recipe, args.data, checkpoint=args.checkpoint, calib=args.calib, limit=args.limit,
        calib_data=args.calib_data, batch_size=args.batch_size, calibration=args.calibration,
        percentile=args.percentile, seed=args.seed, progress=not args.no_progress)
    if args.save_workload:
        from workloads.progress import wrote

        workload.save(args.save_workload)
        wrote(args.save_workload)
    if args.format == "json":
        emit(json_text(report), args.output)
    elif args.format == "csv":
        keys = ("model", "recipe", "images", "calib_images", "fp32_top1", "fp32_top5", "top1", "top5", "top1_drop")
        vals = (report["model"], report["recipe"], report["images"], report["calib_images"], report["fp32"]["top1"],
                report["fp32"]["top5"], report["quantized"]["top1"], report["quantized"]["top5"], report["top1_drop"])
        from workloads.csvcells import csv_rows

        emit(csv_rows(keys, [vals]), args.output)
    else:
        rows = [["fp32", f"{report['fp32']['top1']:.2f}", f"{report['fp32']['top5']:.2f}"],
                [report["recipe"], f"{report['quantized']['top1']:.2f}", f"{report['quantized']['top5']:.2f}"]]
        title = (f"{report['model']} on {report['data']}: {report['images']} images, {report['calib_images']} "
                 f"calibration images ({report['calibration']})")
        emit(text_table(title, ["metric", "top1", "top5"], rows), args.output)
    return 0
