"""Reading delimited text files (CSV) into a :class:`pandas.DataFrame`, with forgiving
decoding and delimiter detection and one-line :class:`~gdcore.errors.DataError` messages.

Row numbers in messages and notes: "row N" is the N-th *data* row, counting from 1 at
the first row below the header (so in a spreadsheet that shows the header on line 1,
row N is on line N + 1). "line N" (only in parse errors) is the N-th line of the file.

Column names are kept as plain strings: ``a.b``, ``e[0]`` or ``<b>x</b>`` are never
interpreted. Whoever displays a name or a message must display it as plain text.

Nothing is changed silently: every guess :func:`read_table` makes (encoding, delimiter,
decimal comma, thousands separators, a missing header row, renamed columns) comes back
as a note for the user. Files wider than :data:`MAX_COLUMNS` columns (counted on the
first row, before the rest is parsed) or longer than :data:`MAX_ROWS` data rows are
refused with a :class:`~gdcore.errors.DataError`.

Long because one reader owns every guess a real file needs (encoding, delimiter, header,
decimal comma, thousands separators, the wide- and long-row guards) and each guess's note;
split by guess it would scatter the order they must run in.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
import zipfile
from numbers import Integral
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..limits import MAX_COLUMN_NAME_CHARS
from ..limits import MAX_ROWS as LIMIT_ROWS

__all__ = [
    "MAX_COLUMNS", "MAX_ROWS", "MISSING_MARKERS", "number_format_hint", "numeric_columns", "quote_name",
    "quote_names", "read_table", "rows_text", "to_numbers",
]

#: Most columns :func:`read_table` reads; wider files are refused from their first row.
MAX_COLUMNS = 1_000
#: Most data rows :func:`read_table` reads: the lab's one bound on rows (``gdcore.limits``).
MAX_ROWS = LIMIT_ROWS

#: Delimiters we try, in order of preference when several fit equally well.
DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
#: Columns lined up by runs of spaces or tabs (UCI's ``.data`` files, printed tables): tried
#: after :data:`DELIMITERS`, and taken only when it splits every line alike into more fields
#: and more numbers than the best of them (see :func:`_sniff_delimiter`).
WHITESPACE = " "
_DELIMITER_NAMES = {";": "';' (semicolons)", "\t": "tabs", "|": "'|' (vertical bars)",
                    WHITESPACE: "spaces (runs of spaces or tabs)"}
_SNIFF_CHARS = 64_000
_SNIFF_LINES = 50
_MAX_NAME_CHARS = 40
_EMPTY_FILE = "The file is empty: upload a CSV with a header row and at least two data rows."
_LATIN1_NOTE = (
    "File is not UTF-8; read it as Latin-1 (cp1252). Save as UTF-8 if accents look wrong."
)
_NUMBER_START = r"\s*[+-]?\.?\d"  # every finite number starts so (also "1,5")
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*(?:\r\n|\r|\n))+")
_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d*,\d+(?:[eE][+-]?\d+)?\s*$")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_COMMA_NUMBER = re.compile(r"[+-]?\d*,\d+(?:[eE][+-]?\d+)?")
#: Thousands separators we recognise (see :func:`_grouped_numbers` for the rule).
_GROUP_SEPARATORS: tuple[str, ...] = (",", ".", " ", "\u00a0", "\u202f", "'", "\u2019")
_GROUP_NOTES = {
    ",": "',' as a thousands separator", ".": "'.' as a thousands separator",
    " ": "spaces as thousands separators", "\u00a0": "non-breaking spaces as thousands separators",
    "\u202f": "narrow spaces as thousands separators", "'": "apostrophes as thousands separators",
    "\u2019": "apostrophes as thousands separators",
}
_LOOSE_GROUPED = re.compile(r"[+-]?\d{1,3}(?:[,. '\u00a0\u202f\u2019]\d{3})+(?:[.,]\d+)?")
_ANY_GROUPED = re.compile(r"[+-]?\d{1,3}(?:[,. '\u00a0\u202f\u2019]\d{3})*(?:[.,]\d+)?")
#: Cells that mean "no value" in files people export: pandas' default NA strings (R's NA,
#: SQL's NULL, Excel's #N/A ...), UCI's "?", and the dashes and dots of printed tables. In a
#: column that is numbers otherwise they are read as missing (with a note); elsewhere they
#: stay text.
MISSING_MARKERS = frozenset({
    "NA", "N/A", "n/a", "na", "#N/A", "#N/A N/A", "#NA", "<NA>", "NaN", "nan", "-NaN", "-nan",
    "NULL", "null", "Null", "None", "none", "?", "-", "--", ".", "#VALUE!", "#DIV/0!",
    "1.#IND", "-1.#IND", "1.#QNAN", "-1.#QNAN"})
_NO_HEADER_NOTE = ("The first row looks like data, not column names: it was read as data and the "
                   "columns were named column 1..{k}. If it was a header, give the columns names "
                   "that are not numbers.")


# --------------------------------------------------------------------------- messages


def quote_name(name: object, limit: int | None = _MAX_NAME_CHARS) -> str:
    """``name`` in single quotes for a one-line message (control characters become
    spaces, names longer than ``limit`` characters are shortened)."""
    text = re.sub(r"[\x00-\x1f\x7f]", " ", str(name))
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"'{text}'"


def quote_names(names: list[str] | tuple[str, ...], limit: int = 10) -> str:
    """``'a', 'b', 'c'`` (at most ``limit`` names, then "and N more")."""
    shown = ", ".join(quote_name(n) for n in names[:limit])
    if len(names) > limit:
        shown += f" and {len(names) - limit} more"
    return shown


def rows_text(rows: list[int] | np.ndarray, limit: int = 5) -> str:
    """``row 4`` / ``rows 4, 17, 90`` / ``rows 4, 17, 90, 91, 92 and 3 more`` (1-based)."""
    rows = [int(r) for r in rows]
    if len(rows) == 1:
        return f"row {rows[0]}"
    shown = ", ".join(str(r) for r in rows[:limit])
    if len(rows) > limit:
        shown += f" and {len(rows) - limit} more"
    return f"rows {shown}"


# --------------------------------------------------------------------------- reading


def _read_source(source: bytes | bytearray | memoryview | str | Path, name: str,
                 max_bytes: int | None) -> bytes:
    """The raw bytes of ``source`` (bytes, or a path to read), checking ``max_bytes``."""
    if max_bytes is not None and (isinstance(max_bytes, bool)
                                  or not isinstance(max_bytes, Integral) or max_bytes < 1):
        raise DataError(f"max_bytes must be a positive whole number of bytes (got {max_bytes!r}).")
    limit_text = "" if max_bytes is None else f"{max_bytes:,}"
    if isinstance(source, (bytes, bytearray, memoryview)):
        raw = bytes(source)
        if max_bytes is not None and len(raw) > max_bytes:
            raise DataError(f"{name} is {len(raw):,} bytes, more than the limit of {limit_text} "
                            "bytes: upload a smaller file (fewer rows or columns).")
        return raw
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            what = "is a folder, not a file" if path.is_dir() else "does not exist"
            raise DataError(f"Cannot read {quote_name(str(path), None)}: it {what}. "
                            "Give the path of a CSV file.")
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise DataError(f"{name} is {size:,} bytes, more than the limit of {limit_text} "
                            "bytes: use a smaller file (fewer rows or columns).")
        try:
            return path.read_bytes()
        except OSError as err:
            raise DataError(f"Cannot read {quote_name(str(path), None)}: {err.strerror or err}. "
                            "Check the path and its permissions.") from err
    raise DataError(f"Cannot read data from a {type(source).__name__}: give the file's bytes or "
                    "its path (str or pathlib.Path).")


def _latin1_fallback(err: UnicodeError) -> tuple[str, int]:
    """Codec error handler: a byte cp1252 leaves undefined (0x81, 0x8d, ...) is read as
    Latin-1, so decoding never fails."""
    if not isinstance(err, UnicodeDecodeError):
        raise err
    return err.object[err.start:err.end].decode("latin-1"), err.end


_LATIN1_FALLBACK = "gdcore.cp1252-latin1"
codecs.register_error(_LATIN1_FALLBACK, _latin1_fallback)


def _zip_message(raw: bytes, name: str) -> str:
    """What a zip archive is (an Excel or OpenDocument workbook, or a plain zip of files)
    and what to upload instead."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return (f"{name} starts like a zip file (an Excel workbook is one), not a CSV file, "
                "and cannot be opened as one: from Excel use 'Save as' > 'CSV UTF-8'; from a "
                "zip archive, unzip it; then upload the CSV file.")
    if any(n.startswith("xl/") for n in names) or str(name).lower().endswith((".xlsx", ".xlsm")):
        return (f"{name} looks like an Excel workbook, not a CSV file: in Excel use 'Save as' "
                "> 'CSV UTF-8' and upload that file.")
    if "content.xml" in names:
        return (f"{name} looks like an OpenDocument spreadsheet (LibreOffice), not a CSV file: "
                "use 'Save as' > 'Text CSV' and upload that file.")
    inside = [n for n in names if not n.endswith("/")]
    listed = ", ".join(repr(n[:60]) for n in inside[:3]) + (" …" if len(inside) > 3 else "")
    return (f"{name} is a zip archive, not a CSV file" + (f" (it holds {listed})" if inside
                                                            else "")
            + ": unzip it and upload the CSV file inside.")


