"""Importing a campaign's volunteer list (CSV or XLSX): preview, commit, personal links.

Shape: `parse_file` is pure and CPU-bound (it runs in `asyncio.to_thread`, the bot keeps
answering); the database side reads teams and known keys in chunks and writes with one
batched `INSERT ... ON CONFLICT DO NOTHING` per chunk, so 10,000 rows take seconds and a
re-import of the same file inserts nothing.  A row is keyed by its normalised phone, else its
@username: the key is what "already known" and "duplicate" mean.

Bad input is refused early and said plainly: a file that is neither CSV nor XLSX (an old
.xls, a PDF, an image), one above Telegram's 20 MB bot download limit (by its `file_size`,
before downloading), one with more rows than `MAX_ROWS`.  Row-level problems (bad phone,
unknown team, formula in a cell, duplicate) are listed with their spreadsheet row number and
the rest of the file still imports.  CSV is read as UTF-8 (with or without BOM), else as
Windows-1252, the encoding Excel on Windows writes, so "Siti Nurhaliza Ã" does not appear.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
import secrets
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import InvalidInput, NotAllowed
from bot.services import audit
from bot.services.authz import Permission, is_team_scoped, require
from bot.services.csv_export import csv_bytes, read_rows
from bot.services.people.members import Actor, TelegramUser, actor_from, upsert_person
from bot.services.people.skills import skill_key
from bot.services.people.teams import join_team, team_key
from models import (
    ImportedVolunteer,
    ImportStatus,
    Person,
    PersonSkill,
    Skill,
    Team,
)

IMPORT_PREFIX = "imp_"  # deep-link payload prefix: /start imp_<code>
MAX_FILE_BYTES = 20 * 1024 * 1024  # Telegram lets bots download files up to 20 MB
MAX_ROWS = 20_000
MAX_ERRORS_SHOWN = 15
CHUNK = 500  # keys per IN (...) query: far below SQLite's and asyncpg's parameter limits
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


@dataclass(frozen=True, slots=True)
class ImportPreview:
    read: int
    new: int
    known: int
    errors: tuple[RowError, ...]
    digest: str  # names the file in the confirm button: a different file is not confirmed


@dataclass(frozen=True, slots=True)
class ImportResult:
    read: int
    created: int
    known: int
    errors: int
    csv: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class ImportJoin:
    actor: Actor
    ok: bool
    reason: str | None  # "unknown" | "taken" | "other_row"
    team_name: str | None


# ---- pure parsing (runs in a worker thread) ---------------------------------------------
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


def parse_file(content: bytes, file_name: str = "") -> Parsed:
    """Reads the rows and checks each on its own (teams are checked against the database
    later).  Raises `ImportRefused` for a file that cannot be imported at all."""
    rows = _rows_of(content, file_name)
    columns: dict[str, int] | None = None
    line = 0
    for line, raw in enumerate(rows, start=1):  # noqa: B007 - the header's line
        cells = [_cell(c) for c in raw]
        if any(cells):
            columns = {}
            for index, header in enumerate(cells):
                column = _HEADER_OF.get(re.sub(r"[^0-9a-z]", "", header.casefold()))
                if column is not None and column not in columns:
                    columns[column] = index
            break
    if columns is None:
        raise ImportRefused("imports.refused_empty")
    if "name" not in columns or not ({"phone", "username"} & set(columns)):
        raise ImportRefused("imports.refused_columns")
    parsed: list[ParsedRow] = []
    errors: list[RowError] = []
    first_of: dict[str, int] = {}
    read = 0
    header_line = line
    for line, raw in enumerate(rows, start=header_line + 1):
        cells = [_cell(c) for c in raw]
        if not any(cells):
            continue
        read += 1
        if read > MAX_ROWS:
            raise ImportRefused("imports.refused_rows", max=MAX_ROWS)

        def get(column: str, cells: list[str] = cells) -> str:
            index = columns.get(column)
            return cells[index] if index is not None and index < len(cells) else ""

        values = {c: get(c) for c in COLUMNS}
        formula = next((v for v in values.values() if v.startswith("=")), None)
        if formula is not None:
            errors.append(RowError(line, "formula", formula[:40]))
            continue
        name = values["name"][:128]
        if not name:
            errors.append(RowError(line, "no_name"))
            continue
        phone = normalize_phone(values["phone"]) if values["phone"] else None
        if values["phone"] and phone is None:
            errors.append(RowError(line, "bad_phone", values["phone"][:40]))
            continue
        username = clean_username(values["username"]) if values["username"] else None
        if values["username"] and username is None:
            errors.append(RowError(line, "bad_username", values["username"][:40]))
            continue
        if phone is None and username is None:
            errors.append(RowError(line, "no_contact"))
            continue
        language = None
        if values["language"]:
            language = LANGUAGE_WORDS.get(re.sub(r"[^a-z]", "", values["language"].casefold()))
            if language is None:
                errors.append(RowError(line, "bad_language", values["language"][:40]))
                continue
        key = phone or f"@{(username or '').casefold()}"
        if key in first_of:
            errors.append(RowError(line, "duplicate", str(first_of[key])))
            continue
        first_of[key] = line
        skills = tuple(dict.fromkeys(
            s.strip()[:48] for s in re.split(r"[,;/|]", values["skills"]) if s.strip()
        ))[:MAX_SKILLS_PER_ROW]
        parsed.append(ParsedRow(line, key, name, phone, username, values["team"] or None,
                                skills, language))
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


# ---- the database side ------------------------------------------------------------------
def _require_importer(actor: Actor) -> None:
    """Coordinators and admins: an import names people of every team."""
    require(actor, Permission.MANAGE_ROLES)
    if is_team_scoped(actor):
        raise NotAllowed(permission="import")


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


async def _known(session: AsyncSession, parsed: Parsed) -> tuple[dict[str, str], set[str]]:
    """(row_key -> code of rows imported before, lower-case usernames already in the bot)."""
    keys = [r.key for r in parsed.rows]
    codes: dict[str, str] = {}
    for chunk in _chunks(keys):
        for key, code in await session.execute(
            select(ImportedVolunteer.row_key, ImportedVolunteer.code)
            .where(ImportedVolunteer.row_key.in_(chunk))
        ):
            codes[key] = code
    names = [r.username.casefold() for r in parsed.rows if r.username]
    in_bot: set[str] = set()
    for chunk in _chunks(names):
        in_bot.update(
            await session.scalars(
                select(func.lower(Person.username)).where(func.lower(Person.username).in_(chunk))
            )
        )
    return codes, in_bot


async def _teams(session: AsyncSession) -> dict[str, tuple[int, str]]:
    return {k: (i, n) for i, k, n in await session.execute(
        select(Team.id, Team.name_key, Team.name))}


@dataclass
class _Plan:
    new: list[ParsedRow] = field(default_factory=list)
    known: list[ParsedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    team_of: dict[int, tuple[int, str]] = field(default_factory=dict)  # line -> team
    codes: dict[str, str] = field(default_factory=dict)
    in_bot: set[str] = field(default_factory=set)


async def _plan(session: AsyncSession, parsed: Parsed) -> _Plan:
    teams = await _teams(session)
    codes, in_bot = await _known(session, parsed)
    plan = _Plan(errors=list(parsed.errors), codes=codes, in_bot=in_bot)
    for row in parsed.rows:
        if row.team is not None:
            team = teams.get(team_key(row.team))
            if team is None:
                plan.errors.append(RowError(row.line, "unknown_team", row.team[:64]))
                continue
            plan.team_of[row.line] = team
        if row.key in codes or (row.username and row.username.casefold() in in_bot):
            plan.known.append(row)
        else:
            plan.new.append(row)
    plan.errors.sort(key=lambda e: e.line)
    return plan


async def _parse(content: bytes, file_name: str) -> Parsed:
    return await asyncio.to_thread(parse_file, content, file_name)


async def preview_import(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, content: bytes,
    file_name: str,
) -> ImportPreview:
    """What importing this file would do; changes nothing."""
    _require_importer(actor)
    parsed = await _parse(content, file_name)
    async with sessionmaker() as session:
        plan = await _plan(session, parsed)
    return ImportPreview(parsed.read, len(plan.new), len(plan.known), tuple(plan.errors),
                         file_digest(content))


async def commit_import(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, content: bytes,
    file_name: str, *, bot_username: str, now: datetime,
) -> ImportResult:
    """Creates the new rows as invited (one personal link each); returns a CSV of every row
    with its link or its problem.  Rows known before keep their link; nothing is doubled."""
    _require_importer(actor)
    parsed = await _parse(content, file_name)
    async with sessionmaker.begin() as session:
        plan = await _plan(session, parsed)
        await _ensure_skills(session, {s for r in plan.new for s in r.skills})
        values = [
            {
                "row_key": r.key, "code": secrets.token_urlsafe(9), "name": r.name,
                "phone": r.phone, "username": r.username,
                "team_id": plan.team_of[r.line][0] if r.line in plan.team_of else None,
                "skills": list(r.skills), "language": r.language,
                "status": ImportStatus.INVITED, "imported_by_id": actor.person_id,
                "source": file_name[:200], "created_at": now,
            }
            for r in plan.new
        ]
        dialect = session.bind.dialect.name if session.bind else "sqlite"
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(ImportedVolunteer).on_conflict_do_nothing(index_elements=["row_key"])
        created = 0
        for start in range(0, len(values), 1000):
            batch = values[start : start + 1000]
            result = await session.execute(stmt.returning(ImportedVolunteer.id), batch)
            created += len(result.all())
        # A concurrent import of the same rows may have won: read back every code.
        fresh = {r.key for r in plan.new}
        for chunk in _chunks(sorted(fresh)):
            for key, code in await session.execute(
                select(ImportedVolunteer.row_key, ImportedVolunteer.code)
                .where(ImportedVolunteer.row_key.in_(chunk))
            ):
                plan.codes[key] = code
        audit.record(session, action="import.commit", actor_id=actor.person_id,
                     target_type="import", target_id=None, file=file_name[:100],
                     created=created, known=len(plan.known), errors=len(plan.errors))
    table = _result_rows(plan, bot_username, fresh)
    body = await csv_bytes(_CSV_HEADER, table)
    return ImportResult(parsed.read, created, len(plan.known), len(plan.errors), body)


_CSV_HEADER = ("row", "name", "phone", "username", "team", "status", "link")


def _result_rows(plan: _Plan, bot_username: str, fresh: set[str]) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for row in [*plan.new, *plan.known]:
        code = plan.codes.get(row.key)
        status = "invited" if row.key in fresh else (
            "already_invited" if code else "already_in_bot")
        link = f"https://t.me/{bot_username}?start={IMPORT_PREFIX}{code}" if code else ""
        team = plan.team_of.get(row.line, (None, ""))[1]
        rows.append((row.line, row.name, row.phone or "", row.username or "", team, status,
                     link))
    for error in plan.errors:
        rows.append((error.line, "", "", "", "", f"error: {error.reason} {error.value}".strip(),
                     ""))
    rows.sort(key=lambda r: int(r[0]))
    return rows


async def _ensure_skills(session: AsyncSession, names: Iterable[str]) -> None:
    """Skills named in the file exist afterwards (skills are the campaign's own tags)."""
    wanted = {skill_key(n): " ".join(n.split()) for n in names if n.strip()}
    if not wanted:
        return
    have: set[str] = set()
    for chunk in _chunks(sorted(wanted)):
        have.update(await session.scalars(select(Skill.name_key).where(Skill.name_key.in_(chunk))))
    for key, name in wanted.items():
        if key not in have:
            session.add(Skill(name=name, name_key=key))
    await session.flush()


async def redeem_import_link(
    sessionmaker: async_sessionmaker[AsyncSession],
    user: TelegramUser,
    code: str,
    *,
    admin_ids: frozenset[int],
    default_language: str,
    now: datetime,
) -> ImportJoin:
    """`/start imp_<code>`: binds this Telegram account to the imported row, and gives the
    person the row's team, skills and language.  Opening one's own link again is fine."""
    async with sessionmaker.begin() as session:
        person, created = await upsert_person(session, user, admin_ids=admin_ids, now=now)
        row = await session.scalar(
            select(ImportedVolunteer).where(ImportedVolunteer.code == code).with_for_update()
        )
        reason: str | None = None
        team: Team | None = None
        if row is None:
            reason = "unknown"
        elif row.person_id is not None and row.person_id != person.id:
            reason = "taken"
        elif row.person_id is None and await session.scalar(
            select(ImportedVolunteer.id).where(ImportedVolunteer.person_id == person.id)
        ):
            reason = "other_row"
        else:
            team = await session.get(Team, row.team_id) if row.team_id else None
            if row.person_id is None:
                row.person_id, row.status, row.joined_at = person.id, ImportStatus.JOINED, now
                if team is not None:
                    await join_team(session, person, team, as_lead=False)
                await _give_skills(session, person.id, row.skills or [])
                if person.language is None and row.language:
                    person.language = row.language
                audit.record(session, action="import.join", actor_id=person.id,
                             target_type="imported_volunteer", target_id=row.id)
        await session.flush()
        await session.refresh(person, ["memberships"])
        return ImportJoin(actor_from(person, default_language, created=created),
                          reason is None, reason, team.name if team else None)


async def _give_skills(session: AsyncSession, person_id: int, names: list[Any]) -> None:
    keys = [skill_key(str(n)) for n in names if str(n).strip()]
    if not keys:
        return
    ids = set(await session.scalars(select(Skill.id).where(Skill.name_key.in_(keys))))
    have = set(await session.scalars(
        select(PersonSkill.skill_id).where(PersonSkill.person_id == person_id)))
    for skill_id in ids - have:
        session.add(PersonSkill(person_id=person_id, skill_id=skill_id))
