"""Self-contained HTML reports (inline CSS and SVG, a few lines of inline script; nothing fetched).

``run_report(result, workload)``: one workload on one design (``simulate``'s result): a totals card with the
assumptions and the whole network's time and energy first, then time and energy breakdowns, the accelerator
roofline with every layer, precisions and why, every total, the per-layer table (``run.RUN_SECTIONS``).
``sweep_report(results_dir)``: Pareto fronts of a sweep with the knobs that matter labelled.
``compare_report(a, b)``: two runs side by side (two designs, or one design at two precisions).
Modules: ``svg`` (the SVG renderer of ``analysis.chartspec`` charts), ``page`` (document, tables, cards),
``breakdown`` (parts that add up), ``parts`` (time and energy charts), ``summary`` (the totals card),
``rooflinechart``, ``layers``, ``run``, ``sweep``, ``compare``, ``gpu_compare``, ``fpga``.
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
