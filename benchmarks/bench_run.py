"""Speed of the main job: warm in-process simulation of DeiT-B on int4.yaml, and the CLI in a fresh process.

Targets (issue 2): warm in-process whole-network DeiT-B <= 20 ms; CLI wall time with the Numba cache warm <= 3 s.
Usage: python benchmarks/bench_run.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from simulator import load_hardware, simulate, simulate_totals
    from simulator.engine import _array_and_memory
    from workloads import load_workload

    hw = load_hardware(ROOT / "hwconfigs" / "int4.yaml")
    w = load_workload("deit_base-w4a4")
    simulate(w, hw)  # compile / load the Numba cache

    def cold(workload, hardware):
        """The array and memory model run again (their per-GEMM cache emptied first)."""
        _array_and_memory.cache_clear()
        return simulate(workload, hardware)

    for label, fn in (("simulate, array/memory cache emptied each time", cold),
                      ("simulate (per-layer DataFrame + totals)", simulate),
                      ("simulate_totals (sweep path)", simulate_totals)):
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            fn(w, hw)
            times.append(time.perf_counter() - t)
        print(f"DeiT-B w4a4 on int4.yaml, warm in-process, {label}: median {statistics.median(times) * 1e3:.2f} ms, "
              f"min {min(times) * 1e3:.2f} ms over {args.repeat}")
    cmd = [sys.executable, "-m", "simulator", "run", str(ROOT / "hwconfigs" / "int4.yaml"), "--workload",
           "deit_base-w4a4"]
    subprocess.run(cmd, capture_output=True, cwd=ROOT, check=True)  # warm the Numba cache on disk
    walls = []
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, cwd=ROOT, check=True)
        walls.append(time.perf_counter() - t)
    print(f"CLI `python -m simulator run hwconfigs/int4.yaml --workload deit_base-w4a4`, fresh process, "
          f"Numba cache warm: median {statistics.median(walls):.2f} s, min {min(walls):.2f} s over 5")


if __name__ == "__main__":
    main()
