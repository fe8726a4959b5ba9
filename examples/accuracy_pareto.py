"""Accuracy vs efficiency on one Pareto front: DeiT-S at W8A8, W6A6 and W4A4 with published ImageNet top-1
(PTQ4ViT, RepQ-ViT, I-ViT) against images/s/W on a swept precision-scalable accelerator.

    python examples/accuracy_pareto.py [-o results/accuracy_pareto.png]

Each (recipe, method) pair is one workload carrying its published top-1 (``accuracy: published:METHOD``, looked up
by model and bits in ``python -m workloads accuracy --published``); the hardware sweep (array size, weight buffer,
PE type scalable or fixed INT8) prices it. The front is taken by model (``by="model"``): the recipes share it.
On the PE types swept W6A6 runs in the W8A8 mode (promoted): the same compute as W8A8, with its operands moved
at 6 bits. Writes the plot and a CSV of the front under results/.
What the accuracy numbers mean (and do not): docs/accuracy.md.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # not needed after `pip install -e .`

from analysis.pareto import Objective, pareto_front
from analysis.sweep import evaluate, spec_from_dict

W6A6 = str(ROOT / "examples" / "recipes" / "w6a6.yaml")
POINTS = [("w8a8", "PTQ4ViT"), ("w8a8", "I-ViT"), (W6A6, "PTQ4ViT"), (W6A6, "RepQ-ViT"), ("w4a4", "RepQ-ViT"),
          ("w4a4", "PTQ4ViT")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", default="results/accuracy_pareto.png",
                    help="the plot (default: %(default)s, under the current directory)")
    args = ap.parse_args()
    workloads = [{"model": "deit_small", "recipe": r, "accuracy": f"published:{m}",
                  "label": f"{Path(r).stem}-{m}"} for r, m in POINTS]
    spec = spec_from_dict({
        "name": "accuracy_pareto",
        "base": "hwconfigs/int4.yaml",
        "axes": {"array.rows": [16, 32, 64], "array.cols": {"tie": "array.rows"},
                 "buffers.weight_kib": [64, 256],
                 "pe": {"choices": {
                     "scalable": {"type": "scalable", "acc_bits": 32,
                                  "precisions": [{"w_bits": 8, "a_bits": 8}, {"w_bits": 4, "a_bits": 8},
                                                 {"w_bits": 4, "a_bits": 4}]},
                     "fixed_int8": {"type": "fixed", "acc_bits": 32, "precisions": [{"w_bits": 8, "a_bits": 8}]}}}},
        "workloads": workloads,
        "objectives": ["max:images_per_s_per_w", "max:top1"],
    }, source=__file__, base_dir=ROOT)
    df = evaluate(spec)
    objs = [Objective("images_per_s_per_w", maximize=True), Objective("top1", maximize=True)]
    front = pareto_front(df, objs, by="model").sort_values("images_per_s_per_w")
    cols = ["workload", "pe", "array.rows", "buffers.weight_kib", "images_per_s_per_w", "latency_us", "top1",
            "accuracy_kind"]
    print(f"{len(df)} points ({len(POINTS)} recipe x method pairs x {len(df) // len(POINTS)} designs); "
          "the front (images/s/W vs published top-1):")
    print(front[cols].round(3).to_string(index=False))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    front[cols].to_csv(out.with_suffix(".csv"), index=False)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    for (label, g), marker in zip(df.groupby("workload", sort=False), "osD^vP"):
        ax.scatter(g["images_per_s_per_w"], g["top1"], s=22, marker=marker, alpha=0.7, label=label)
    ax.step(front["images_per_s_per_w"], front["top1"], where="post", c="tab:red", lw=1.3,
            label="Pareto front (max images/s/W, max top-1)")
    ax.set_xscale("log")
    ax.set_xlabel("images/s/W (simulated, batch 1)")
    ax.set_ylabel("ImageNet top-1 % (published)")
    ax.set_title("DeiT-S: published PTQ accuracy vs simulated efficiency", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(f"plot: {out}; front: {out.with_suffix('.csv')}")


if __name__ == "__main__":
    main()
