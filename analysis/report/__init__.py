"""Self-contained HTML reports (inline CSS and SVG, a few lines of inline script; nothing fetched).

``run_report(result, workload)``: one workload on one design (``simulate``'s result): totals, time and
energy breakdowns, the accelerator roofline with every layer, precisions and why, the per-layer table.
``sweep_report(results_dir)``: Pareto fronts of a sweep with the knobs that matter labelled.
``compare_report(a, b)``: two runs side by side (two designs, or one design at two precisions).
Modules: ``svg`` (chart primitives), ``page`` (document, tables, cards), ``breakdown`` (parts that add up),
``rooflinechart``, ``layers``, ``run``, ``sweep``, ``compare``.
"""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {"run_report": "analysis.report.run", "sweep_report": "analysis.report.sweep",
            "compare_report": "analysis.report.compare"}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'analysis.report' has no attribute {name!r}")
