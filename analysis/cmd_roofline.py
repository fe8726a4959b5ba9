"""``python -m analysis roofline``: per-layer roofline of a workload on a GPU, an accelerator or this host."""

from __future__ import annotations

from workloads.cli_common import add_columns_arg, add_output_args, emit, json_text, rich_table, select_columns
from workloads.errors import InputError

TABLE_COLUMNS = ["name", "op", "precision", "ceiling", "ops", "bytes", "intensity", "bound", "time_us",
                 "time_us_expected", "crossover_batch"]
TOTAL_KEYS = ["batch", "ops", "dram_bytes", "intensity", "latency_s_bound", "throughput_fps_bound",
              "latency_s_expected", "throughput_fps_expected", "attainable_tops", "memory_bound_time_fraction",
              "compute_bound_layers", "memory_bound_layers", "gemm_crossover_batch"]
GPU_KEYS = ["latency_s_ideal", "throughput_fps_ideal", "board_power_w", "energy_j_per_image", "images_per_s_per_w"]
GAIN_KEYS = ["speedup_vs_fp16_bound", "speedup_vs_fp16_expected"]
DEFAULT_MODEL_PRECISION = "fp16"
DEFAULT_MEASURE_MODEL = "deit_small_patch16_224"


def add_parser(sub) -> None:
    from analysis.roofline import PRECISIONS

    p = sub.add_parser(
        "roofline", help="per-layer roofline: ops, bytes, intensity, compute- or memory-bound",
        description="Roofline of every layer of a workload on a device. DEV: a GPU name (rtx4090, 'H100 SXM', "
                    "a100, l4, orin ...), a hwconfigs/gpus file, any vitsim hardware YAML (int8, int4, "
                    "hwconfigs/mixed.yaml ...), or 'host' (this machine, measured).")
    p.add_argument("--device", required=True, metavar="DEV", help="GPU name, GPU/hardware YAML, or host")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--workload", metavar="FILE|NAME", help="workload file (.yaml/.json) or zoo name")
    src.add_argument("--model", metavar="NAME",
                     help="analytic ViT preset (deit_base, vit_large_patch16_224, ...) or timm model (traced); "
                          f"quantized to --precision (default {DEFAULT_MODEL_PRECISION})")
    q = p.add_mutually_exclusive_group()
    q.add_argument("--precision", metavar="P", help="quantize every layer: " + ", ".join(PRECISIONS))
    q.add_argument("--recipe", metavar="R", help="quantization recipe: a shipped name or a YAML file")
    p.add_argument("--batch", type=int, help="images per batch (rescales the workload)")
    p.add_argument("--fused-attention", action="store_true",
                   help="keep attention scores on chip (q@k^T output, softmax, attn@v input move no DRAM bytes); "
                        "same as --attention fused")
    p.add_argument("--framework", default="device", metavar="NAME",
                   help="framework profile: 'device' (the GPU YAML's, default pytorch_eager_amp; none on "
                        "accelerators), pytorch_eager_amp, torch_compile (inductor), tensorrt (TensorRT / "
                        "FasterTransformer fused kernels), or none (the layers as written)")
    p.add_argument("--torch-version", metavar="X.Y",
                   help="torch version of a PyTorch profile (1.10 .. 2.14): before 2.0 no fused SDPA and no "
                        "torch.compile (default: a torch with both)")
    p.add_argument("--attention", choices=("fused", "unfused"),
                   help="override the profile's attention (fused: SDPA where the model calls it)")
    p.add_argument("--no-crossover", action="store_true", help="skip the per-layer ridge-crossing batch search")
    add_output_args(p)
    add_columns_arg(p, "per-layer table")
    from simulator.overrides import add_set_arg

    add_set_arg(p)
    p.add_argument("--plot", metavar="FILE", help="log-log roofline plot (.png or .svg); with --measure: "
                                                   "measured layers against the host's roofline")
    p.add_argument("--plot-precisions", metavar="FILE",
                   help="one chart with the model at several precisions (--compare)")
    p.add_argument("--compare", default="fp16,int8,int4", metavar="P,P,...",
                   help="precisions for --plot-precisions (default: %(default)s)")
    p.add_argument("--plot-time", metavar="FILE", help="bar chart: time by layer type, compute- vs memory-bound")
    p.add_argument("--measure", action="store_true",
                   help="with --device host: time each layer of a real ViT forward pass on this CPU (torch, one "
                        f"thread; --model, default {DEFAULT_MEASURE_MODEL}) and compare with the roofline")
    p.add_argument("--repeats", type=int, default=5, help="timed repetitions per layer with --measure")
    p.set_defaults(func=cmd_roofline)


def resolve(args):
    """(workload, GEMM ceiling preference) from --workload/--model, --batch, --precision/--recipe."""
    from analysis.roofline import apply_precision
    from workloads.resolve import resolve_workload

    if args.batch is not None and args.batch < 1:
        raise InputError("--batch", "batch", f"{args.batch} is below 1", "integers >= 1")
    if not (args.workload or args.model):
        raise InputError("roofline", "--workload/--model", "one of them is required")
    w = resolve_workload(args.workload, model=args.model, recipe=args.recipe, batch=args.batch)
    precision = args.precision or (DEFAULT_MODEL_PRECISION if args.model and not args.recipe else None)
    if precision:
        return apply_precision(w, _known_precision("--precision", precision))
    return w, None


