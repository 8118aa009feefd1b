"""Importing the volunteer list: parsing (pure) and the database side on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import NotAllowed
from bot.services.people.members import Actor, TelegramUser
from bot.services.reach import import_file, imports
from bot.services.reach.import_file import ImportRefused, normalize_phone, parse_file
from models import ImportedVolunteer, ImportStatus, Membership, Person, PersonSkill, Role, Skill
from tests.conftest import T0
from tests.reach.factories import (
    HEADER_ID,
    csv_bytes,
    make_coordinator,
    make_teams,
    volunteer_rows,
    xlsx_bytes,
)


@pytest.mark.parametrize("raw", ["+62 812-3456-7890", "0812 3456 7890", "6281234567890",
                                 "81234567890", "(0812) 3456.7890", "81234567890.0"])
def test_a_phone_in_every_usual_form_is_one_number(raw: str) -> None:
    assert normalize_phone(raw) == "+6281234567890"


@pytest.mark.parametrize("raw", ["12ab", "0812", "+62 0812 3456 7890", "hubungi saya", "0"])
def test_what_is_not_a_phone_number(raw: str) -> None:
    assert normalize_phone(raw) is None


def test_three_forms_of_one_phone_are_duplicates_with_row_numbers() -> None:
    rows = [("Ani", "+6281234567890", "", "", "", ""),
            ("Ani lagi", "081234567890", "", "", "", ""),
            ("Ani juga", "6281234567890", "", "", "", ""),
            ("Budi", "0812 9999 0000", "", "", "", "")]
    parsed = parse_file(csv_bytes(rows))
    assert [r.name for r in parsed.rows] == ["Ani", "Budi"]
    assert [(e.line, e.reason, e.value) for e in parsed.errors] == [
        (3, "duplicate", "2"), (4, "duplicate", "2")]
    assert parsed.read == 4


def test_windows_1252_with_indonesian_names_and_semicolons() -> None:
    rows = [("José Ramos Siregar", "0812 1111 2222", "", "Jaksel", "", "id"),
            ("Dewi Ñoman Putri", "0812 1111 3333", "", "Jaksel", "", "inggris")]
    content = csv_bytes(rows, HEADER_ID, delimiter=";", encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    parsed = parse_file(content, "relawan.csv")
    assert [r.name for r in parsed.rows] == ["José Ramos Siregar", "Dewi Ñoman Putri"]
    assert [r.language for r in parsed.rows] == ["id", "en"]
    assert parsed.rows[0].team == "Jaksel" and not parsed.errors


def test_formulas_bad_values_and_missing_contact_are_row_errors() -> None:
    rows = [('=HYPERLINK("http://x","klik")', "0812 1111 2222", "", "", "", ""),
            ("Budi", "12ab", "", "", "", ""),
            ("Citra", "", "", "", "", ""),
            ("", "0812 1111 4444", "", "", "", ""),
            ("Dodi", "", "a b", "", "", ""),
            ("Eka", "0812 1111 5555", "", "", "", "klingon"),
            ("Fajar", "", "@fajar_id", "", "", "")]
    parsed = parse_file(csv_bytes(rows))
    assert [(e.line, e.reason) for e in parsed.errors] == [
        (2, "formula"), (3, "bad_phone"), (4, "no_contact"), (5, "no_name"),
        (6, "bad_username"), (7, "bad_language")]
    assert [(r.name, r.username, r.key) for r in parsed.rows] == [
        ("Fajar", "fajar_id", "@fajar_id")]


def test_xlsx_with_numeric_phones_and_a_formula_cell() -> None:
    content = xlsx_bytes([("Ani", 81234567890, "", "Jaksel", "driver, first aid", "id"),
                          ("Budi", "=1+1", "", "", "", "")])
    parsed = parse_file(content, "relawan.xlsx")
    assert [(r.name, r.phone, r.skills) for r in parsed.rows] == [
        ("Ani", "+6281234567890", ("driver", "first aid"))]
    assert [(e.line, e.reason) for e in parsed.errors] == [(3, "formula")]


@pytest.mark.parametrize(("content", "key"), [
    (b"%PDF-1.4\n\x00\x01binary", "imports.refused_type"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "imports.refused_xls"),
    (b"PK\x03\x04not really a zip", "imports.refused_type"),
    (b"", "imports.refused_empty"),
    (b"foo,bar\n1,2\n", "imports.refused_columns"),
])
def test_files_that_cannot_be_imported_are_refused_whole(content: bytes, key: str) -> None:
    with pytest.raises(ImportRefused) as refused:
        parse_file(content, "x.csv")
    assert refused.value.key == key


def test_a_million_rows_are_refused_with_the_cap() -> None:
    content = b"name,phone\n" + b"Ani,81234567890\n" * 1_000_000
    with pytest.raises(ImportRefused) as refused:
        parse_file(content)
    assert refused.value.key == "imports.refused_rows"
    assert refused.value.params == {"max": import_file.MAX_ROWS}


def test_size_and_type_are_refused_before_downloading() -> None:
    with pytest.raises(ImportRefused) as refused:
        import_file.check_document("relawan.csv", 50 * 1024 * 1024)
    assert refused.value.key == "imports.refused_size"
    with pytest.raises(ImportRefused):
        import_file.check_document("foto.jpg", 1000)
    import_file.check_document("relawan.xlsx", 1000)


def _links(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


async def test_preview_commit_and_reimport_change_nothing_twice(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    teams = await make_teams(sessionmaker)
    admin = await make_coordinator(sessionmaker)
    rows = [*volunteer_rows(30), ("+Budi formula-ish", "0812 7777 0000", "", "Jaksel", "", ""),
            ("Citra", "0812 7777 1111", "", "Bogor", "", "")]
    content = csv_bytes(rows)
    preview = await imports.preview_import(sessionmaker, admin, content, "relawan.csv")
    assert (preview.read, preview.new, preview.known) == (32, 31, 0)
    assert [(e.line, e.reason, e.value) for e in preview.errors] == [(33, "unknown_team", "Bogor")]
    async with sessionmaker() as session:  # a preview writes nothing
        assert await session.scalar(select(func.count()).select_from(ImportedVolunteer)) == 0

    done = await imports.commit_import(sessionmaker, admin, content, "relawan.csv",
                                       bot_username="gotong_bot", now=T0)
    assert (done.created, done.known, done.errors) == (31, 0, 1)
    table = _links(done.csv)
    assert len(table) == 32
    invited = [r for r in table if r["status"] == "invited"]
    assert len(invited) == 31
    assert all(r["link"].startswith("https://t.me/gotong_bot?start=imp_") for r in invited)
    assert len({r["link"] for r in invited}) == 31
    # The shared CSV writer neutralised the formula-looking name.
    assert any(r["name"] == "'+Budi formula-ish" for r in table)
    assert any(r["status"].startswith("error: unknown_team") for r in table)

    again = await imports.commit_import(sessionmaker, admin, content, "relawan.csv",
                                        bot_username="gotong_bot", now=T0)
    assert (again.created, again.known) == (0, 31)
    assert {r["link"] for r in _links(again.csv) if r["link"]} == {r["link"] for r in invited}
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(ImportedVolunteer)) == 31
        team_of_0 = await session.scalar(
            select(ImportedVolunteer.team_id).where(ImportedVolunteer.name == "Relawan 0"))
        assert team_of_0 == teams["Jaksel"]
        assert {s.name for s in await session.scalars(select(Skill))} == {"driver", "first aid"}


async def test_joining_through_a_personal_link_binds_the_row(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    teams = await make_teams(sessionmaker)
    admin = await make_coordinator(sessionmaker)
    content = csv_bytes(volunteer_rows(6))  # row of i=0: Jaksel, skills, language id
    await imports.commit_import(sessionmaker, admin, content, "a.csv", bot_username="b", now=T0)
    async with sessionmaker() as session:
        row = await session.scalar(
            select(ImportedVolunteer).where(ImportedVolunteer.name == "Relawan 0"))
        assert row is not None and row.status == ImportStatus.INVITED
        code = row.code
    user = TelegramUser(5000, "Relawan", None, "relawan_nol", "en")
    joined = await imports.redeem_import_link(sessionmaker, user, code, admin_ids=frozenset(),
                                              default_language="id", now=T0)
    assert joined.ok and joined.team_name == "Jaksel"
    assert joined.actor.team_ids == {teams["Jaksel"]}
    assert joined.actor.language == "id" and joined.actor.language_chosen
    again = await imports.redeem_import_link(sessionmaker, user, code, admin_ids=frozenset(),
                                             default_language="id", now=T0)
    assert again.ok  # opening one's own link twice is fine
    other = await imports.redeem_import_link(
        sessionmaker, TelegramUser(5001, "Orang lain"), code, admin_ids=frozenset(),
        default_language="id", now=T0)
    assert (other.ok, other.reason) == (False, "taken")
    unknown = await imports.redeem_import_link(
        sessionmaker, TelegramUser(5002, "X"), "nope", admin_ids=frozenset(),
        default_language="id", now=T0)
    assert (unknown.ok, unknown.reason) == (False, "unknown")
    async with sessionmaker() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == 5000))
        assert person is not None
        bound = await session.scalar(
            select(ImportedVolunteer).where(ImportedVolunteer.person_id == person.id))
        assert bound is not None and bound.status == ImportStatus.JOINED
        skills = set(await session.scalars(
            select(Skill.name).join(PersonSkill, PersonSkill.skill_id == Skill.id)
            .where(PersonSkill.person_id == person.id)))
        assert skills == {"driver", "first aid"}
        assert await session.scalar(select(func.count()).select_from(Membership).where(
            Membership.person_id == person.id)) == 1


async def test_only_coordinators_import(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    teams = await make_teams(sessionmaker)
    from bot.services.people.members import TeamRef

    lead = Actor(99, 99, "Lead", None, Role.LEAD, "en", True, None, True,
                 (TeamRef(teams["Jaksel"], "Jaksel", True),))
    with pytest.raises(NotAllowed):
        await imports.preview_import(sessionmaker, lead, csv_bytes(volunteer_rows(2)), "a.csv")


async def test_ten_thousand_rows_import_once(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await make_teams(sessionmaker)
    admin = await make_coordinator(sessionmaker)
    content = csv_bytes(volunteer_rows(10_000))
    done = await imports.commit_import(sessionmaker, admin, content, "big.csv",
                                       bot_username="b", now=T0)
    assert done.created == 10_000
    again = await imports.preview_import(sessionmaker, admin, content, "big.csv")
    assert (again.new, again.known) == (0, 10_000)
