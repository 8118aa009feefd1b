"""Reading a volunteer list (CSV or XLSX) into checked rows: pure and CPU-bound.

The parsing half of the import (`bot.services.reach.imports` is the database side); it
runs in `asyncio.to_thread`, so the bot keeps answering.  A row is keyed by its normalised
phone, else its @username: the key is what "already known" and "duplicate" mean.

Bad input is refused early and said plainly: a file that is neither CSV nor XLSX (an old
.xls, a PDF, an image), one above Telegram's 20 MB bot download limit (by its `file_size`,
before downloading), one with more rows than `MAX_ROWS`.  Row-level problems (bad phone,
formula in a cell, duplicate) are listed with their spreadsheet row number and the rest of
the file still imports.  CSV is read as UTF-8 (with or without BOM), else as Windows-1252,
the encoding Excel on Windows writes, so "Siti Nurhaliza Ã" does not appear.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bot.errors import InvalidInput
from bot.services.csv_export import read_rows

MAX_FILE_BYTES = 20 * 1024 * 1024  # Telegram lets bots download files up to 20 MB
MAX_ROWS = 20_000
MAX_SKILLS_PER_ROW = 10

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "nama", "fullname", "namalengkap", "nama lengkap", "volunteer", "relawan"),
    "phone": ("phone", "telepon", "telp", "tel", "hp", "nohp", "nomorhp", "whatsapp", "wa",
              "nowa", "nomorwa", "phonenumber", "mobile", "ponsel", "nomortelepon", "notelp"),
    "username": ("username", "telegram", "usernametelegram", "telegramusername", "tg",
                 "akuntelegram"),
    "team": ("team", "tim", "regu", "kelompok", "posko"),
    "skills": ("skills", "skill", "keahlian", "keterampilan", "kemampuan"),
    "language": ("language", "bahasa", "lang"),
}
_HEADER_OF = {re.sub(r"[^0-9a-z]", "", alias): column
              for column, aliases in COLUMNS.items() for alias in aliases}
LANGUAGE_WORDS = {
    "id": "id", "ind": "id", "indonesia": "id", "indonesian": "id", "bahasaindonesia": "id",
    "bahasa": "id", "in": "id",
    "en": "en", "eng": "en", "english": "en", "inggris": "en", "bahasainggris": "en",
}  # fmt: skip
_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")

class ImportRefused(InvalidInput):
    """The whole file is refused (wrong type, too big, too many rows, no name column)."""


@dataclass(frozen=True, slots=True)
class ParsedRow:
    line: int  # the spreadsheet's row number (the header is row 1)
    key: str
    name: str
    phone: str | None
    username: str | None
    team: str | None
    skills: tuple[str, ...]
    language: str | None


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    reason: str  # i18n key suffix: imports.err_<reason>
    value: str = ""


@dataclass(frozen=True, slots=True)
class Parsed:
    rows: tuple[ParsedRow, ...]
    errors: tuple[RowError, ...]
    read: int  # data rows read (blank rows not counted)



# ---- reading -----------------------------------------------------------------------------
def normalize_phone(raw: str) -> str | None:
    """+62 812-3456-789, 0812 3456 789, 62812... and 812... are one number: +628123456789.

    Other countries' numbers need their +code.  None when it is not a phone number.
    """
    text = raw.strip()
    if text.endswith(".0") and text[:-2].isdigit():  # a number cell read as a float
        text = text[:-2]
    plus = text.startswith("+")
    digits = re.sub(r"[\s().\-/]", "", text.removeprefix("+"))
    if not digits.isdigit():
        return None
    if plus or digits.startswith("62"):
        number = digits
    elif digits.startswith("0"):
        number = "62" + digits[1:]
    elif digits.startswith("8"):  # Excel dropped the leading 0
        number = "62" + digits
    else:
        return None
    if number.startswith("62"):
        # Indonesian numbers: 62 + 8-12 digits, never a 0 after the country code.
        return f"+{number}" if 10 <= len(number) <= 14 and number[2] != "0" else None
    return f"+{number}" if 8 <= len(number) <= 15 else None


def clean_username(raw: str) -> str | None:
    name = raw.strip().removeprefix("https://t.me/").removeprefix("t.me/").removeprefix("@")
    return name if _USERNAME.fullmatch(name) else None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone typed as a number: 81234567890.0
    return " ".join(str(value).split())


def _rows_of(content: bytes, file_name: str) -> Iterator[list[Any]]:
    head = content[:8]
    if head.startswith(b"PK\x03\x04"):
        yield from _xlsx_rows(content)
        return
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRefused("imports.refused_xls")
    if b"\x00" in content[:65536]:
        raise ImportRefused("imports.refused_type")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" in Windows-1252: Indonesian names with é, ñ, ü.
        text = content.decode("cp1252", errors="replace")
    first = text[:4096].splitlines()[0] if text.strip() else ""
    delimiter = max(",;\t", key=first.count) if first else ","
    yield from read_rows(text, delimiter)


def _xlsx_rows(content: bytes) -> Iterator[list[Any]]:
    import openpyxl  # imported on the first XLSX: start-up stays light

    try:
        # read_only streams the sheet; formulas stay formulas (data_only=False) so a cell
        # like =HYPERLINK(...) is reported instead of imported.
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportRefused("imports.refused_type") from exc
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            return
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        book.close()

def _header(rows: Iterator[list[Any]]) -> tuple[dict[str, int], int]:
    """The first non-blank row: which column holds what, and its line."""
    for line, raw in enumerate(rows, start=1):
        cells = [_cell(c) for c in raw]
        if any(cells):
            columns: dict[str, int] = {}
            for index, header in enumerate(cells):
                column = _HEADER_OF.get(re.sub(r"[^0-9a-z]", "", header.casefold()))
                if column is not None and column not in columns:
                    columns[column] = index
            return columns, line
    raise ImportRefused("imports.refused_empty")


def _check_row(line: int, values: dict[str, str]) -> ParsedRow | RowError:
    """One row on its own (duplicates and teams are checked by the caller)."""
    formula = next((v for v in values.values() if v.startswith("=")), None)
    if formula is not None:
        return RowError(line, "formula", formula[:40])
    name = values["name"][:128]
    if not name:
        return RowError(line, "no_name")
    phone = normalize_phone(values["phone"]) if values["phone"] else None
    if values["phone"] and phone is None:
        return RowError(line, "bad_phone", values["phone"][:40])
    username = clean_username(values["username"]) if values["username"] else None
    if values["username"] and username is None:
        return RowError(line, "bad_username", values["username"][:40])
    if phone is None and username is None:
        return RowError(line, "no_contact")
    language = None
    if values["language"]:
        language = LANGUAGE_WORDS.get(re.sub(r"[^a-z]", "", values["language"].casefold()))
        if language is None:
            return RowError(line, "bad_language", values["language"][:40])
    key = phone or f"@{(username or '').casefold()}"
    skills = tuple(dict.fromkeys(
        s.strip()[:48] for s in re.split(r"[,;/|]", values["skills"]) if s.strip()
    ))[:MAX_SKILLS_PER_ROW]
    return ParsedRow(line, key, name, phone, username, values["team"] or None, skills, language)


def parse_file(content: bytes, file_name: str = "") -> Parsed:
    """Reads the rows and checks each on its own (teams are checked against the database
    later).  Raises `ImportRefused` for a file that cannot be imported at all."""
    rows = _rows_of(content, file_name)
    columns, header_line = _header(rows)
    if "name" not in columns or not ({"phone", "username"} & set(columns)):
        raise ImportRefused("imports.refused_columns")
    parsed: list[ParsedRow] = []
    errors: list[RowError] = []
    first_of: dict[str, int] = {}
    read = 0
    for line, raw in enumerate(rows, start=header_line + 1):
        cells = [_cell(c) for c in raw]
        if not any(cells):
            continue
        read += 1
        if read > MAX_ROWS:
            raise ImportRefused("imports.refused_rows", max=MAX_ROWS)
        values = {c: cells[i] if (i := columns.get(c)) is not None and i < len(cells) else ""
                  for c in COLUMNS}
        row = _check_row(line, values)
        if isinstance(row, ParsedRow) and row.key in first_of:
            row = RowError(line, "duplicate", str(first_of[row.key]))
        if isinstance(row, RowError):
            errors.append(row)
            continue
        first_of[row.key] = line
        parsed.append(row)
    return Parsed(tuple(parsed), tuple(errors), read)


def file_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:16]


def check_document(file_name: str | None, file_size: int | None) -> None:
    """Refuses before downloading: Telegram will not hand a bot more than 20 MB."""
    if file_size is not None and file_size > MAX_FILE_BYTES:
        raise ImportRefused("imports.refused_size", max_mb=MAX_FILE_BYTES // (1024 * 1024))
    name = (file_name or "").lower()
    if name and not name.endswith((".csv", ".xlsx", ".txt", ".tsv")):
        raise ImportRefused("imports.refused_type")
