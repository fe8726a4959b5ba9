"""Speed of the main job: one design simulating a whole network, in-process and through the CLI.

Measured (each figure with wall time, CPU time and the 1-minute load average, since the machine is shared):
  in-process, DeiT-B W4A4 on int4 (160 layers, 8 distinct GEMMs), caches warm, median of --repeat runs:
    ``simulate(w, hw).layers`` (per-layer DataFrame built), ``simulate(w, hw)`` (no DataFrame), and both again
    uncached (``simulator.model.network.run_kernel.cache_clear()`` and the engine's per-workload memo of the
    prepared workload and its counts, ``simulator.engine.clear_memo()``, before each run); the variants run
    round-robin in one loop so their ratios see the same load;
  in-process, DeiT-S W4A4 ``simulate_totals`` (the one-design sweep path), warm;
  fresh processes (CPU from ``getrusage(RUSAGE_CHILDREN)``), one warm-up run first (OS page cache, Numba cache):
    ``python -m simulator run hwconfigs/int4.yaml`` (its default workload, DeiT-S W4A4, table printed),
    ``python -m simulator --help`` and, for reference, ``python -c pass`` (the interpreter's own start);
    when the shell sets PYTHONDONTWRITEBYTECODE (no .pyc is ever written, so every project module is compiled
    from source at each start), the two commands again with bytecode cached in a private PYTHONPYCACHEPREFIX.

Targets (project issue): DeiT-B simulate <= 1 ms warm with the DataFrame; CLI run <= 0.5 s wall; --help <= 0.15 s.

    python benchmarks/bench_run.py                        # table; exit 1 if a target is missed
    python benchmarks/bench_run.py --json out.json        # also write every figure
    python benchmarks/bench_run.py --profile              # also cProfile what misses its target
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_common import PROFILE_CHILD, load1

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# measurement name -> (target seconds, what the target bounds)
TARGETS = {
    "deit_b.simulate+dataframe.warm": 1e-3,
    "cli.run_int4": 0.5,
    "cli.help": 0.15,
    "cli.run_int4.pyc": 0.5,
    "cli.help.pyc": 0.15,
}



def summarize(name: str, label: str, walls: list[float], cpus: list[float], load_before: float,
              load_after: float) -> dict:
    target = TARGETS.get(name)
    med = statistics.median(walls)
    row = {"name": name, "label": label, "n": len(walls), "wall_median_s": med, "wall_min_s": min(walls),
           "wall_max_s": max(walls), "cpu_median_s": statistics.median(cpus), "cpu_total_s": sum(cpus),
           "load1_before": load_before, "load1_after": load_after}
    if target is not None:  # the targets bound wall time; CPU time shows whether a miss is the machine's load
        row["target_s"] = target
        row["target_met"] = med <= target
        row["cpu_within_target"] = row["cpu_median_s"] <= target
    return row


# ---------------------------------------------------------------------------------------------- in-process


def in_process(repeat: int) -> list[dict]:
    from simulator import load_hardware, simulate, simulate_totals
    from simulator.engine import clear_memo
    from simulator.model.network import run_kernel
    from workloads import load_workload

    hw = load_hardware("int4")
    wb = load_workload("deit_base-w4a4")
    ws = load_workload("deit_small-w4a4")
    _ = simulate(wb, hw).layers  # imports pandas, fills every cache
    simulate_totals(ws, hw)

    def warm_df():
        return simulate(wb, hw).layers

    def warm_nodf():
        return simulate(wb, hw)

    def cold_df():
        run_kernel.cache_clear()
        clear_memo()
        return simulate(wb, hw).layers

    def cold_nodf():
        run_kernel.cache_clear()
        clear_memo()
        return simulate(wb, hw)

    variants = [
        ("deit_b.simulate+dataframe.warm", "DeiT-B simulate(w, hw).layers, warm", warm_df),
        ("deit_b.simulate.warm", "DeiT-B simulate(w, hw), no DataFrame, warm", warm_nodf),
        ("deit_b.simulate+dataframe.uncached", "DeiT-B simulate(w, hw).layers, run_kernel cache and engine memo cleared", cold_df),
        ("deit_b.simulate.uncached", "DeiT-B simulate(w, hw), run_kernel cache and engine memo cleared", cold_nodf),
    ]
    walls = {v[0]: [] for v in variants}
    cpus = {v[0]: [] for v in variants}
    l0 = load1()
    for _ in range(repeat):  # round-robin: every variant sees the same load
        for name, _, fn in variants:
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            c1, w1 = time.process_time(), time.perf_counter()
            walls[name].append(w1 - w0)
            cpus[name].append(c1 - c0)
    l1 = load1()
    rows = [summarize(name, label, walls[name], cpus[name], l0, l1) for name, label, _ in variants]

    l0 = load1()
    tw, tc = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        simulate_totals(ws, hw)
        c1, w1 = time.process_time(), time.perf_counter()
        tw.append(w1 - w0)
        tc.append(c1 - c0)
    rows.append(summarize("deit_s.simulate_totals.warm", "DeiT-S simulate_totals(w, hw), warm", tw, tc, l0, load1()))
    return rows


# ---------------------------------------------------------------------------------------------- fresh processes


def child_run(cmd: list[str], env: dict) -> tuple[float, float]:
    """(wall, CPU) of one fresh process; CPU = its user + system time from RUSAGE_CHILDREN."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    w0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - w0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stderr.decode()[-2000:]}")
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def processes(repeat: int, pycache: str) -> list[dict]:
    """Fresh processes, twice: with this shell's environment (here PYTHONDONTWRITEBYTECODE=1, so every module
    without a .pyc is compiled from source at each start) and with bytecode cached in a private
    PYTHONPYCACHEPREFIX (as an installed package runs; the repository's tree is left untouched)."""
    py = sys.executable
    shell = dict(os.environ)
    cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cached["PYTHONPYCACHEPREFIX"] = pycache
    nobc = " [no .pyc]" if os.environ.get("PYTHONDONTWRITEBYTECODE") else ""
    commands = [
        ("cli.python_pass", "python -c pass (interpreter start, reference)", [py, "-c", "pass"], shell),
        ("cli.help", f"python -m simulator --help{nobc}", [py, "-m", "simulator", "--help"], shell),
        ("cli.run_int4", f"python -m simulator run hwconfigs/int4.yaml{nobc}",
         [py, "-m", "simulator", "run", "hwconfigs/int4.yaml"], shell),
    ]
    if nobc:
        commands += [
            ("cli.help.pyc", "python -m simulator --help [.pyc cached]", [py, "-m", "simulator", "--help"], cached),
            ("cli.run_int4.pyc", "python -m simulator run hwconfigs/int4.yaml [.pyc cached]",
             [py, "-m", "simulator", "run", "hwconfigs/int4.yaml"], cached),
        ]
    for _, _, cmd, env in commands:  # warm-up: page cache, Numba's on-disk cache, the private .pyc cache
        child_run(cmd, env)
    walls = {c[0]: [] for c in commands}
    cpus = {c[0]: [] for c in commands}
    l0 = load1()
    for _ in range(repeat):  # round-robin, as in-process
        for name, _, cmd, env in commands:
            w, c = child_run(cmd, env)
            walls[name].append(w)
            cpus[name].append(c)
    l1 = load1()
    return [summarize(name, label, walls[name], cpus[name], l0, l1) for name, label, _, _ in commands]


