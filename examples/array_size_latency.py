"""DeiT-S latency vs square array size at INT8 (W8A8) and INT4 (W4A4) on a precision-scalable array.

    python examples/array_size_latency.py [-o results/array_size_latency.png]

Sweeps array.rows = array.cols from 8 to 256 (x2 steps) on hwconfigs/int4.yaml, runs both workloads on
every size, prints the table and plots latency (log-log) and the fraction of cycles that are DRAM stalls.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # not needed after `pip install -e .`

from analysis.sweep import evaluate, spec_from_dict


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", default="results/array_size_latency.png",
                    help="the plot (default: %(default)s, under the current directory)")
    args = ap.parse_args()

    spec = spec_from_dict({
        "name": "array_size_latency",
        "base": "hwconfigs/int4.yaml",
        "axes": {"array.rows": {"log_range": [8, 256], "factor": 2}, "array.cols": {"tie": "array.rows"}},
        "workloads": ["deit_small-w8a8", "deit_small-w4a4"],
    }, source=__file__, base_dir=ROOT)
    df = evaluate(spec)
    print(df.pivot(index="array.rows", columns="workload", values="latency_us").round(1).to_string())

    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for wl, g in df.groupby("workload"):
        label = "INT8 (W8A8)" if "w8a8" in wl else "INT4 (W4A4)"
        ax1.plot(g["array.rows"], g["latency_us"] / 1e3, "o-", label=label)
        ax2.plot(g["array.rows"], g["stall_frac"], "o-", label=label)
    sizes = sorted(df["array.rows"].unique())
    for ax in (ax1, ax2):
        ax.set_xscale("log", base=2)
        ax.set_xticks(sizes, [f"{s}x{s}" for s in sizes], rotation=30)
        ax.set_xlabel("array size (rows x cols)")
        ax.grid(True, alpha=0.3)
        ax.legend()
    ax1.set_yscale("log")
    ax1.yaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    ax1.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax1.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax1.set_ylabel("latency per image (ms)")
    ax1.set_title("DeiT-S latency")
    ax2.set_ylabel("DRAM stall cycles / total cycles")
    ax2.set_title("bound mix: share of cycles stalled on DRAM")
    fig.suptitle(f"{spec.base['name']}: {spec.base['dram']['bandwidth_gbps']} GB/s, {spec.base['freq_mhz']:g} MHz")
    fig.tight_layout()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=120)
    print(f"plot: {args.out}")


if __name__ == "__main__":
    main()
