"""Design-space sweep speed: full-network DeiT-S design points per second, memory as the sweep grows.

A point = one hardware design simulating the whole network (simulate_totals over all 160 layers).
Prints: the one-process cost of a point (validation + simulation), the local process pool's rate on a
sweep of --points points (>= 100,000 by default) with the driver's and workers' memory sampled as it
grows, and the same kind of sweep on a 2-worker Dask LocalCluster on loopback.

    python benchmarks/bench_sweep.py                 # full run (a few minutes on 2 cores)
    python benchmarks/bench_sweep.py --points 20000 --dask-points 5000   # quicker
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def spec_for(n_points: int):
    """DeiT-S (W8A8 and W4A4) on int4.yaml: rows x cols x dataflow x weight buffer x bandwidth, >= n_points."""
    from analysis.sweep import spec_from_dict

    bws = [6.4, 12.8, 25.6, 51.2, 102.4, 204.8, 409.6, 819.2]
    axes = {"array.rows": {"range": [8, 256, 8]}, "array.cols": {"range": [8, 256, 8]},
            "array.dataflow": ["os", "ws", "is"], "buffers.weight_kib": [64, 128, 256, 512],
            "dram.bandwidth_gbps": bws}
    spec = spec_from_dict({"name": "bench", "base": str(ROOT / "hwconfigs" / "int4.yaml"), "axes": axes,
                           "workloads": ["deit_small-w8a8", "deit_small-w4a4"]}, "bench")
    if spec.n_points < n_points:
        raise SystemExit(f"the bench grid has only {spec.n_points} points")
    # random sampling with a seed: the requested number of distinct designs, spread over the grid
    return spec_from_dict({"name": "bench", "base": str(ROOT / "hwconfigs" / "int4.yaml"), "axes": axes,
                           "workloads": ["deit_small-w8a8", "deit_small-w4a4"], "sampling": "random",
                           "samples": -(-n_points // 2), "seed": 1}, "bench")


def one_process_cost(spec, n: int = 300) -> tuple[float, float]:
    """Median ms per point of hardware_from_dict and of simulate_totals, over n sampled designs."""
    from simulator.engine import simulate_totals
    from simulator.hardware import hardware_from_dict

    wl = spec.workloads[1].load()
    designs = [spec.design(i)[1] for i in list(spec.design_indices())[:n]]
    maps = [spec.design_mapping(v) for v in designs]
    t0 = time.perf_counter()
    hws = [hardware_from_dict(m, "bench") for m in maps]
    t1 = time.perf_counter()
    for hw in hws:
        simulate_totals(wl, hw)
    t2 = time.perf_counter()
    return (t1 - t0) / n * 1e3, (t2 - t1) / n * 1e3


class MemorySampler:
    """RSS of this process and of its child processes, sampled with the number of points done."""

    def __init__(self, total: int):
        import psutil

        self.proc = psutil.Process()
        self.total = total
        self.done = 0
        self.samples: list[tuple[int, float, float]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def add(self, n: int) -> None:
        self.done += n

    def run(self) -> None:
        while not self.stop.wait(0.5):
            main = self.proc.memory_info().rss / 2**20
            kids = sum(c.memory_info().rss for c in self.proc.children(recursive=True)) / 2**20
            self.samples.append((self.done, main, kids))

    def report(self) -> list[str]:
        out = []
        for frac in (0.1, 0.25, 0.5, 0.75, 1.0):
            s = next((s for s in self.samples if s[0] >= frac * self.total), self.samples[-1] if self.samples
                     else None)
            if s:
                out.append(f"  {s[0]:>8,} points: driver RSS {s[1]:7.1f} MiB, workers RSS {s[2]:7.1f} MiB")
        return out


def timed_sweep(spec, out: Path, label: str, **kw) -> float:
    import resource

    from analysis.sweep import run_sweep

    mem = MemorySampler(spec.n_points)
    mem.thread.start()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    s = run_sweep(spec, out, progress=False, on_rows=mem.add, **kw)
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    mem.stop.set()
    mem.thread.join()
    driver_cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
    print(f"{label}: {s.points_run:,} points in {s.seconds:.1f} s = {s.points_per_s:,.0f} points/s"
          f" ({s.errors} could not run); driver CPU {driver_cpu:.1f} s ({driver_cpu / s.seconds:.0%} of a core)")
    for line in mem.report():
        print(line)
    return s.points_per_s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=120_000, help="local-pool sweep size (default %(default)s)")
    ap.add_argument("--dask-points", type=int, default=20_000, help="Dask sweep size (default %(default)s)")
    ap.add_argument("--workers", type=int, default=os.cpu_count(), help="processes / Dask workers")
    args = ap.parse_args()

    print(f"machine: {os.cpu_count()} cores; load average before start {os.getloadavg()[0]:.2f}")
    spec = spec_for(args.points)
    hfd_ms, sim_ms = one_process_cost(spec)
    per_point = hfd_ms + sim_ms
    print(f"one process, DeiT-S W4A4 (160 layers): hardware_from_dict {hfd_ms:.3f} ms + simulate_totals "
          f"{sim_ms:.3f} ms = {per_point:.3f} ms/point -> ideal {args.workers} x {1e3 / per_point:,.0f} = "
          f"{args.workers * 1e3 / per_point:,.0f} points/s")
    with tempfile.TemporaryDirectory() as tmp:
        rate = timed_sweep(spec, Path(tmp) / "local.parquet", f"local pool ({args.workers} processes)",
                           workers=args.workers)
        import pyarrow.parquet as pq

        size = sum(p.stat().st_size for p in (Path(tmp) / "local.parquet").glob("*.parquet")) / 2**20
        rows = pq.read_table(Path(tmp) / "local.parquet", columns=["point_id"]).num_rows
        print(f"  results: {rows:,} rows, {size:.1f} MiB Parquet; {rate / (args.workers * 1e3 / per_point):.0%}"
              f" of the ideal rate")
        try:
            import distributed
        except ImportError:
            print("dask: distributed not installed (pip install -e '.[distributed]'), skipped")
            return
        dspec = spec_for(args.dask_points)
        with distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                                      host="127.0.0.1", dashboard_address=None, silence_logs=40) as cluster:
            from analysis.sweep import run_sweep

            t0 = time.perf_counter()  # warm-up: workers import vitsim and load the workloads
            run_sweep(spec_for(200), Path(tmp) / "warm.parquet", scheduler=cluster.scheduler_address, progress=False)
            print(f"Dask warm-up (imports, workloads, 200 points): {time.perf_counter() - t0:.1f} s")
            timed_sweep(dspec, Path(tmp) / "dask.parquet", f"Dask LocalCluster ({args.workers} workers, loopback)",
                        scheduler=cluster.scheduler_address)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
