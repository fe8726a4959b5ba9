"""CSV a spreadsheet opens as data, not formulas: every CSV vitsim writes goes through ``csv_rows`` or
``frame_csv`` (or ``csv_cell`` for a writer of its own).

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets (``=HYPERLINK(...)``, ``+cmd|' /C calc'!A0``): such a cell is written with a
leading apostrophe (``'=HYPERLINK(...)``), which spreadsheets show as text and which keeps the name readable
(OWASP's CSV-injection advice). Only text cells change: numbers, including negative ones, are written as
numbers; a layer or workload name that starts with one of these characters reads back with the apostrophe.
"""

from __future__ import annotations

import csv
import io

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """``value``, with an apostrophe in front when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_rows(header, rows) -> str:
    """CSV text of ``header`` and ``rows`` (Python's csv quoting, ``\n`` line ends), every cell ``csv_cell``-ed.
    A row with a carriage return in a text cell has its text cells quoted (Python's writer quotes only the
    line terminator's characters, and a bare CR would end the row for most readers)."""
    buf = io.StringIO()
    plain = csv.writer(buf, lineterminator="\n")
    quoted = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    for row in [header, *rows] if isinstance(rows, list) else _chain(header, rows):
        cells = [csv_cell(v) for v in row]
        (quoted if any(isinstance(c, str) and "\r" in c for c in cells) else plain).writerow(cells)
    return buf.getvalue()


def _chain(header, rows):
    yield header
    yield from rows


def frame_csv(df) -> str:
    """``df.to_csv(index=False)`` with every text cell ``csv_cell``-ed (numeric columns are left as they are);
    text cells quoted everywhere when one holds a carriage return (as ``csv_rows``)."""
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    text_cols = [c for c in df.columns if not is_numeric_dtype(df[c].dtype) or is_bool_dtype(df[c].dtype)]
    if text_cols:
        df = df.assign(**{str(c): df[c].map(csv_cell) for c in text_cols})
    df = df.rename(columns={c: csv_cell(c) for c in df.columns if isinstance(c, str)})
    cr = any(df[c].map(lambda v: isinstance(v, str) and "\r" in v).any() for c in df.columns if c in text_cols)
    return df.to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC if cr else csv.QUOTE_MINIMAL)
