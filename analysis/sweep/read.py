"""Reading results at any size: only the columns asked for, in row batches (``pyarrow.dataset``), so memory stays
bounded by a batch and the columns kept, not by the rows stored. The one place results are scanned (pareto,
report --sweep and resume read through here); a results directory of parts (names starting with ``.`` or ``_``
skipped: temporaries, the manifest, ``_screen/``) or a single Parquet file."""

from __future__ import annotations

from pathlib import Path

from workloads.errors import InputError

BATCH_ROWS = 65_536


def results_path(path: str | Path) -> Path:
    """``path`` as results to read: a directory holding Parquet parts or a regular Parquet file (not a FIFO or a
    device), else an ``InputError`` naming it."""
    p = Path(path)
    if not p.exists():
        raise InputError(str(p), "", "no such results file or directory")
    if p.is_dir() and not any(p.glob("*.parquet")) and not any(p.glob("**/*.parquet")):
        raise InputError(str(p), "", "holds no finished results yet")
    if not p.is_dir():
        from workloads.io import check_input_file

        check_input_file(p)
    return p


def dataset(path: str | Path):
    """The results as a ``pyarrow.dataset.Dataset`` (an ``InputError`` naming the path when it cannot be read)."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    p = results_path(path)
    try:
        if p.is_dir():
            files = sorted(str(f) for f in p.glob("*.parquet") if not f.name.startswith((".", "_")))
            if not files:   # a hive-style tree written by another tool: let pyarrow walk it
                return ds.dataset(str(p), format="parquet", ignore_prefixes=[".", "_"])
            return ds.dataset(files, format="parquet")
        return ds.dataset(str(p), format="parquet")
    except (OSError, ValueError, pa.ArrowException) as e:
        raise InputError(str(p), "", f"cannot read as Parquet: {e.__class__.__name__}: {e}") from None


def columns_of(path: str | Path, kinds: dict | None = None) -> list[str]:
    """The column names stored (the schema only; no rows read) of results within ``limits.result_rows`` rows;
    ``kinds`` (column -> "number" | "bool" | "string"): the type those columns must have in every part
    (``check_kinds``). Memory needs no cap here: a scan holds one batch of the columns it asks for."""
    from workloads.limits import check

    d = dataset(path)
    rows = 0
    for frag in d.get_fragments():   # from the footers: the rows a scan would walk (limits.result_rows)
        rows += frag.metadata.num_rows
        check("result_rows", rows, str(path), "", "fewer rows (read a subset of the parts)")
    if kinds:
        check_kinds(d, kinds, path)
    return list(d.schema.names)


_KINDS = {"number": ("integer", "floating"), "bool": ("boolean",), "string": ("string", "large_string")}


def check_kinds(d, kinds: dict, path) -> dict:
    """Each part's column types from its footer (no rows decoded): a column of ``kinds`` of another type (an
    objective holding strings or lists) is refused naming the part and the column. Returns {column: type}."""
    import pyarrow as pa

    types: dict = {}
    try:
        for frag in d.get_fragments():
            schema = frag.physical_schema
            for name, kind in kinds.items():
                i = schema.get_field_index(name)
                if i < 0:
                    continue
                t = schema.field(i).type
                if not any(getattr(pa.types, f"is_{k}")(t) for k in _KINDS[kind]) and not pa.types.is_null(t):
                    raise InputError(frag.path, name, f"column of type {t}", f"a {kind} column")
            for f in schema:
                types.setdefault(f.name, f.type)
    except (OSError, pa.ArrowException) as e:
        raise InputError(str(path), "", f"cannot read as Parquet: {e.__class__.__name__}: {e}") from None
    return types


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
