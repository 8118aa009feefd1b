"""What people see around events (issue #17), in English and Indonesian, through the real
bot on the sandbox: a cancellation told to everyone invited who has not said no (their
invitation buttons taken off), duties that move with their event, duty holders counted as
coming, "who hasn't confirmed" on the card, and one message for a confirmation and a
reminder due together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.views.events import AnswerOnCard
from models import (
    Event,
    Membership,
    OutboxMessage,
    OutboxStatus,
    Person,
    Role,
    RsvpStatus,
    Shift,
    ShiftStatus,
    Team,
)
from sandbox import SandboxMessage, SandboxUser
from tests.conftest import T0
from tests.support.harness import (
    BotHarness,
    deliver,
    forged_press,
    fresh,
    team_of_volunteers,
)

PEOPLE = {2: "Ani", 3: "Budi", 4: "Citra"}
LANGS = ["en", "id"]
START = T0 + timedelta(days=3)  # Sunday 29 Nov 2026, 10:00 Jakarta
NEW_EVENT = "/newevent Rally | 2026-11-29 10:00 | 3h | GOR Senayan | Jaksel"

SEEN: dict[str, dict[str, Any]] = {
    "en": {
        "invited": "You're invited", "invite": "📣 Invite", "going": 0, "cant": 2,
        "ask": "Everyone going, and everyone invited who hasn't said no, will be told.",
        "yes": "Yes, cancel it", "done": "2 people will be told",
        "notice": "has been cancelled", "closed": "has been cancelled, so answers are closed",
        "moved_head": "Its role moved with it by the same time",
        "shift_changed": "Your shift changed</b> (time)", "new_time": "Mon, 30 Nov, 08:00–10:00",
        "counts": "2 going (0 confirmed, 1 not yet, 1 on its roles)",
        "summary": "· going 2 ·", "cal2": "📆 2 upcoming events and shifts",
        "cal3": "📆 3 upcoming events and shifts",
        "tomorrow": "<b>Rally</b> is tomorrow at 10:00: Sun, 29 Nov, 10:00–13:00, GOR Senayan.",
        "in6": "<b>Rally</b> is in 6 hours: Thu, 26 Nov, 18:00–20:00, GOR Senayan.",
        "confirm_buttons": ["👍 Confirm", "❌ Can't come"],
        "cal0": "You have no upcoming events or shifts",
        "who": "🔔 Who hasn't confirmed", "silent": "1 person said they're going but hasn't",
    },
    "id": {
        "invited": "Kamu diundang", "invite": "📣 Undang", "going": 0, "cant": 2,
        "ask": "semua yang diundang dan belum menjawab tidak, akan diberi tahu.",
        "yes": "Ya, batalkan", "done": "2 orang akan diberi tahu",
        "notice": "dibatalkan. Mohon maaf", "closed": "sudah dibatalkan, jadi jawaban ditutup",
        "moved_head": "1 peran ikut pindah dengan selisih waktu yang sama",
        "shift_changed": "Shift-mu berubah</b> (waktu)", "new_time": "Sen, 30 Nov 08.00–10.00",
        "counts": "2 datang (0 sudah konfirmasi, 1 belum, 1 bertugas di perannya)",
        "summary": "· hadir 2 ·", "cal2": "📆 2 acara dan shift mendatang",
        "cal3": "📆 3 acara dan shift mendatang",
        "tomorrow": "<b>Rally</b> besok pukul 10.00: Min, 29 Nov 10.00–13.00, GOR Senayan.",
        "in6": "<b>Rally</b> 6 jam lagi: Kam, 26 Nov 18.00–20.00, GOR Senayan.",
        "confirm_buttons": ["👍 Konfirmasi", "❌ Tidak bisa datang"],
        "cal0": "Kamu belum punya acara atau shift mendatang",
        "who": "🔔 Siapa yang belum konfirmasi", "silent": "1 orang bilang akan datang tapi belum",
    },
}


@asynccontextmanager
async def harness(tmp_path: Path, lang: str, **settings: Any) -> AsyncIterator[BotHarness]:
    url = f"sqlite+aiosqlite:///{tmp_path / f'event-surfaces-{lang}.sqlite3'}"
    async with team_of_volunteers(url, lang, PEOPLE, **settings) as bot:
        yield bot


async def invited_event(
    bot: BotHarness, lang: str, command: str = NEW_EVENT
) -> dict[int, SandboxMessage]:
    """The Rally for Jaksel, its invitation delivered to Ani, Budi and Citra."""
    admin = bot.admin
    users = {tid: bot.user(tid, name, lang) for tid, name in PEOPLE.items()}
    for user in users.values():
        await user.send_and_wait("/help")  # each has read their chat up to here
    card = await admin.send_and_wait(command)
    pick = await admin.press(card, SEEN[lang]["invite"], expect="message")
    assert pick.message is not None
    await admin.press(pick.message, "Jaksel", expect="edit")
    await deliver(bot)
    invitations = {}
    for tid, user in users.items():
        invitation = await user.next_message()
        assert SEEN[lang]["invited"] in invitation.text
        invitations[tid] = invitation
    return invitations


@pytest.mark.parametrize("lang", LANGS)
async def test_cancelling_tells_the_invited_and_takes_their_buttons_off(
    tmp_path: Path, lang: str
) -> None:
    seen = SEEN[lang]
    async with harness(tmp_path, lang) as bot:
        await set_admin_language(bot, lang)
        invitations = await invited_event(bot, lang)
        ani, budi, citra = (bot.user(t) for t in PEOPLE)
        await ani.press(invitations[2], seen["going"], expect="edit")
        await budi.press(invitations[3], seen["cant"], expect="edit")
        # Citra has not answered: she is told too; Budi said no: he is not.
        asked = await bot.admin.send_and_wait("/cancelevent 1")
        assert seen["ask"] in asked.text
        done = await bot.admin.press(asked, seen["yes"], expect="edit")
        assert done.message is not None and seen["done"] in done.message.text
        await deliver(bot)
        for user in (ani, citra):
            notice = await user.next_message()
            assert seen["notice"] in notice.text and "Rally" in notice.text
        async with bot.db() as session:
            told = set(await session.scalars(
                select(OutboxMessage.chat_id).where(OutboxMessage.kind == "event.cancelled")
            ))
        assert told == {2, 4}
        # Every invitation that went out lost its Going / Maybe / Can't.
        for tid, invitation in invitations.items():
            assert fresh(bot.user(tid), invitation).button_texts == []
        # A client that still shows the old buttons hears that the event is off.
        answer = await forged_press(
            bot, 4, invitations[4], AnswerOnCard(RsvpStatus.GOING, 1).pack()
        )
        assert seen["closed"] in answer
        async with bot.db() as session:
            event = await session.scalar(select(Event))
            assert event is not None and event.going_count == 1


async def add_duty(bot: BotHarness, title: str, before: timedelta, hours: int = 2) -> int:
    """A role of event 1 (the Rally), starting `before` its start."""
    async with bot.db.begin() as session:
        event = await session.get(Event, 1)
        assert event is not None
        shift = Shift(title=title, team_id=event.team_id, event_id=event.id, place="GOR",
                      starts_at=event.starts_at - before,
                      ends_at=event.starts_at - before + timedelta(hours=hours), capacity=4,
                      taken=0, status=ShiftStatus.OPEN, created_at=bot.clock.now(),
                      updated_at=bot.clock.now())
        session.add(shift)
        await session.flush()
        return shift.id


async def claim_first_shift(user: SandboxUser) -> None:
    listing = await user.send_and_wait("/shifts")
    await user.press(listing, 0, expect="edit")


@pytest.mark.parametrize("lang", LANGS)
async def test_moving_an_event_moves_its_duties_and_tells_their_people(
    tmp_path: Path, lang: str
) -> None:
    seen = SEEN[lang]
    async with harness(tmp_path, lang) as bot:
        await set_admin_language(bot, lang)
        ani = bot.user(2, "Ani", lang)
        await bot.admin.send_and_wait(NEW_EVENT)
        shift_id = await add_duty(bot, "Set-up crew", timedelta(hours=1))
        await claim_first_shift(ani)
        await deliver(bot)  # nothing due yet
        # A day later and an hour earlier: 30 Nov 09:00; the set-up crew an hour before.
        edited = await bot.admin.send_and_wait("/editevent 1 start 2026-11-30 09:00")
        assert seen["moved_head"] in edited.text
        await deliver(bot)
        notice = await ani.next_message(predicate=lambda m: "Set-up crew" in m.text)
        assert seen["shift_changed"] in (notice.html or "") and seen["new_time"] in notice.text
        moved = START + timedelta(days=1, hours=-1)
        async with bot.db() as session:
            shift = await session.get(Shift, shift_id)
            assert shift is not None
            assert shift.starts_at == moved - timedelta(hours=1)
            reminders = sorted(
                (r.due_at for r in await session.scalars(select(OutboxMessage).where(
                    OutboxMessage.kind == "shift.reminder",
                    OutboxMessage.status == OutboxStatus.PENDING,
                ))),
            )
        assert reminders == [shift.starts_at - timedelta(hours=24),
                             shift.starts_at - timedelta(hours=2)]


async def set_admin_language(bot: BotHarness, lang: str) -> None:
    await bot.admin.send_and_wait("/help")  # registered
    async with bot.db.begin() as session:
        admin = await session.scalar(select(Person).where(Person.telegram_id == 1))
        assert admin is not None
        admin.language = lang


def document_text(bot: BotHarness, message: SandboxMessage) -> str:
    file_id = message.document["file_id"]  # type: ignore[index]
    stored = bot.sandbox.world.files.get(file_id)
    assert stored is not None
    return bytes(stored.content).decode("utf-8-sig")


@pytest.mark.parametrize("lang", LANGS)
async def test_duty_holders_count_as_coming_and_the_card_names_the_unconfirmed(
    tmp_path: Path, lang: str
) -> None:
    seen = SEEN[lang]
    async with harness(tmp_path, lang) as bot:
        await set_admin_language(bot, lang)
        invitations = await invited_event(bot, lang)
        await add_duty(bot, "Registration desk", timedelta(hours=1))
        ani, budi = bot.user(2), bot.user(3)
        await claim_first_shift(ani)  # Ani is on a role and never answered the invitation
        await budi.press(invitations[3], seen["going"], expect="edit")  # Budi: Going
        listing = await bot.admin.send_and_wait("/events")
        card = await bot.admin.press(listing, "📅 1", expect="edit")
        assert card.message is not None and seen["counts"] in card.message.text
        summary = await bot.admin.send_and_wait("/summary")
        assert seen["summary"] in summary.text
        # The roster has Ani, as the role's; the check-in list only those who answered.
        roster = document_text(bot, await bot.admin.send_and_wait("/roster 1"))
        assert "Ani,,going,no,no,no,Registration desk" in roster
        assert "Budi,,going,no,no,no," in roster
        checkin = await bot.admin.send_and_wait("/checkin 1")
        assert [b.split(" ", 1)[1] for b in checkin.button_texts] == ["Budi"]
        # "Who hasn't confirmed", on demand: Budi, not Ani.
        who = await bot.admin.press(card.message, seen["who"], expect="edit")
        assert who.message is not None
        assert seen["silent"] in who.message.text
        assert "Budi" in who.message.text and "Ani" not in who.message.text
        assert who.answer.text in (None, "")


def calendar_uids(bot: BotHarness, message: SandboxMessage) -> set[str]:
    from icalendar import Calendar

    cal = Calendar.from_ical(document_text(bot, message))
    return {str(item["uid"]).split("@")[0] for item in cal.walk("VEVENT")}


@pytest.mark.parametrize("lang", LANGS)
async def test_calendar_has_what_a_lead_or_coordinator_runs(tmp_path: Path, lang: str) -> None:
    seen = SEEN[lang]
    async with harness(tmp_path, lang) as bot:
        await set_admin_language(bot, lang)
        await bot.admin.send_and_wait(NEW_EVENT)
        setup = await add_duty(bot, "Set-up crew", timedelta(hours=1))
        async with bot.db.begin() as session:
            jaktim = Team(name="Jaktim", name_key="jaktim")
            session.add(jaktim)
            await session.flush()
            flyers = Shift(title="Flyers Jaktim", team_id=jaktim.id, place="Pasar",
                           starts_at=START, ends_at=START + timedelta(hours=2), capacity=3,
                           taken=0, status=ShiftStatus.OPEN, created_at=T0, updated_at=T0)
            session.add(flyers)
            budi = await session.scalar(select(Person).where(Person.telegram_id == 3))
            assert budi is not None
            budi.role = Role.LEAD
            membership = await session.scalar(
                select(Membership).where(Membership.person_id == budi.id)
            )
            assert membership is not None
            membership.is_lead = True
            await session.flush()
            flyers_id = flyers.id
        # Budi leads Jaksel: its event and its role, though he attends neither.
        lead = await bot.user(3, "Budi", lang).send_and_wait("/calendar")
        assert seen["cal2"] in lead.text
        assert calendar_uids(bot, lead) == {"event-1", f"shift-{setup}"}
        # The coordinator runs everything, Jaktim's shift too.
        coordinator = await bot.admin.send_and_wait("/calendar")
        assert seen["cal3"] in coordinator.text
        assert calendar_uids(bot, coordinator) == {"event-1", f"shift-{setup}",
                                                   f"shift-{flyers_id}"}
        # A volunteer who attends nothing has nothing in it.
        nothing = await bot.user(2, "Ani", lang).send_and_wait("/calendar")
        assert seen["cal0"] in nothing.text


def bot_messages_after(user: SandboxUser, message: SandboxMessage) -> list[SandboxMessage]:
    return [m for m in user.messages() if m.from_bot and m.message_id > message.message_id]


@pytest.mark.parametrize("lang", LANGS)
async def test_the_day_before_question_is_the_reminder_too(tmp_path: Path, lang: str) -> None:
    seen = SEEN[lang]
    async with harness(tmp_path, lang) as bot:
        await set_admin_language(bot, lang)
        invitations = await invited_event(bot, lang)
        ani = bot.user(2)
        going = await ani.press(invitations[2], seen["going"], expect="edit")
        assert going.message is not None
        bot.clock.set(START - timedelta(hours=24))  # Saturday 10:00: reminder and question due
        await deliver(bot)
        (question,) = bot_messages_after(ani, invitations[2])  # one message, not two
        assert seen["tomorrow"] in (question.html or "")
        assert question.button_texts == seen["confirm_buttons"]
        async with bot.db() as session:
            sent = list(await session.scalars(select(OutboxMessage.kind).where(
                OutboxMessage.chat_id == 2, OutboxMessage.status == OutboxStatus.SENT,
            )))
        assert sorted(sent) == ["event.confirm", "event.invite"]


@pytest.mark.parametrize("lang", LANGS)
async def test_a_short_window_question_says_in_how_many_hours(tmp_path: Path, lang: str) -> None:
    seen = SEEN[lang]
    async with harness(tmp_path, lang, confirmation_hours_before=6) as bot:
        await set_admin_language(bot, lang)
        tonight = "/newevent Rally | 2026-11-26 18:00 | 2h | GOR Senayan | Jaksel"
        invitations = await invited_event(bot, lang, tonight)
        ani = bot.user(2)
        await ani.press(invitations[2], seen["going"], expect="edit")  # 8 h before
        bot.clock.set(T0 + timedelta(hours=2))  # 12:00, six hours before
        await deliver(bot)
        (question,) = bot_messages_after(ani, invitations[2])
        assert seen["in6"] in (question.html or "")
        assert "tomorrow" not in question.text and "besok" not in question.text