# ---------------------------------------------------------------------------------------------- output


def fmt_s(x: float) -> str:
    return f"{x * 1e3:8.3f} ms" if x < 1 else f"{x:8.3f} s "


def table(rows: list[dict]) -> str:
    head = (f"{'measurement':58s} {'n':>4s} {'wall median':>12s} {'wall min':>12s} {'CPU median':>12s} "
            f"{'load1 before/after':>19s}  target")
    out = [head, "-" * len(head)]
    for r in rows:
        verdict = ""
        if "target_s" in r:
            verdict = f"<= {fmt_s(r['target_s']).strip()} " + (
                "ok" if r["target_met"] else "MISSED (CPU within: load)" if r["cpu_within_target"] else "MISSED")
        out.append(f"{r['label']:58s} {r['n']:4d} {fmt_s(r['wall_median_s']):>12s} {fmt_s(r['wall_min_s']):>12s} "
                   f"{fmt_s(r['cpu_median_s']):>12s} {r['load1_before']:9.2f}/{r['load1_after']:<9.2f}  {verdict}")
    return "\n".join(out)


def ratios(rows: list[dict]) -> dict:
    """Ratios of medians within this run, on wall and on CPU time (CPU is the steadier on a shared machine)."""
    out = {}
    for kind in ("wall", "cpu"):
        by = {r["name"]: r[f"{kind}_median_s"] for r in rows}
        out[kind] = {
            "dataframe_share_warm": 1 - by["deit_b.simulate.warm"] / by["deit_b.simulate+dataframe.warm"],
            "uncached_over_warm": by["deit_b.simulate.uncached"] / by["deit_b.simulate.warm"],
            "cli_run_over_python_start": by["cli.run_int4"] / by["cli.python_pass"],
            "cli_help_over_python_start": by["cli.help"] / by["cli.python_pass"],
        }
        if "cli.help.pyc" in by:
            out[kind]["cli_help_pyc_over_no_pyc"] = by["cli.help.pyc"] / by["cli.help"]
            out[kind]["cli_run_pyc_over_no_pyc"] = by["cli.run_int4.pyc"] / by["cli.run_int4"]
    return out


