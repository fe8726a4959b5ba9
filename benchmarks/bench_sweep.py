"""Design-space sweep speed, end to end: ``python -m analysis sweep SPEC -o OUT --no-progress`` in a fresh process.

A point = one hardware design simulating a whole network (here DeiT-S, 160 layers): one results row. The default
spec, sweeps/deit_s_large.yaml, has 73,728 points (36,864 designs x W8A8 and W4A4). Reported, each with the
1-minute load average and CPU time beside the wall time (the machine is shared: CPU time is the steadier figure):
  reference: the worker's own cost in this process (``analysis.sweep.worker.run_chunk`` on the first chunk of
    the default size, median of a few), i.e. the rate ``--workers`` processes would reach with no overhead;
  local pool (``--workers`` processes, default 2): one warm-up run (OS page cache, Numba's on-disk cache), then
    ``--repeat`` timed runs; points/s from the sweep's own summary line (pool start to last flush) and from the
    wall time of the whole command (interpreter start to exit); CPU of the command and its workers from
    ``getrusage(RUSAGE_CHILDREN)``; peak RSS of the largest process;
  the same on a Dask ``distributed.LocalCluster(n_workers, threads_per_worker=1, host='127.0.0.1')`` started
    here, the command given ``--scheduler`` its address (CPU: the command + the cluster's worker processes
    + the scheduler in this process);
  each run's results are checked: Parquet row count == the spec's points, point_id unique, no errors.

Target (project issue): >= 20,000 points/s on 2 local processes (aim: 50,000).

    python benchmarks/bench_sweep.py                       # local pool and Dask, deit_s_large.yaml
    python benchmarks/bench_sweep.py --no-dask --repeat 5 --json sweep.json
    python benchmarks/bench_sweep.py --spec sweeps/deit_s_array.yaml --profile
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
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

TARGET_PPS = 20_000
AIM_PPS = 50_000
SUMMARY_RE = re.compile(r"([\d,]+) points run, ([\d,]+) already stored, ([\d,]+) feasible, ([\d,]+) could not run; "
                        r"([\d.]+) s \(([\d,]+) points/s\)")



def _int(s: str) -> int:
    return int(s.replace(",", ""))


# ---------------------------------------------------------------------------------------------- reference


def worker_reference(spec_path: Path, workers: int, repeat: int = 5) -> dict:
    """One chunk of the default size through ``run_chunk`` in this process: the worker's cost per point."""
    from analysis.sweep import default_chunk_size, load_spec, run_chunk
    from analysis.sweep.worker import warm

    spec = load_spec(spec_path)
    warm(spec)
    size = spec.chunk_size or default_chunk_size(spec.n_designs, workers)
    it = spec.design_indices()
    tasks = [(next(it), list(range(len(spec.workloads)))) for _ in range(min(size, spec.n_designs))]
    run_chunk(spec, tasks)  # first call: per-process variant setup
    walls, cpus = [], []
    l0 = load1()
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        batch = run_chunk(spec, tasks)
        cpus.append(time.process_time() - c0)
        walls.append(time.perf_counter() - w0)
    rows = batch.num_rows
    return {"spec": spec.name, "n_points": spec.n_points, "n_designs": spec.n_designs, "chunk_designs": size,
            "chunk_rows": rows, "repeat": repeat, "wall_median_s": statistics.median(walls),
            "cpu_median_s": statistics.median(cpus), "points_per_s_wall": rows / statistics.median(walls),
            "points_per_cpu_s": rows / statistics.median(cpus), "load1_before": l0, "load1_after": load1()}


# ---------------------------------------------------------------------------------------------- one command


def cluster_cpu(pids: dict) -> float:
    """Summed user + system CPU seconds of the processes ``pids`` (psutil.Process objects) still alive."""
    import psutil

    total = 0.0
    for p in pids.values():
        try:
            t = p.cpu_times()
        except psutil.Error:  # a process that ended counts nothing more
            continue
        total += t.user + t.system
    return total


