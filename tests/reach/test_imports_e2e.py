"""/import end to end: a coordinator imports a 200-row file, three imported people join
through their personal links and land in their teams; bad files are refused clearly."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy import func, select

from bot.clock import FrozenClock
from models import ImportedVolunteer, ImportStatus, Membership, Person, Team
from tests.conftest import T0
from tests.reach.factories import TEAMS, csv_bytes, volunteer_rows, xlsx_bytes
from tests.support.harness import BotHarness, start_harness


async def seed(bot: BotHarness) -> None:
    async with bot.db.begin() as session:
        session.add_all([Team(name=n, name_key=n.casefold()) for n in TEAMS])


def links_of(bot: BotHarness, document: dict[str, object]) -> list[dict[str, str]]:
    stored = bot.sandbox.world.files.get(str(document["file_id"]))
    assert stored is not None
    return list(csv.DictReader(io.StringIO(stored.content.decode("utf-8-sig"))))


async def test_import_200_rows_then_three_people_join_through_their_links(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'import.sqlite3'}"
    async with start_harness(url, clock=FrozenClock(T0)) as bot:
        await seed(bot)
        admin = bot.admin
        asked = await admin.send_and_wait("/import")
        assert "CSV" in asked.text and "XLSX" in asked.text
        rows = [*volunteer_rows(198), ("Relawan 0 lagi", "0810 0000 0000", "", "", "", ""),
                ("=cmd|' /C calc'!A0", "0812 5555 6666", "", "Jaksel", "", "")]
        await admin.upload_document(csv_bytes(rows), "relawan.csv", mime_type="text/csv")
        preview = await admin.next_message()
        assert "Rows read: 200" in preview.text and "New: 198" in preview.text
        assert "With problems: 2" in preview.text
        assert "Row 200: the same person as row 2" in preview.text
        assert "Row 201: a formula in a cell" in preview.text
        assert preview.button_texts == ["✅ Import", "✖️ Cancel"]

        done = await admin.press(preview, "✅ Import", expect="edit")
        assert done.message is not None and "New: 198" in done.message.text
        sent = await admin.next_message()
        assert sent.document is not None and sent.document["file_name"] == "relawan-links.csv"
        table = links_of(bot, sent.document)
        assert len(table) == 200
        invited = {r["name"]: r for r in table if r["status"] == "invited"}
        assert len(invited) == 198

        for n, tid in ((0, 300), (1, 301), (2, 302)):
            link = invited[f"Relawan {n}"]["link"]
            payload = link.split("?start=")[1]
            joined = await bot.user(tid, f"Baru{n}", "en").send_and_wait(f"/start {payload}")
            # Row 0's language was "id" on the list: kept, so the welcome is Indonesian.
            welcome = "Kamu sekarang masuk tim" if n == 0 else "You're now in team"
            assert f"{welcome} <b>{TEAMS[n % 3]}</b>" in (joined.html or ""), joined.text
        async with bot.db() as session:
            for n, tid in ((0, 300), (1, 301), (2, 302)):
                team = await session.scalar(
                    select(Team.name).join(Membership, Membership.team_id == Team.id)
                    .join(Person, Person.id == Membership.person_id)
                    .where(Person.telegram_id == tid))
                assert team == TEAMS[n % 3]
            joined_rows = await session.scalar(select(func.count()).select_from(
                ImportedVolunteer).where(ImportedVolunteer.status == ImportStatus.JOINED))
            assert joined_rows == 3
        # Someone else opening a link already used: refused, nothing bound.
        reused = await bot.user(399, "Lain", "en").send_and_wait(
            f"/start {invited['Relawan 0']['link'].split('?start=')[1]}")
        assert "already used" in reused.text

        # The same file again changes nothing.
        await admin.send_and_wait("/import")
        await admin.upload_document(csv_bytes(rows), "relawan.csv")
        again = await admin.next_message()
        assert "New: 0" in again.text and "Nothing new to import" in again.text
        assert again.button_texts == []


async def test_bad_files_are_refused_clearly(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bad.sqlite3'}"
    async with start_harness(url, clock=FrozenClock(T0)) as bot:
        await seed(bot)
        admin = bot.admin
        await admin.send_and_wait("/import")
        told = await admin.send_and_wait("here is the list: Ani 0812...")
        assert "as a file" in told.text
        await admin.upload_document(b"%PDF-1.4\n\x00\x00binary", "list.pdf")
        assert "only read CSV or XLSX" in (await admin.next_message()).text
        await admin.upload_document(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
                                    "old.xls")
        assert "only read CSV or XLSX" in (await admin.next_message()).text
        gets = bot.client.stats().calls.get("getFile", 0)
        await admin.upload_document(b"a" * (50 * 1024 * 1024), "huge.csv")
        big = await admin.next_message()
        assert "larger than 20 MB" in big.text
        assert bot.client.stats().calls.get("getFile", 0) == gets  # never downloaded
        await admin.upload_document(b"nama,telepon\n" + b"Ani,81234567890\n" * 1_000_000,
                                    "million.csv")
        assert "more than 20000 rows" in (await admin.next_message()).text.replace(",", "")
        # An XLSX still imports after all that (the flow stayed open).
        await admin.upload_document(xlsx_bytes(volunteer_rows(3)), "relawan.xlsx")
        preview = await admin.next_message()
        assert "New: 3" in preview.text

        volunteer = bot.user(50, "Vina", "en")
        refused = await volunteer.send_and_wait("/import")
        assert "your role doesn't allow that" in refused.text