def _known_precision(flag: str, precision: str) -> str:
    """``precision`` if ``analysis.roofline.PRECISIONS`` has it, else an input error naming ``flag``."""
    from analysis.roofline import PRECISIONS

    if precision.lower() not in PRECISIONS:
        raise InputError(flag, "precision", f"unknown precision {precision!r}", ", ".join(PRECISIONS))
    return precision


def cmd_roofline(args) -> int:
    from analysis.devices import load_device
    from analysis.roofline import analyze
    from simulator.overrides import parse_sets

    device = load_device(args.device, parse_sets(args.overrides))
    if args.measure:
        return _measure(args, device)
    from analysis.roofline import check_precision

    check_precision(device, args.precision)
    workload, prefer = resolve(args)
    kw = _framework_kw(args, device)
    rf = analyze(workload, device, prefer, crossover=not args.no_crossover, **kw)
    if device.kind == "gpu" and any(x.is_gemm and (x.dtype == "int" or max(x.w_bits, x.a_bits) <= 8)
                                    for x in workload.layers):
        rf.totals.update(gain_vs_fp16(rf.totals, fp16_baseline(workload, device, rf).totals))
    text = render(rf, args.format, args.columns)
    if args.format == "table":  # which files the names meant (a name is the shipped one unless it is a path)
        from workloads.resolve import describe_spec

        text += f"loaded: device: {describe_device(args.device)}; workload: {describe_spec(args.workload, args.model)}\n"
    emit(text, args.output)
    _plots(args, rf, workload, device)
    return 0


def describe_device(spec: str) -> str:
    """What a --device argument was read as (the rules of ``analysis.devices.load_device``), for the output."""
    from pathlib import Path

    from analysis.devices import _norm, _src, known_devices
    from workloads.io import looks_like_path

    if _norm(spec) == "host":
        return "this host (measured)"
    found = None if looks_like_path(spec, (".yaml", ".yml", ".json", ".cfg")) else known_devices().get(_norm(spec))
    return f"shipped {_src(found)}" if found is not None else f"file {Path(spec).resolve()}"


def _framework_kw(args, device) -> dict:
    """analyze()'s framework/attention keywords from --framework, --attention, --fused-attention."""
    from analysis.framework import PROFILES

    fw = args.framework.lower()
    if fw != "device" and fw not in PROFILES:
        raise InputError("--framework", "framework", f"unknown framework profile {args.framework!r}",
                         ", ".join(["device", *PROFILES]))
    attention = args.attention or ("fused" if args.fused_attention else None)
    from analysis.gpu_extras import device_framework

    if fw == "device" and device_framework(device) is None:
        return {"fused_attention": attention == "fused"}   # accelerators, host: the layers as written
    return {"framework": fw, "attention": attention, "torch_version": getattr(args, "torch_version", None)}


def fp16_baseline(workload, device, rf):
    """The same model deployed at FP16 under the SAME profile as ``rf`` (same attention, same layout copies, same
    kernel fusion; non-linear ops at FP16 like the quantized run's: ``FrameworkProfile.deployed``), the other side
    of ``speedup_vs_fp16_*``. (Before: the FP16 side ran ``framework="none"``, without the copies the quantized
    side paid: Swin printed INT8 slower than FP16.)"""
    from analysis.framework import get_profile
    from analysis.roofline import analyze, apply_precision

    w16, p16 = apply_precision(workload, "fp16")
    profile = get_profile(rf.options["framework"]).deployed()
    return analyze(w16, device, p16, crossover=False, framework=profile, attention=rf.options["attention"],
                   torch_version=rf.options.get("torch_version"))


def gain_vs_fp16(totals: dict, fp16: dict) -> dict:
    """End-to-end speedup of a quantized run over the same model at FP16 on the same device (bound, expected);
    ``fp16``: the totals of the FP16 deployment (non-linear ops at FP16 like the quantized run's, same attention)."""
    def ratio(key):
        a, b = totals.get(key), fp16.get(key)
        return b / a if a and b else None

    return {"speedup_vs_fp16_bound": ratio("latency_s_bound"),
            "speedup_vs_fp16_expected": ratio("latency_s_expected")}


def _plots(args, rf, workload, device) -> None:
    from analysis import plots

    if args.plot:
        plots.roofline_plot(rf, args.plot)
    if args.plot_time:
        plots.time_bars(rf, args.plot_time)
    if args.plot_precisions:
        from analysis.roofline import analyze, apply_precision

        compare = [_known_precision("--compare", x.strip()) for x in args.compare.split(",") if x.strip()]
        if not compare:
            raise InputError("--compare", "precisions", "no precision given")
        runs = []
        for p in compare:
            w, prefer = apply_precision(workload, p)
            runs.append((p, analyze(w, device, prefer, crossover=False, **_framework_kw(args, device))))
        plots.precision_plot(runs, args.plot_precisions)