def run_command(spec_path: Path, out: Path, workers: int, scheduler: str | None, chunk_size: int | None,
                extra_cpu=None) -> dict:
    """One ``python -m analysis sweep`` in a fresh process: wall, CPU, summary line, Parquet check."""
    cmd = [sys.executable, "-m", "analysis", "sweep", str(spec_path), "-o", str(out), "--no-progress"]
    cmd += ["--scheduler", scheduler] if scheduler else ["--workers", str(workers)]
    if chunk_size:
        cmd += ["--chunk-size", str(chunk_size)]
    l0 = load1()
    x0 = extra_cpu() if extra_cpu else 0.0
    self0 = time.process_time()
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        w0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=fo, stderr=fe)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - w0
        proc.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        stdout, stderr = fo.read().decode(), fe.read().decode()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    self_cpu = time.process_time() - self0
    x1 = extra_cpu() if extra_cpu else 0.0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{stdout}\n{stderr[-3000:]}")
    m = SUMMARY_RE.search(stdout)
    row = {"command": " ".join(cmd[1:]), "wall_s": wall,
           "cpu_command_s": (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime),
           "cpu_cluster_s": x1 - x0, "cpu_scheduler_s": self_cpu if scheduler else 0.0,
           "peak_rss_mib": usage.ru_maxrss / 1024, "load1_before": l0, "load1_after": load1(),
           "summary_line": next((ln for ln in stdout.splitlines() if "points run" in ln), stdout.strip())}
    row["cpu_total_s"] = row["cpu_command_s"] + row["cpu_cluster_s"] + row["cpu_scheduler_s"]
    if m:
        run, _, feasible, errors, secs, pps = m.groups()
        row.update(points_run=_int(run), feasible=_int(feasible), errors=_int(errors), sweep_s=float(secs),
                   summary_points_per_s=_int(pps))
    else:
        row.update(points_run=None, errors=None, sweep_s=None, summary_points_per_s=None)
    row.update(check_parquet(out))
    n = row["rows"]
    row["wall_points_per_s"] = n / wall
    row["points_per_cpu_s"] = n / row["cpu_total_s"] if row["cpu_total_s"] else float("nan")
    return row


def check_parquet(out: Path) -> dict:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    t = pq.read_table(out, columns=["point_id", "error"])
    size = sum(p.stat().st_size for p in out.glob("*.parquet"))
    errors = int(pc.sum(pc.not_equal(t.column("error"), "")).as_py() or 0)
    return {"rows": t.num_rows, "unique_point_ids": pc.count_distinct(t.column("point_id")).as_py(),
            "error_rows": errors, "parquet_mib": size / 2**20, "parts": len(list(out.glob("*.parquet")))}


def series(label: str, spec_path: Path, tmp: Path, n_points: int, workers: int, repeat: int,
           scheduler: str | None = None, chunk_size: int | None = None, extra_cpu=None) -> dict:
    """One warm-up run and ``repeat`` timed runs of the command; medians."""
    runs = []
    for i in range(repeat + 1):
        out = tmp / f"{label}-{i}.parquet"
        r = run_command(spec_path, out, workers, scheduler, chunk_size, extra_cpu)
        ok = r["rows"] == n_points and r["unique_point_ids"] == n_points and r["error_rows"] == 0
        r.update(warmup=i == 0, complete=ok)
        runs.append(r)
        print(f"  {label} {'warm-up' if i == 0 else f'run {i}'}: wall {r['wall_s']:.2f} s, sweep {r['sweep_s']} s, "
              f"{r['summary_points_per_s'] or 0:,} points/s (summary) / {r['wall_points_per_s']:,.0f} (wall); CPU "
              f"{r['cpu_total_s']:.2f} s; rows {r['rows']:,} ({'complete' if ok else 'INCOMPLETE'}); load1 "
              f"{r['load1_before']:.2f}->{r['load1_after']:.2f}", flush=True)
        for p in out.glob("*"):
            p.unlink()
        out.rmdir()
    timed = [r for r in runs if not r["warmup"]]

    def med(key):
        vals = [r[key] for r in timed if r.get(key) is not None]
        return statistics.median(vals) if vals else None

    return {"label": label, "workers": workers, "scheduler": scheduler, "repeat": repeat, "runs": runs,
            "all_complete": all(r["complete"] for r in runs),
            **{f"{k}_median": med(k) for k in ("wall_s", "sweep_s", "summary_points_per_s", "wall_points_per_s",
                                               "cpu_total_s", "cpu_command_s", "cpu_cluster_s", "cpu_scheduler_s",
                                               "points_per_cpu_s", "peak_rss_mib", "load1_before", "load1_after")}}


