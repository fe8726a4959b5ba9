"""Regenerate the example roofline figures of docs/roofline.md (docs/figures/), each by the CLI command a user
would type (``python -m analysis roofline ...``):

    python tools/gen_example_figures.py            # all of them (about a minute)
    python tools/gen_example_figures.py time       # only those whose file name contains "time"

``empirical_host_deit_small.png`` is not regenerated here: it measures this machine
(``python -m analysis roofline --device host --measure --model deit_small --plot ...``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "figures"

# file name -> arguments of `python -m analysis roofline`
FIGURES = {
    "roofline_deit_base_rtx4090_fp16_b1.png": ["--device", "rtx4090", "--model", "deit_base", "--precision", "fp16",
                                               "--batch", "1", "--plot"],
    "time_deit_base_rtx4090_fp16_b1.png": ["--device", "rtx4090", "--model", "deit_base", "--precision", "fp16",
                                           "--batch", "1", "--plot-time"],
    "time_deit_base_h100sxm_fp16_b256.png": ["--device", "h100_sxm", "--model", "deit_base", "--precision", "fp16",
                                             "--batch", "256", "--plot-time"],
    "precisions_deit_base_rtx4090_b1.png": ["--device", "rtx4090", "--model", "deit_base", "--batch", "1",
                                            "--compare", "fp16,int8,int4", "--plot-precisions"],
    "precisions_deit_base_rtx4090_b256.png": ["--device", "rtx4090", "--model", "deit_base", "--batch", "256",
                                              "--compare", "fp16,int8,int4", "--plot-precisions"],
    "precisions_deit_base_h100sxm_b256.png": ["--device", "h100_sxm", "--model", "deit_base", "--batch", "256",
                                              "--compare", "fp16,int8,int4", "--plot-precisions"],
    "roofline_deit_small_int4accel_w4a4_b1.png": ["--device", "int4", "--workload", "deit_small-w4a4", "--plot"],
    "time_deit_small_int4accel_w4a4_b1.png": ["--device", "int4", "--workload", "deit_small-w4a4", "--plot-time"],
}


def main(argv: list[str]) -> int:
    only = argv[0] if argv else ""
    for name, args in FIGURES.items():
        if only not in name:
            continue
        cmd = [sys.executable, "-m", "analysis", "roofline", *args, str(OUT / name)]
        r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if r.returncode:
            sys.stderr.write(f"{' '.join(cmd)}\n{r.stderr}")
            return r.returncode
        print(f"wrote {OUT / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
