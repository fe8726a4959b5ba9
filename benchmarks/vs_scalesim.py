"""vitsim vs SCALE-Sim 3.0 on the same GEMM layers: wall time of each tool and their ratio.

    python benchmarks/vs_scalesim.py                 # DeiT-S fc1 on 32x32 os, 64 KB buffers, 32 B/cycle
    python benchmarks/vs_scalesim.py --layers all    # every DeiT-S GEMM on that config
    python benchmarks/vs_scalesim.py --validation OUT.json   # DeiT-S GEMMs x three configs (slow: ~1 h)
    python benchmarks/vs_scalesim.py --vitsim-only --layers all   # vitsim's side only (no SCALE-Sim venv)

SCALE-Sim runs in its own virtual environment (tools/scalesim_env.sh; 3.0.0 needs numpy<2.4),
one layer per process on one core, through its Python API with traces not written to disk (its
command line always writes 40-140 MB of traces per layer; skipping them only makes SCALE-Sim
faster). Its wall time is measured around ``run_scale`` inside that process (interpreter start and
imports excluded), with its CPU time (``time.process_time``) beside it. vitsim's is the best (and the median)
of several warm in-process ``simulate_layer`` calls, each with the per-GEMM kernel cache emptied first
(``simulator.model.network.run_kernel.cache_clear()``), wall and CPU. The load average is printed with them.
This module also holds the SCALE-Sim runner used by tests/scalesim/.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simulator.scalesim_cfg import scalesim_cfg_text

SCRATCH = Path(os.environ.get("VITSIM_SCRATCH", Path(tempfile.gettempdir()) / "vitsim-scalesim"))

def _gemms(model: str) -> dict[str, tuple[int, int, int]]:
    """(M, N, K) of the patch embedding, block 0's GEMMs and the head, from the analytic builder (one fact, one
    place); attention matmuls as one head (SCALE-Sim has no batch dimension)."""
    from workloads.vit import build_preset

    short = {"patch_embed.proj": "patch_embed", "head": "head"}
    out = {}
    for layer in build_preset(model).layers:
        if layer.is_gemm and (layer.name in short or layer.name.startswith("blocks.0.")):
            out[short.get(layer.name, layer.name.split(".")[-1])] = (layer.m, layer.n, layer.k)
    return out


DEIT_S = _gemms("deit_small")
DEIT_B = _gemms("deit_base")


@dataclass(frozen=True)
class Config:
    """A SCALE-Sim architecture: R x C array, dataflow, SRAM KB each, DRAM words (bytes)/cycle per interface."""

    name: str
    rows: int
    cols: int
    dataflow: str
    sram_kb: float
    bandwidth: float

    def cfg_text(self) -> str:
        return scalesim_cfg_text(self.name, self.rows, self.cols, self.sram_kb, self.sram_kb, self.sram_kb,
                                 self.dataflow, self.bandwidth)


VALIDATION_CONFIGS = (
    Config("os32_64k", 32, 32, "os", 64, 32),
    Config("ws128_1m", 128, 128, "ws", 1024, 32),
    Config("is16_32k", 16, 16, "is", 32, 32),
)
# wider coverage (arrays 8x8 to 256x256, SRAM 16 KB to 4 MB, DeiT-B): (config, model, layer names)
EXTRA_RUNS = (
    (Config("ws256_4m", 256, 256, "ws", 4096, 32), "deit_b", tuple(DEIT_B)),
    (Config("os8_16k", 8, 8, "os", 16, 32), "deit_s", ("qk", "av", "head")),
    (Config("is64_1m", 64, 64, "is", 1024, 32), "deit_b", ("qk", "av", "proj", "head")),
    (Config("os256_4m", 256, 256, "os", 4096, 32), "deit_b", ("qkv", "proj", "fc1", "fc2")),
)
MODELS = {"deit_s": DEIT_S, "deit_b": DEIT_B}

_DRIVER = r"""
import json, sys, time
from scalesim.scale_sim import scalesim
cfg, topo, layout, out = sys.argv[1:5]
s = scalesim(save_disk_space=True, verbose=False, config=cfg, topology=topo, layout=layout,
             input_type_gemm=sys.argv[5] == "gemm")