# ---------------------------------------------------------------------------------------------- profiles


def profile(spec_path: Path, tmp: Path, workers: int, top: int) -> None:
    """Where the time goes: the sweep in one process (inline backend: chunks, run_chunk, writer), and the
    driver of the real command (its pool workers' time shows as waiting)."""
    import cProfile
    import pstats

    from analysis.sweep import load_spec, run_sweep

    spec = load_spec(spec_path)
    out = tmp / "profile-inline.parquet"
    prof = cProfile.Profile(time.process_time)
    c0, l0 = time.process_time(), load1()
    prof.enable()
    s = run_sweep(spec, out, workers=0, progress=False)
    prof.disable()
    print(f"\ncProfile (CPU time), the whole sweep in this process (run_sweep(..., workers=0)): {s.points_run:,} points in "
          f"{s.seconds:.1f} s under the profiler (CPU {time.process_time() - c0:.1f} s, load1 {l0:.2f}); "
          f"top {top} by cumulative")
    pstats.Stats(prof).sort_stats("cumulative").print_stats(top)
    print(f"same profile, top {top} by own time")
    pstats.Stats(prof).sort_stats("tottime").print_stats(top)
    pf = tmp / "driver.prof"
    out2 = tmp / "profile-driver.parquet"
    subprocess.run([sys.executable, "-c", PROFILE_CHILD, str(pf), "analysis", "sweep", str(spec_path), "-o", str(out2),
                    "--no-progress", "--workers", str(workers)], cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
    print(f"\ncProfile (CPU time), the driver of `python -m analysis sweep ... --workers {workers}` (load1 {load1():.2f}); "
          f"top {top} by cumulative")
    pstats.Stats(str(pf)).sort_stats("cumulative").print_stats(top)


# ---------------------------------------------------------------------------------------------- main


def line(s: dict) -> str:
    pps = s["summary_points_per_s_median"] or 0
    verdict = "ok" if pps >= TARGET_PPS else "MISSED"
    return (f"{s['label']:22s} {s['repeat']:3d} {s['wall_s_median']:8.2f} s {s['sweep_s_median'] or 0:8.2f} s "
            f"{pps:12,.0f} {s['wall_points_per_s_median']:12,.0f} {s['cpu_total_s_median']:8.2f} s "
            f"{s['points_per_cpu_s_median']:12,.0f} {s['peak_rss_mib_median']:8.0f} "
            f"{s['load1_before_median']:6.2f}/{s['load1_after_median']:<6.2f} "
            f"{'yes' if s['all_complete'] else 'NO':>5s}  >= {TARGET_PPS:,} {verdict}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", default=str(ROOT / "sweeps" / "deit_s_large.yaml"), help="sweep spec YAML "
                    "(default sweeps/deit_s_large.yaml, 73,728 points)")
    ap.add_argument("--workers", type=int, default=2, help="local processes / Dask workers (default %(default)s)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per backend after one warm-up (default "
                                                          "%(default)s)")
    ap.add_argument("--chunk-size", type=int, help="designs per task (default: the sweep's automatic size)")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster runs")
    ap.add_argument("--json", metavar="FILE", help="write every figure as JSON")
    ap.add_argument("--profile", action="store_true", help="cProfile the sweep (in one process, and the driver)")
    ap.add_argument("--top", type=int, default=25, help="functions shown per profile (default %(default)s)")
    args = ap.parse_args(argv)
    spec_path = Path(args.spec).resolve()

    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    load_start = os.getloadavg()
    print(f"{started}  {os.cpu_count()} CPUs  Python {platform.python_version()}  load average "
          f"{' '.join(f'{x:.2f}' for x in load_start)}")
    ref = worker_reference(spec_path, args.workers)
    n = ref["n_points"]
    print(f"spec {ref['spec']} ({spec_path.relative_to(ROOT) if spec_path.is_relative_to(ROOT) else spec_path}): "
          f"{n:,} points = {ref['n_designs']:,} designs x {n // ref['n_designs']} workloads")
    print(f"reference, run_chunk in this process: {ref['chunk_rows']:,} points (chunk of {ref['chunk_designs']:,} "
          f"designs) in {ref['wall_median_s'] * 1e3:.0f} ms wall, {ref['cpu_median_s'] * 1e3:.0f} ms CPU (median of "
          f"{ref['repeat']}; load1 {ref['load1_before']:.2f}->{ref['load1_after']:.2f}) = "
          f"{ref['points_per_cpu_s']:,.0f} points per CPU-second -> {args.workers} processes, no overhead: "
          f"{args.workers * ref['points_per_cpu_s']:,.0f} points/s")
    results = []
    with tempfile.TemporaryDirectory(prefix="vitsim-bench-sweep-") as tmp:
        tmp = Path(tmp)
        results.append(series(f"local pool, {args.workers} proc", spec_path, tmp, n, args.workers, args.repeat,
                              chunk_size=args.chunk_size))
        if not args.no_dask:
            try:
                import distributed
                import psutil
            except ImportError as e:
                print(f"Dask: {e.name} not installed (pip install -e '.[distributed]'), skipped")
            else:
                with distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1, host="127.0.0.1",
                                              dashboard_address=None, silence_logs=40) as cluster:
                    me = psutil.Process()
                    procs = {p.pid: p for p in me.children(recursive=True)}
                    print(f"  Dask LocalCluster at {cluster.scheduler_address}: {len(cluster.workers)} workers, "
                          f"{len(procs)} child processes")
                    results.append(series(f"Dask, {args.workers} workers", spec_path, tmp, n, args.workers,
                                          args.repeat, scheduler=cluster.scheduler_address,
                                          chunk_size=args.chunk_size, extra_cpu=lambda: cluster_cpu(procs)))
        load_end = os.getloadavg()
        head = (f"{'backend':22s} {'n':>3s} {'wall':>10s} {'sweep':>10s} {'points/s sum':>12s} "
                f"{'points/s wall':>12s} {'CPU':>10s} {'pts/CPU-s':>12s} {'RSS MiB':>8s} {'load1 b/a':>13s} "
                f"{'rows':>5s}  target (summary points/s)")
        print(f"\n{head}\n{'-' * len(head)}")
        for s in results:
            print(line(s))
        print(f"medians of {args.repeat} runs after one warm-up; 'sweep' and 'points/s sum' from the command's summary "
              f"line, 'wall' from interpreter start to exit; CPU = getrusage(RUSAGE_CHILDREN) of the command and its "
              f"pool (+ Dask worker processes and scheduler); 'rows' = every run's Parquet had {n:,} rows, unique "
              f"point_ids, no errors")
        if len(results) == 2:
            a, b = results
            print(f"ratio Dask / local pool (same run): summary points/s "
                  f"{(b['summary_points_per_s_median'] or 0) / (a['summary_points_per_s_median'] or 1):.2f}, "
                  f"wall points/s {b['wall_points_per_s_median'] / a['wall_points_per_s_median']:.2f}")
        print(f"load average at the end {' '.join(f'{x:.2f}' for x in load_end)} (aim: {AIM_PPS:,} points/s)")
        if args.json:
            Path(args.json).write_text(json.dumps({"started": started, "cpus": os.cpu_count(),
                                                   "python": platform.python_version(), "spec": str(spec_path),
                                                   "load_start": load_start, "load_end": load_end,
                                                   "reference": ref, "series": results}, indent=1) + "\n")
        missed = any((s["summary_points_per_s_median"] or 0) < TARGET_PPS for s in results)
        if args.profile:
            profile(spec_path, tmp, args.workers, args.top)
    complete = all(s["all_complete"] for s in results)
    return 0 if complete and not missed else 1


if __name__ == "__main__":
    raise SystemExit(main())
