"""The results directory a sweep writes: one writer at a time, a fingerprint to resume against, parts checked.

``RESULTS.parquet/`` holds ``part-<run>-<seq>.parquet`` files, ``_sweep.json`` (the manifest: the spec's
fingerprint part by part, axes, workloads, constraints, objectives) and ``.lock``. Rules:

* **One writer.** ``.lock`` is held with ``flock`` for the whole run (released by the kernel if the process
  dies); a second sweep on the same directory is refused at once, naming the process that holds it.
* **Resume against the same spec.** ``--resume`` compares the spec's fingerprint (``SweepSpec.fingerprint_parts``:
  base hardware content, axes and values, workloads with a hash of their content, constraints, objectives,
  result columns, vitsim version) with the manifest's and refuses a mismatch, naming the parts that changed.
* **Damaged files are set aside.** On resume every part is read in full (with page checksums where it has them)
  and its schema compared with the spec's; a truncated, garbage or foreign part, or an unreadable manifest, is
  renamed to ``.corrupt-<name>`` (readers skip dot files), reported, and its points run again.
* **A failed start leaves nothing.** Nothing destructive happens before ``open`` (called once the backend has
  started); a directory this run created is removed again if the run fails before writing a part.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
import uuid
from pathlib import Path

from analysis.sweep.spec import SweepSpec
from analysis.sweep.store import MANIFEST, arrow_schema
from workloads.errors import InputError

LOCK = ".lock"
_HELD: set[int] = set()    # lock descriptors this process holds (forked pool workers close their copies)


def close_inherited_locks() -> None:
    """In a forked worker: close the copies of the driver's lock descriptors, so that the lock dies with the
    driver (flock is released when the last descriptor of the open file closes) even if a worker outlives it."""
    for fd in list(_HELD):
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()
CORRUPT = ".corrupt-"


class ResultsWriter:
    """Append-only results directory: checks at construction (no changes but the lock), ``open`` prepares it,
    each ``flush`` is one part file written hidden then renamed, ``close`` releases the lock."""

    def __init__(self, path: Path, spec: SweepSpec, resume: bool, force: bool):
        from workloads.outputs import _make_dirs, _parents_to_make, check_output_dir

        self.path = Path(path)
        self.spec, self.resume, self.force = spec, resume, force
        self.buffer: list = []
        self.rows = 0
        self.seq = 0
        self.parts_written = 0
        self.set_aside: list[str] = []
        self.run = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        self._fd = None
        check_output_dir(self.path)  # not a file, not under a file
        if self.path.is_dir() and not resume and not force and any(
                _ours(p) and p.name != LOCK for p in self.path.iterdir()):
            raise InputError(str(self.path), "", "already exists", "--resume to continue it, --force to replace it")
        if self.path.is_dir() and not (self.path / MANIFEST).exists() and any(
                not _ours(p) for p in self.path.iterdir()):
            raise InputError(str(self.path), "", "is a directory that is not a sweep's results; not writing into it",
                             "a new or empty directory")
        self._made = _parents_to_make(self.path)
        _make_dirs(self._made)
        try:
            self._lock()
            self._check()
        except BaseException:
            self.close(failed=True)
            raise

    # ------------------------------------------------------------------ one writer at a time
    def _lock(self) -> None:
        import fcntl

        fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise InputError(str(self.path), "", f"is being written by another sweep ({holder})",
                             "wait until it ends, or write to another -o") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%H:%M:%S')}".encode(), 0)
        self._fd = fd
        _HELD.add(fd)

    def close(self, failed: bool = False) -> None:
        """Release the lock; after a failed start, remove what this run created (nothing else)."""
        if failed and self.parts_written == 0 and self._made:
            shutil.rmtree(self._made[0], ignore_errors=True)
        if self._fd is not None:
            import fcntl

            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            _HELD.discard(self._fd)
            self._fd = None

    # ------------------------------------------------------------------ the same spec, intact files
    def _check(self) -> None:
        """Under the lock: an existing run resumes only against the same fingerprint."""
        old = _manifest_or_none(self.path)
        if not self.resume or old in (None, "corrupt"):
            return
        parts = old.get("fingerprint_parts")
        if old.get("fingerprint") == self.spec.fingerprint:
            return
        if isinstance(parts, dict):
            changed = [k for k, v in self.spec.fingerprint_parts.items() if parts.get(k) != v]
            what = ", ".join(changed) if changed else "the fingerprint"
        else:
            what = "everything (written by an older vitsim, without fingerprint parts)"
        raise InputError(str(self.path), "", f"was written by a different spec (changed: {what}); its rows would "
                         "not match this spec", "the same spec to resume, or start fresh with --force (replaces "
                         "the results) or another -o")

    def open(self) -> set[int]:
        """Prepare the directory (replace with --force, set damaged files aside, drop stale temporaries), write
        the manifest; the ids of the points already stored (resume) or an empty set."""
        old = _manifest_or_none(self.path)
        if self.force and not self.resume:
            for p in self.path.iterdir():
                if p.name != LOCK and _ours(p):
                    shutil.rmtree(p) if p.is_dir() else p.unlink()
        elif old == "corrupt":
            self._aside(self.path / MANIFEST, "unreadable manifest")
        for p in self.path.glob(".tmp-*"):  # parts a killed run did not finish
            p.unlink()
        done = self._scan() if self.resume else set()
        from workloads.io import atomic_write_text

        atomic_write_text(self.path / MANIFEST, json.dumps(self._manifest(), indent=1) + "\n")
        return done

    def _manifest(self) -> dict:
        s = self.spec
        return {"name": s.name, "spec": s.source, "fingerprint": s.fingerprint,
                "fingerprint_parts": s.fingerprint_parts, "axes": [a.path for a in s.axes],
                "workloads": [w.label for w in s.workloads], "constraints": [str(c) for c in s.constraints],
                "objectives": list(s.objectives), "metrics": list(s.metrics), "vitsim": s.version}

    def _scan(self) -> set[int]:
        """Ids stored in the intact parts; damaged or foreign parts are set aside (module docstring)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = arrow_schema(self.spec)
        done: set[int] = set()
        from workloads.limits import limit

        for p in sorted(self.path.glob("part-*.parquet")):
            try:
                if not p.is_file() or p.is_symlink():  # a FIFO would block the read; a link is not ours
                    raise ValueError("not a regular file")
                footer = pq.ParquetFile(p)  # schema and rows from the footer, before any data is decoded
                if not footer.schema_arrow.equals(schema, check_metadata=False):
                    raise ValueError("its columns are not this spec's")
                if footer.metadata.num_rows > limit("result_rows"):
                    raise ValueError(f"{footer.metadata.num_rows:,} rows: more than a sweep writes")
                table = pq.read_table(p, page_checksum_verification=True)
                if not table.schema.equals(schema, check_metadata=False):
                    raise ValueError("its columns are not this spec's")
                ids = table.column("point_id").to_pylist()
            except (OSError, ValueError, pa.ArrowException) as e:
                self._aside(p, str(e).splitlines()[0][:120] if str(e) else e.__class__.__name__)
                continue
            done.update(ids)
        return done

    def _aside(self, p: Path, why: str) -> None:
        dest = p.with_name(f"{CORRUPT}{p.name}.{self.run}")
        os.replace(p, dest)
        self.set_aside.append(f"{p.name} ({why}) -> {dest.name}")

    def done_ids(self) -> set[int]:
        """Ids of the points stored so far (every part read; ``open`` has set damaged ones aside)."""
        return self._scan()

    # ------------------------------------------------------------------ rows
    def add(self, batch) -> None:
        self.buffer.append(batch)
        self.rows += batch.num_rows

    def flush(self) -> None:
        if not self.rows:
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_batches(self.buffer)
        name = f"part-{self.run}-{self.seq:06d}.parquet"
        tmp = self.path / f".tmp-{name}"
        try:
            with open(tmp, "wb") as fh:
                pq.write_table(table, fh, compression="zstd", write_page_checksum=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path / name)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            from workloads.errors import RunError

            raise RunError(f"{self.path}: cannot write a part: {e.strerror or e} ({self.parts_written} parts "
                           "written are complete; --resume continues after freeing space)") from None
        fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        self.seq += 1
        self.parts_written += 1
        self.buffer, self.rows = [], 0


def _ours(p: Path) -> bool:
    """A file a sweep writes (parts, manifest, lock, temporaries, set-aside files), or its screening directory."""
    if p.name == "_screen" and p.is_dir():
        return True
    return p.is_file() and (p.suffix == ".parquet" or p.name in (MANIFEST, LOCK) or p.name.startswith(
        (".tmp-", CORRUPT)))


def _manifest_or_none(path: Path):
    """The manifest as a dict, None when absent, ``"corrupt"`` when unreadable."""
    p = path / MANIFEST
    if not p.exists():
        return None
    try:
        m = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "corrupt"
    return m if isinstance(m, dict) else "corrupt"
