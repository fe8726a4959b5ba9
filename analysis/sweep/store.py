"""Results storage: the Arrow schema, the append-only Parquet results directory, its readers."""

from __future__ import annotations

import json
from pathlib import Path

from analysis.sweep.spec import ACCURACY_COLUMNS, SweepSpec, _scaled, bound_mix_names
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
    fields += [pa.field(m, pa.float64()) for m in ACCURACY_COLUMNS] + [pa.field("accuracy_kind", pa.string()),
                                                                       pa.field("model", pa.string()),
                                                                       pa.field("recipe", pa.string())]
    fields += [pa.field("feasible", pa.bool_()), pa.field("error", pa.string())]
    return pa.schema(fields)


def _to_batch(spec: SweepSpec, cols: dict):
    """The Arrow batch of a chunk's columns; where rows leave the worker. A row that ran (no ``error``) with a NaN
    or infinite total becomes an error row (NaN totals, infeasible): NaN is stored only for points that could not
    run, and an infinity never."""
    import numpy as np
    import pyarrow as pa

    schema = arrow_schema(spec)
    names = [m for m in list(spec.metrics) + bound_mix_names(spec.metrics) if m in cols]
    if names and len(cols["error"]):
        values = np.column_stack([np.asarray(cols[m], dtype=np.float64) for m in names])
        ok = np.asarray([not e for e in cols["error"]], dtype=bool)
        bad = ok & ~np.isfinite(values).all(axis=1)
        for i in np.flatnonzero(bad):
            first = names[int(np.flatnonzero(~np.isfinite(values[i]))[0])]
            cols["error"][i] = f"internal error: {first} came out {values[i][names.index(first)]} (please report it)"
        if bad.any():
            for m in names:
                cols[m] = np.where(bad, np.nan, np.asarray(cols[m], dtype=np.float64))
            cols["feasible"] = np.asarray(cols["feasible"], dtype=bool) & ~bad
    return pa.RecordBatch.from_arrays([pa.array(cols[f.name], type=f.type) for f in schema], schema=schema)



def read_manifest(path: str | Path) -> dict | None:
    """The manifest of a results directory; None when absent or unreadable (``writer`` sets such a file aside)."""
    p = Path(path) / MANIFEST
    try:
        m = json.loads(p.read_text(encoding="utf-8")) if p.is_file() else None
    except (OSError, ValueError):
        return None
    return m if isinstance(m, dict) else None


def read_results(path: str | Path, columns=None, kinds: dict | None = None):
    """Finished rows as a DataFrame: ``pandas.read_parquet(path, columns=...)`` within bounds, checked first
    from the Parquet footers (nothing is decoded before): at most ``limits.result_rows`` rows and
    ``limits.result_bytes`` of memory for the columns read (8 bytes per number, 64 per string or other cell).
    ``columns``: read only these (those present; None: all). ``kinds``: column -> "number" | "bool" | "string",
    the type each of those columns must have in every part (a part whose objective column holds strings or lists
    is refused naming the part and the column, instead of failing inside pandas)."""
    import pandas as pd

    from analysis.sweep.read import results_path

    p = results_path(path)
    names = _check_parts(p, columns, kinds or {})
    try:
        return pd.read_parquet(p, columns=names)
    except (OSError, ValueError, TypeError) as e:
        raise InputError(str(p), "", f"cannot read as Parquet: {e.__class__.__name__}: {_first(e)}") from None


def _check_parts(p: Path, columns, kinds: dict) -> list[str] | None:
    """The columns to read of the Parquet file or directory ``p`` after the checks of ``read_results``: the kinds
    (``analysis.sweep.read.check_kinds``), the rows and the memory of the columns read."""
    import pyarrow as pa
    import pyarrow.dataset as pds

    from analysis.sweep.read import check_kinds
    from workloads.limits import check

    try:
        dataset = pds.dataset(str(p), format="parquet")
        rows = 0
        for frag in dataset.get_fragments():
            rows += frag.metadata.num_rows
            check("result_rows", rows, str(p), "", "fewer rows (read a subset of the parts)")
    except (OSError, pa.ArrowException) as e:
        raise InputError(str(p), "", f"cannot read as Parquet: {e.__class__.__name__}: {_first(e)}") from None
    types = check_kinds(dataset, kinds, p)
    names = None if columns is None else [c for c in dict.fromkeys(columns) if c in types]
    width = sum(max(1, t.bit_width // 8) if _fixed(t) else 64 for c, t in types.items() if names is None or c in names)
    check("result_bytes", rows * width, str(p), "", "fewer rows or columns")
    return names


def _fixed(t) -> bool:
    try:
        return t.bit_width > 0
    except ValueError:
        return False


def _first(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return text[0][:200] if text else ""
