"""What 2:4 buys a whole ViT: DeiT-S W4A4 with 2:4 weights against dense W4A4 on hwconfigs/int4_sparse.yaml under each
combination of the network-schedule options (docs/memory.md "Network schedule"), folds serial or pipelined, the
vector unit as int4.yaml's SIMD lanes (op counts: one primitive op per lane per cycle) or pipelined lanes
(``vector.pipelined: true``: one element per lane per pass, softmax 3, gelu 1, layernorm 2, elementwise 1), attention
unfused or fused; the last column is the same 2:4 workload on dense int4.yaml with the same options (no gain
expected). The ``config`` column names the rows that are shipped: int4_sparse.yaml as shipped (pipelined lanes,
overlap gemm, network prefetch, serial folds) and as first shipped (int4.yaml's vector unit, no option). Prints a
markdown table (docs/sparsity.md quotes it).

    python tools/sparse_speedup.py
"""

from __future__ import annotations

import copy
import itertools


def variant(name: str, overlap: str, prefetch: str, folds: str, pipelined: bool, attention: str):
    import hwconfigs
    from simulator.hardware import hardware_from_dict
    from workloads.io import read_structured

    d = copy.deepcopy(read_structured(hwconfigs.find(name)))
    d["vector"].update(overlap=overlap, pipelined=pipelined)
    d["memory"] = {**d.get("memory", {}), "prefetch": prefetch, "attention": attention}
    d["array"]["folds"] = folds
    return hardware_from_dict(d, f"hwconfigs/{name}.yaml (variant)")


def main() -> int:
    from simulator import simulate_totals
    from simulator.loader import load_hardware
    from workloads import load_workload

    sparse, dense = load_workload("deit_small-w4a4_2of4"), load_workload("deit_small-w4a4")
    shipped = load_hardware("int4_sparse")
    print("| vector.overlap | memory.prefetch | array.folds | vector lanes | attention | W4A4 cycles | "
          "W4A4 2:4 cycles | speedup | 2:4 on int4.yaml | config |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for opts in itertools.product(("none", "gemm"), ("layer", "network"), ("serial", "pipelined"), (False, True),
                                  ("unfused", "fused")):
        hs, hd = variant("int4_sparse", *opts), variant("int4", *opts)
        a, b = simulate_totals(dense, hs).total_cycles, simulate_totals(sparse, hs).total_cycles
        gain = simulate_totals(dense, hd).total_cycles / simulate_totals(sparse, hd).total_cycles
        o, p, f, pipe, att = opts
        config = ("**int4_sparse.yaml as shipped**" if hs == shipped else
                  "int4_sparse.yaml as first shipped" if opts == ("none", "layer", "serial", False, "unfused") else "")
        print(f"| {o} | {p} | {f} | {'pipelined' if pipe else 'op counts'} | {att} | {a:,.0f} | {b:,.0f} | "
              f"{a / b:.3f} | {gain:.3f} | {config} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
