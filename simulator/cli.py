"""``python -m simulator``: run a workload on a hardware config and report per layer and in total."""

from __future__ import annotations

import argparse
from pathlib import Path

from workloads.cli_common import (
    Parser,
    add_output_args,
    emit,
    output_format,
    run_main,
    terminal_width,
    text_table,
)
from workloads.version import add_version_arg

# the default table's columns, most telling first: the table keeps those that fit the terminal
TABLE_COLUMNS = ["name", "op", "precision", "pe_precision", "total_cycles", "compute_cycles", "stall_cycles",
                 "stall_buffer", "utilization", "macs", "dram_read_bytes", "dram_write_bytes", "sram_read_bytes",
                 "energy_pj"]
TOTAL_KEYS = ["total_cycles", "gemm_cycles", "vector_cycles", "compute_cycles", "stall_cycles", "stall_memory_cycles",
              "stall_chunk_fill_cycles", "ppu_stall_cycles", "dram_floor_stall_cycles", "latency_us",
              "throughput_fps", "utilization", "gemm_utilization", "macs", "sram_read_bytes", "sram_write_bytes",
              "dram_read_bytes", "dram_write_bytes", "energy_uj", "energy_per_image_uj", "energy_mac_uj",
              "energy_sram_uj", "energy_dram_uj", "energy_vector_uj", "energy_static_uj", "power_w", "peak_tops",
              "effective_tops", "tops_per_w", "tops_per_w_on_chip", "images_per_s_per_w", "area_mm2",
              "promoted_layers"]
HOST_KEYS = ("host_us", "energy_host_uj")    # shown when the config has a host section


def build_parser(prog: str = "python -m simulator") -> argparse.ArgumentParser:
    p = Parser(prog=prog,
                                description="vitsim: cycle-approximate simulation of quantized ViTs on systolic arrays. "
                                            "'fpga list': the FPGA parts (docs/fpga.md).")
    add_version_arg(p)
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="simulate a workload on a hardware config",
                       description="Simulate a workload on HW (a shipped config name such as int4 or tpu_v1, a "
                                   "vitsim YAML, or a SCALE-Sim .cfg). Without --workload/--model/--topology the "
                                   "config's default_workload runs.")
    r.add_argument("hardware", metavar="HW",
                   help="hardware: a shipped name (" + ", ".join(_hardware_names()) + ") or a YAML / SCALE-Sim .cfg path")
    src = r.add_mutually_exclusive_group()
    src.add_argument("--workload", metavar="FILE|NAME",
                     help="workload file (.yaml/.json), zoo name (deit_small-w4a4) or model name")
    src.add_argument("--model", metavar="NAME",
                     help="model: an analytic preset (deit_small, vit_large, ...), a timm model (traced) or an "
                          ".onnx file (imported: docs/onnx.md)")
    src.add_argument("--topology", metavar="CSV", help="SCALE-Sim topology CSV (GEMM or convolution rows)")
    r.add_argument("--recipe", metavar="R", help="quantization recipe (a shipped name or a YAML file) for the workload")
    r.add_argument("--batch", type=int, help="images per batch (rescales the workload)")
    add_output_args(r)
    r.add_argument("--out", metavar="DIR", help="also write layers.csv, result.json and hardware.yaml into DIR")
    from simulator.overrides import add_set_arg

    add_set_arg(r)
    r.add_argument("--columns", metavar="all|A,B,...",
                   help="table columns: 'all' (every column of docs/columns.md) or a comma-separated list; "
                        "json and csv always carry every column")
    return p


def main(argv: list[str] | None = None, prog: str = "python -m simulator") -> int:
    import sys

    rest = list(sys.argv[1:] if argv is None else argv)
    if rest[:1] == ["fpga"]:     # python -m simulator fpga list (simulator/cli_fpga.py; vitsim fpga list)
        from simulator.cli_fpga import main as fpga_main

        return fpga_main(rest[1:], prog=f"{prog} fpga")
    args = build_parser(prog).parse_args(argv)
    output_format(args)
    if args.command == "run":
        return cmd_run(args)
    return 2


def _hardware_names() -> list[str]:
    import hwconfigs

    return hwconfigs.names()


