"""The fold walk's overlap of DRAM and compute (simulator/model/foldwalk.py ``walk``, buffer depth 1 to 4, copies
counted by the steady-state shortcut included) against the event-stepped tile loop of
tests/reference/overlap_reference.py on random small cases."""

from __future__ import annotations

import random

from simulator.model.foldwalk import walk
from simulator.model.kernel_defs import INPUT, OUTPUT
from tests.reference.overlap_reference import tile_loop


def walk_end(n_o, p_full, p_last, t, lines, bpc, lat, repeat, depth):
    """End of the last fold of a walk whose only DRAM traffic is an 8-bit outer operand P re-read every fold
    (one inner fold, no Q or Z bits): prefetch (= S_0) + folds x lines + stall."""
    out = walk(n_o, 1, p_full, p_last, 1, 1, t, INPUT, INPUT, OUTPUT, 8, 0, 0, 32, False, False, True, True,
               0.0, 0.0, 0.0, lines, float(bpc), lat, repeat, depth, 2, 2, 2)
    return out[11] + n_o * repeat * lines + out[6]


def test_walk_matches_the_event_stepped_tile_loop():
    """300 random cases: folds of p tiles (t bytes per row of the tile), 1..4 slots, latency 0..30, 1 to 8 copies:
    the walk's end = the reference's, exactly (whole cycles)."""
    rng = random.Random(21)
    serial_slower = 0
    for _ in range(300):
        n_o, repeat = rng.randint(1, 6), rng.choice((1, 2, 3, 5, 8))
        bpc = rng.choice((1, 2, 4))
        p_full, t = rng.randint(1, 8), rng.randint(1, 8) * bpc
        p_last = rng.randint(1, p_full)
        lines, lat, depth = rng.randint(1, 80), rng.choice((0, 0, rng.randint(1, 30))), rng.randint(1, 4)
        sizes = ([p_full * t] * (n_o - 1) + [p_last * t]) * repeat
        want = tile_loop(sizes, lines, bpc, lat, depth)
        got = walk_end(n_o, p_full, p_last, t, lines, bpc, lat, repeat, depth)
        assert got == want, (n_o, p_full, p_last, t, lines, bpc, lat, repeat, depth, got, want)
        if depth == 1 and len(sizes) > 1:
            serial_slower += want > tile_loop(sizes, lines, bpc, lat, 2)
    assert serial_slower > 20          # single buffering costs time in many of the cases
