"""Second method for the network memory plan (simulator/model/residency.py), written from docs/memory.md only.

Instead of an occupancy array updated over spans, this steps an explicit activation buffer through time: a dict of
resident tensors (name -> (bytes, time of last use)). A tensor produced at step j is admitted when, for every
future step t up to its last use, the tensors already admitted and still alive at t, plus it, plus the workspace
of step t (the ifmap of a GEMM that is not already resident, capped at the capacity) fit the capacity. After each
step the tensors whose last use has passed are freed, and the buffer's peak (resident bytes + workspace) is
recorded, so the result also proves the plan never exceeds the capacity.

Producers are found by looking backwards from each consumer (not forwards as the model does): the main input is
the previous layer's output (the outlier part of a split GEMM reads what its main part read); a matmul without
weights reads, as second operand, the newest earlier GEMM with weights; an ``add`` reads the newest earlier ``add``.
"""

from __future__ import annotations


def _bytes(elements: int, bits: int) -> int:
    return (elements * bits + 7) // 8


def _producers(layers, i):
    layer = layers[i]
    main = i - 1
    if i > 0 and layer.op in ("gemm", "matmul", "conv") and getattr(layer, "outlier_channels", 0) == layer.k > 0:
        main = _producers(layers, i - 1)[0]
    second = -1
    if layer.op in ("gemm", "matmul", "conv") and not layer.weight_operand:
        second = next((j for j in range(i - 1, -1, -1)
                       if layers[j].op in ("gemm", "matmul", "conv") and layers[j].weight_operand), -1)
    elif layer.op == "add":
        second = next((j for j in range(i - 1, -1, -1) if layers[j].op == "add"), -1)
    return main, second


def reference_plan(layers, capacity: int) -> list[dict]:
    n = len(layers)
    prods = [_producers(layers, i) for i in range(n)]
    last_use = {}
    for i, (a, b) in enumerate(prods):
        for j in (a, b):
            if j >= 0:
                last_use[j] = i
    out_bytes = [_bytes(x.m * x.n * x.repeat, x.out_bits) for x in layers]
    in_bytes = [_bytes(x.m * x.k * x.repeat, x.a_bits) if x.op in ("gemm", "matmul", "conv") else 0 for x in layers]
    admitted: dict[int, tuple[int, int]] = {}          # producer index -> (bytes, last use)
    kept = set()

    def alive_at(t):
        return sum(b for j, (b, end) in admitted.items() if j <= t <= end)

    def workspace(t, candidate=None):
        a = prods[t][0]
        if a >= 0 and (a in kept or a == candidate):
            return 0
        return min(capacity, in_bytes[t])

    for j in range(n):
        if j not in last_use:
            continue
        end = last_use[j]
        if all(alive_at(t) + out_bytes[j] + workspace(t, j) <= capacity for t in range(j, end + 1)):
            admitted[j] = (out_bytes[j], end)
            kept.add(j)
    rows = []
    for i in range(n):
        a, b = prods[i]
        on_if = a in kept
        resident = alive_at(i)
        peak = resident + workspace(i)
        gemm = layers[i].op in ("gemm", "matmul", "conv")
        rows.append({"ifmap": on_if, "filter": b in kept, "ofmap": i in kept,
                     "other_bytes": resident if gemm and not on_if else 0, "peak_bytes": peak})
    return rows
