"""Which engine of a chip runs each layer (simulator/hardware/chip.py ``Chip``), and what a cross-engine
activation costs to move.

  can_run     a GEMM layer runs on an engine with an array whose PE has a mode wide enough for it (the
              single-engine rule: the exact mode, else the nearest wider one, ``promoted``); a vector layer runs
              on any engine (every engine has a vector unit)
  rules       ``assign: [{op, name, engine}, ...]``: the first rule whose op (if given) equals the layer's and whose
              name glob (if given, ``fnmatch``) matches its name, among those whose engine can run it; a layer no
              rule takes runs on the first engine that can run it
  auto        layers in workload order (a chain): each goes to the engine that finishes it soonest,
              finish_e = max(free_e, done_prev + move_s(prev bytes) if the previous layer ran elsewhere) + time_e,
              time_e = its cycles on engine e (the single-engine pipeline over the layers e can run) / f_e
              (ties: the engine listed first)
  move_s      an activation of B bytes from one engine to another: link B / (link_gbps 1e9); global buffer
              B / (bandwidth_gbps 1e9) when B <= size_kib 1024 (else through DRAM); DRAM 2 B / W, W = bandwidth_gbps
              1e9 x the DRAM's achievable fraction (``Chip.dram_bytes_per_s``; written by the producer, read by the
              consumer)
Errors (bad input, one line): a layer no engine can run, an engine no layer can run, a rule that matches no layer.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from simulator.hardware.config import ConfigError


def can_run(engine, layer) -> bool:
    """``engine`` (an ``EngineConfig``) can run ``layer`` (module docstring)."""
    if not layer.is_gemm:
        return True
    if not engine.gemm:
        return False
    pe = engine.hw.pe
    if pe.type == "xnor" and layer.dtype == "int" and layer.w_quantizer == "uniform":
        return False
    return pe.resolve(layer.dtype, layer.w_bits, layer.a_bits)[0] is not None


def runnable(chip, layers) -> list[list[bool]]:
    """ok[i][e]: engine e can run layer i; a layer none can run or an engine that can run none is a ConfigError."""
    ok = [[can_run(e, layer) for e in chip.engines] for layer in layers]
    for layer, row in zip(layers, ok):
        if not any(row):
            modes = "; ".join(f"{e.name}: " + (", ".join(m.label for m in e.hw.pe.precisions) if e.gemm else "no array")
                              for e in chip.engines)
            raise ConfigError(chip.source, "engines", f"no engine can run layer {layer.name} ({layer.op}, "
                              f"{layer.precision})", modes)
    for j, e in enumerate(chip.engines):
        if layers and not any(row[j] for row in ok):
            raise ConfigError(chip.source, f"engines[{j}]", f"engine {e.name} can run no layer of this workload",
                              "an engine with a PE mode (or vector unit) some layer needs, or remove it")
    return ok


def _matches(rule, layer) -> bool:
    return (rule.op is None or rule.op == layer.op) and (rule.name is None or fnmatchcase(layer.name, rule.name))


def by_rules(chip, layers, ok) -> list[int]:
    """Each layer's engine by ``chip.assign``'s rules (module docstring); a rule matching no layer is a ConfigError."""
    names = [e.name for e in chip.engines]
    used = [False] * len(chip.assign)
    out = []
    for i, layer in enumerate(layers):
        pick = None
        for r, rule in enumerate(chip.assign):
            if _matches(rule, layer):
                used[r] = True
                e = names.index(rule.engine)
                if ok[i][e]:
                    pick = e
                    break
        out.append(pick if pick is not None else ok[i].index(True))
    for r, u in enumerate(used):
        if not u:
            rule = chip.assign[r]
            raise ConfigError(chip.source, f"assign[{r}]", f"matches no layer of this workload (op "
                              f"{rule.op or 'any'}, name {rule.name or 'any'})", "an op and a glob some layer has")
    return out


def move_s(chip, nbytes: float) -> float:
    """Seconds to move ``nbytes`` of activation between two engines (module docstring)."""
    sh = chip.shared
    if sh.transfer == "link":
        return nbytes / (sh.link_gbps * 1e9)
    if sh.transfer == "global_buffer" and nbytes <= sh.global_buffer.size_kib * 1024:
        return nbytes / (sh.global_buffer.bandwidth_gbps * 1e9)
    return 2 * nbytes / chip.dram_bytes_per_s


def via_dram(chip, nbytes: float) -> bool:
    """True when a cross-engine activation of ``nbytes`` goes through DRAM (its bytes are then counted)."""
    sh = chip.shared
    return sh.transfer == "dram" or (sh.transfer == "global_buffer" and nbytes > sh.global_buffer.size_kib * 1024)


def auto(chip, times, out_bytes) -> list[int]:
    """Each layer's engine, soonest finish first (module docstring); ``times[i][e]`` seconds or None (cannot run),
    ``out_bytes[i]`` the bytes of layer i's output."""
    free = [0.0] * len(chip.engines)
    done, prev = 0.0, -1
    out = []
    for i, row in enumerate(times):
        best, best_e = None, -1
        for e, t in enumerate(row):
            if t is None:
                continue
            ready = done + (move_s(chip, out_bytes[i - 1]) if prev >= 0 and prev != e else 0.0)
            fin = max(free[e], ready) + t
            if best is None or fin < best:
                best, best_e = fin, e
        free[best_e] = best
        done, prev = best, best_e
        out.append(best_e)
    return out