def profile_missed(rows: list[dict], top: int) -> None:
    """cProfile of each measurement that missed its target: top functions by cumulative time."""
    import cProfile
    import pstats

    missed = {r["name"] for r in rows if r.get("target_met") is False}
    if "deit_b.simulate+dataframe.warm" in missed:
        from simulator import load_hardware, simulate
        from workloads import load_workload

        hw, w = load_hardware("int4"), load_workload("deit_base-w4a4")
        _ = simulate(w, hw).layers
        prof = cProfile.Profile(time.process_time)
        prof.enable()
        for _ in range(200):
            _ = simulate(w, hw).layers
        prof.disable()
        print(f"\ncProfile (CPU time): 200 x DeiT-B simulate(w, hw).layers, warm (load1 {load1():.2f}); top {top} by "
              f"cumulative")
        pstats.Stats(prof).sort_stats("cumulative").print_stats(top)
    for name, args in (("cli.run_int4", ["-m", "simulator", "run", "hwconfigs/int4.yaml"]),
                       ("cli.help", ["-m", "simulator", "--help"])):
        if name not in missed and name + ".pyc" not in missed:
            continue
        out = Path(tempfile.gettempdir()) / f"vitsim_bench_{name}.prof"
        subprocess.run([sys.executable, "-c", PROFILE_CHILD, str(out), *args[1:]], cwd=ROOT, stdout=subprocess.DEVNULL,
                       check=True)
        print(f"\ncProfile (CPU time): python {' '.join(args)} (fresh process, load1 {load1():.2f}); top {top} by "
              f"cumulative")
        pstats.Stats(str(out)).sort_stats("cumulative").print_stats(top)
        out.unlink()
        imp = subprocess.run([sys.executable, "-X", "importtime", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, check=True).stderr
        heavy = []
        for ln in imp.splitlines():  # "import time: self [us] | cumulative | <indent>module"
            parts = ln.split("|")
            if ln.startswith("import time:") and len(parts) == 3 and parts[1].strip().isdigit():
                depth = (len(parts[2]) - len(parts[2].lstrip()) - 1) // 2
                if depth <= 1:
                    heavy.append((int(parts[1]), "  " * depth + parts[2].strip()))
        heavy = sorted(heavy, reverse=True)[:15]
        print(f"python -X importtime {' '.join(args)}: top-level imports and theirs by cumulative time")
        for us, mod in heavy:
            print(f"  {us / 1e3:8.1f} ms  {mod}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=100, help="in-process runs per variant (default %(default)s)")
    ap.add_argument("--cli-repeat", type=int, default=7, help="fresh processes per command after one warm-up "
                                                              "(default %(default)s)")
    ap.add_argument("--json", metavar="FILE", help="write every figure (and the ratios) as JSON")
    ap.add_argument("--profile", action="store_true", help="cProfile each measurement that misses its target")
    ap.add_argument("--top", type=int, default=25, help="functions shown per profile (default %(default)s)")
    args = ap.parse_args(argv)
    if args.repeat < 50 or args.cli_repeat < 5:
        ap.error("--repeat must be >= 50 and --cli-repeat >= 5 (medians of enough runs)")

    start = {"load": os.getloadavg(), "time": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    print(f"{start['time']}  {os.cpu_count()} CPUs  Python {platform.python_version()}  "
          f"load average {' '.join(f'{x:.2f}' for x in start['load'])}")
    gc.collect()
    rows = in_process(args.repeat)
    with tempfile.TemporaryDirectory(prefix="vitsim-bench-pyc-") as pycache:
        rows += processes(args.cli_repeat, pycache)
    end = os.getloadavg()
    print(table(rows))
    rat = ratios(rows)
    for kind, r in rat.items():
        extra = (f"; with .pyc / without: --help {r['cli_help_pyc_over_no_pyc']:.2f}, run "
                 f"{r['cli_run_pyc_over_no_pyc']:.2f}" if "cli_help_pyc_over_no_pyc" in r else "")
        print(f"ratios of {kind} medians (same run): DataFrame = {r['dataframe_share_warm']:.0%} of warm "
              f"simulate+DataFrame; uncached / warm (no DataFrame) = {r['uncached_over_warm']:.2f}; "
              f"CLI run / python -c pass = {r['cli_run_over_python_start']:.1f}; --help / python -c pass = "
              f"{r['cli_help_over_python_start']:.1f}{extra}")
    print(f"load average at the end {' '.join(f'{x:.2f}' for x in end)}; in-process CPU = time.process_time(), "
          f"fresh processes' CPU = getrusage(RUSAGE_CHILDREN) user + system")
    if args.json:
        Path(args.json).write_text(json.dumps({"started": start["time"], "cpus": os.cpu_count(),
                                               "python": platform.python_version(), "load_start": start["load"],
                                               "load_end": end, "rows": rows, "ratios": rat}, indent=1) + "\n")
    if args.profile:
        profile_missed(rows, args.top)
    return 0 if all(r.get("target_met", True) for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
