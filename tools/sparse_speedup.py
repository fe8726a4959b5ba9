"""Issue 14's figure: DeiT-S W4A4 with 2:4 weights against dense W4A4 on hwconfigs/int4_sparse.yaml under each
combination of the network-schedule options (docs/memory.md "Network schedule"), folds serial or pipelined, the
vector unit's op-count cycles or pipelined non-linear units (vector.cycles_per_element softmax 3, gelu 1,
layernorm 2), attention unfused or fused; the last column is the same 2:4 workload on dense int4.yaml (no gain
expected). Prints a markdown table (docs/sparsity.md quotes it).

    python tools/sparse_speedup.py
"""

from __future__ import annotations

import copy
import itertools

PIPELINED_NONLINEAR = {"softmax": 3, "gelu": 1, "layernorm": 2}


def variant(name: str, overlap: str, prefetch: str, folds: str, fast: bool, attention: str):
    import hwconfigs
    from simulator.hardware import hardware_from_dict
    from workloads.io import read_structured

    d = copy.deepcopy(read_structured(hwconfigs.find(name)))
    d["vector"]["overlap"] = overlap
    d["memory"] = {**d.get("memory", {}), "prefetch": prefetch, "attention": attention}
    d["array"]["folds"] = folds
    if fast:
        d["vector"]["cycles_per_element"] = dict(PIPELINED_NONLINEAR)
    return hardware_from_dict(d, f"hwconfigs/{name}.yaml (variant)")


def main() -> int:
    from simulator import simulate_totals
    from workloads import load_workload

    sparse, dense = load_workload("deit_small-w4a4_2of4"), load_workload("deit_small-w4a4")
    print("| vector.overlap | memory.prefetch | array.folds | non-linear cycles | attention | W4A4 cycles | "
          "W4A4 2:4 cycles | speedup | 2:4 on int4.yaml |")
    print("|---|---|---|---|---|---|---|---|---|")
    for opts in itertools.product(("none", "gemm"), ("layer", "network"), ("serial", "pipelined"), (False, True),
                                  ("unfused", "fused")):
        hs, hd = variant("int4_sparse", *opts), variant("int4", *opts)
        a, b = simulate_totals(dense, hs).total_cycles, simulate_totals(sparse, hs).total_cycles
        gain = simulate_totals(dense, hd).total_cycles / simulate_totals(sparse, hd).total_cycles
        o, p, f, fast, att = opts
        print(f"| {o} | {p} | {f} | {'3 / 1 / 2' if fast else 'op counts'} | {att} | {a:,.0f} | {b:,.0f} | "
              f"{a / b:.3f} | {gain:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
