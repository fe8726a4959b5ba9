"""Design-space sweeps: a YAML spec -> design points -> network totals, streamed to Parquet.

A *design* is the base hardware mapping with one value set at every axis (a dotted path such as
``array.rows``); a *point* is one design simulating one workload, and becomes one results row:
``point_id, design, workload``, the axis values, every key of ``simulate_totals``, the bound mix
(``<x>_frac = <x>_cycles / total_cycles`` for every ``*_cycles`` total), ``feasible`` (all
constraints hold) and ``error`` (why a design could not run a workload, else empty).

``point_id`` = a signed 64-bit FNV-style mix of the BLAKE2b hashes of each axis label (with its
position in the spec) and of the workload label (``spec.point_id``; ``worker`` computes it with numpy):
stable across runs, so ``resume`` skips points whose id is already stored.

Results are a directory (``RESULTS.parquet/``) of Parquet part files, each written to a hidden
temporary name, flushed and renamed into place, plus ``_sweep.json`` (the spec's fingerprint);
readers ignore names starting with ``.`` or ``_``, so ``pandas.read_parquet("RESULTS.parquet")``
loads every finished point. A sweep killed at any moment loses only unflushed rows; resuming
removes stale temporary files and runs exactly the missing points.

Execution: chunks of designs go to a local process pool (default: all cores) or, with
``scheduler="tcp://HOST:PORT"``, to a Dask distributed cluster (``dask`` imported only there).
Each worker loads every workload once per spec and validates each design once for all workloads.

Modules: ``spec`` (types, point ids), ``paths`` (dotted paths, axis expansion), ``load`` (spec
validation), ``worker`` (``run_chunk``), ``store`` (schema, results directory), ``backends``
(inline / process pool / Dask), ``run`` (``run_sweep``, ``evaluate``).
"""

from analysis.sweep.load import SAMPLING, load_spec, metric_names_for, spec_from_dict
from analysis.sweep.paths import set_path
from analysis.sweep.run import SweepSummary, default_chunk_size, evaluate, run_sweep
from analysis.sweep.spec import Axis, Constraint, SweepSpec, WorkloadRef, bound_mix_names, point_id, scalar_metrics
from analysis.sweep.store import MANIFEST, arrow_schema, read_manifest, read_results
from analysis.sweep.worker import run_chunk
from analysis.sweep.writer import ResultsWriter

__all__ = [
    "MANIFEST", "SAMPLING", "Axis", "Constraint", "ResultsWriter", "SweepSpec", "SweepSummary", "WorkloadRef",
    "arrow_schema", "bound_mix_names", "default_chunk_size", "evaluate", "load_spec", "metric_names_for",
    "point_id", "read_manifest", "read_results", "run_chunk", "run_sweep", "scalar_metrics", "set_path",
    "spec_from_dict",
]