t0, c0 = time.perf_counter(), time.process_time()
s.run_scale(top_path=out)
print(json.dumps({"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}))
"""


def scalesim_python() -> tuple[str | None, str]:
    """(interpreter of the SCALE-Sim venv, "") or (None, why it is unavailable); creates the venv once."""
    print("preparing SCALE-Sim's virtual environment (tools/scalesim_env.sh; the first time: a few minutes)...",
          file=sys.stderr, flush=True)
    try:
        p = subprocess.run(["bash", str(ROOT / "tools" / "scalesim_env.sh")], capture_output=True, text=True,
                           check=False, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"tools/scalesim_env.sh failed: {e}"
    if p.returncode != 0:
        tail = (p.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"tools/scalesim_env.sh exited {p.returncode}: {tail}"
    return p.stdout.strip().splitlines()[-1], ""


def _read_report(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    head = [h.strip() for h in rows[0] if h.strip()]
    return [{h: float(v) for h, v in zip(head, r)} for r in rows[1:] if r]


def run_scalesim(py: str, cfg: Config, layers: dict[str, tuple[int, int, int]], workdir: Path | None = None) -> dict:
    """Run SCALE-Sim on GEMM ``layers`` ({name: (M, N, K)}) in one process; per-layer report dicts.

    Each entry: COMPUTE_REPORT, BANDWIDTH_REPORT and DETAILED_ACCESS_REPORT columns (SCALE-Sim's
    names) plus ``wall_s`` and ``cpu_s`` (the whole run, all layers). The run directory is deleted afterwards.
    """
    topo = "Layer, M, N, K,\n" + "".join(f"{n}, {m}, {nn}, {k},\n" for n, (m, nn, k) in layers.items())
    rows = _run_topology(py, cfg, topo, True, workdir)
    return dict(zip(layers, rows))


def run_scalesim_conv(py: str, cfg: Config, topology: str, workdir: Path | None = None) -> list[dict]:
    """Run SCALE-Sim on a convolution topology (its own CSV text, ``input_type_gemm=False``): one report dict per
    layer SCALE-Sim runs, in order (a depthwise 'DP' row gives one per channel)."""
    return _run_topology(py, cfg, topology, False, workdir)


def _run_topology(py: str, cfg: Config, topology: str, gemm: bool, workdir: Path | None) -> list[dict]:
    base = Path(tempfile.mkdtemp(prefix="scalesim_", dir=workdir or _scratch()))
    try:
        (base / "arch.cfg").write_text(cfg.cfg_text())
        (base / "topo.csv").write_text(topology)
        (base / "layout.csv").write_text("Layer, IFMAP Height, IFMAP Width,\n")
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   NUMBA_NUM_THREADS="1")
        p = subprocess.run([py, "-c", _DRIVER, str(base / "arch.cfg"), str(base / "topo.csv"),
                            str(base / "layout.csv"), str(base / "out"), "gemm" if gemm else "conv"],
                           capture_output=True, text=True, env=env, cwd=base, check=False)
        if p.returncode != 0:
            raise RuntimeError(f"SCALE-Sim failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
        timing = json.loads(p.stdout.strip().splitlines()[-1])
        rep = base / "out" / cfg.name
        merged = [{**a, **b, **c} for a, b, c in zip(_read_report(rep / "COMPUTE_REPORT.csv"),
                                                      _read_report(rep / "BANDWIDTH_REPORT.csv"),
                                                      _read_report(rep / "DETAILED_ACCESS_REPORT.csv"))]
        return [{**row, "wall_s": timing["wall_s"], "cpu_s": timing.get("cpu_s", float("nan"))} for row in merged]
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _scratch() -> Path:
    SCRATCH.mkdir(parents=True, exist_ok=True)
    return SCRATCH


def vitsim_hardware(cfg: Config):
    """The vitsim ``Hardware`` for a SCALE-Sim config (through the .cfg reader, as the CLI does)."""
    from simulator.hardware import hardware_from_dict
    from simulator.scalesim_cfg import hardware_dict_from_scalesim, parse_scalesim_cfg

    return hardware_from_dict(hardware_dict_from_scalesim(parse_scalesim_cfg(cfg.cfg_text(), cfg.name)), cfg.name)


def vitsim_layer(cfg: Config, name: str, mnk: tuple[int, int, int], reps: int = 200) -> dict:
    """vitsim's fields for one GEMM on ``cfg`` plus ``wall_s`` (best warm in-process time of ``reps`` runs, each
    with the per-GEMM kernel cache ``run_kernel`` emptied first, so the whole model runs every time),
    ``wall_median_s`` and ``cpu_s`` (median ``time.process_time`` of those runs)."""
    import statistics

    from simulator.engine import simulate_layer
    from simulator.model.network import run_kernel
    from workloads.model import Layer

    hw = vitsim_hardware(cfg)
    m, n, k = mnk
    layer = Layer(name, "gemm", m, n, k)
    row = simulate_layer(layer, hw)
    walls, cpus = [], []
    for _ in range(reps):
        run_kernel.cache_clear()
        t0, c0 = time.perf_counter(), time.process_time()
        simulate_layer(layer, hw)
        c1, t1 = time.process_time(), time.perf_counter()
        walls.append(t1 - t0)
        cpus.append(c1 - c0)
    return {**row, "wall_s": min(walls), "wall_median_s": statistics.median(walls), "cpu_s": statistics.median(cpus)}


def compare_row(cfg: Config, name: str, mnk, ss: dict, vs: dict) -> dict:
    """One side-by-side record (SCALE-Sim counts are words = bytes)."""
    return {
        "config": cfg.name, "layer": name, "m": mnk[0], "n": mnk[1], "k": mnk[2],
        "ss_compute_cycles": ss["Total Cycles"] - ss["Stall Cycles"], "vs_compute_cycles": vs["compute_cycles"],
        "ss_total_cycles": ss["Total Cycles"], "vs_total_cycles": vs["total_cycles"],
        "ss_stall_cycles": ss["Stall Cycles"], "vs_stall_cycles": vs["stall_cycles"],
        "ss_total_incl_prefetch": ss["Total Cycles (incl. prefetch)"],
        "ss_ifmap_sram_reads": ss["SRAM IFMAP Reads"], "vs_ifmap_sram_reads": vs["ifmap_sram_reads"],
        "ss_filter_sram_reads": ss["SRAM Filter Reads"], "vs_filter_sram_reads": vs["filter_sram_reads"],
        "ss_ofmap_sram_writes": ss["SRAM OFMAP Writes"], "vs_ofmap_sram_writes": vs["ofmap_sram_writes"],
        "ss_dram_ifmap_reads": ss["DRAM IFMAP Reads"], "vs_dram_ifmap_read_bytes": vs["dram_ifmap_read_bytes"],
        "ss_dram_filter_reads": ss["DRAM Filter Reads"], "vs_dram_filter_read_bytes": vs["dram_filter_read_bytes"],
        "ss_dram_ofmap_writes": ss["DRAM OFMAP Writes"],
        "vs_dram_write_bytes": vs["dram_write_bytes"], "vs_dram_ofmap_read_bytes": vs["dram_ofmap_read_bytes"],
        "compulsory_bytes": mnk[0] * mnk[2] + mnk[2] * mnk[1] + mnk[0] * mnk[1],
        "vs_loop_order": vs["loop_order"], "vs_stall_buffer": vs["stall_buffer"],
        "ss_wall_s": ss["wall_s"], "vs_wall_s": vs["wall_s"],
    }


def validation(out: Path, extra: bool = False) -> None:
    """Every (config, layer) pair, one SCALE-Sim process each; records appended to ``out`` (JSON lines).

    Each record keeps SCALE-Sim's raw report (``ss``) so vitsim's side can be recomputed later.
    """
    py, why = scalesim_python()
    if py is None:
        raise SystemExit(f"SCALE-Sim unavailable: {why}")
    done = set()
    if out.exists():
        done = {(r["config"], r["layer"]) for r in map(json.loads, out.read_text().splitlines()) if r}
    runs = EXTRA_RUNS if extra else tuple((c, "deit_s", tuple(DEIT_S)) for c in VALIDATION_CONFIGS)
    for cfg, model, names in runs:
        for name in names:
            mnk = MODELS[model][name]
            if (cfg.name, name) in done:
                continue
            ss = run_scalesim(py, cfg, {name: mnk})[name]
            rec = {**compare_row(cfg, name, mnk, ss, vitsim_layer(cfg, name, mnk)), "model": model, "ss": ss}
            with open(out, "a") as f:
                f.write(json.dumps(rec) + "\n")
            print(f"{cfg.name:10s} {name:12s} scalesim {ss['wall_s']:8.1f} s  total {ss['Total Cycles']:.0f} "
                  f"vitsim {rec['vs_total_cycles']:.0f}", flush=True)


def _fmt(x) -> str:
    return f"{x:,.0f}"


def markdown_table(paths: list[Path]) -> str:
    """Side-by-side markdown tables from validation records; vitsim's side recomputed with today's model."""
    cfgs = {c.name: c for c in VALIDATION_CONFIGS + tuple(c for c, _, _ in EXTRA_RUNS)}
    recs = [json.loads(line) for p in paths for line in p.read_text().splitlines() if line.strip()]
    head = ("| config | layer | M, N, K | compute SS = vitsim | total SS | total vitsim | SS stall | "
            "SRAM reads ifmap / filter (SS = vitsim) | ofmap SRAM writes SS / vitsim | DRAM bytes SS | "
            "DRAM bytes vitsim | compulsory | vitsim order, refetched | wall SS s | wall vitsim s | ratio | gap |")
    out = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in recs:
        cfg = cfgs[r["config"]]
        mnk = (r["m"], r["n"], r["k"])
        v = vitsim_layer(cfg, r["layer"], mnk)
        ss_dram = r["ss_dram_ifmap_reads"] + r["ss_dram_filter_reads"] + r["ss_dram_ofmap_writes"]
        vs_dram = (v["dram_ifmap_read_bytes"] + v["dram_filter_read_bytes"] + v["dram_ofmap_read_bytes"]
                   + v["dram_write_bytes"])
        same_compute = v["compute_cycles"] == r["ss_compute_cycles"]
        same_sram = (v["ifmap_sram_reads"] == r["ss_ifmap_sram_reads"]
                     and v["filter_sram_reads"] == r["ss_filter_sram_reads"])
        gaps = []
        floor = v.get("dram_floor_stall_cycles", 0.0)
        memory_total = v["total_cycles"] - floor  # compute + memory-model stalls
        if r["ss_stall_cycles"] == 0:
            gaps.append("no SS stall: totals equal" if memory_total == r["ss_total_cycles"]
                        else "MISMATCH without SS stall")
        else:
            gaps.append("SS stalls: re-streamed reuse + stalls counted twice"
                        if memory_total <= r["ss_total_cycles"] else "vitsim above SS")
        if floor > 0:
            gaps.append(f"engine DRAM floor adds {floor:,.0f} (counts the initial fill SS leaves out)")
        m, n, k = mnk
        if v["dram_psum_read_bytes"] > 0:
            gaps.append("vitsim reads spilled partial sums back (SS never does)")
        if r["ss_dram_ofmap_writes"] > 1.01 * m * n:
            gaps.append("SS writes every partial sum to DRAM")
        if r["ss_stall_cycles"] == 0 and (r["ss_dram_ifmap_reads"] > m * k or r["ss_dram_filter_reads"] > k * n):
            gaps.append("SS reads padded partial folds")
        out.append(
            f"| {r['config']} | {r['layer']} | {mnk[0]}, {mnk[1]}, {mnk[2]} | "
            f"{_fmt(r['ss_compute_cycles'])}{'' if same_compute else ' / ' + _fmt(v['compute_cycles']) + ' (DIFF)'} | "
            f"{_fmt(r['ss_total_cycles'])} | {_fmt(v['total_cycles'])} | {_fmt(r['ss_stall_cycles'])} | "
            f"{_fmt(r['ss_ifmap_sram_reads'])} / {_fmt(r['ss_filter_sram_reads'])}{'' if same_sram else ' (DIFF)'} | "
            f"{_fmt(r['ss_ofmap_sram_writes'])} / {_fmt(v['ofmap_sram_writes'])} | {_fmt(ss_dram)} | "
            f"{_fmt(vs_dram)} | {_fmt(r['compulsory_bytes'])} | {v['loop_order']}, {v['refetched_operand'] or '-'} | "
            f"{r['ss_wall_s']:.1f} | {v['wall_s']:.1e} | {r['ss_wall_s'] / v['wall_s']:,.0f} | {'; '.join(gaps)} |")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layers", default="fc1", help="comma-separated DeiT-S GEMMs, or 'all' (default fc1)")
    ap.add_argument("--config", default="os32_64k", choices=[c.name for c in VALIDATION_CONFIGS])
    ap.add_argument("--validation", metavar="OUT.jsonl", help="run every DeiT-S GEMM on the three configs")
    ap.add_argument("--extra", action="store_true", help="with --validation: the wider DeiT-B/array/SRAM runs")
    ap.add_argument("--table", nargs="+", metavar="IN.jsonl", help="print markdown tables of validation records")
    ap.add_argument("--vitsim-only", action="store_true", help="time vitsim alone (no SCALE-Sim venv or run)")
    ap.add_argument("--reps", type=int, default=200, help="vitsim runs per layer, cache emptied each (default "
                                                          "%(default)s)")
    args = ap.parse_args(argv)
    if args.table:
        print(markdown_table([Path(p) for p in args.table]), end="")
        return 0
    if args.validation:
        validation(Path(args.validation), args.extra)
        return 0
    names = list(DEIT_S) if args.layers == "all" else args.layers.split(",")
    unknown = [n for n in names if n not in DEIT_S]
    if unknown:
        ap.error(f"unknown layer(s) {unknown}; choose from {', '.join(DEIT_S)}")
    cfg = next(c for c in VALIDATION_CONFIGS if c.name == args.config)
    if args.reps < 1:
        ap.error("--reps must be >= 1")
    if args.vitsim_only:
        py, why = None, "--vitsim-only"
    else:
        py, why = scalesim_python()
    if py is None:
        print(f"SCALE-Sim not run ({why}); vitsim only")
    print(f"{cfg.name}: {cfg.rows}x{cfg.cols} {cfg.dataflow}, {cfg.sram_kb:g} KB buffers, "
          f"{cfg.bandwidth:g} B/cycle per DRAM interface; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'layer':12s} {'M,N,K':>16s} {'SS wall s':>10s} {'SS CPU s':>9s} {'vitsim best':>11s} "
          f"{'median':>9s} {'CPU':>9s} {'ratio':>10s} {'SS cycles':>10s} {'vitsim cycles':>13s} {'load1':>6s}")
    for name in names:
        mnk = DEIT_S[name]
        vs = vitsim_layer(cfg, name, mnk, args.reps)
        if py is not None:
            print(f"running SCALE-Sim on {name} (seconds to minutes per layer)...", file=sys.stderr, flush=True)
        ss = run_scalesim(py, cfg, {name: mnk})[name] if py is not None else None
        ss_cols = (f"{ss['wall_s']:10.1f} {ss['cpu_s']:9.1f}" if ss else f"{'-':>10s} {'-':>9s}",
                   f"{ss['wall_s'] / vs['wall_s']:10.0f} {ss['Total Cycles']:10.0f}" if ss else f"{'-':>10s} {'-':>10s}")
        print(f"{name:12s} {mnk!s:>16s} {ss_cols[0]} {vs['wall_s']:11.2e} {vs['wall_median_s']:9.2e} "
              f"{vs['cpu_s']:9.2e} {ss_cols[1]} {vs['total_cycles']:13.0f} {os.getloadavg()[0]:6.2f}", flush=True)
    print(f"vitsim: {args.reps} warm in-process simulate_layer calls per layer, run_kernel cache emptied before "
          f"each; best and median wall, median CPU (time.process_time); SCALE-Sim: run_scale in its own process, "
          f"wall and CPU (time.process_time)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
