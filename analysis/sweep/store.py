"""Results storage: the Arrow schema, the append-only Parquet results directory, its readers."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

from analysis.sweep.spec import SweepSpec, _scaled, bound_mix_names
from workloads.errors import InputError

MANIFEST = "_sweep.json"


def arrow_schema(spec: SweepSpec):
    """Results schema: ids, axis columns (int64, float64 or string by their values), float64 totals."""
    import pyarrow as pa

    fields = [pa.field("point_id", pa.int64()), pa.field("design", pa.int64()), pa.field("workload", pa.string())]
    for a in spec.axes:
        labels = a.labels if a.tie is None else tuple(_scaled(v, a.scale) for v in spec.axis(a.tie).labels)
        if all(isinstance(v, bool) for v in labels):
            t = pa.bool_()
        elif all(isinstance(v, int) and not isinstance(v, bool) for v in labels):
            t = pa.int64()
        elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in labels):
            t = pa.float64()
        else:
            t = pa.string()
        fields.append(pa.field(a.path, t))
    fields += [pa.field(m, pa.float64()) for m in list(spec.metrics) + bound_mix_names(spec.metrics)]
    fields += [pa.field("feasible", pa.bool_()), pa.field("error", pa.string())]
    return pa.schema(fields)


def _to_batch(spec: SweepSpec, cols: dict):
    import pyarrow as pa

    schema = arrow_schema(spec)
    return pa.RecordBatch.from_arrays([pa.array(cols[f.name], type=f.type) for f in schema], schema=schema)



class ResultsWriter:
    """Append-only results directory: each flush is one part file, written hidden then renamed."""

    def __init__(self, path: Path, spec: SweepSpec, resume: bool, force: bool):
        self.path = Path(path)
        self.spec = spec
        self.buffer: list = []
        self.rows = 0
        self.seq = 0
        self.run = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        manifest = {"name": spec.name, "spec": spec.source, "fingerprint": spec.fingerprint,
                    "axes": [a.path for a in spec.axes], "workloads": [w.label for w in spec.workloads],
                    "constraints": [str(c) for c in spec.constraints], "objectives": list(spec.objectives),
                    "metrics": list(spec.metrics)}
        if self.path.exists() and not self.path.is_dir():
            raise InputError(str(self.path), "", "exists and is not a sweep results directory")
        old = read_manifest(self.path)
        existing = [p for p in self.path.iterdir()] if self.path.is_dir() else []
        if existing and not resume:
            if not force:
                raise InputError(str(self.path), "", "already exists", "--resume to continue it, --force to replace it")
            if old is None and any(p.suffix != ".parquet" and not p.name.startswith(".") for p in existing):
                raise InputError(str(self.path), "", "is a directory that is not a sweep's results; not replacing it")
            for p in existing:
                p.unlink()
            old = None
        if resume and old is not None and old.get("fingerprint") != manifest["fingerprint"]:
            raise InputError(str(self.path), "", "was written by a different spec (base, axes or workloads differ)",
                             "the same spec, or a new output")
        self.path.mkdir(parents=True, exist_ok=True)
        for p in self.path.glob(".tmp-*"):  # parts a killed run did not finish
            p.unlink()
        from workloads.io import atomic_write_text

        atomic_write_text(self.path / MANIFEST, json.dumps(manifest, indent=1) + "\n")

    def done_ids(self) -> set[int]:
        parts = sorted(self.path.glob("part-*.parquet"))
        if not parts:
            return set()
        import pyarrow.parquet as pq

        return {i for p in parts for i in pq.read_table(p, columns=["point_id"]).column(0).to_pylist()}

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
        with open(tmp, "wb") as fh:
            pq.write_table(table, fh, compression="zstd")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path / name)
        fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        self.seq += 1
        self.buffer, self.rows = [], 0


def read_manifest(path: str | Path) -> dict | None:
    p = Path(path) / MANIFEST
    return json.loads(p.read_text()) if p.is_file() else None


def read_results(path: str | Path):
    """All finished rows as a DataFrame: the same as ``pandas.read_parquet(path)``."""
    import pandas as pd

    p = Path(path)
    if not p.exists():
        raise InputError(str(p), "", "no such results file or directory")
    if p.is_dir() and not any(p.glob("*.parquet")) and not any(p.glob("**/*.parquet")):
        raise InputError(str(p), "", "holds no finished results yet")
    try:
        return pd.read_parquet(p)
    except (OSError, ValueError) as e:
        raise InputError(str(p), "", f"cannot read as Parquet: {e.__class__.__name__}: {e}") from None
