"""What the benchmarks share: profiling a module on the CPU-time clock in a child process, the load average."""

from __future__ import annotations

import os

# a module run under cProfile with the CPU-time clock (load-insensitive, unlike ``python -m cProfile``'s wall clock)
PROFILE_CHILD = r"""
import cProfile, runpy, sys, time
out, mod, *args = sys.argv[1:]
sys.argv = [mod, *args]
prof = cProfile.Profile(time.process_time)
try:
    prof.runcall(runpy.run_module, mod, run_name="__main__", alter_sys=True)
except SystemExit:
    pass
prof.dump_stats(out)
"""


def load1() -> float:
    """The 1-minute load average."""
    return os.getloadavg()[0]
