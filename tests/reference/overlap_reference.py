"""Event-stepped reference for the fold walk's overlap of DRAM and compute (simulator/model/foldwalk.py ``walk``),
written from the hardware's description, not from the model's formulas.

A tile loop: tile i needs ``sizes[i]`` bytes from DRAM, then ``compute`` cycles on the array. One DMA engine
moves one tile at a time, in tile order, at ``bpc`` bytes per cycle; a tile's data reaches the buffer ``latency``
cycles after its transfer ends (the transfer itself frees the engine for the next one). The buffer has ``depth``
slots: a tile holds its slot from the start of its transfer to the end of its compute, so the DMA can start tile i
only when fewer than ``depth`` earlier tiles still hold one (tile i - depth has finished computing). The array
computes tiles in order, one at a time, starting a tile as soon as it is free and the tile's data is in.

Time advances one cycle at a time (integer cycles: ``sizes`` positive multiples of ``bpc``, ``compute`` >= 1). Within a cycle, events
happen in this order: a compute ends (its slot frees), a transfer ends, data arrives, the DMA starts the next
transfer, the array starts the next tile. Returns the cycle at which the last tile's compute ends.
"""

from __future__ import annotations


def tile_loop(sizes: list[int], compute: int, bpc: int, latency: int, depth: int) -> int:
    assert compute >= 1 and all(s > 0 and s % bpc == 0 for s in sizes)
    n = len(sizes)
    done_compute = 0        # tiles whose compute has ended
    started_dma = 0         # tiles whose transfer has started
    arrived = [False] * n
    pending: list[tuple[int, int]] = []   # (arrival cycle, tile)
    dma_tile, dma_end = -1, -1
    run_tile, run_end = -1, -1
    started_compute = 0
    t = 0
    while True:
        if run_tile >= 0 and t == run_end:                      # a compute ends: its slot frees
            done_compute += 1
            run_tile = -1
            if done_compute == n:
                return t
        if dma_tile >= 0 and t == dma_end:                      # a transfer ends
            pending.append((t + latency, dma_tile))
            dma_tile = -1
        for when, i in list(pending):                            # data arrives
            if when == t:
                arrived[i] = True
                pending.remove((when, i))
        if dma_tile < 0 and started_dma < n and started_dma - done_compute < depth:
            i = started_dma
            started_dma += 1
            dma_tile, dma_end = i, t + sizes[i] // bpc
        if run_tile < 0 and started_compute < n and arrived[started_compute]:
            run_tile = started_compute
            run_end = t + compute
            started_compute += 1
        t += 1
