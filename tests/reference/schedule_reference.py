"""Cycle-stepped references for the network schedule (simulator/model/schedule.py), written from the hardware's
description, not from the model's formulas.

``two_stage``: a producer (the array) makes n tiles of ``a`` cycles each into a buffer of ``slots`` tiles, a
consumer (the vector unit) takes one tile at a time and spends ``v`` cycles on it; a DRAM channel moves ``dram``
units at one per cycle beside them. Time advances one cycle at a time; a tile finished in cycle c is seen by the
consumer from cycle c + 1; a producer whose finished tile finds the buffer full waits. Returns the cycle at which
the last of the three finishes.

``prefetch_network``: layers run one after another; each has ``compute`` cycles of work and ``dram`` units of its
own DRAM transfers (one unit per cycle, served from its first cycle); a layer ends when both are done. A GEMM with
weights (``weight``) has ``filter`` of its units in weights. Whenever the channel has nothing of the running layer
to move, it moves one unit of the next GEMM-with-weights' weights (the next after the running layer, which may
itself be a GEMM with weights: the other half of the weight buffer), at most ``cap`` units in all; those units are
not moved again when the GEMM runs. Returns the total cycles.
"""

from __future__ import annotations


def two_stage(n: int, a: int, v: int, slots: int = 2, dram: int = 0) -> int:
    made = taken = done = 0
    buf = 0
    p_left, c_left = a, 0
    holding = False
    moved = 0
    t = 0
    while done < n or moved < dram:
        if c_left == 0 and buf > 0 and taken < n:      # the consumer picks up a finished tile
            buf -= 1
            taken += 1
            c_left = v
        if holding and buf < slots:                     # a blocked producer deposits its tile
            buf += 1
            holding = False
            made += 1
            p_left = a
        if made < n and not holding:
            p_left -= 1
            if p_left == 0:
                if buf < slots:
                    buf += 1
                    made += 1
                    p_left = a
                else:
                    holding = True
        if c_left > 0:
            c_left -= 1
            if c_left == 0:
                done += 1
        if moved < dram:
            moved += 1
        t += 1
        if a == 0 or v == 0:
            raise ValueError("stages take at least one cycle")
    return t


def prefetch_network(layers: list[dict], cap: int) -> int:
    t = 0
    weight_positions = [i for i, layer in enumerate(layers) if layer["weight"]]
    fetched = {i: 0 for i in weight_positions}
    for i, layer in enumerate(layers):
        target = next((g for g in weight_positions if g > i), None)
        own = layer["dram"] - fetched.get(i, 0)
        work = layer["compute"]
        while work > 0 or own > 0:
            if own > 0:
                own -= 1
            elif target is not None and fetched[target] < min(cap, layers[target]["filter"]):
                fetched[target] += 1
            if work > 0:
                work -= 1
            t += 1
    return t
