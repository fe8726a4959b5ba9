"""The sweep driver: chunks of designs to a backend, rows to the results directory or a DataFrame."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from analysis.sweep.backends import _Backend
from analysis.sweep.spec import SweepSpec, point_id
from analysis.sweep.store import arrow_schema
from analysis.sweep.writer import ResultsWriter
from workloads.errors import InputError


@dataclass
class SweepSummary:
    output: str
    points_total: int
    points_skipped: int
    points_run: int
    errors: int
    feasible: int
    seconds: float
    first_error: str = ""
    set_aside: tuple[str, ...] = ()  # damaged files moved aside on resume (their points ran again)
    screen: dict | None = None       # stage counts of a two-stage sweep (analysis/sweep/refine.py)
    search: dict | None = None       # stage counts of an optimizer search (analysis/sweep/search.py)

    @property
    def points_per_s(self) -> float:
        return self.points_run / self.seconds if self.seconds else 0.0


def structural_positions(spec: SweepSpec) -> list[int]:
    """Positions (among the free axes) of the axes that select a structural variant (``worker.Decoder``: any axis,
    or an axis tied to it, that is not a numeric column of ``simulator.model.batch.NUMERIC_PATHS``)."""
    from analysis.sweep.spec import _scaled
    from simulator.model.batch import NUMERIC_PATHS

    pos = {a.path: i for i, a in enumerate(spec.free_axes)}
    out = set()
    for a in spec.axes:
        src = a if a.tie is None else spec.axis(a.tie)
        values = [_scaled(v, a.scale) for v in src.values]
        if not (a.path in NUMERIC_PATHS and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                 for v in values)):
            out.add(pos[src.path])
    return sorted(out)


def design_order(spec: SweepSpec) -> Iterator[int]:
    """The designs to run, grouped by structural variant (each variant's designs in grid order), so a chunk holds
    as few variants as possible: the batch evaluator's setup is paid per variant and chunk."""
    import itertools

    import numpy as np

    sizes = [len(a.values) for a in spec.free_axes]
    struct = structural_positions(spec)
    if struct == list(range(len(struct))):      # the variant axes vary slowest already: grid order groups them
        yield from spec.design_indices()
        return
    strides = [math.prod(sizes[i + 1:]) for i in range(len(sizes))]
    if spec.sampling != "grid" and spec.samples < spec.grid_size:
        idx = np.fromiter(spec.design_indices(), dtype=np.int64, count=spec.n_designs)
        key = np.zeros(len(idx), dtype=np.int64)
        for p in struct:
            key = key * sizes[p] + idx // strides[p] % sizes[p]
        yield from (int(i) for i in idx[np.lexsort((idx, key))])
        return
    numeric = [p for p in range(len(sizes)) if p not in struct]
    offsets = np.zeros(1, dtype=np.int64)
    for p in numeric:   # grid order within a variant: the last numeric axis fastest
        offsets = (offsets[:, None] + np.arange(sizes[p], dtype=np.int64)[None, :] * strides[p]).reshape(-1)
    for combo in itertools.product(*(range(sizes[p]) for p in struct)):
        base = sum(c * strides[p] for c, p in zip(combo, struct))
        yield from (offsets + base).tolist()


def _chunks(spec: SweepSpec, done: set[int], size: int) -> Iterator[list[tuple[int, list[int]]]]:
    chunk: list = []
    n_wl = len(spec.workloads)
    for index in design_order(spec):
        if done:
            labels = spec.design_labels(index)
            wl = [i for i, w in enumerate(spec.workloads) if point_id(labels, w.label) not in done]
            if not wl:
                continue
        else:
            wl = list(range(n_wl))
        chunk.append((index, wl))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _count_todo(spec: SweepSpec, done: set[int]) -> int:
    """How many of the spec's points have no stored row (a pass over the ids when resuming)."""
    if not done:
        return spec.n_points
    return sum(point_id(spec.design_labels(i), w.label) not in done
               for i in spec.design_indices() for w in spec.workloads)


def default_chunk_size(n_designs: int, workers: int) -> int:
    """Designs per task: about 1/8 of each worker's share, between 1 and 4096 (bounded memory, even load; the
    batch evaluator amortizes its per-chunk work over the designs of a chunk)."""
    return max(1, min(4096, math.ceil(n_designs / max(1, workers * 8))))


def run_sweep(spec: SweepSpec, output: str | Path, *, scheduler=None, resume: bool = False, force: bool = False,
              workers: int | None = None, chunk_size: int | None = None, progress: bool = True,
              flush_rows: int = 50_000, flush_seconds: float = 5.0, on_rows=None, screen: bool | None = None,
              search=None) -> SweepSummary:
    """Run ``spec``, streaming rows into the results directory ``output``.

    ``scheduler``: None for a local process pool of ``workers`` processes (default: all cores;
    ``workers=0`` runs in this process), or a Dask scheduler address / ``distributed.Client``.
    Rows are buffered and flushed as one part file every ``flush_rows`` rows or ``flush_seconds``.
    ``on_rows(n)`` (optional) is called after each finished chunk with its number of rows.
    ``screen`` (default: the spec's ``screen``): the two-stage search (analysis/sweep/screen.py): every point is
    bounded, only those that can still reach the Pareto front (or meet the constraints) run exactly; the front
    equals the exhaustive sweep's.
    ``search`` (default: the spec's ``search``): an ``analysis.sweep.search.Search``: the optimizer asks designs
    instead of the grid (analysis/sweep/search.py); only the designs it asks (and the screen keeps) run exactly.
    """
    screen = spec.screen if screen is None else screen
    from analysis.sweep.worker import is_chip

    search = spec.search if search is None else search
    if search is not None and is_chip(spec):
        raise InputError(spec.source, "search", "an optimizer search over a chip of several engines (it screens "
                         "every point with the one-engine bound)", "an exhaustive sweep of the chip (no search)")
    if search is not None:
        screen = False
    if screen and is_chip(spec):
        raise InputError(spec.source, "screen", "true on a chip of several engines (the screening bound is per "
                         "one-engine design)", "false (--no-screen)")
    t0 = time.perf_counter()
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise InputError(str(output), "", "Parquet results need pyarrow", "pip install 'pyarrow>=14'") from None
    writer = ResultsWriter(Path(output), spec, resume, force)  # checks and the lock; nothing changed yet
    if progress and scheduler is None and workers != 0:
        from simulator.model.jit import cache_ready

        if not cache_ready():   # the pool's start compiles the kernels (about 10 s, once per checkout)
            import sys

            print(f"{spec.name}: compiling kernels (first sweep of this checkout; cached on disk afterwards)",
                  file=sys.stderr, flush=True)
    failed = True
    try:
        with _Backend.make(scheduler, spec, workers) as backend:
            done = writer.open()  # the backend started: now replace, set damaged parts aside, write the manifest
            total = spec.n_points
            todo = _count_todo(spec, done) if not (screen or search) else total - len(done)
            skipped = total - todo
            size = chunk_size or spec.chunk_size or default_chunk_size(spec.n_designs, backend.workers)
            stats = {"run": 0, "errors": 0, "feasible": 0, "first_error": ""}
            last = time.monotonic()
            stages = found = None
            try:
                if search is not None:
                    from analysis.sweep.search import run_searched

                    size = chunk_size or spec.chunk_size or max(1, math.ceil(search.population / backend.workers))
                    found = run_searched(spec, backend, writer, done, size, stats, _tally, progress, search,
                                         on_rows)
                    todo = 0
                elif screen:
                    from analysis.sweep.refine import run_screened

                    stages = run_screened(spec, backend, writer, done, size, stats, _tally, progress, on_rows)
                    todo = 0
                with _progress(progress and todo > 0, todo, spec.name) as advance:
                    for batch in backend.map(spec, _chunks(spec, done, size)) if todo else ():
                        writer.add(batch)
                        _tally(stats, batch)
                        advance(batch.num_rows)
                        if on_rows is not None:
                            on_rows(batch.num_rows)
                        if writer.rows >= flush_rows or time.monotonic() - last >= flush_seconds:
                            writer.flush()
                            last = time.monotonic()
            finally:  # finished chunks are complete results: keep them even on Ctrl-C or an error
                writer.flush()
        failed = False
    finally:
        writer.close(failed=failed)  # a failed start removes the directory it created (nothing was stored)
    return SweepSummary(str(output), total, skipped, stats["run"], stats["errors"], stats["feasible"],
                        time.perf_counter() - t0, stats["first_error"], tuple(writer.set_aside), stages, found)


def evaluate(spec: SweepSpec, *, scheduler=None, workers: int | None = None, chunk_size: int | None = None):
    """Run a (small) sweep in memory and return its rows as a DataFrame (no files, no resume)."""
    import pyarrow as pa

    with _Backend.make(scheduler, spec, workers) as backend:
        size = chunk_size or spec.chunk_size or default_chunk_size(spec.n_designs, backend.workers)
        batches = list(backend.map(spec, _chunks(spec, set(), size)))
    table = pa.Table.from_batches(batches, schema=arrow_schema(spec))
    return table.to_pandas().sort_values(["design", "workload"], kind="stable").reset_index(drop=True)


def _tally(stats: dict, batch) -> None:
    stats["run"] += batch.num_rows
    feas = batch.column(batch.schema.get_field_index("feasible")).to_pylist()
    errs = batch.column(batch.schema.get_field_index("error")).to_pylist()
    stats["feasible"] += sum(feas)
    bad = [e for e in errs if e]
    stats["errors"] += len(bad)
    if bad and not stats["first_error"]:
        stats["first_error"] = bad[0]


class _progress:
    """A rich progress bar (points, rate, ETA) on stderr, or nothing."""

    def __init__(self, enabled: bool, total: int, name: str):
        self.enabled, self.total, self.name = enabled, total, name

    def __enter__(self):
        if not self.enabled:
            return lambda n: None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[rate]} points/s"), TimeElapsedColumn(),
                            TextColumn("ETA"), TimeRemainingColumn(), console=Console(stderr=True),
                            refresh_per_second=4)
        self.bar.__enter__()
        self.task = self.bar.add_task(self.name, total=self.total, rate="-")
        self.t0 = time.perf_counter()
        self.n = 0

        def advance(n):
            self.n += n
            rate = self.n / max(time.perf_counter() - self.t0, 1e-9)
            self.bar.update(self.task, advance=n, rate=f"{rate:,.0f}")
        return advance

    def __exit__(self, *exc):
        if self.enabled:
            self.bar.__exit__(*exc)
        return False
