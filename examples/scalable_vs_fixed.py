"""Precision-scalable INT8/INT4 PEs vs fixed INT8 PEs on DeiT-S at W8A8, W4A8 and W4A4.

    python examples/scalable_vs_fixed.py [-o results/scalable_vs_fixed.png]

One axis swaps the whole ``pe`` section (the PE of hwconfigs/int4.yaml vs that of hwconfigs/int8.yaml)
and another the square array size; a fixed INT8 PE runs 4-bit layers promoted to W8A8. Plots latency
and energy per image at 64x64, and latency vs area over all array sizes.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # not needed after `pip install -e .`

from analysis.sweep import evaluate, spec_from_dict
from workloads.io import read_structured


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", default="results/scalable_vs_fixed.png",
                    help="the plot (default: %(default)s, under the current directory)")
    args = ap.parse_args()

    pes = {"scalable INT8/INT4": read_structured(ROOT / "hwconfigs/int4.yaml")["pe"],
           "fixed INT8": read_structured(ROOT / "hwconfigs/int8.yaml")["pe"]}
    spec = spec_from_dict({
        "name": "scalable_vs_fixed",
        "base": "hwconfigs/int4.yaml",
        "axes": {"pe": {"choices": pes}, "array.rows": [32, 64, 128], "array.cols": {"tie": "array.rows"}},
        "workloads": [{"model": "deit_small", "recipe": r, "label": r.upper()} for r in ("w8a8", "w4a8", "w4a4")],
    }, source=__file__, base_dir=ROOT)
    df = evaluate(spec)
    print(df.pivot_table(index=["array.rows", "workload"], columns="pe", values="latency_us").round(1).to_string())

    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    at64 = df[df["array.rows"] == 64]
    recipes = [w.label for w in spec.workloads]
    x = np.arange(len(recipes))
    for i, (pe, g) in enumerate(at64.groupby("pe", sort=False)):
        g = g.set_index("workload").loc[recipes]
        axes[0].bar(x + (i - 0.5) * 0.38, g["latency_us"] / 1e3, 0.38, label=pe)
        axes[1].bar(x + (i - 0.5) * 0.38, g["energy_uj"] / 1e3, 0.38, label=pe)
    for ax, ylabel in zip(axes[:2], ("latency per image (ms)", "energy per image (mJ)")):
        ax.set_xticks(x, recipes)
        ax.set_ylabel(ylabel)
        ax.set_title(f"64x64 array: {ylabel.split(' ')[0]}")
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend(fontsize=8)
    markers = {"W8A8": "s", "W4A8": "^", "W4A4": "o"}
    colors = {pe: c for pe, c in zip(pes, ("tab:blue", "tab:orange"))}
    for (pe, wl), g in df.groupby(["pe", "workload"], sort=False):
        g = g.sort_values("area_mm2")
        axes[2].plot(g["area_mm2"], g["latency_us"] / 1e3, marker=markers[wl], c=colors[pe], lw=1,
                     label=f"{pe}, {wl}")
    axes[2].set_xlabel("area (mm$^2$), arrays 32x32 / 64x64 / 128x128")
    axes[2].set_ylabel("latency per image (ms)")
    axes[2].set_yscale("log")
    axes[2].yaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    axes[2].yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    axes[2].yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    axes[2].set_title("latency vs area")
    axes[2].grid(True, alpha=0.3)
    axes[2].legend(fontsize=7)
    fig.suptitle("DeiT-S: precision-scalable vs fixed INT8 PEs")
    fig.tight_layout()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=120)
    print(f"plot: {args.out}")


if __name__ == "__main__":
    main()
