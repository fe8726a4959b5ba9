"""Where chunks run: in this process, a local process pool, or a Dask distributed cluster."""

from __future__ import annotations

import itertools
import os

from analysis.sweep.spec import SweepSpec
from analysis.sweep.worker import run_chunk, warm
from workloads.errors import InputError


class _Backend:
    """Where chunks run. ``map`` yields ``fn(spec, chunk)`` (default ``run_chunk``: one Arrow batch) per chunk, in
    completion order, with a bounded number of chunks in flight so memory stays flat however long the sweep is."""

    workers = 1

    @staticmethod
    def make(scheduler, spec: SweepSpec, workers: int | None) -> _Backend:
        if scheduler is not None:
            return _DaskBackend(scheduler)
        workers = os.cpu_count() or 1 if workers is None else workers
        return _InlineBackend() if workers == 0 else _PoolBackend(workers, spec)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _InlineBackend(_Backend):
    def map(self, spec, chunks, fn=run_chunk):
        for c in chunks:
            yield fn(spec, c)


class _PoolBackend(_Backend):
    def __init__(self, workers: int, spec: SweepSpec | None = None):
        from concurrent.futures import ProcessPoolExecutor

        if spec is not None:
            warm(spec)  # forked workers inherit the loaded workloads and the compiled kernel
        self.workers = workers
        self.pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker)

    def map(self, spec, chunks, fn=run_chunk):
        from concurrent.futures import FIRST_COMPLETED, wait

        pending = set()
        chunks = iter(chunks)
        limit = 3 * self.workers
        while True:
            for c in itertools.islice(chunks, limit - len(pending)):
                pending.add(self.pool.submit(fn, spec, c))
            if not pending:
                return
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in finished:
                yield f.result()

    def __exit__(self, *exc):
        if exc[0] is not None:  # an error (a full disk) or Ctrl-C: stop the workers now, then wait for them, so
            for p in list(getattr(self.pool, "_processes", {}).values()):  # none is left writing to a closed pipe
                p.terminate()                                              # (a traceback after the one-line error)
        self.pool.shutdown(wait=True, cancel_futures=True)
        return False


PARENT_POLL_S = 0.5  # how often a pool worker checks that its driver is alive


def _init_worker() -> None:
    import gc
    import signal

    from analysis.sweep.writer import close_inherited_locks

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver handles Ctrl-C and shuts the pool down
    close_inherited_locks()                        # the results lock dies with the driver, not with its workers
    _die_with_parent(os.getppid())
    gc.freeze()  # objects inherited from the driver by fork: keep the collector from re-scanning them


def _die_with_parent(parent: int) -> None:
    """Exit this worker as soon as its driver ``parent`` is gone (kill -9 leaves no time to shut the pool down):
    a daemon thread polls the parent id every ``PARENT_POLL_S`` s (an orphan is re-parented, so the id changes)."""
    import threading
    import time

    def watch():
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="vitsim-parent-watch", daemon=True).start()


class _DaskBackend(_Backend):
    def __init__(self, scheduler):
        try:
            from distributed import Client
        except ImportError:
            raise InputError("sweep", "scheduler", "Dask distributed is not installed",
                             "pip install -e '.[distributed]'") from None
        if isinstance(scheduler, Client):
            self.client, self.own = scheduler, False
        else:
            try:
                self.client, self.own = Client(scheduler, timeout="10s"), True
            except (OSError, TimeoutError, ValueError) as e:
                raise InputError("sweep", "scheduler", f"cannot connect to {scheduler!r}: {e}") from None
        self.workers = max(1, sum(self.client.nthreads().values()))

    def map(self, spec, chunks, fn=run_chunk):
        from distributed import as_completed

        spec_f = self.client.scatter(spec, broadcast=True, hash=False)   # its own key per map: a two-stage sweep maps
        # several times, and a finished map releasing a shared key would lose the spec under the next one
        chunks = iter(chunks)
        limit = 3 * self.workers
        first = [self.client.submit(fn, spec_f, c, pure=False) for c in itertools.islice(chunks, limit)]
        ac = as_completed(first)
        for f in ac:
            batch = f.result()
            f.release()
            for c in itertools.islice(chunks, 1):
                ac.add(self.client.submit(fn, spec_f, c, pure=False))
            yield batch

    def __exit__(self, *exc):
        if self.own:
            self.client.close()
        return False
