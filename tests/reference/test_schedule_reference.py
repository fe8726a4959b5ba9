"""The network schedule's closed forms (simulator/model/schedule.py) against cycle-stepped references
(tests/reference/schedule_reference.py) on random cases."""

from __future__ import annotations

import random
from types import SimpleNamespace

from simulator.model.layer import compose_stalls
from simulator.model.schedule import adjust, group_hidden, windows
from tests.reference.schedule_reference import prefetch_network, two_stage


def test_two_stage_pipeline_matches_the_cycle_stepped_reference():
    """400 random (n tiles, a, v, buffer slots, DRAM units D <= A + V: each layer's total already covers its own
    DRAM time, compose_stalls' floor): A + V - group_hidden(A, V, D, n) = the reference's cycles, exactly
    (whole-cycle stages)."""
    rng = random.Random(12)
    exposed_cases = 0
    for _ in range(400):
        n, a, v = rng.randint(1, 40), rng.randint(1, 60), rng.randint(1, 60)
        slots = rng.choice((1, 2, 4))
        dram = rng.choice((0, 0, rng.randint(0, n * (a + v))))
        want = two_stage(n, a, v, slots, dram)
        got = n * a + n * v - group_hidden(float(n * a), float(n * v), float(dram), n)
        assert got == want, (n, a, v, slots, dram, got, want)
        exposed_cases += want > max(n * a, n * v, dram)
    assert exposed_cases > 100           # most cases expose a fill or drain


def _rows(rng, n):
    layers, rows = [], []
    for i in range(n):
        weight = rng.random() < 0.4
        compute = rng.randint(1, 400)
        dram = rng.randint(0, 600)
        filt = rng.randint(0, dram) if weight else 0
        layers.append(SimpleNamespace(is_gemm=weight, weight_operand=weight, name=f"l{i}"))
        t = compose_stalls(compute, 0.0, 0.0, 0, float(dram))
        c = SimpleNamespace(total=t.total, scalesim_total=t.scalesim_total, dram=float(dram), compute=compute,
                            bytes=lambda operand, level, direction, filt=filt: float(filt))
        rows.append((c, {"weight": weight, "compute": compute, "dram": dram, "filter": filt}))
    return layers, rows


def test_network_prefetch_matches_the_cycle_stepped_reference():
    """300 random layer sequences (1 byte per cycle), the weight buffer's free half as the cap: the sum of the
    layers' totals with the prefetched bytes of ``schedule.adjust`` taken off their DRAM floors equals the
    reference's cycles exactly, except where a prefetched GEMM's own idle DRAM time grew (the model lends each layer's
    idle time as it is without prefetch, so it chains no prefetch into the next): there it is slower, never faster."""
    rng = random.Random(5)
    helped = exact = 0
    for _ in range(300):
        layers, rows = _rows(rng, rng.randint(1, 12))
        weight_bytes = rng.choice((2, 64, 200, 2000))
        hidden, pref = adjust(lambda q: rows[q][0], [], [-1] * len(layers), windows(layers), weight_bytes / 2, 1.0)
        total = 0.0
        grew = False
        for q, (c, spec) in enumerate(rows):
            p = pref.get(q, 0.0)
            out = compose_stalls(spec["compute"], 0.0, 0.0, 0, float(spec["dram"]), 0.0, p)
            total += out.total
            grew |= out.total - (spec["dram"] - p) > c.total - spec["dram"]
        want = prefetch_network([spec for _, spec in rows], weight_bytes // 2)
        if grew:
            assert total >= want, (total, want)
        else:
            assert total == want, (total, want, [spec for _, spec in rows], weight_bytes)
            exact += 1
        helped += any(p > 0 for p in pref.values())
    assert helped > 50 and exact > 200
