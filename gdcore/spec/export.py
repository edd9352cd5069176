"""Exports that are safe to open in a spreadsheet.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula
to Excel, LibreOffice and Google Sheets (``=HYPERLINK("http://evil","x")`` becomes a live link).
Following OWASP's advice on CSV injection, such cells get a leading ``'``, which spreadsheets
show as text; numbers are never touched, and every other cell is written as it is.
"""

from __future__ import annotations

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """``text`` made inert for a spreadsheet (a leading ``'`` before a formula character)."""
    return "'" + text if text.startswith(FORMULA_START) else text


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells are neutralised (numeric columns are left alone)."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].map(lambda v: neutralise(v) if isinstance(v, str) else v)
    out.columns = [neutralise(c) if isinstance(c, str) else c for c in out.columns]
    return out


def csv_text(df: pd.DataFrame) -> str:
    """``df`` as CSV text (no index), safe to open in a spreadsheet."""
    return safe_frame(df).to_csv(index=False)
