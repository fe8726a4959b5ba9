"""Reading results at any size: only the columns asked for, in row batches (``pyarrow.dataset``), so memory stays
bounded by a batch and the columns kept, not by the rows stored. The one place results are scanned (pareto,
report --sweep and resume read through here); a results directory of parts (names starting with ``.`` or ``_``
skipped: temporaries, the manifest, ``_screen/``) or a single Parquet file."""

from __future__ import annotations

from pathlib import Path

from workloads.errors import InputError

BATCH_ROWS = 65_536


def dataset(path: str | Path):
    """The results as a ``pyarrow.dataset.Dataset`` (an ``InputError`` naming the path when it cannot be read)."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    p = Path(path)
    if not p.exists():
        raise InputError(str(p), "", "no such results file or directory")
    if p.is_dir() and not any(p.glob("*.parquet")) and not any(p.glob("**/*.parquet")):
        raise InputError(str(p), "", "holds no finished results yet")
    try:
        if p.is_dir():
            files = sorted(str(f) for f in p.glob("*.parquet") if not f.name.startswith((".", "_")))
            if not files:   # a hive-style tree written by another tool: let pyarrow walk it
                return ds.dataset(str(p), format="parquet", ignore_prefixes=[".", "_"])
            return ds.dataset(files, format="parquet")
        return ds.dataset(str(p), format="parquet")
    except (OSError, ValueError, pa.ArrowException) as e:
        raise InputError(str(p), "", f"cannot read as Parquet: {e.__class__.__name__}: {e}") from None


def columns_of(path: str | Path) -> list[str]:
    """The column names stored (the schema only; no rows read)."""
    return list(dataset(path).schema.names)


def scan_batches(path: str | Path, columns, filter=None, batch_rows: int = 0):
    """Record batches of ``columns`` (those present; a missing one is left out) of every stored row."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    d = dataset(path)
    cols = [c for c in columns if c in d.schema.names]
    try:
        yield from d.to_batches(columns=cols, filter=filter, batch_size=batch_rows or BATCH_ROWS, use_threads=False,
                                batch_readahead=1, fragment_readahead=1,   # memory: about one batch in flight
                                fragment_scan_options=ds.ParquetFragmentScanOptions(pre_buffer=False))
    except (OSError, ValueError, pa.ArrowException) as e:
        raise InputError(str(path), "", f"cannot read as Parquet: {e.__class__.__name__}: {e}") from None