def render(rf, fmt: str, columns: str | None = None) -> str:
    """The roofline as table, JSON or CSV text (``columns``: the table's --columns)."""
    if fmt == "json":
        return json_text(rf.to_dict())
    if fmt == "csv":
        from workloads.outputs import check_finite

        check_finite([lr.to_dict() for lr in rf.layers], "roofline CSV")  # None (not applicable) stays empty
        from workloads.csvcells import frame_csv

        return frame_csv(rf.frame())
    from dataclasses import fields

    from analysis.roofline import LayerRoofline

    cells = {"intensity": lambda lr: lr.intensity if lr.intensity is not None else "inf",
             "time_us": lambda lr: lr.time_s * 1e6,
             "time_us_expected": lambda lr: None if lr.time_s_expected is None else lr.time_s_expected * 1e6,
             "crossover_batch": lambda lr: "never" if lr.crossover_batch is None else lr.crossover_batch}
    available = TABLE_COLUMNS + [f.name for f in fields(LayerRoofline) if f.name not in TABLE_COLUMNS]
    cols, width = select_columns(columns, available, TABLE_COLUMNS, "name")
    rows = [[cells[c](lr) if c in cells else getattr(lr, c) for c in cols] for lr in rf.layers]
    w = rf.workload
    title = (f"roofline: {w.name} batch {w.batch} on {rf.device.name}"
             + f" (framework {rf.options.get('framework', 'none')}, {rf.options.get('attention', 'unfused')} "
               "attention" + (f": {w.meta['sdpa_attentions']} attentions through SDPA" if w.meta.get("sdpa_attentions")
                              else "") + ")")
    text = rich_table(title, cols, [["-" if v is None else v for v in r] for r in rows], width)
    text += rich_table("totals", ["metric", "value"],
                       [[k, rf.totals[k] if rf.totals[k] is not None else "-"]
                        for k in TOTAL_KEYS + [g for g in GPU_KEYS + GAIN_KEYS if g in rf.totals]], width)
    notes = sorted({f"{lr.precision}: {lr.note}" for lr in rf.layers if lr.note} | set(rf.device.notes))
    return text + "".join(f"note: {n}\n" for n in notes)


def _measure(args, device) -> int:
    from analysis import empirical

    if device.kind != "host":
        raise InputError("--measure", "device", f"--measure needs --device host, got {args.device!r}", "host")
    if args.workload:
        raise InputError("--measure", "--workload", "--measure times a real torch model", "--model NAME")
    if args.recipe or (args.precision and args.precision.lower() != "fp32"):
        raise InputError("--measure", "--precision", "the CPU forward pass runs in FP32", "fp32")
    model = args.model or DEFAULT_MEASURE_MODEL
    result = empirical.measure_model(model, device, batch=args.batch or 1, repeats=args.repeats)
    if args.format == "json":
        text = json_text(result.to_dict())
    elif args.format == "csv":
        from workloads.csvcells import frame_csv

        text = frame_csv(result.frame())
    else:
        text = render_measured(result)
    emit(text, args.output)
    if args.plot:
        from analysis import plots

        plots.measured_plot(result, args.plot)
    return 0


def render_measured(result) -> str:
    """Measured peaks, measured over bound per op type and per distinct layer, as text tables."""
    from analysis.plots import short_name

    m = result.measurement
    text = rich_table("host (1 thread, measured)", ["metric", "value"],
                      [["fp32 GEMM GFLOPS", m.fp32_ops_per_s / 1e9],
                       [f"int8 GEMM GOPS ({m.int8_kernel or 'none'})", m.int8_ops_per_s / 1e9],
                       ["copy GB/s", m.copy_bytes_per_s / 1e9], ["triad GB/s", m.triad_bytes_per_s / 1e9],
                       ["L2 triad GB/s", m.cache_bytes_per_s / 1e9]])
    text += rich_table(f"{result.model}: measured vs roofline bound per op type",
                       ["op", "layers", "measured_ms", "bound_ms", "measured_over_bound"],
                       [[op, d["layers"], d["measured_s"] * 1e3, d["bound_s"] * 1e3,
                         d["measured_over_bound"] if d["measured_over_bound"] is not None else "-"]
                        for op, d in result.by_op().items()])
    seen, rows = set(), []
    for r in result.rows:
        key = short_name(r["name"])
        if key in seen:
            continue
        seen.add(key)
        rows.append([r["name"], r["op"], r["intensity"] or 0.0, r["bound"], r["bound_s"] * 1e6,
                     r["measured_s"] * 1e6, r["measured_over_bound"] or 0.0,
                     "FASTER THAN BOUND" if r["faster_than_bound"] else ""])
    text += rich_table("first block's layers", ["name", "op", "intensity", "bound", "bound_us", "measured_us",
                                                "measured_over_bound", "flag"], rows)
    text += rich_table("totals", ["metric", "value"], [[k, v] for k, v in result.totals.items()])
    return text
