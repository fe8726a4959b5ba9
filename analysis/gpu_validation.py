"""The GPU roofline and expected throughput against timm's published benchmark rows (docs/validation-gpu.md).

Rows: ``docs/reference/timm_benchmark/*.csv`` (copied from huggingface/pytorch-image-models ``results/``, see its
README). Each row is a model at an image size and batch on a GPU, AMP FP16, eager PyTorch. For each: trace the model
(timm on the meta device; cached as a pickle under ``cache_dir``), quantize to fp16, analyze on the row's GPU with the
device's framework profile (``pytorch_eager_amp``: fused SDPA attention, FP32 LayerNorm/softmax with casts, layout
copies) at the row's batch, and compare

  measured / bound     (must be <= 1: no measured run beats the bound)
  expected / measured  (the expected throughput's error; target: median |x - 1| <= 0.15, every row <= 0.35)
"""

from __future__ import annotations

import csv
import hashlib
import pickle
import statistics
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMM_DIR = ROOT / "docs" / "reference" / "timm_benchmark"
# file -> (device, role): "calibration" rows fit the per-architecture parameters, "held-out" rows only check them
FILES = {
    "infer-amp-nchw-pt291-cu128-4090.csv": ("rtx4090", "calibration (Ada)"),
    "infer-amp-nchw-pt291-cu130-5090.csv": ("rtx5090", "calibration (Blackwell)"),
    "infer-amp-nchw-pt291-cu130-pro6000maxq.csv": ("rtx_pro_6000_maxq", "calibration (Blackwell)"),
    "infer-amp-nchw-pt240-cu124-rtx3090.csv": ("rtx3090", "held-out (Ampere, torch 2.4)"),
}
MEDIAN_TARGET, MAX_TARGET = 0.15, 0.35
# fused runtimes (docs/validation-gpu-runtimes.md, tools/validate_gpu_runtimes.py): timm's compiled files ->
# (device, torch version, role), and FasterTransformer's published A100 rows (tensorrt)
COMPILED = {"infer-amp-nchw-pt291-cu128-4090-dynamo.csv": ("rtx4090", None, "calibration"),
            "infer-amp-nchw-pt291-cu130-5090-dynamo.csv": ("rtx5090", None, "calibration"),
            "infer-amp-nchw-pt240-cu124-rtx4090-dynamo.csv": ("rtx4090", "2.4", "dev-checked (torch 2.4)")}
FT_A100 = ROOT / "docs" / "reference" / "fastertransformer_a100" / "ft_a100.csv"


@dataclass(frozen=True)
class Row:
    """One published measurement."""

    file: str
    device: str
    role: str
    model: str
    img_size: int
    batch: int
    measured_fps: float


def load_rows(directory: Path = TIMM_DIR) -> list[Row]:
    """Every row of the shipped CSV files, in file order."""
    out = []
    for name, (dev, role) in FILES.items():
        with open(directory / name, newline="") as f:
            for r in csv.DictReader(f):
                out.append(Row(name, dev, role, r["model"], int(r["infer_img_size"]), int(r["infer_batch_size"]),
                               float(r["infer_samples_per_sec"])))
    return out


def traced(model: str, img_size: int, cache_dir: Path):
    """The timm model traced at batch 1 (cached: ``cache_dir/<model>-<img>.pkl``)."""
    import warnings

    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"{model}-{img_size}.pkl"
    if path.exists():
        with open(path, "rb") as f:
            return pickle.load(f)
    from workloads.trace.api import trace

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = trace(model, img_size=img_size)
    with open(path, "wb") as f:
        pickle.dump(w, f)
    return w


def evaluate(row: Row, workload, attention: str | None = None) -> dict:
    """Bound and expected throughput of ``row``'s model (``workload``, batch 1) on its GPU, with the ratios."""
    from analysis.devices import load_device
    from analysis.roofline import analyze, apply_precision

    w16, prefer = apply_precision(workload, "fp16")
    rf = analyze(w16.with_batch(row.batch), load_device(row.device), prefer, crossover=False, framework="device",
                 attention=attention)
    t = rf.totals
    return {"model": row.model, "img_size": row.img_size, "batch": row.batch, "device": row.device,
            "measured_fps": row.measured_fps, "bound_fps": t["throughput_fps_bound"],
            "expected_fps": t["throughput_fps_expected"],
            "measured_over_bound": row.measured_fps / t["throughput_fps_bound"],
            "expected_over_measured": t["throughput_fps_expected"] / row.measured_fps,
            "attention": rf.options["attention"]}


def summary(results: list[dict]) -> dict:
    """Violations (measured above bound), median and max |expected/measured - 1|, over ``results``."""
    errs = [abs(r["expected_over_measured"] - 1) for r in results]
    return {"rows": len(results), "violations": sum(r["measured_over_bound"] > 1 for r in results),
            "max_measured_over_bound": max(r["measured_over_bound"] for r in results),
            "median_abs_error": statistics.median(errs), "max_abs_error": max(errs)}


def inputs_digest() -> str:
    """A digest of the shipped rows (docs/validation-gpu.md records it; a test compares). The model's numbers are
    checked by recomputing rows, not by hashing code other engineers edit."""
    h = hashlib.sha256()
    for p in sorted(TIMM_DIR / name for name in FILES):   # the eager files (the compiled ones: gpu_runtimes.py)
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]
