"""Builders for the reach tests: volunteer lists as CSV and XLSX bytes, a seeded campaign."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.people.members import Actor
from models import Membership, Person, Role, Team

HEADER_EN = ("name", "phone", "@username", "team", "skills", "language")
HEADER_ID = ("Nama", "No. HP", "Telegram", "Tim", "Keahlian", "Bahasa")
TEAMS = ("Jaksel", "Jaktim", "Depok")


def volunteer_rows(count: int, *, first: int = 0) -> list[tuple[str, ...]]:
    """Distinct volunteers spread over the three teams, phones in the three usual forms."""
    rows: list[tuple[str, ...]] = []
    for i in range(first, first + count):
        number = f"81{i:09d}"
        phone = ("+62 " + number, "0" + number, "62" + number)[i % 3]
        rows.append((f"Relawan {i}", phone, f"relawan_{i}", TEAMS[i % 3],
                     "driver; first aid" if i % 5 == 0 else "", ("id", "en", "")[i % 3]))
    return rows


def csv_bytes(rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER_EN, *,
              delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER_EN) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def make_teams(db: async_sessionmaker[AsyncSession],
                     names: Sequence[str] = TEAMS) -> dict[str, int]:
    async with db.begin() as session:
        teams = [Team(name=n, name_key=n.casefold()) for n in names]
        session.add_all(teams)
        await session.flush()
        return {t.name: t.id for t in teams}


async def make_coordinator(db: async_sessionmaker[AsyncSession], telegram_id: int = 1) -> Actor:
    async with db.begin() as session:
        person = Person(telegram_id=telegram_id, first_name="Koordinator", role=Role.ADMIN,
                        language="en", memberships=[])
        session.add(person)
        await session.flush()
        return Actor(person.id, telegram_id, "Koordinator", None, Role.ADMIN, "en", True, None,
                     True, ())


async def add_member(db: async_sessionmaker[AsyncSession], telegram_id: int, name: str,
                     team_id: int, *, lead: bool = False, role: Role = Role.VOLUNTEER) -> int:
    async with db.begin() as session:
        person = Person(telegram_id=telegram_id, first_name=name, role=role, language="en",
                        memberships=[])
        session.add(person)
        await session.flush()
        session.add(Membership(person_id=person.id, team_id=team_id, is_lead=lead))
        return person.id
