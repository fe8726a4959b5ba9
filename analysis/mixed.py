"""A ``mixed`` recipe derived automatically: per-layer bit widths by sensitivity under a latency or energy budget on
one hardware config.

Inputs: a timm model, candidate recipes ordered from most to least precise (e.g. w8a8, w4a8, w4a4), a hardware
config and a budget on ``latency_us`` or ``energy_uj``.
  sensitivity  S[l][c] = the SQNR (dB) of GEMM layer l's output when the model is fake-quantized by candidate c
               (``workloads.trace.trace_quantized``: synthetic images and timm's random weights, so this ranks
               layers by numerical fragility; it is not accuracy, docs/accuracy.md)
  cost         C[l][c] = layer l's total_cycles (latency budget) or energy_pj (energy budget) on the hardware under
               candidate c (``simulator.simulate``)
  greedy       every GEMM layer starts at candidate 0; while the network's cost (candidate 0's network plus the
               per-layer changes) exceeds the budget, move the layer whose next candidate saves the most cost per dB
               of SQNR lost: max over l of (C[l][c] - C[l][c+1]) / max(S[l][c] - S[l][c+1], 0.01 dB).
The result is candidate 0's recipe plus one rule per moved layer (its exact name, the chosen candidate's fields);
it is applied and simulated again, and the summary reports the simulated total (vector layers follow candidate 0).
A budget no assignment meets is an error naming the least cost reachable.
"""

from __future__ import annotations

from workloads.errors import InputError

BUDGET_METRICS = {"latency_us": "total_cycles", "energy_uj": "energy_pj"}
MIN_LOSS_DB = 0.01


def parse_budget(text: str) -> tuple[str, float]:
    """``latency_us=500`` -> ("latency_us", 500.0)."""
    name, _, value = str(text).partition("=")
    if name not in BUDGET_METRICS:
        raise InputError("--budget", "budget", f"unknown metric {name!r}", "latency_us=NUMBER, energy_uj=NUMBER")
    try:
        v = float(value)
    except ValueError:
        raise InputError("--budget", "budget", f"{value!r} is not a number", "latency_us=NUMBER") from None
    if not v > 0:
        raise InputError("--budget", "budget", f"{v} is not positive", "numbers > 0")
    return name, v


def _layer_costs(workload, hw, field: str) -> dict:
    from simulator import simulate

    res = simulate(workload, hw)
    return {r.name: float(getattr(r, field)) for r in res.layer_results}, res.totals


def _network(totals, metric: str) -> float:
    return float(getattr(totals, metric))


def derive_mixed(model: str, hw, budget: tuple[str, float], candidates: list[str], *, img_size: int | None = None,
                 calib_batches: int = 2, seed: int = 0) -> tuple[dict, dict]:
    """(recipe mapping, summary) of the derived mixed recipe (module docstring)."""
    from workloads.quantize import Recipe, load_recipe
    from workloads.trace import trace_quantized

    metric, limit = budget
    if len(candidates) < 2:
        raise InputError("--candidates", "candidates", "need at least two recipes", "e.g. w8a8,w4a8,w4a4")
    recipes = [load_recipe(c) for c in candidates]
    traced = [trace_quantized(model, c, img_size=img_size, calib_batches=calib_batches, seed=seed)
              for c in candidates]
    field = BUDGET_METRICS[metric]
    costs, totals = zip(*(_layer_costs(w, hw, field) for w in traced))
    per_unit = 1.0 / (hw.freq_mhz if metric == "latency_us" else 1e6)   # cycles -> us, pJ -> uJ
    gemms = [x.name for x in traced[0].layers if x.is_gemm]
    sqnr = [{x.name: x.sqnr_db for x in w.layers if x.is_gemm} for w in traced]
    choice = dict.fromkeys(gemms, 0)
    total = _network(totals[0], metric)
    moves = 0
    while total > limit:
        best = None
        for name in gemms:
            c = choice[name]
            if c + 1 >= len(candidates):
                continue
            gain = (costs[c][name] - costs[c + 1][name]) * per_unit
            if gain <= 0:
                continue
            s0, s1 = sqnr[c].get(name), sqnr[c + 1].get(name)
            loss = max((s0 - s1) if s0 is not None and s1 is not None else 0.0, MIN_LOSS_DB)
            score = gain / loss
            if best is None or score > best[0]:
                best = (score, name, gain)
        if best is None:
            raise InputError("--budget", "budget", f"{metric} {limit:g} is out of reach: the least this model "
                             f"reaches with {', '.join(candidates)} is {total:.6g}", f"{metric} >= {total:.6g}")
        choice[best[1]] += 1
        total -= best[2]
        moves += 1
    base = recipes[0]
    rules = [{"match": r.match, **({"op": r.op} if r.op else {}), **dict(r.values)} for r in base.rules]
    layer_of = [{x.name: x for x in w.layers} for w in traced]
    from workloads.quantize import RECIPE_FIELDS

    for name in gemms:
        if choice[name]:
            x = layer_of[choice[name]][name]
            rules.append({"match": name, **{f: getattr(x, f) for f in RECIPE_FIELDS
                                             if getattr(x, f) != getattr(layer_of[0][name], f)}})
    recipe = {"name": "mixed-auto", "description": f"derived by sensitivity (SQNR) from {', '.join(candidates)} "
                                                   f"for {model} under {metric} <= {limit:g} on {hw.name}",
              "default": dict(base.default), "rules": rules}
    fp = traced[0]
    final = Recipe.from_dict(recipe, "mixed-auto").apply(replace_recipe(fp))
    _, final_totals = _layer_costs(final, hw, field)
    summary = {"model": model, "hardware": hw.name, "budget": {metric: limit}, "candidates": list(candidates),
               "moved_layers": moves, "gemm_layers": len(gemms),
               "choice": {c: sum(1 for v in choice.values() if v == i) for i, c in enumerate(candidates)},
               metric: _network(final_totals, metric),
               "candidate_totals": {c: _network(t, metric) for c, t in zip(candidates, totals)},
               "meets_budget": _network(final_totals, metric) <= limit}
    return recipe, summary


def replace_recipe(workload):
    """``workload`` with its recipe name cleared (the mixed recipe re-applies every field it sets)."""
    from dataclasses import replace

    return replace(workload, recipe="none", accuracy=None)