def _utf16_without_bom(raw: bytes) -> str | None:
    """``"utf-16-le"`` or ``"utf-16-be"`` when ``raw`` reads as UTF-16 text without a
    byte-order mark (as some Windows tools write it): in its first 4 KB every other byte is
    NUL, at odd positions (little-endian) or even ones (big-endian), and the others are not;
    else None."""
    head = raw[:4096]
    if len(head) < 4 or len(raw) % 2:
        return None
    even, odd = head[0::2], head[1::2]
    zeros_even, zeros_odd = even.count(0), odd.count(0)
    if zeros_odd >= 0.9 * len(odd) and zeros_even == 0:
        return "utf-16-le"
    if zeros_even >= 0.9 * len(even) and zeros_odd == 0:
        return "utf-16-be"
    return None


def _decode(raw: bytes, name: str) -> tuple[str, list[str]]:
    """Text of ``raw``: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252/Latin-1."""
    if raw.startswith(b"PK\x03\x04"):
        raise DataError(_zip_message(raw, name))
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise DataError(f"{name} looks like an Excel 97-2003 workbook (or another old Office "
                        "file), not a CSV file: in Excel use 'Save as' > 'CSV UTF-8' and upload "
                        "that file.")
    text, notes = None, []
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            pass  # not really UTF-16: try the byte-wise encodings
    elif (order := _utf16_without_bom(raw)) is not None:
        try:
            text = raw.decode(order)
            notes = [f"Read as UTF-16 ({'little' if order == 'utf-16-le' else 'big'}-endian, "
                     "without a byte-order mark)."]
        except UnicodeDecodeError:
            pass
    if text is None:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            notes = [_LATIN1_NOTE]
            text = raw.decode("cp1252", errors=_LATIN1_FALLBACK)
    if "\x00" in text:
        raise DataError(f"{name} looks like a binary file, not a CSV (it contains NUL bytes): "
                        "upload a text file with comma-separated values.")
    return text, notes


