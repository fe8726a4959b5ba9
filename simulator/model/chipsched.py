"""The schedule of a chip's engines: a list scheduler over fixed per-task work with processor-shared DRAM.

A separate pass over counted work (Stream's approach): each task is one layer (or one image of it, or one engine's
rows of it) on one engine, with
  work_s      its time alone on the chip, in seconds (its Counts' total cycles / the engine's clock: the
              single-engine pipeline's number, DRAM stalls at the full bandwidth included)
  dram_bytes  the DRAM bytes it moves (reads + writes)
  deps        the tasks it waits for; a dependency marked ``tiles = n > 0`` is pipelined over tiles
              (producer and consumer on different engines): the consumer may start once the producer has done
              its first tile (1/n of its work) and may not get ahead of it by more than a tile:
              x_consumer <= x_producer - 1/n while the producer runs (x: fraction of work done). With constant
              rates this is exactly the tile-by-tile pipeline: finish = max(P + C/n, P/n + C) for producer time
              P and consumer time C (tests/reference/engines_reference.py steps it cycle by cycle).
Engines run one task at a time; an idle engine starts, among its startable tasks, the one listed first
(tasks are listed in priority order: image, then layer; ``chains`` say which tasks form one image's chain).

DRAM is processor-shared (a fluid model): a running task wants bandwidth d = min(dram_bytes / work_s, W) (B/s)
to run at full speed; the DRAM's bandwidth W (B/s) is split by max-min fairness (water-filling: a task wanting
less than an equal share gets what it wants, the rest is split among the others), and a task granted a < d runs
at speed a / d (so k tasks that each want all of W each get W / k and take k times as long). A pipelined
consumer that has caught up with its producer runs at the producer's pace and wants only the bandwidth of that
pace (shares and paces are iterated to a fixed point, at most 8 rounds per event).

Accounting per engine over the makespan T (seconds; every second falls in exactly one bucket):
  busy       sum of its tasks' work_s (= the integral of its speed)
  wait_dram  integral of (1 - speed) while it runs a task slowed by its DRAM share
  wait_dep   integral of (1 - speed) while it runs a task that has caught up with its producer on another engine
             (waiting for its next tile), plus the time it has tasks left but none can start
  idle       the rest: T - busy - wait_dram - wait_dep (nothing left to run, or not yet started)
"""

from __future__ import annotations

from dataclasses import dataclass

EPS = 1e-12


@dataclass(frozen=True)
class Task:
    engine: int
    work_s: float
    dram_bytes: float
    deps: tuple = ()            # ((task index, tiles), ...): tiles 0 = wait for the whole producer


@dataclass(frozen=True)
class Schedule:
    start_s: tuple              # per task
    end_s: tuple
    makespan_s: float
    busy_s: tuple               # per engine (module docstring)
    wait_dram_s: tuple
    wait_dep_s: tuple
    idle_s: tuple
    dram_bytes: tuple           # per engine: the DRAM bytes its tasks moved


def water_fill(demands: list[float], capacity: float) -> list[float]:
    """Max-min fair shares of ``capacity`` for ``demands`` (same units): each gets min(demand, level), the level
    chosen so the shares use all the capacity (or every demand is met)."""
    if sum(demands) <= capacity:      # every demand met
        return list(demands)
    n = len(demands)
    out = [0.0] * n
    left = capacity
    order = sorted(range(n), key=demands.__getitem__)
    for j, i in enumerate(order):
        share = left / (n - j)
        out[i] = min(demands[i], share)
        left -= out[i]
    return out


def _rates(tasks, act, sdram, state, x):
    """Fraction of work per second of each running task at DRAM speeds ``sdram``, a consumer that has caught up
    with its running producer at most at the producer's pace; the gates (consumer -> (producer, 1/tiles)) and the
    consumers that have caught up (consumer -> producer)."""
    rate, gate, track = {}, {}, {}
    for i in sorted(act):          # producers are listed (and so rated) before their consumers
        r = sdram[i] / tasks[i].work_s
        for p, tiles in tasks[i].deps:
            if tiles > 0 and state[p] == 1:
                gate[i] = (p, 1.0 / tiles)
                if x[i] >= x[p] - 1.0 / tiles - EPS and p in rate:
                    r = min(r, rate[p])
                    track[i] = p
        rate[i] = r
    return rate, gate, track


def _heads(queue, chains):
    """The tasks of an engine's queue that may start: the first of each chain (without chains: the first)."""
    if chains is None:
        return queue[:1]
    seen, out = set(), []
    for i in queue:
        if chains[i] not in seen:
            seen.add(chains[i])
            out.append(i)
    return out


