"""``python -m analysis sweep`` and ``python -m analysis pareto``."""

from __future__ import annotations

import argparse
import sys

from workloads.cli_common import add_columns_arg, add_output_args, emit, json_text, rich_table, select_columns
from workloads.errors import InputError

_SHOW = ("latency_us", "energy_uj", "area_mm2", "power_w", "tops_per_w", "utilization", "stall_frac")


def add_parser(sub) -> None:
    p = sub.add_parser("sweep", help="run a design-space sweep spec into a Parquet results directory",
                       description="Run every design of SPEC on every workload; rows stream to RESULTS.parquet/ "
                                   "(load with pandas.read_parquet). Killed? Rerun with --resume.")
    p.add_argument("spec", help="sweep spec YAML (see docs/sweeps.md and sweeps/*.yaml)")
    p.add_argument("-o", "--output", required=True, metavar="RESULTS.parquet", help="results directory")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run on this Dask distributed scheduler")
    p.add_argument("--workers", type=int, metavar="N", help="local processes (default: all cores; 0: in-process)")
    p.add_argument("--chunk-size", type=int, metavar="N", help="designs per task (default: automatic, <= 4096)")
    p.add_argument("--resume", action="store_true", help="keep stored points and run only the missing ones")
    p.add_argument("--force", action="store_true", help="replace an existing results directory")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--screen", action=argparse.BooleanOptionalAction, default=None,
                   help="two stages: bound every point in closed form, run exactly only the points that can still "
                        "reach the Pareto front (same front as the full sweep); default: the spec's `screen`")
    p.add_argument("--search", metavar="METHOD", choices=("nsga2",),
                   help="search the space with a multi-objective optimizer instead of running the grid (nsga2: "
                        "Optuna's NSGA-II, the screening bound as a filter); default: the spec's `search`")
    p.add_argument("--trials", type=int, metavar="N", help="with --search: designs asked per workload")
    p.add_argument("--population", type=int, metavar="N", help="with --search: designs per generation")
    p.add_argument("--seed", type=int, metavar="N", help="with --search: the optimizer's seed")
    from simulator.overrides import add_set_arg

    add_set_arg(p)
    p.set_defaults(func=_sweep)

    q = sub.add_parser("pareto", help="Pareto-optimal designs (and top-k) of sweep results",
                       description="Print the Pareto front of each workload's feasible designs, the top-k per "
                                   "objective, and optionally plot the front.")
    q.add_argument("results", help="results directory (or Parquet file) written by `sweep`")
    q.add_argument("--objectives", metavar="A,B[,C]",
                   help="metrics to minimize (max:NAME to maximize); default: the spec's objectives")
    q.add_argument("--top", type=int, default=5, metavar="K", help="top-K table per objective (0: none)")
    q.add_argument("--workload", help="only this workload label")
    q.add_argument("--by", choices=("workload", "model", "none"), default="workload",
                   help="one front per workload (default), per model (recipes share a front: accuracy vs cost), "
                        "or one front over everything")
    q.add_argument("--all", action="store_true", help="include designs that break the spec's constraints")
    q.add_argument("--plot", metavar="FILE", help="plot the front (.png/.pdf/.svg): 2-D, or every pair for 3+")
    add_output_args(q)
    add_columns_arg(q, "front and top-k table")
    q.set_defaults(func=_pareto)


def _sweep(args) -> int:
    import os

    from analysis.sweep import load_spec, run_sweep

    for name in ("workers", "chunk_size"):
        v = getattr(args, name)
        if v is not None and v < (0 if name == "workers" else 1):
            raise InputError(f"--{name.replace('_', '-')}", name, f"{v} is out of range")
    cores = os.cpu_count() or 1
    if args.workers is not None and args.workers > 4 * cores:  # more processes than that only share the cores
        raise InputError("--workers", "workers", f"{args.workers} is above 4 x {cores} cores", f"0 to {4 * cores}")
    from simulator.overrides import parse_sets

    spec = load_spec(args.spec, overrides=parse_sets(args.overrides))   # --set changes the spec's base hardware
    search = _search_args(args, spec)
    s = run_sweep(spec, args.output, scheduler=args.scheduler, resume=args.resume, force=args.force,
                  workers=args.workers, chunk_size=args.chunk_size,
                  progress=not args.no_progress and sys.stderr.isatty(), screen=args.screen, search=search)
    print(f"{spec.name}: {s.points_run:,} points run, {s.points_skipped:,} already stored, "
          f"{s.feasible:,} feasible, {s.errors:,} could not run; {s.seconds:.1f} s "
          f"({s.points_per_s:,.0f} points/s) -> {s.output}")
    if s.screen:
        st = s.screen
        print(f"screening: {st['screened']:,} points bounded ({st['screen_seconds']:.1f} s), {st['cannot_run']:,} "
              f"cannot run, {st['constraint_pruned']:,} break a constraint by their bound, {st['dominance_pruned']:,} "
              f"dominated by an exact point; {st['exact']:,} evaluated exactly ({st['seed']:,} seeds + "
              f"{st['rounds']} rounds); the front equals the full sweep's")
    if s.search:
        st = s.search
        print(f"search ({st['method']}): {st['asked']:,} trials over {st['designs_in_space']:,} designs x "
              f"{len(spec.workloads)} workloads in {st['generations']} generations; {st['screen_pruned']:,} pruned by "
              f"their bound, {st['exact']:,} evaluated exactly, {st['infeasible']:,} infeasible; front sizes "
              f"{', '.join(str(n) for n in st['front_sizes'])}")
    if s.first_error:
        print(f"first error: {s.first_error}")
    for line in s.set_aside:
        print(f"set aside (damaged; its points ran again): {line}")
    print(f"next: vitsim pareto {s.output}   or   vitsim report --sweep {s.output} -o results/{spec.name}.html")
    return 0