def _sniff_delimiter(text: str) -> str:
    """The delimiter in :data:`DELIMITERS` that splits the first lines most consistently
    into the same number (at least 2) of fields as the header; ``,`` if none does. When
    two split equally well into as many fields (``1;2,5`` in a file with no header row),
    the one giving more fields that are numbers wins (``;``: 1 and 2,5)."""
    lines = [line for line in text[:_SNIFF_CHARS].splitlines() if line.strip()][:_SNIFF_LINES]
    if len(text) > _SNIFF_CHARS and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut in the middle
    best, best_score = ",", (0.0, 0, 0)
    for delimiter in DELIMITERS:
        try:
            records = list(csv.reader(lines, delimiter=delimiter, quotechar='"'))
        except csv.Error:
            continue
        counts = [len(rec) for rec in records]
        if not counts or counts[0] < 2:
            continue
        numbers = sum(bool(_PLAIN_NUMBER.fullmatch(cell.strip())
                           or (delimiter != "," and _COMMA_NUMBER.fullmatch(cell.strip())))
                      for rec in records for cell in rec)
        score = (sum(c == counts[0] for c in counts) / len(counts), counts[0], numbers)
        if score > best_score:
            best, best_score = delimiter, score
    records = _whitespace_records(lines)
    counts = [len(rec) for rec in records]
    if counts and counts[0] >= 2 and all(c == counts[0] for c in counts):
        numbers = sum(bool(_PLAIN_NUMBER.fullmatch(cell) or _COMMA_NUMBER.fullmatch(cell))
                      for rec in records for cell in rec)
        if best_score[0] <= 1.0 and counts[0] > best_score[1] and numbers > best_score[2]:
            best = WHITESPACE
    return best


def _whitespace_records(lines) -> list[list[str]]:
    """``lines`` split at runs of spaces or tabs, quotes kept together (``"ford pinto"``);
    [] if the csv module cannot read them."""
    try:
        return list(csv.reader((line.replace("\t", " ").strip() for line in lines),
                               delimiter=" ", skipinitialspace=True, quotechar='"'))
    except csv.Error:
        return []


def _buffer(text: str | bytes) -> io.BytesIO:
    """A file object pandas reads ``text`` from, as UTF-8 bytes: ``io.StringIO`` would
    hold four bytes a character (a 50 MB file would take 200 MB more for each read)."""
    return io.BytesIO(text.encode("utf-8") if isinstance(text, str) else text)


def _parse_error(err: Exception, name: str, line_offset: int) -> DataError:
    """A :class:`DataError` naming the line from a pandas parser error."""
    msg = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", msg)
    if fields:
        want, line, saw = (int(g) for g in fields.groups())
        return DataError(f"Cannot read {name} as CSV: line {line + line_offset} has {saw:,} "
                         f"fields but the header has {want:,}. Fix that line (a stray separator "
                         "or a missing quote?) and upload again.")
    eof = re.search(r"EOF inside string starting at row (\d+)", msg)
    if eof:
        line = int(eof.group(1)) + 1 + line_offset
        return DataError(f"Cannot read {name} as CSV: a quoted value opened at line {line} is "
                         "never closed. Add the missing '\"' and upload again.")
    line = re.search(r"line (\d+)", msg)
    where = f" near line {int(line.group(1)) + line_offset}" if line else ""
    return DataError(f"Cannot read {name} as CSV{where}: {msg}. Check the file is plain "
                     "comma-separated text.")


def _clean_names(header: list[object]) -> tuple[list[str], list[str]]:
    """Stripped, non-empty, unique column names, and notes about what was changed."""
    names = [("" if pd.isna(h) else str(h)).strip() for h in header]
    notes: list[str] = []
    # one rule for long names, applied here once: a setup keeps at most as many characters
    # (gdcore.spec.config), so the name it saves is the name the table has
    long = [i for i, n in enumerate(names) if len(n) > MAX_COLUMN_NAME_CHARS]
    for i in long:
        names[i] = names[i][:MAX_COLUMN_NAME_CHARS].rstrip()
    if long:
        notes.append(f"Shortened {len(long)} column name(s) longer than "
                     f"{MAX_COLUMN_NAME_CHARS} characters to their first "
                     f"{MAX_COLUMN_NAME_CHARS}: {quote_names([names[i] for i in long])}.")
    unnamed = [i for i, n in enumerate(names) if not n]
    for i in unnamed:
        names[i] = f"column {i + 1}"
    if unnamed:
        notes.append(f"Named {len(unnamed)} column(s) that had no name: "
                     f"{quote_names([names[i] for i in unnamed])}.")
    seen: set[str] = set()
    renamed: list[str] = []
    for i, n in enumerate(names):
        if n in seen:
            k = 2
            while f"{n} ({k})" in seen or f"{n} ({k})" in names:
                k += 1
            names[i] = f"{n} ({k})"
            renamed.append(f"{quote_name(n)} -> {quote_name(names[i])}")
        seen.add(names[i])
    if renamed:
        notes.append("Renamed duplicate column names to keep them apart: " + ", ".join(renamed[:10])
                     + (f" and {len(renamed) - 10} more" if len(renamed) > 10 else "") + ".")
    return names, notes


