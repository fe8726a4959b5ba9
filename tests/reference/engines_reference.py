"""Independent reference for the chip schedule (simulator/model/chipsched.py): a tick-by-tick simulator.

Written from the physical description, not from the model's formulas: time advances one cycle at a time.
  - An engine works on one task at a time, in its list order; a task is a number of tiles, each a number of
    compute cycles and a number of DRAM bytes.
  - A consumer tile j (on another engine) can start only when the producer's tile j is finished (tile-by-tile
    pipelining); with ``whole`` it waits for the producer's last tile.
  - Each cycle the DRAM moves at most ``dram_bytes_per_cycle`` bytes, shared equally among the tasks that still
    want bytes this cycle (a task wanting less than its equal share takes only what it wants; the rest is shared
    among the others). A tile's compute cycles and its bytes progress together: a tile of C cycles and B bytes
    is done when it has had C working cycles and received B bytes, and in one cycle it can take at most B / C
    bytes (its rate alone) and advance by (bytes received) / (B / C) of a cycle.
No events, no fluid formulas: only counting.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RefTask:
    engine: int
    tiles: int
    cycles_per_tile: float
    bytes_per_tile: float = 0.0
    producer: int | None = None      # index of the task it consumes
    whole: bool = False              # wait for the whole producer instead of tile by tile
    done_tiles: int = 0
    progress: float = 0.0            # cycles of work done on the current tile
    start: int | None = None
    end: int | None = None
    history: list = field(default_factory=list)


def run(tasks: list[RefTask], n_engines: int, dram_bytes_per_cycle: float = float("inf"),
        max_cycles: int = 10_000_000) -> int:
    """Step cycle by cycle until every task is done; returns the last cycle's end (the makespan in cycles). Each
    task's ``start`` and ``end`` are filled in."""
    queues = [[i for i, t in enumerate(tasks) if t.engine == e] for e in range(n_engines)]
    for cycle in range(max_cycles):
        if all(t.end is not None for t in tasks):
            return cycle
        working = []
        for e in range(n_engines):
            if not queues[e]:
                continue
            i = queues[e][0]
            t = tasks[i]
            if t.producer is not None:
                p = tasks[t.producer]
                needed = p.tiles if t.whole else t.done_tiles + 1
                if p.done_tiles < needed:
                    continue          # waits for the producer's tile
            if t.start is None:
                t.start = cycle
            working.append(i)
        # DRAM this cycle: equal shares, water-filled
        want = {i: (tasks[i].bytes_per_tile / tasks[i].cycles_per_tile) for i in working}
        got = {i: 0.0 for i in working}
        left = dram_bytes_per_cycle
        pending = sorted((i for i in working if want[i] > 0), key=lambda i: want[i])
        while pending:
            share = left / len(pending)
            i = pending.pop(0)
            got[i] = min(want[i], share)
            left -= got[i]
        for i in working:
            t = tasks[i]
            step = 1.0 if want[i] == 0 else got[i] / want[i]
            t.progress += step
            if t.progress >= t.cycles_per_tile - 1e-9:
                t.progress = 0.0
                t.done_tiles += 1
                if t.done_tiles == t.tiles:
                    t.end = cycle + 1
                    queues[t.engine].pop(0)
    raise RuntimeError("did not finish")