def _search_args(args, spec):
    """The search to run: the spec's ``search`` block with --search/--trials/--population/--seed over it; None
    when neither names one."""
    from dataclasses import replace

    from analysis.sweep.load import parse_search

    given = {k: getattr(args, k) for k in ("trials", "population", "seed") if getattr(args, k) is not None}
    if args.search is None and spec.search is None:
        if given:
            raise InputError(f"--{next(iter(given))}", next(iter(given)), "needs --search (or a spec `search`)",
                             "--search nsga2")
        return None
    base = spec.search if spec.search is not None else parse_search("--search", args.search)
    if args.search is not None:
        base = replace(base, method=args.search)
    raw = {"method": base.method, "trials": base.trials, "population": base.population, "seed": base.seed, **given}
    return parse_search("--search", raw)


def _missing(frame):
    """Sweep rows keep NaN for what is not available (a point that could not run, an unknown accuracy): shown as
    ``-`` in tables, empty in CSV, null in JSON. An infinity is never stored (analysis/sweep/store.py)."""
    return frame.astype(object).where(frame.notna(), None)


def _pareto(args) -> int:
    from analysis.frontchart import plot_front
    from analysis.pareto import parse_objectives
    from analysis.pareto_scan import scan_front
    from analysis.sweep import read_manifest
    from analysis.sweep.read import columns_of, scan_batches

    manifest = read_manifest(args.results) or {}
    default = manifest.get("objectives") or ["latency_us", "energy_uj"]
    objectives = parse_objectives(args.objectives or default)
    kinds = {**{o.metric: "number" for o in objectives}, "feasible": "bool", "workload": "string"}
    names = columns_of(args.results, kinds)   # the schema only: rows are read in batches (analysis/pareto_scan.py)
    if len(objectives) < 2:
        raise InputError("--objectives", "objectives", "a front needs at least two objectives")
    missing = [o.metric for o in objectives if o.metric not in names]
    if missing:
        raise InputError("--objectives", "objectives", f"unknown metric {missing[0]!r}",
                         ", ".join(c for c in names if c not in ("point_id", "design", "workload", "error")))
    if args.top < 0:
        raise InputError("--top", "top", f"{args.top} is below 0")
    by = None if args.by == "none" else args.by
    if by == "model" and "model" not in names:
        raise InputError("--by", "by", "these results have no model column (swept before accuracy columns)",
                         "workload, none")
    axes = manifest.get("axes") or [c for c in names if "." in c]
    metrics = [o.metric for o in objectives] + [m for m in _SHOW if m in names
                                                and m not in {o.metric for o in objectives}]
    cols = ["workload"] + [a for a in axes if a in names] + metrics
    cols, width = select_columns(args.columns, cols + [c for c in names if c not in cols], cols, "workload")
    read = list(dict.fromkeys(cols + [a for a in axes if a in names])) if args.plot else cols  # the plot's labels
    front, tops, st = scan_front(args.results, objectives, by=by, include_infeasible=args.all, top=args.top,
                                 workload=args.workload, columns=read)
    if args.workload and args.workload not in st.workloads:
        raise InputError("--workload", "workload", f"unknown workload {args.workload!r}",
                         ", ".join(sorted(st.workloads)))
    shown = _missing(front)
    if args.format == "json":
        out = {"objectives": [o.text for o in objectives], "front": shown[cols].to_dict(orient="records"),
               "top": {o.text: _missing(tops[o.text])[cols].to_dict(orient="records") for o in objectives}
               if args.top else {}}
        emit(json_text(out), args.output)
    elif args.format == "csv":
        from workloads.csvcells import frame_csv

        emit(frame_csv(shown[cols]), args.output)
    else:
        title = (f"Pareto front ({', '.join(o.text for o in objectives)}): {len(front)} of {st.kept:,} "
                 f"{'' if args.all else 'feasible '}points")
        text = rich_table(title, cols, shown[cols].values.tolist(), width)
        for o in objectives if args.top else []:
            t = _missing(tops[o.text])
            text += rich_table(f"Top {args.top} by {o.text}", cols, t[cols].values.tolist(), width)
        emit(text, args.output)
    if args.plot:
        import pyarrow as pa

        from analysis.pareto import feasible_rows

        need = list(dict.fromkeys(["workload", *([by] if by else []), *[o.metric for o in objectives],
                                   *[a for a in axes if a in names], "feasible", "error"]))
        df = pa.Table.from_batches(list(scan_batches(args.results, need))).to_pandas()
        if args.workload:
            df = df[df["workload"] == args.workload]
        plot_front(feasible_rows(df, args.all), front, objectives, args.plot, by=by, title=manifest.get("name", ""),
                   axes=axes)
    return 0
