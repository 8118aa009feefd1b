"""What volunteers see around shifts and tasks (issue #17), in English and Indonesian: an
expired waitlist offer, /cancelshift's question, the undo after a release, the /shifts list
and a task claimed from /tasks; through the real bot on the sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.shifts import claims as shift_claims
from bot.services.shifts import plan
from bot.views.shift_buttons import AcceptOffer
from models import (
    OutboxMessage,
    OutboxStatus,
    Person,
    Role,
    Shift,
    ShiftSignup,
    ShiftStatus,
    TaskClaim,
    TaskClaimStatus,
    WaitlistEntry,
)
from tests.conftest import T0
from tests.shifts.factories import make_people, make_shift, make_team, settings
from tests.support.harness import (
    BotHarness,
    deliver,
    forged_press,
    fresh,
    team_of_volunteers,
)

PEOPLE = {2: "Ani", 3: "Budi"}
LANGS = ["en", "id"]
SETTINGS = settings()

SEEN: dict[str, dict[str, Any]] = {
    "en": {
        "expired": "Your offer for", "lapsed": "This offer expired",
        "again": "⏳ Join the waitlist again",
        "ask": "Cancel <b>Door-knocking Tebet</b>", "tells": "1 person signed up will be told.",
        "nobody": "Nobody has signed up yet", "yes": "Yes, cancel it", "keep": "No, keep it",
        "kept": "the shift stays", "done": "1 person signed up was told",
        "released": "You released your place", "hint": "Tap Undo within 30 seconds",
        "undo": "↩️ Undo", "undone": "Undone.", "yours": "You're on this shift",
        "undone_toast": "Undone: the place is yours again.",
        "passed": "The 30 seconds to undo have passed",
        "gone": "Too late to undo: the place already went to the next person in line.",
        "heading": "<b>Open shifts</b>. Tap one to claim it.", "full": "(full)",
        "clash": "(clash)", "clash_line": "Clashes with your shift <b>Door-knocking Tebet</b>",
        "full_line": "Full: tap it to join the waitlist",
        "tasks": "<b>Open tasks</b>. Tap one to take it.", "task_yours": "The task is yours.",
        "task_buttons": ["✅ Done", "↩️ Give back", "◀️ Back"],
    },
    "id": {
        "expired": "sudah kedaluwarsa", "lapsed": "Tawaran ini sudah kedaluwarsa",
        "again": "⏳ Masuk daftar tunggu lagi",
        "ask": "Batalkan <b>Door-knocking Tebet</b>", "tells": "1 orang yang terdaftar akan",
        "nobody": "Belum ada yang mendaftar", "yes": "Ya, batalkan", "keep": "Jangan, tetap jalan",
        "kept": "shift-nya tetap jalan", "done": "1 orang yang terdaftar sudah dikabari",
        "released": "sudah dilepas", "hint": "Tekan Urungkan dalam 30 detik",
        "undo": "↩️ Urungkan", "undone": "Sudah diurungkan.",
        "yours": "Kamu terdaftar di shift ini",
        "undone_toast": "Diurungkan: tempatnya milikmu lagi.",
        "passed": "Waktu 30 detik untuk mengurungkan sudah lewat",
        "gone": "Sudah terlambat untuk mengurungkan: tempatnya sudah diberikan ke orang",
        "heading": "<b>Shift terbuka</b>. Ketuk salah satu untuk mengambilnya.",
        "full": "(penuh)", "clash": "(bentrok)",
        "clash_line": "Bentrok dengan shift-mu <b>Door-knocking Tebet</b>",
        "full_line": "Penuh: ketuk untuk masuk daftar tunggu",
        "tasks": "<b>Tugas terbuka</b>. Ketuk untuk mengambil.",
        "task_yours": "Tugas ini milikmu.",
        "task_buttons": ["✅ Selesai", "↩️ Kembalikan", "◀️ Kembali"],
    },
}


@asynccontextmanager
async def harness(tmp_path: Path, lang: str) -> AsyncIterator[BotHarness]:
    url = f"sqlite+aiosqlite:///{tmp_path / f'surfaces-{lang}.sqlite3'}"
    async with team_of_volunteers(url, lang, PEOPLE) as bot:
        yield bot


async def run_sweep(bot: BotHarness) -> None:
    """The minutely sweep job, run now (as the scheduler would)."""
    (job,) = bot.app.job_queue.get_jobs_by_name("shifts.sweep")  # type: ignore[union-attr]
    await job.callback(bot.app.context_types.context.from_job(job, bot.app))


@pytest.mark.parametrize("lang", LANGS)
async def test_an_expired_offer_says_so_and_loses_its_buttons(tmp_path: Path, lang: str) -> None:
    seen = SEEN[lang]
    async with harness(tmp_path, lang) as bot:
        await bot.admin.send_and_wait(
            "/newshift Jaksel | Door-knocking Tebet | besok 08:00 | 3j | 1 | Pasar Tebet"
        )
        ani, budi = bot.user(2, "Ani", lang), bot.user(3, "Budi", lang)
        await ani.press(await ani.send_and_wait("/shifts"), 0, expect="edit")
        full = await budi.press(await budi.send_and_wait("/shifts"), 0, expect="edit")
        assert full.message is not None
        await budi.press(full.message, 0, expect="edit")  # join the waitlist
        released = await ani.press(await ani.send_and_wait("/my"), 0, expect="edit")
        assert released.message is not None
        await deliver(bot)
        offer = await budi.next_message()
        assert len(offer.button_texts) == 2  # Accept, Decline

        bot.clock.advance(hours=3)  # the hold is over
        await run_sweep(bot)
        await deliver(bot)
        notice = await budi.next_message()
        assert seen["expired"] in notice.text and "Door-knocking Tebet" in notice.text
        assert notice.button_texts == [seen["again"]]
        assert fresh(budi, offer).button_texts == []  # Accept / Decline are gone
        async with bot.db() as session:
            entry = await session.scalar(select(WaitlistEntry))
            assert entry is not None and entry.status.value == "expired"
            assert await session.scalar(select(Shift.taken)) == 0
        # A client that still shows the old buttons hears why, and nothing changes.
        answer = await forged_press(bot, 3, notice, AcceptOffer(entry.id).pack())
        assert seen["lapsed"] in answer
        async with bot.db() as session:
            assert await session.scalar(select(ShiftSignup.id)) is None


@pytest.mark.parametrize("lang", LANGS)
async def test_cancelshift_asks_first_and_says_who_will_be_told(
    tmp_path: Path, lang: str
) -> None:
    seen = SEEN[lang]
    async with harness(tmp_path, lang) as bot:
        admin = bot.admin
        await admin.send_and_wait(
            "/newshift Jaksel | Door-knocking Tebet | besok 08:00 | 3j | 2 | Pasar Tebet"
        )
        async with bot.db.begin() as session:
            coordinator = await session.scalar(select(Person).where(Person.telegram_id == 1))
            assert coordinator is not None
            coordinator.language = lang
        nobody = await admin.send_and_wait("/cancelshift 1")
        assert seen["nobody"] in nobody.text
        kept = await admin.press(nobody, seen["keep"], expect="edit")
        assert kept.message is not None and seen["kept"] in kept.message.text
        assert kept.message.button_texts == []

        ani = bot.user(2, "Ani", lang)
        await ani.press(await ani.send_and_wait("/shifts"), 0, expect="edit")
        asked = await admin.send_and_wait("/cancelshift 1")
        assert seen["ask"] in (asked.html or "") and seen["tells"] in asked.text
        assert asked.button_texts == [seen["yes"], seen["keep"]]
        async with bot.db() as session:  # asking changed nothing
            assert await session.scalar(select(Shift.status)) == ShiftStatus.OPEN
        done = await admin.press(asked, seen["yes"], expect="edit")
        assert done.message is not None and seen["done"] in done.message.text
        async with bot.db() as session:
            assert await session.scalar(select(Shift.status)) == ShiftStatus.CANCELLED


@pytest.mark.parametrize("lang", LANGS)
async def test_a_release_can_be_undone_for_30_seconds(tmp_path: Path, lang: str) -> None:
    seen = SEEN[lang]
    async with harness(tmp_path, lang) as bot:
        await bot.admin.send_and_wait(
            "/newshift Jaksel | Door-knocking Tebet | besok 08:00 | 3j | 2 | Pasar Tebet"
        )
        ani = bot.user(2, "Ani", lang)
        await ani.press(await ani.send_and_wait("/shifts"), 0, expect="edit")
        released = await ani.press(await ani.send_and_wait("/my"), 0, expect="edit")
        assert released.message is not None
        assert seen["released"] in released.message.text and seen["hint"] in released.message.text
        assert released.message.button_texts == [seen["undo"]]
        async with bot.db() as session:
            assert await session.scalar(select(ShiftSignup.id)) is None

        bot.clock.advance(seconds=20)
        undone = await ani.press(released.message, seen["undo"], expect="edit")
        assert undone.answer.text == seen["undone_toast"]
        assert undone.message is not None and seen["undone"] in undone.message.text
        assert seen["yours"] in undone.message.text and "Door-knocking Tebet" in undone.message.text
        async with bot.db() as session:
            signup = await session.scalar(select(ShiftSignup))
            assert signup is not None and await session.scalar(select(Shift.taken)) == 1
            planned = await session.scalars(select(OutboxMessage).where(
                OutboxMessage.kind == "shift.reminder",
                OutboxMessage.cause == f"signup:{signup.id}"))
            # The reminder 2 h before (the 24 h one is past) is planned again for the new place.
            assert [r.status for r in planned.all()] == [OutboxStatus.PENDING]

        # Released again; 31 seconds later the undo window has passed.
        again = await ani.press(await ani.send_and_wait("/my"), 0, expect="edit")
        assert again.message is not None
        bot.clock.advance(seconds=31)
        late = await ani.press(again.message, seen["undo"], expect="answer")
        assert seen["passed"] in (late.answer.text or "")
        async with bot.db() as session:
            assert await session.scalar(select(ShiftSignup.id)) is None
            assert await session.scalar(select(Shift.taken)) == 0


@pytest.mark.parametrize("lang", LANGS)
async def test_no_undo_once_the_place_was_offered_to_the_waitlist(
    tmp_path: Path, lang: str
) -> None:
    seen = SEEN[lang]
    async with harness(tmp_path, lang) as bot:
        await bot.admin.send_and_wait(
            "/newshift Jaksel | Door-knocking Tebet | besok 08:00 | 3j | 1 | Pasar Tebet"
        )
        ani, budi = bot.user(2, "Ani", lang), bot.user(3, "Budi", lang)
        await ani.press(await ani.send_and_wait("/shifts"), 0, expect="edit")
        full = await budi.press(await budi.send_and_wait("/shifts"), 0, expect="edit")
        assert full.message is not None
        await budi.press(full.message, 0, expect="edit")  # Budi waits in line
        released = await ani.press(await ani.send_and_wait("/my"), 0, expect="edit")
        assert released.message is not None
        late = await ani.press(released.message, seen["undo"], expect="answer")
        assert seen["gone"] in (late.answer.text or "")
        async with bot.db() as session:  # the place stays held for Budi's offer
            assert await session.scalar(select(ShiftSignup.id)) is None
            entry = await session.scalar(select(WaitlistEntry))
            assert entry is not None and entry.status.value == "offered"


@pytest.mark.parametrize("lang", LANGS)
async def test_shifts_lists_what_can_be_taken_first(tmp_path: Path, lang: str) -> None:
    seen = SEEN[lang]
    async with harness(tmp_path, lang) as bot:
        for line in ("Door-knocking Tebet | besok 08:00 | 3j | 2",
                     "Phone bank | besok 09:00 | 3j | 2",
                     "Flyers Blok M | besok 14:00 | 2j | 1",
                     "Sweep Kemang | Sabtu 08:00 | 3j | 2"):
            await bot.admin.send_and_wait(f"/newshift Jaksel | {line} | Pasar Tebet")
        ani, budi = bot.user(2, "Ani", lang), bot.user(3, "Budi", lang)
        await ani.press(await ani.send_and_wait("/shifts"), 0, expect="edit")  # Tebet
        await budi.press(await budi.send_and_wait("/shifts"), 2, expect="edit")  # Flyers: full

        listing = await ani.send_and_wait("/shifts")
        html = listing.html or ""
        assert html.startswith(seen["heading"])  # one page: no "page 1 of 1"
        # Takeable first; then the clash and the full one, soonest first, each marked.
        assert [b.split(" · ")[0] for b in listing.button_texts] == [
            "1. Sweep Kemang", "⚠️ 2. Phone bank", "⏳ 3. Flyers Blok M"]
        assert seen["clash"] in listing.button_texts[1]
        assert seen["full"] in listing.button_texts[2]
        assert not any("2026" in b for b in listing.button_texts)  # no year on the buttons
        assert html.index("Sweep Kemang") < html.index("Phone bank") < html.index("Flyers Blok M")
        assert seen["clash_line"] in html and seen["full_line"] in html
        assert html.index(seen["clash_line"]) < html.index("Flyers Blok M")


@pytest.mark.parametrize("lang", LANGS)
async def test_claiming_a_task_updates_the_tasks_list_in_place(
    tmp_path: Path, lang: str
) -> None:
    seen = SEEN[lang]
    async with harness(tmp_path, lang) as bot:
        await bot.admin.send_and_wait("/newtask Jaksel | Door-knock RT 05 | besok 17:00 | 2")
        ani = bot.user(2, "Ani", lang)
        listing = await ani.send_and_wait("/tasks")
        assert (listing.html or "").startswith(seen["tasks"])  # one page: no "page 1 of 1"
        assert listing.button_texts[0].startswith("1. Door-knock RT 05 · ")
        claimed = await ani.press(listing, 0, expect="edit")
        assert claimed.message is not None
        assert claimed.message.message_id == listing.message_id  # the list itself changed
        assert seen["task_yours"] in claimed.message.text
        assert "Door-knock RT 05" in claimed.message.text
        assert claimed.message.button_texts == seen["task_buttons"]
        assert len(ani.bot_messages()) == 1  # nothing new was sent
        async with bot.db() as session:
            claim = await session.scalar(select(TaskClaim))
            assert claim is not None and claim.status == TaskClaimStatus.CLAIMED


async def test_open_shifts_orders_takeable_first_and_names_clashes(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """The ordering and the clash names on both databases (the query is a correlated EXISTS)."""
    team = await make_team(sessionmaker)
    (coord,) = await make_people(sessionmaker, 1, team_id=None, role=Role.COORDINATOR, first_id=1)
    ani, budi = await make_people(sessionmaker, 2, team_id=team)
    mine = await make_shift(sessionmaker, coord, now=T0, team_id=team, title="Mine")
    clash = await make_shift(sessionmaker, coord, now=T0, team_id=team, title="Clash",
                             start_in=timedelta(days=2, hours=1))
    full = await make_shift(sessionmaker, coord, now=T0, team_id=team, title="Full",
                            start_in=timedelta(days=2, hours=5), capacity=1)
    later = await make_shift(sessionmaker, coord, now=T0, team_id=team, title="Later",
                             start_in=timedelta(days=3))
    await shift_claims.claim_shift(sessionmaker, ani, mine, SETTINGS, now=T0)
    await shift_claims.claim_shift(sessionmaker, budi, full, SETTINGS, now=T0)
    page = await plan.open_shifts(sessionmaker, ani, now=T0)
    assert [s.id for s in page.shifts] == [later, clash, full]
    assert page.clashes == ((clash, "Mine"),) and page.clash(full) is None
