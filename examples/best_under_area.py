"""The fastest DeiT-S (W4A4) design under an area budget.

    python examples/best_under_area.py [--budget-mm2 5] [-o results/best_under_area.png]

Sweeps array rows and columns, the weight buffer and DRAM bandwidth on hwconfigs/int4.yaml with the
constraint ``area_mm2 <= budget``; prints the best feasible designs and plots latency vs area with the
budget, the (latency, area) Pareto front and the winner.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # not needed after `pip install -e .`

from analysis.pareto import Objective, pareto_front, top_k
from analysis.sweep import evaluate, spec_from_dict


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget-mm2", type=float, default=5.0)
    ap.add_argument("-o", "--out", default="results/best_under_area.png",
                    help="the plot (default: %(default)s, under the current directory)")
    args = ap.parse_args()

    spec = spec_from_dict({
        "name": "best_under_area",
        "base": "hwconfigs/int4.yaml",
        "axes": {"array.rows": {"range": [16, 128, 16]}, "array.cols": {"range": [16, 128, 16]},
                 "buffers.weight_kib": [64, 128, 256], "dram.bandwidth_gbps": [12.8, 25.6, 51.2]},
        "workloads": ["deit_small-w4a4"],
        "constraints": [f"area_mm2 <= {args.budget_mm2}"],
        "objectives": ["latency_us", "area_mm2"],
    }, source=__file__, base_dir=ROOT)
    df = evaluate(spec)
    cols = ["array.rows", "array.cols", "buffers.weight_kib", "dram.bandwidth_gbps", "latency_us", "area_mm2",
            "energy_uj", "stall_frac"]
    best = top_k(df, Objective("latency_us"), k=5)
    print(f"{len(df)} designs, {int(df['feasible'].sum())} within {args.budget_mm2} mm^2; the fastest:")
    print(best[cols].round(3).to_string(index=False))
    objs = [Objective("latency_us"), Objective("area_mm2")]
    front = pareto_front(df, objs, include_infeasible=True).sort_values("area_mm2")

    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    ok = df["feasible"]
    ax.scatter(df.loc[~ok, "area_mm2"], df.loc[~ok, "latency_us"] / 1e3, s=8, c="0.8", label="over budget")
    sc = ax.scatter(df.loc[ok, "area_mm2"], df.loc[ok, "latency_us"] / 1e3, s=10, c=df.loc[ok, "dram.bandwidth_gbps"],
                    cmap="viridis", label="within budget")
    fig.colorbar(sc, ax=ax, label="DRAM bandwidth (GB/s)")
    ax.step(front["area_mm2"], front["latency_us"] / 1e3, where="post", c="tab:red", lw=1.2,
            label="Pareto front (latency, area)")
    ax.axvline(args.budget_mm2, c="k", ls="--", lw=1, label=f"budget {args.budget_mm2:g} mm$^2$")
    b = best.iloc[0]
    ax.scatter([b["area_mm2"]], [b["latency_us"] / 1e3], marker="*", s=250, c="tab:red", edgecolors="k", zorder=5,
               label=f"best: {int(b['array.rows'])}x{int(b['array.cols'])}, {b['buffers.weight_kib']:g} KiB W, "
                     f"{b['dram.bandwidth_gbps']:g} GB/s")
    ax.set_xlabel("area (mm$^2$)")
    ax.set_ylabel("DeiT-S W4A4 latency (ms)")
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title("Fastest design under an area budget")
    fig.tight_layout()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=120)
    print(f"plot: {args.out}")


if __name__ == "__main__":
    main()