def workload_for(args, hw):
    """The workload of --workload, --model or --topology (with --recipe, --batch), or the hardware's default one."""
    from workloads.errors import InputError
    from workloads.resolve import resolve_workload

    if args.batch is not None and args.batch < 1:
        raise InputError("--batch", "batch", f"{args.batch} is below 1", "integers >= 1")
    if args.topology:
        from workloads.scalesim_io import read_topology

        if args.recipe:
            raise InputError("--recipe", "recipe", "a SCALE-Sim topology has no layer names for a recipe to match",
                             "--workload or --model")
        workload = read_topology(args.topology)
        return workload.with_batch(args.batch) if args.batch is not None else workload
    spec = args.workload or (None if args.model else hw.default_workload)
    if spec is None and args.model is None:
        raise InputError(hw.source, "default_workload", "not set and no --workload/--model given")
    return resolve_workload(spec, model=args.model, recipe=args.recipe, batch=args.batch)


def cmd_run(args) -> int:
    from simulator.engine import simulate
    from simulator.loader import load_hardware
    from workloads.io import check_output_dir, check_output_file

    if args.output:  # a wrong output place is refused before any work, and nothing is written
        check_output_file(args.output)
    if args.out:
        check_output_dir(args.out)
    from simulator.overrides import parse_sets

    hw = load_hardware(args.hardware, parse_sets(args.overrides))
    columns = table_columns(args.columns)
    workload = workload_for(args, hw)
    result = simulate(workload, hw)
    if args.format == "json":
        text = result.to_json()
    elif args.format == "csv":
        text = result.to_csv()
    else:
        text = render_table(result, columns, width=None if args.columns != "all" else 1 << 30) + loaded_line(args)
    emit(text, args.output)
    if args.out:
        from workloads.progress import wrote

        files = result.write(Path(args.out))
        wrote(f"{args.out.rstrip('/')}/", ", ".join(Path(f).name for f in files))
    return 0


def loaded_line(args) -> str:
    """Which files the run read (a name resolves to the zoo or a shipped config unless it is a path)."""
    from simulator.loader import describe_hardware
    from simulator.overrides import describe_sets, parse_sets
    from workloads.resolve import describe_spec

    parts = [f"hardware: {describe_hardware(args.hardware)}{describe_sets(parse_sets(getattr(args, 'overrides', ())))}"]
    if args.topology:
        parts.append(f"workload: SCALE-Sim topology {Path(args.topology).resolve()}")
    elif args.workload or args.model:
        parts.append(f"workload: {describe_spec(args.workload, args.model)}")
    else:
        parts.append("workload: the hardware's default_workload")
    return "loaded: " + "; ".join(parts) + "\n"


def table_columns(spec: str | None) -> list[str]:
    """The table's columns from --columns (names checked against simulator/schema.py)."""
    from simulator.schema import LAYER_NAMES
    from workloads.errors import InputError

    if spec is None:
        return TABLE_COLUMNS
    if spec == "all":
        return list(LAYER_NAMES)
    names = [c.strip() for c in spec.split(",") if c.strip()]
    bad = [c for c in names if c not in LAYER_NAMES]
    if bad or not names:
        raise InputError("--columns", "columns", f"unknown column {bad[0] if bad else spec!r}",
                         "all, or names from docs/columns.md")
    return names if names[0] == "name" else ["name", *names]