def schedule(tasks: list[Task], n_engines: int, dram_bytes_per_s: float, chains=None) -> Schedule:
    """Run ``tasks`` (priority order) on ``n_engines`` engines sharing DRAM of ``dram_bytes_per_s`` (module
    docstring): event by event, speeds constant between events. ``chains`` (optional, per task): an engine runs
    the tasks of one chain (an image) in list order and may start the first waiting task of any chain (images
    pipelined); without chains it runs its tasks strictly in list order."""
    n = len(tasks)
    x = [0.0] * n                     # fraction done
    state = [0] * n                   # 0 waiting, 1 running, 2 done
    start = [0.0] * n
    end = [0.0] * n
    queues = [[] for _ in range(n_engines)]
    for i, t in enumerate(tasks):
        queues[t.engine].append(i)
    running = [-1] * n_engines
    busy = [0.0] * n_engines
    wdram = [0.0] * n_engines
    wdep = [0.0] * n_engines
    idle = [0.0] * n_engines
    nbytes = [0.0] * n_engines
    for t in tasks:
        nbytes[t.engine] += t.dram_bytes
    # bandwidth wanted at full speed, at most the DRAM's (a task alone always runs at full speed: its work_s
    # already counts its DRAM time, weights prefetched in earlier layers' idle DRAM cycles included)
    demand = [min(t.dram_bytes / t.work_s, dram_bytes_per_s) if t.work_s > 0 else 0.0 for t in tasks]
    work = [t.work_s for t in tasks]
    piped = [any(tiles > 0 for _, tiles in t.deps) for t in tasks]   # pipelined behind a producer
    left = n
    now = 0.0

    def startable(i):
        for p, tiles in tasks[i].deps:
            if state[p] == 2:
                continue
            if tiles <= 0 or state[p] == 0 or x[p] < 1.0 / tiles - EPS:
                return False
        return True

    while left:
        for e in range(n_engines):    # idle engines start their first startable task
            if running[e] < 0 and queues[e]:
                for i in _heads(queues[e], chains):
                    if startable(i):
                        running[e] = i
                        queues[e].remove(i)
                        state[i] = 1
                        start[i] = now
                        break
        # zero-work tasks finish at once
        done_now = [i for i in running if i >= 0 and tasks[i].work_s <= 0.0]
        if done_now:
            for i in done_now:
                x[i] = 1.0
                state[i] = 2
                end[i] = now
                running[tasks[i].engine] = -1
                left -= 1
            continue
        act = [i for i in running if i >= 0]
        gated = any(piped[i] for i in act)
        if not act:
            raise ValueError("the schedule cannot go on: a task waits for one that never runs (a dependency cycle)")
        if not gated:                  # no pipelined consumer running: the shares alone set the speeds
            dem = [demand[i] for i in act]
            shares = water_fill(dem, dram_bytes_per_s) if dram_bytes_per_s > 0 else dem
            sdram = {i: (min(1.0, a / d) if d > 0 else 1.0) for i, a, d in zip(act, shares, dem)}
            rate = {i: sdram[i] / work[i] for i in act}
            gate = track = {}
        cap = dict.fromkeys(act, 1.0) if gated else None   # speed a task can use (< 1: pacing its producer)
        for _ in range(8 if gated else 0):   # shares, then pace, then shares without what a paced task leaves
            dem = [demand[i] * cap[i] for i in act]
            shares = water_fill(dem, dram_bytes_per_s) if dram_bytes_per_s > 0 else dem
            sdram = {i: (min(1.0, a / demand[i]) if demand[i] > 0 else 1.0) for i, a in zip(act, shares)}
            rate, gate, track = _rates(tasks, act, sdram, state, x)
            new = {i: min(1.0, rate[track[i]] * tasks[i].work_s) if i in track else 1.0 for i in act}
            if all(abs(new[i] - cap[i]) <= 1e-12 for i in act):
                break
            cap = new
        dt = float("inf")
        for i in act:
            dt = min(dt, (1.0 - x[i]) / rate[i])
            if i in gate:
                p, lag = gate[i]
                rp = rate.get(p, 0.0)
                room = x[p] - lag - x[i]
                if room > EPS and rate[i] > rp:
                    dt = min(dt, room / (rate[i] - rp))
        for e in range(n_engines):    # a waiting task whose producer reaches its first tile
            if running[e] < 0 and queues[e]:
                for i in _heads(queues[e], chains):
                    if not piped[i]:
                        continue
                    for p, tiles in tasks[i].deps:
                        if tiles > 0 and state[p] == 1 and p in rate and rate[p] > 0:
                            need = 1.0 / tiles - x[p]
                            if need > EPS:
                                dt = min(dt, need / rate[p])
        if dt == float("inf"):
            raise ValueError("the schedule cannot go on: no task makes progress")
        for e in range(n_engines):
            i = running[e]
            if i >= 0:
                s_eff = rate[i] * tasks[i].work_s
                busy[e] += s_eff * dt
                if i in track:   # caught up with its producer: waits for its tiles
                    wdep[e] += (1.0 - s_eff) * dt
                else:
                    wdram[e] += (1.0 - s_eff) * dt
            elif queues[e]:
                wdep[e] += dt
            else:
                idle[e] += dt
        now += dt
        for i in act:
            x[i] = min(1.0, x[i] + rate[i] * dt)
        for i, (p, lag) in gate.items():   # a consumer never gets ahead of its running producer (rounding)
            if x[p] < 1.0 - 1e-9:
                x[i] = min(x[i], max(0.0, x[p] - lag))
        for i in act:
            if x[i] >= 1.0 - 1e-9:
                x[i] = 1.0
                state[i] = 2
                end[i] = now
                running[tasks[i].engine] = -1
                left -= 1
    return Schedule(tuple(start), tuple(end), now, tuple(busy), tuple(wdram), tuple(wdep), tuple(idle),
                    tuple(nbytes))
