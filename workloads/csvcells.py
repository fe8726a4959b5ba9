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
    """CSV text of ``header`` and ``rows`` (Python's csv quoting, ``\\n`` line ends), every cell ``csv_cell``-ed."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([csv_cell(h) for h in header])
    for row in rows:
        w.writerow([csv_cell(v) for v in row])
    return buf.getvalue()


def frame_csv(df) -> str:
    """``df.to_csv(index=False)`` with every text cell ``csv_cell``-ed (numeric columns are left as they are)."""
    text_cols = [c for c in df.columns if df[c].dtype == object or str(df[c].dtype) in ("string", "category")]
    if text_cols:
        df = df.assign(**{str(c): df[c].map(csv_cell) for c in text_cols})
    df = df.rename(columns={c: csv_cell(c) for c in df.columns if isinstance(c, str)})
    return df.to_csv(index=False)