def render_table(result, columns: list[str] = TABLE_COLUMNS, width: int | None = None) -> str:
    """Per-layer table and totals (with units) as plain text fitting ``width`` (default: the terminal)."""
    from simulator.hardware import HostConfig
    from simulator.schema import TOTAL_FIELDS, field

    cols = result.columns()
    hwd, w = result.hardware, result.workload
    chip = result.hw if result.engines else None
    hw = chip.engines[0].hw if chip else result.hw    # the first engine's units and assumptions
    if chip:
        from simulator.cli_engines import chip_title

        title = chip_title(result)
        columns = columns if "engine" in columns else [columns[0], "engine", *columns[1:]]
    else:
        title = (f"{w['model']} ({w['recipe']}, batch {w['batch']}) on {hwd['name']}: "
                 f"{hwd['array']['rows']}x{hwd['array']['cols']} {hwd['array']['dataflow']} @ "
                 f"{hwd['freq_mhz']:g} MHz")
    cycle_cols = {c for c in columns if field(c).unit == "cycles"}
    rows = [[cycles_cell(v) if c in cycle_cols else v for c, v in zip(columns, r)]
            for r in zip(*(cols[c] for c in columns))]
    text = text_table(title, columns, rows, width)
    t = result.totals
    text += text_table("totals", ["metric", "value", "unit"],
                       [[f.name, cycles_cell(t[f.name]) if f.unit == "cycles" else t[f.name], f.unit]
                        for f in TOTAL_FIELDS if f.name in TOTAL_KEYS
                        or (f.name in HOST_KEYS and not chip and result.hw.host != HostConfig())], width)
    if chip:   # the per-engine table and the schedule's notes (simulator/cli_engines.py)
        from simulator.cli_engines import engines_text

        text += engines_text(result, width)
    if result.hw.fpga is not None:   # FPGA designs: the fit, then the FPGA totals (simulator/fpga/totals.py)
        from simulator.fpga.totals import fit_lines
        from simulator.schema import FPGA_TOTAL_FIELDS

        text += "\n".join(fit_lines(result.hw)) + "\n"
        text += text_table("FPGA totals", ["metric", "value", "unit"],
                           [[f.name, t[f.name], f.unit] for f in FPGA_TOTAL_FIELDS], width)
    notes = [] if chip else [f"time: GEMM layers {_share(t.gemm_cycles, t.total_cycles)}, vector unit "
             f"{_share(t.vector_cycles, t.total_cycles)} of total_cycles (stalls included: "
             f"{_share(t.stall_cycles, t.total_cycles)}). utilization = macs / (total_cycles x R x C x p), p of the "
             f"fastest PE mode used; gemm_utilization counts GEMM time only."]
    promoted = sorted({f"{a}->{b}" for a, b, p in zip(cols["precision"], cols["pe_precision"], cols["promoted"]) if p})
    n = sum(cols["promoted"])
    if n:
        notes.append(f"note: {n} layers run at a wider precision than their bits (no exact PE mode): "
                     f"{', '.join(promoted)}")
    if unlimited_dram(hw):
        notes.append("DRAM: unlimited bandwidth (a SCALE-Sim config with InterfaceBandwidth: CALC: vitsim moves "
                     "bytes in no time, so nothing waits for DRAM; SCALE-Sim's CALC sizes each layer's bandwidth "
                     "so that it never stalls either). Set InterfaceBandwidth: USER for a real interface.")
    if any(v != int(v) for c in ("total_cycles", "stall_cycles") for v in cols[c]):
        notes.append("cycles: whole where the array counts them; with a decimal where a DRAM transfer ends "
                     "mid-cycle (bytes / bytes per cycle, kept, not rounded up: docs/columns.md).")
    import textwrap

    wrap = terminal_width() if width is None else min(width, 120)
    text += "".join(textwrap.fill(n, wrap, subsequent_indent="  ") + "\n" for n in notes)
    from simulator.assumptions import assumptions_text

    text += "assumptions that move these numbers (docs/formats.md: --set):\n"
    text += "".join(textwrap.fill(a, wrap, initial_indent="  ", subsequent_indent="    ") + "\n"
                    for a in assumptions_text(hw, t))
    text += "every column with its unit: --columns all, --format csv|json, docs/columns.md\n"
    return text


def unlimited_dram(hw) -> bool:
    """True for the unlimited DRAM of a SCALE-Sim ``InterfaceBandwidth: CALC`` config (simulator/scalesim_cfg.py)."""
    from simulator.scalesim_cfg import CALC_BYTES_PER_CYCLE

    return hw.dram_bytes_per_cycle >= CALC_BYTES_PER_CYCLE


def cycles_cell(v):
    """A cycle count as printed: an int when whole (``2,723,248``), else one decimal (``691.5``)."""
    if isinstance(v, float) and v == int(v):
        return int(v)
    return f"{v:,.1f}" if isinstance(v, float) else v


def _share(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def entry() -> None:
    raise SystemExit(run_main(main))