def _as_text(column: pd.Series) -> pd.Series:
    """``column`` as stripped strings, with ``""`` for missing cells."""
    return column.astype("string").str.strip().fillna("")


def _is_number_dtype(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def to_numbers(column: pd.Series) -> np.ndarray:
    """``column`` as a float64 array: empty or non-numeric cells become NaN (text is
    stripped first; ``"inf"`` becomes inf)."""
    if _is_number_dtype(column):
        return column.to_numpy(dtype="float64", na_value=np.nan)
    numbers = pd.to_numeric(_as_text(column), errors="coerce")
    return numbers.to_numpy(dtype="float64", na_value=np.nan)


def _non_empty(column: pd.Series) -> np.ndarray:
    """Boolean mask of the cells of ``column`` that are not empty (or missing)."""
    if _is_number_dtype(column):
        return column.notna().to_numpy()
    return (_as_text(column) != "").to_numpy()


def _cannot_be_numeric(column: pd.Series) -> bool:
    """Fast pre-check: True if at most half of the non-empty cells even *start* like a
    number (so parsing them all, which is slow for text, can be skipped)."""
    if _is_number_dtype(column):
        return False
    text = _as_text(column)
    starts = int(text.str.match(_NUMBER_START).sum())
    return 2 * starts <= int((text != "").sum())


def _mostly_numbers(numbers: np.ndarray, non_empty: np.ndarray) -> bool:
    """True if more than half of the non-empty cells are finite numbers."""
    count = int(non_empty.sum())
    return count > 0 and 2 * int(np.isfinite(numbers).sum()) > count


def numeric_columns(df: pd.DataFrame) -> list[str]:
    """Names of the columns of ``df`` where most (more than half) of the non-empty cells
    parse as finite numbers (``pd.to_numeric(errors="coerce")``), in column order."""
    return [col for col in df.columns if not _cannot_be_numeric(df[col])
            and _mostly_numbers(to_numbers(df[col]), _non_empty(df[col]))]


def _grouped_numbers(text: pd.Series, delimiter: str) -> tuple[np.ndarray, str, str] | None:
    """The cells of ``text`` (stripped strings) read as numbers written with a thousands
    separator, with that separator and the decimal mark; None unless the whole column fits.

    The rule: every non-empty cell is an optional sign, 1 to 3 digits, then groups of
    exactly 3 digits each after the *same* separator, then an optional decimal part
    (``1,234``, ``-12 345 678``, ``1.234,5``, ``999``), and at least one cell has a
    separator. The separators are ``,`` ``.`` space, non-breaking and narrow spaces and
    apostrophes. The decimal mark is ``.`` in a comma-separated file (where ``.`` is never
    a separator); in a file separated by ``;``, tabs or ``|`` it is ``,`` after a ``.``
    separator, ``.`` after a ``,`` separator, and either (the same in the whole column)
    after spaces or apostrophes. There, ``,`` and ``.`` could also be decimal marks, so
    the column must prove they group thousands: a cell with two separators
    (``1,234,567``) or a cell with the other mark as a decimal mark (``1,234.5``).
    Otherwise ``1,234`` stays a decimal comma (1.234), as before: a decimal comma is never
    read as a thousands separator.
    """
    cells = text[text != ""]
    if cells.empty or not cells.head(1000).str.fullmatch(_ANY_GROUPED.pattern).all():
        return None
    if not cells.str.fullmatch(_ANY_GROUPED.pattern).all():
        return None
    for sep in _GROUP_SEPARATORS:
        if sep == "." and delimiter == ",":
            continue
        if not cells.str.contains(sep, regex=False).any():
            continue
        if sep in ",.":
            marks: tuple[str, ...] = ("." if sep == "," else ",",)
        else:
            marks = (".",) if delimiter == "," else (".", ",")
        for mark in marks:
            pattern = rf"[+-]?\d{{1,3}}(?:{re.escape(sep)}\d{{3}})*(?:{re.escape(mark)}\d+)?"
            if not cells.str.fullmatch(pattern).all():
                continue
            if sep in ",." and delimiter != "," and not (
                    cells.str.contains(mark, regex=False).any()
                    or (cells.str.count(re.escape(sep)) > 1).any()):
                continue
            plain = text.str.replace(sep, "", regex=False)
            if mark == ",":
                plain = plain.str.replace(",", ".", regex=False)
            return to_numbers(plain), sep, mark
    return None


def number_format_hint(column: pd.Series, name: str) -> str:
    """A sentence for a column that was kept as text although its cells look like numbers
    written with thousands separators (``1,234``) or a decimal comma in a comma-separated
    file (``"1,5"``), saying how to save the file so it can be read; ``""`` otherwise.

    It applies when at least one cell looks so and more than half of the non-empty cells
    are such numbers or plain numbers.
    """
    if _is_number_dtype(column):
        return ""
    head = _as_text(column.head(1000))  # a quick look first: most text columns stop here
    if not (head.str.fullmatch(_LOOSE_GROUPED.pattern).any()
            or head.str.fullmatch(_COMMA_NUMBER.pattern).any()):
        return ""
    text = _as_text(column)
    non_empty = text != ""
    count = int(non_empty.sum())
    plain = text.str.fullmatch(_PLAIN_NUMBER.pattern) & non_empty
    for pattern, what, fix in (
            (_LOOSE_GROUPED, "with thousands separators",
             "save the file without thousands separators (plain numbers like 1234.5)"),
            (_COMMA_NUMBER, "with a decimal comma in a comma-separated file",
             "save it with decimal points, or with ';' between the columns")):
        odd = (text.str.fullmatch(pattern.pattern) & non_empty).to_numpy()
        if odd.any() and 2 * int(odd.sum() + plain.to_numpy()[~odd].sum()) > count:
            row = int(np.flatnonzero(odd)[0])
            return (f"Column {quote_name(name)} looks like numbers {what} (e.g. "
                    f"{quote_name(text.iloc[row])} in row {row + 1}) that could not be read: "
                    f"{fix}.")
    return ""


_PREFIX_UNIT = re.compile(r"^([+-]?)\s*([$€£¥])\s*")
_SUFFIX_UNIT = re.compile(r"\s*([%$€£¥])$")


def _without_unit(text: pd.Series) -> tuple[pd.Series, str | None]:
    """``text`` without a currency sign in front (after an optional sign: ``-$5``) or a
    ``%`` / currency sign behind, and that sign; (``text``, None) unless exactly one such
    sign occurs in the column (dollars mixed with euros are not one quantity)."""
    pre = text.str.extract(_PREFIX_UNIT)[1].dropna()
    post = text.str.extract(_SUFFIX_UNIT)[0].dropna()
    units = set(pre) | set(post)
    if len(units) != 1:
        return text, None
    bare = text.str.replace(_PREFIX_UNIT, r"\1", regex=True).str.replace(_SUFFIX_UNIT, "",
                                                                          regex=True)
    return bare, units.pop()


def _to_numbers_if_numeric(column: pd.Series,
                           delimiter: str) -> tuple[pd.Series, bool, str | None]:
    """``column`` converted to numbers if most of its cells are numbers (else unchanged),
    whether a decimal comma was used, and the thousands separator used (or None)."""
    if _cannot_be_numeric(column):
        return column, False, None
    numbers = to_numbers(column)
    non_empty = _non_empty(column)
    used_comma, separator = False, None
    if int(np.isfinite(numbers).sum()) < int(non_empty.sum()):
        grouped = _grouped_numbers(_as_text(column), delimiter)
        if grouped is not None:
            numbers, separator, mark = grouped
            used_comma = mark == ","
        elif delimiter != "," and _as_text(column).str.match(_DECIMAL_COMMA.pattern).any():
            alt = to_numbers(_as_text(column).str.replace(",", ".", regex=False))
            if np.isfinite(alt).sum() > np.isfinite(numbers).sum():
                numbers, used_comma = alt, True
    if not _mostly_numbers(numbers, non_empty):
        return column, False, None
    whole = np.isfinite(numbers).all() and (numbers == np.round(numbers)).all() and (
        np.abs(numbers) < 2**53).all()
    series = pd.Series(numbers.astype("int64") if whole else numbers, index=column.index)
    return series, used_comma, separator


_LINE_END = re.compile(r"\r\n?|\n")  # what ends a line for pandas' C parser
_SPACE_RUN = re.compile(r"[ \t]+")
_NON_SPACE = re.compile(r"\S")
_QUOTED = re.compile(r'"[^"]*"')


def _line_end(text: str, start: int = 0) -> int:
    """Where the physical line that starts at ``start`` ends (after its line break), found
    without copying the line."""
    found = _LINE_END.search(text, start)
    return len(text) if found is None else found.end()


def _count_fields(text: str, start: int, end: int, delimiter: str) -> int:
    """The fields of the line ``text[start:end]``, counted in place (no copy of the line, no
    list of its cells, however long it is): its delimiters plus one, or for
    :data:`WHITESPACE` its runs of spaces and tabs between the first and the last word plus
    one (0 for a blank line). Quoted sections (``"a,b"``) hide their delimiters: exact for a
    line without quotes, and within a stray quote or two otherwise."""
    if delimiter == WHITESPACE:
        word = _NON_SPACE.search(text, start, end)
        if word is None:
            return 0
        start, gaps, last = word.start(), 0, None
        for last in _SPACE_RUN.finditer(text, start, end):  # noqa: B007 - the last is used
            gaps += 1
        if last is not None and not text[last.end():end].strip():
            gaps -= 1  # the run after the last word (before the line break)
        hidden = sum(sum(1 for _ in _SPACE_RUN.finditer(text, q.start(), q.end()))
                     for q in _QUOTED.finditer(text, start, end)) \
            if text.find('"', start, end) >= 0 else 0
        return max(gaps - hidden, 0) + 1
    hidden = sum(text.count(delimiter, q.start(), q.end())
                 for q in _QUOTED.finditer(text, start, end)) \
        if text.find('"', start, end) >= 0 else 0
    return text.count(delimiter, start, end) - hidden + 1


def _first_record(text: str, delimiter: str, max_fields: int | None = None,
                  start: int = 0) -> tuple[int, int] | None:
    """Where the first record of ``text[start:]`` ends (its first line, or more lines if a
    quoted name spans lines) and its number of fields, reading no further; None if the csv
    module cannot read it (then the caller falls back to pandas).

    The fields of a line without quotes are counted in place, so a header of millions of
    fields on one 50 MB line is measured without splitting it (csv would make a string of
    each). A line with quotes is read with the csv module, unless even its count outside
    the quoted sections is over ``max_fields`` (then it is too wide whatever the quotes
    hold)."""
    end = _line_end(text, start)
    fields = _count_fields(text, start, end, delimiter)
    if text.find('"', start, end) < 0 or (max_fields is not None and fields > max_fields):
        return end, fields
    consumed = [start]

    def lines():
        at = start
        while at < len(text):
            stop = text.find("\n", at)
            stop = len(text) if stop < 0 else stop + 1
            consumed[0] = stop
            yield text[at:stop]
            at = stop

    try:
        if delimiter == WHITESPACE:
            record = next(csv.reader((line.replace("\t", " ").strip() for line in lines()),
                                     delimiter=" ", skipinitialspace=True, quotechar='"'))
        else:
            record = next(csv.reader(lines(), delimiter=delimiter, quotechar='"'))
    except (csv.Error, StopIteration):
        return None
    return consumed[0], len(record)


def _first_row_kind(cells: list[object], delimiter: str) -> str:
    """What the first row holds: ``"data"`` if *every* cell is a number (``12``,
    ``-1.5e3``, ``1,234``, ``1,5`` when the delimiter is not a comma); ``"pandas"`` for the
    names pandas writes for unnamed columns (``0,1,...,k-1``, k >= 2), read as names;
    else ``"names"``. So a header with some number-like names (``year,2019,2020``) or an
    empty name (``,2019,2020``) is a header.
    """
    text = [("" if pd.isna(c) else str(c)).strip() for c in cells]

    def is_number(cell: str) -> bool:
        return bool(_PLAIN_NUMBER.fullmatch(cell) or _LOOSE_GROUPED.fullmatch(cell)
                    or (delimiter != "," and _COMMA_NUMBER.fullmatch(cell)))

    if not text or not all(is_number(cell) for cell in text):
        return "names"
    if len(text) >= 2 and text == [str(i) for i in range(len(text))]:
        return "pandas"
    return "data"


def _numbers_then_text(text: str | bytes, options: dict, delimiter: str,
                       rows: int = 50) -> bool:
    """Whether a first row with some text is data all the same: it has a number in every
    column whose next rows are numbers (at least two such columns, one of its numbers with
    a decimal point) and text exactly where the column is text below. UCI's auto-mpg file
    (``18.0   8   307.0 ... "chevrolet chevelle malibu"``) has no header; a header's names
    are not numbers, and number-like names (``year,2019,2020``) are whole numbers."""
    try:
        sample = pd.read_csv(_buffer(text), header=None, nrows=rows, dtype=str,
                             na_filter=False, **options)
    except (pd.errors.ParserError, csv.Error, ValueError):
        return False
    if len(sample) < 2:
        return False

    def is_number(cell: str) -> bool:
        return bool(_PLAIN_NUMBER.fullmatch(cell)
                    or (delimiter != "," and _COMMA_NUMBER.fullmatch(cell)))

    numbers = []
    for j in range(sample.shape[1]):
        first = str(sample.iat[0, j]).strip()
        below = [v for v in (str(c).strip() for c in sample.iloc[1:, j]) if v]
        numeric = bool(below) and 2 * sum(map(is_number, below)) > len(below)  # as the body
        if is_number(first) != numeric:
            return False
        if numeric:
            numbers.append(first)
    return len(numbers) >= 2 and len(numbers) < sample.shape[1] and any(
        "." in n or "," in n for n in numbers)


def _check_first_data_row(text: str, start: int, delimiter: str, width: int, name: str,
                          line_offset: int) -> None:
    """Refuse a first data row (at ``text[start:]``) with more fields than the header's
    ``width``, from a count made in place. pandas lets that one row through (it may hold
    an index) and builds a column for every field before it warns: a 50 MB line of numbers
    under a short header would take it minutes and gigabytes. Later rows that are too long
    its tokenizer refuses at once, with the line."""
    if start >= len(text):
        return
    row = _first_record(text, delimiter, width, start=start)
    if row is not None and row[1] > width:
        line = sum(1 for _ in _LINE_END.finditer(text, 0, start))  # breaks above the row
        raise DataError(f"Cannot read {name} as CSV: line {line + 1 + line_offset} has "
                        f"{row[1]:,} fields but the header has {width:,}. Fix that line (a "
                        "stray separator or a missing quote?) and upload again.")


def _too_wide(name: str, width: int, max_columns: int) -> DataError:
    return DataError(f"{name} has {width:,} columns; the lab reads at most {max_columns:,}. "
                     "Keep only the columns you need.")


def _check_limit(label: str, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, Integral)
                              or value < 1):
        raise DataError(f"{label} must be a positive whole number (got {value!r}).")


