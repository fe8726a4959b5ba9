"""Published ImageNet top-1 of ViT post-training quantization methods (``published.yaml``, with sources).

Each row: method, model (timm name), model_paper (as the paper writes it), w_bits, a_bits, top1, fp32_top1 (the
FP32 baseline of the same table) and source (paper and table). ``published_rows(model=, method=)`` filters:
a model matches its timm name, its paper name, or a prefix of the timm name (``deit_small``); a method matches
case-insensitively.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from workloads.errors import WorkloadError
from workloads.io import read_structured

FIELDS = ("method", "model", "model_paper", "w_bits", "a_bits", "top1", "fp32_top1", "source")


@lru_cache(maxsize=1)
def _all_rows() -> tuple[dict, ...]:
    ref = resources.files("workloads.accuracy") / "published.yaml"
    d = read_structured(Path(str(ref)))
    rows = []
    for t in d["tables"]:
        for paper_name, (top1, fp32) in t["rows"].items():
            rows.append({"method": t["method"], "model": d["models"][paper_name], "model_paper": paper_name,
                         "w_bits": int(t["w_bits"]), "a_bits": int(t["a_bits"]), "top1": float(top1),
                         "fp32_top1": float(fp32), "source": d["sources"][t["source"]]})
    return tuple(rows)


def published_rows(model: str | None = None, method: str | None = None) -> list[dict]:
    """Rows of the published table, optionally for one model and/or one method (module docstring)."""
    rows = list(_all_rows())
    if method is not None:
        methods = sorted({r["method"] for r in rows})
        rows = [r for r in rows if r["method"].lower() == method.lower()]
        if not rows:
            raise WorkloadError("--method", "method", f"no published rows for {method!r}", ", ".join(methods))
    if model is not None:
        models = sorted({r["model"] for r in _all_rows()})
        rows = [r for r in rows if model in (r["model"], r["model_paper"]) or r["model"].startswith(model)]
        if not rows:
            raise WorkloadError("--model", "model", f"no published rows for {model!r}", ", ".join(models))
    return [dict(r) for r in rows]


def dominant_bits(workload) -> tuple[int, int]:
    """(w_bits, a_bits) of the integer GEMM layers that carry the most MACs (how the papers name a setting)."""
    macs: dict = {}
    for x in workload.layers:
        if x.is_gemm:
            key = (x.w_bits, x.a_bits) if x.dtype == "int" else (32, 32)
            macs[key] = macs.get(key, 0) + x.macs
    return max(macs, key=macs.get) if macs else (32, 32)


def published_accuracy(workload, method: str) -> dict:
    """``Workload.accuracy`` (kind published) of ``method`` for the workload's model at its dominant bits: the model
    matches a timm name exactly or by prefix (``deit_small`` -> deit_small_patch16_224), and by image size when the
    prefix fits several."""
    w_bits, a_bits = dominant_bits(workload)
    rows = [r for r in published_rows(method=method) if (r["w_bits"], r["a_bits"]) == (w_bits, a_bits)
            and (r["model"] == workload.model or r["model"].startswith(workload.model + "_"))]
    if len(rows) > 1:
        rows = [r for r in rows if r["model"].endswith(f"_{workload.img_size}")] or rows
    if len(rows) != 1:
        have = sorted({f"{r['model']} w{r['w_bits']}a{r['a_bits']}" for r in published_rows(method=method)})
        raise WorkloadError(workload.name, "accuracy", f"{len(rows)} published {method} rows for {workload.model} "
                            f"at w{w_bits}a{a_bits}", ", ".join(have))
    r = rows[0]
    return {"kind": "published", "top1": r["top1"], "fp32_top1": r["fp32_top1"], "method": r["method"],
            "source": r["source"], "model": r["model"]}


def published_top1(model: str, w_bits: int, a_bits: int, method: str) -> dict | None:
    """The published row of ``method`` for ``model`` at (w_bits, a_bits), or None."""
    for r in _all_rows():
        if (r["method"].lower() == method.lower() and model in (r["model"], r["model_paper"])
                and (r["w_bits"], r["a_bits"]) == (w_bits, a_bits)):
            return dict(r)
    return None
