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


def published_top1(model: str, w_bits: int, a_bits: int, method: str) -> dict | None:
    """The published row of ``method`` for ``model`` at (w_bits, a_bits), or None."""
    for r in _all_rows():
        if (r["method"].lower() == method.lower() and model in (r["model"], r["model_paper"])
                and (r["w_bits"], r["a_bits"]) == (w_bits, a_bits)):
            return dict(r)
    return None