def read_table(source: bytes | bytearray | memoryview | str | Path, *, name: str | None = None,
               max_bytes: int | None = None, max_columns: int | None = MAX_COLUMNS,
               max_rows: int | None = MAX_ROWS) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Read a CSV-like table, normally with a header row.

    ``source`` is the file's bytes, or a path (``str`` or :class:`~pathlib.Path`) to read.
    ``name`` is how messages call the file (default: the path's file name, or
    ``"data.csv"`` for bytes). Files over ``max_bytes`` bytes are refused; so are files
    whose first row has more than ``max_columns`` fields (checked before the rest of the
    file is parsed) and files with more than ``max_rows`` data rows (None: no limit).

    The text is decoded as UTF-8 (a BOM is fine), UTF-16 with a BOM, or else cp1252 /
    Latin-1 (with a note). The delimiter (``,`` ``;`` tab ``|``, or runs of spaces and tabs
    lining up columns, see :func:`_sniff_delimiter`) is detected, with a note; with a
    delimiter other than a comma, decimal commas (``1,5``) are read as numbers. Column
    names are stripped, empty ones become ``"column 3"``, duplicates ``"x (2)"``.

    If *every* cell of the first row is a number, the file has no header row: the first
    row is read as data, the columns are named ``"column 1"`` ... ``"column k"``, a note
    says so and ``df.attrs["header"]`` is False (else True). Names ``0,1,...,k-1`` (as
    pandas writes unnamed columns) stay names, with a note. See :func:`_first_row_kind`.

    Columns whose cells are mostly numbers become numeric (int64 or float64; other cells
    NaN); other columns keep their text (``str``, empty cells ``""``). A column whose
    every cell is a number grouped by a thousands separator (``"1,234"``, ``1 234``,
    ``1.234,5`` in a ``;`` file) is read as numbers, with a note; the exact rule (which
    never takes a decimal comma for a separator) is in :func:`_grouped_numbers`. A column
    kept as text although it looks like such numbers gets a note saying how to fix it.

    Returns the table (data rows only, index 0..n-1) and notes to show the user.
    Raises :class:`DataError` for a missing, empty, binary or unparseable file, and for
    one over ``max_bytes`` bytes, ``max_columns`` columns or ``max_rows`` rows.
    """
    if name is None:
        name = Path(source).name if isinstance(source, (str, Path)) else "data.csv"
    _check_limit("max_columns", max_columns)
    _check_limit("max_rows", max_rows)
    raw = _read_source(source, name, max_bytes)
    text, notes = _decode(raw, name)
    if not text or text.isspace():  # (not text.strip(): no copy of a 50 MB text)
        raise DataError(_EMPTY_FILE)
    stripped = _LEADING_BLANK_LINES.sub("", text)
    line_offset = text[: len(text) - len(stripped)].count("\n")
    delimiter = _sniff_delimiter(stripped)
    options = {"sep": r"\s+" if delimiter == WHITESPACE else delimiter, "quotechar": '"',
               "engine": "c", "skip_blank_lines": False}
    first = _first_record(stripped, delimiter, max_columns)
    if first is not None and max_columns is not None and first[1] > max_columns:
        raise _too_wide(name, first[1], max_columns)
    # what pandas reads: UTF-8 bytes, the file's own when they are (no second copy)
    plain = stripped is text and not notes and not raw.startswith(
        (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    data = raw if plain else stripped.encode("utf-8")
    try:
        head = pd.read_csv(_buffer(data if first is None else stripped[:first[0]]),
                           header=None, nrows=1, dtype=str, na_filter=False, **options)
        if max_columns is not None and head.shape[1] > max_columns:
            raise _too_wide(name, head.shape[1], max_columns)
        if first is not None:  # header or not, a longer second row is refused: say it now
            _check_first_data_row(stripped, first[0], delimiter, head.shape[1], name,
                                  line_offset)
        first_row = _first_row_kind(head.iloc[0].tolist(), delimiter)
        if first_row == "names" and _numbers_then_text(data, options, delimiter):
            first_row = "data"
        has_header = first_row != "data"
        # The C parser reads clean numeric columns itself (fast); only "" is missing, so
        # words like "NA" stay visible as text and are counted as non-numeric later.
        read_body = dict(header=0 if has_header else None, names=list(range(head.shape[1])),
                         index_col=False, keep_default_na=False, na_values=[""], **options)
        with warnings.catch_warnings():
            # pandas only warns (and drops data) when the first data row is too long
            warnings.simplefilter("error", pd.errors.ParserWarning)
            body = pd.read_csv(_buffer(data), **read_body,
                               nrows=None if max_rows is None else max_rows + 1)
            if max_rows is not None and len(body) > max_rows and not _non_empty_rows(body)[-1]:
                # the extra row is blank: maybe only blank lines follow, so read them all
                body = pd.read_csv(_buffer(data), **read_body)
    except pd.errors.ParserWarning as err:
        try:  # without a header row pandas names the offending line
            pd.read_csv(_buffer(data), header=None, dtype=str, **options)
        except (pd.errors.ParserError, ValueError) as detail:
            raise _parse_error(detail, name, line_offset) from err
        raise DataError(f"Cannot read {name} as CSV: some rows have more fields than the "
                        "header. Fix those rows (a stray separator?) and upload again.") from err
    except pd.errors.EmptyDataError as err:
        raise DataError(_EMPTY_FILE) from err
    except (pd.errors.ParserError, csv.Error, ValueError, OverflowError) as err:
        if isinstance(err, DataError):
            raise
        raise _parse_error(err, name, line_offset) from err
    if has_header:
        names, name_notes = _clean_names(head.iloc[0].tolist())
        if first_row == "pandas":
            name_notes.insert(0, f"The column names are all numbers ({quote_names(names)}): the "
                              "first row was read as names, as pandas writes them for unnamed "
                              "columns.")
    else:
        names = [f"column {i + 1}" for i in range(head.shape[1])]
        name_notes = [_NO_HEADER_NOTE.format(k=len(names))]
    body.columns = names
    filled = _non_empty_rows(body)
    keep = len(body)
    while keep and not filled[keep - 1]:  # trailing blank lines are not rows
        keep -= 1
    if max_rows is not None and keep > max_rows:
        raise DataError(f"{name} has more than {max_rows:,} data rows; the lab reads at most "
                        f"{max_rows:,}. Keep a sample of the rows (or upload a smaller file).")
    body = body.iloc[:keep]
    if delimiter != ",":
        notes.append(f"Columns are separated by {_DELIMITER_NAMES[delimiter]}.")
    notes.extend(name_notes)
    body, column_notes = _read_columns(body, names, delimiter, has_header)
    notes.extend(column_notes)
    return body, tuple(notes)


def _read_columns(body: pd.DataFrame, names: list[str], delimiter: str,
                  has_header: bool) -> tuple[pd.DataFrame, list[str]]:
    """Each column of the parsed table as numbers where its cells are numbers (gaps written
    NA, units, decimal commas and grouped digits read as such) and as text otherwise; and the
    notes saying what was read how (see :func:`read_table`)."""
    notes: list[str] = []
    comma_columns: list[str] = []
    grouped_columns: dict[str, list[str]] = {}
    hints: list[str] = []
    converted = {}
    marked_columns: list[str] = []
    markers_read: set[str] = set()
    unit_columns: dict[str, list[str]] = {}
    code_columns: list[str] = []
    big_columns: list[str] = []
    for col in body.columns:
        column = body[col]
        if _is_number_dtype(column):
            converted[col] = column.astype("float64") if column.dtype.kind == "u" else column
            if column.dtype.kind in "iu" and len(column) and \
                    max(int(column.max()), -int(column.min())) > 2**53:
                big_columns.append(col)
            continue
        column = _as_text(column).astype(str)
        marked = column.isin(MISSING_MARKERS)
        # numbers with gaps written as NA, null, ?: the gaps are missing
        gaps = column.where(~marked, "") if marked.any() else column
        numbers, used_comma, separator = _to_numbers_if_numeric(gaps, delimiter)
        unit = None
        if numbers is gaps:  # not numbers: maybe numbers with a unit ($1,234.50, 45%)
            bare, unit = _without_unit(gaps)
            if unit is not None:
                numbers, used_comma, separator = _to_numbers_if_numeric(bare, delimiter)
                if numbers is bare:
                    numbers, unit = gaps, None
        if numbers is gaps:  # text: kept as written
            converted[col] = column
            hint = number_format_hint(column, col)
            if hint:
                hints.append(hint)
            continue
        converted[col] = numbers
        if gaps.str.strip().str.fullmatch(r"[+-]?\d{16,}").any() and \
                float(np.nanmax(np.abs(np.asarray(numbers, dtype=float)))) > 2.0**53:
            big_columns.append(col)
        if _written_as_code(gaps, numbers):
            code_columns.append(col)
        if marked.any():
            marked_columns.append(col)
            markers_read.update(column[marked].unique().tolist())
        if unit is not None:
            unit_columns.setdefault(unit, []).append(col)
        if used_comma:
            comma_columns.append(col)
        if separator is not None:
            grouped_columns.setdefault(separator, []).append(col)
    body = pd.DataFrame(converted, index=pd.RangeIndex(len(body)), columns=names)
    body.attrs["header"] = has_header
    body.attrs["codes"] = tuple(code_columns)  # numbers written as codes (001, 136A): ids
    if marked_columns:
        notes.append(f"Read {quote_names(sorted(markers_read))} as missing values in "
                     f"{quote_names(marked_columns)} (rows without a value there are dropped "
                     "when that column is used).")
    for unit, columns in unit_columns.items():
        example = " (45% is read as 45)" if unit == "%" else ""
        notes.append(f"Read {quote_names(columns)} as numbers without their {quote_name(unit)} "
                     f"signs{example}.")
    if big_columns:
        notes.append(f"{quote_names(big_columns)} {'has' if len(big_columns) == 1 else 'have'} "
                     "whole numbers beyond 2⁵³ (9,007,199,254,740,992): the lab computes in "
                     "float64, which keeps about 16 significant digits, so the last digits of "
                     "such numbers are rounded.")
    if comma_columns:
        notes.append(f"Read ',' as the decimal mark in {quote_names(comma_columns)}.")
    for separator, columns in grouped_columns.items():
        notes.append(f"Read {_GROUP_NOTES[separator]} in {quote_names(columns)}.")
    notes.extend(hints)
    return body, notes


_LEADING_ZERO = re.compile(r"[+-]?0\d+")
_ALPHANUMERIC_CODE = re.compile(r"\d+[A-Za-z]{1,3}|[A-Za-z]{1,3}\d+")


def _written_as_code(text: pd.Series, numbers: pd.Series) -> bool:
    """Whether a column read as numbers was written as a code: a whole number with a
    leading zero (``001``) in some cell, or cells that are not numbers but digits with a
    letter or two (``136A``), as family or sample ids are. Such a column labels rows."""
    cells = text.astype(str).str.strip()
    if cells.str.fullmatch(_LEADING_ZERO.pattern).any():
        return True
    unread = cells[pd.isna(numbers) & (cells != "")]
    return bool(len(unread)) and bool(unread.str.fullmatch(_ALPHANUMERIC_CODE.pattern).all())


def _non_empty_rows(body: pd.DataFrame) -> np.ndarray:
    """Boolean mask of the rows of ``body`` with at least one non-empty cell."""
    filled = np.zeros(len(body), dtype=bool)
    for col in body.columns:
        filled |= _non_empty(body[col])
    return filled
