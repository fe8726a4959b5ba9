"""An accelerator run beside a GPU on the same workload (``vitsim report HW --compare GPU``): latency, images/s,
energy per image and images/s/W for both, and where the time goes per layer type.

A: ``simulate(workload, hw)`` (cycles, energy from the simulator's energy model). B: ``analyze(workload, gpu,
framework=...)`` (the GPU's expected time under the chosen runtime profile, its bound, and board energy =
P(utilization) x expected time, analysis/gpu_kernels.py). The GPU's time per layer type counts each kernel once,
under its head layer's op (a GEMM's fused GELU/residual epilogue is GEMM time)."""

from __future__ import annotations

from analysis.chartspec import Axis, Bars
from analysis.report.page import esc, fmt, page, section, table
from analysis.report.svg import render

PALETTE = ("#0072b2", "#009e73", "#e69f00", "#d55e00", "#cc79a7", "#56b4e9", "#8c564b", "#bcbd22", "#7f7f7f")


def time_by_op_accelerator(result) -> dict[str, float]:
    """Seconds per op type of a simulator result: total_cycles / freq."""
    cols = result.columns()
    f = result.hw.freq_mhz * 1e6
    out: dict[str, float] = {}
    for op, cyc in zip(cols["op"], cols["total_cycles"]):
        out[op] = out.get(op, 0.0) + cyc / f
    return out


def time_by_op_gpu(rf) -> dict[str, float]:
    """Expected seconds per op type of a GPU roofline (a kernel's time under its head's op)."""
    out: dict[str, float] = {}
    for lr in rf.layers:
        if lr.time_s_expected:
            op = "copy/cast" if lr.op in ("layout", "elementwise") else lr.op
            out[op] = out.get(op, 0.0) + lr.time_s_expected
    return out


def metrics(result, rf) -> list[tuple[str, str, float | None, float | None]]:
    """(metric, unit, accelerator value, GPU value) rows."""
    ta, tg = result.totals, rf.totals
    e = tg.get("energy_j_per_image")
    return [("latency", "us", ta.latency_us, tg["latency_s_expected"] * 1e6),
            ("latency bound (GPU roofline)", "us", None, tg["latency_s_bound"] * 1e6),
            ("images/s", "images/s", ta.throughput_fps, tg["throughput_fps_expected"]),
            ("energy per image", "uJ", ta.energy_per_image_uj, None if e is None else e * 1e6),
            ("power", "W", ta.power_w, tg.get("board_power_w")),
            ("images/s/W", "images/s/W", ta.images_per_s_per_w, tg.get("images_per_s_per_w"))]


def gpu_compare_report(result, workload, rf) -> str:
    """The HTML page: accelerator ``result`` (of ``workload``) beside GPU roofline ``rf`` (same workload)."""
    la = f"{result.hw.name} (simulated)"
    lg = f"{rf.device.name} ({rf.options['framework']}, expected)"
    rows = []
    for name, unit, a, g in metrics(result, rf):
        ratio = g / a if a and g else "-"
        rows.append([name, "-" if a is None else a, "-" if g is None else g, ratio, unit])
    cols = [("metric", ""), ("accelerator", la), ("GPU", lg), ("GPU / accelerator", "ratio"), ("unit", "")]
    ta = result.totals
    tg = rf.totals
    power = "-" if tg.get("board_power_w") is None else fmt(tg["board_power_w"])
    util = "-" if tg.get("utilization") is None else f"{tg['utilization']:.2f}"
    summary = (f"{esc(workload.model)} {esc(workload.recipe)}, batch {workload.batch}: {esc(la)} "
               f"{fmt(ta.latency_us)} us, {esc(lg)} {fmt(tg['latency_s_expected'] * 1e6)} us. GPU energy: board "
               f"power {power} W at utilization {util} (docs/roofline.md, GPU power).")
    oa, og = time_by_op_accelerator(result), time_by_op_gpu(rf)
    ops = sorted(set(oa) | set(og), key=lambda k: -(oa.get(k, 0.0) + og.get(k, 0.0)))
    series = [(op, PALETTE[i % len(PALETTE)]) for i, op in enumerate(ops)]
    bars = [("accelerator", [oa.get(op, 0.0) * 1e6 for op in ops]), ("GPU", [og.get(op, 0.0) * 1e6 for op in ops])]
    chart = render(Bars.of("where the time goes", Axis("time", "us"), bars, series, None, lambda v, _r: f"{v:,.1f} us"))
    op_rows = [[op, oa.get(op, 0.0) * 1e6, og.get(op, 0.0) * 1e6] for op in ops]
    op_table = table([("op", "layer type"), ("accelerator us", ""), ("GPU us", "")], op_rows, "ops", left=("op",))
    sections = [("totals", "Totals", section("totals", "Accelerator and GPU", table(cols, rows, "totals",
                                                                                 left=("metric", "unit")), summary)),
                ("time", "Time", section("time", "Where the time goes", f'<div class="chart">{chart}</div>' + op_table,
                                         "Per layer type; the GPU counts each fused kernel under its head layer."))]
    return page(f"Comparison: {la} vs {lg}", f"{esc(workload.model)} {esc(workload.recipe)}", sections)
