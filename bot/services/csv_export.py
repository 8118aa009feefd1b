"""The one CSV writer every export uses (ledger, report bundle, event roster, import links),
and the reader the volunteer import uses.

Two things every export needs and none should redo:

* **Safe in a spreadsheet.**  A cell starting with `=`, `+`, `-`, `@` (or a tab or carriage
  return) is a formula to Excel, LibreOffice and Google Sheets: a volunteer named
  `=HYPERLINK(...)` would run in the treasurer's spreadsheet.  Such text cells get a leading
  `'`, which spreadsheets show as text and hide.  Plain numbers ("-5000", "12.50") stay
  numbers: they cannot be formulas, and a balance must sum.
* **Off the event loop.**  Formatting tens of thousands of rows is CPU work; it runs in a
  worker thread (`asyncio.to_thread`) so the bot keeps answering meanwhile.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")

Row = Sequence[Any]


def safe_cell(value: Any) -> Any:
    """A value as a spreadsheet should read it: text that could be a formula neutralised."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return value if _PLAIN_NUMBER.fullmatch(value) else "'" + value
    return value


def render_csv(header: Row, rows: Iterable[Row]) -> str:
    """CSV text with the header first and every cell made safe (runs anywhere; pure)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(v) for v in header])
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return buffer.getvalue()


async def csv_text(header: Row, rows: Iterable[Row]) -> str:
    """`render_csv` in a worker thread; the rows are taken in full first (a live database
    cursor must not be read from another thread)."""
    taken = [tuple(row) for row in rows]
    return await asyncio.to_thread(render_csv, tuple(header), taken)


def read_rows(text: str, delimiter: str = ",") -> Iterator[list[str]]:
    """Rows of CSV text (the import reads volunteer lists with it): csv stays in one module."""
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


async def csv_bytes(header: Row, rows: Iterable[Row], *, bom: bool = True) -> bytes:
    """UTF-8 CSV; with a BOM by default, so spreadsheet apps read Indonesian names right."""
    text = await csv_text(header, rows)
    return text.encode("utf-8-sig" if bom else "utf-8")
