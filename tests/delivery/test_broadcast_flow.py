"""/broadcast and /broadcasts end to end: the real bot, the sandbox, the outbox dispatcher."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.errors import NotAllowed
from bot.services import broadcasts
from bot.services.people.members import actor_by_telegram_id
from models import (
    Broadcast,
    BroadcastStatus,
    Membership,
    OutboxMessage,
    OutboxStatus,
    Person,
    Role,
    Team,
)
from sandbox import UserSpec
from tests.support.harness import BotHarness, deliver


async def _people(bot: BotHarness) -> dict[str, int]:
    """Two teams; Jaksel: the admin, two volunteers, a partner, a lead; Bogor: a volunteer.

    Everyone chose English, so the outbox (which renders in each person's chosen language)
    speaks to them in the language the assertions read."""
    spec = {
        "admin": (1, Role.ADMIN, "Jaksel", False),
        "ani": (2, Role.VOLUNTEER, "Jaksel", False),
        "budi": (3, Role.VOLUNTEER, "Jaksel", False),
        "pak_partner": (4, Role.PARTNER, "Jaksel", False),
        "citra": (5, Role.VOLUNTEER, "Bogor", False),
        "lina": (6, Role.LEAD, "Jaksel", True),
    }
    async with bot.db.begin() as session:
        teams = {name: Team(name=name, name_key=name.lower()) for name in ("Jaksel", "Bogor")}
        session.add_all(teams.values())
        await session.flush()
        ids = {name: team.id for name, team in teams.items()}
        for name, (tid, role, team, lead) in spec.items():
            person = Person(telegram_id=tid, first_name=name, role=role, language="en",
                            memberships=[])
            session.add(person)
            await session.flush()
            session.add(Membership(person_id=person.id, team_id=teams[team].id, is_lead=lead))
            bot.sandbox.world.private_chat(UserSpec(tid, name))
    return ids


async def _compose(bot: BotHarness, user_id: int, text: str) -> None:
    user = bot.user(user_id, language_code="en")
    prompt = await user.send_and_wait("/broadcast")
    assert "New broadcast" in prompt.text
    kinds = await user.send_and_wait(text)
    assert "Who should receive it?" in kinds.text


async def test_coordinator_broadcasts_to_a_team_and_reads_the_report(bot: BotHarness) -> None:
    await _people(bot)
    await _compose(bot, 1, "Rapat besok jam 9 & bawa air")
    admin = bot.admin
    choices = await admin.press(button="A team…", expect="edit")
    assert choices.message is not None and "Team Jaksel" in choices.message.button_texts
    preview = await admin.press(button="Team Jaksel", expect="edit")
    assert preview.message is not None
    # Exact count: two volunteers and the lead; never the partner in the same team.
    assert "Recipients: 4" in preview.message.text
    assert "Rapat besok jam 9 &amp; bawa air" in (preview.message.html or "")
    # Start waiting before the send: a reader's "next message" is the one after the last
    # message in the chat when it starts looking, and the outbox may be faster than us.
    arriving = [
        asyncio.create_task(bot.user(tid).next_message(timeout=20)) for tid in (2, 3, 6)
    ]
    await asyncio.sleep(0)  # each reader takes its place in the chat
    started = await admin.press(button="✅ Send now", expect="edit")
    assert started.message is not None and "sending to 4 people" in started.message.text
    for waiting in arriving:  # and the admin, a member too
        got = await waiting
        assert got.text == "Rapat besok jam 9 & bawa air"
    report = await admin.next_message(
        predicate=lambda m: "Report of broadcast" in m.text, timeout=20
    )
    assert "Delivered: 4 of 4" in report.text
    assert not bot.sandbox.world.messages(4) and not bot.sandbox.world.messages(5)
    async with bot.db() as session:
        b = (await session.scalars(select(Broadcast))).one()
        assert b.status == BroadcastStatus.DONE and b.sent_count == 4 and b.total == 4
    progress = bot.sandbox.world.message(1, started.message.message_id)
    assert "finished: 4 of 4 delivered" in progress.text
    assert not started.message.buttons or "Send now" not in started.message.button_texts
    async with bot.db() as session:
        assert await session.scalar(select(func.count(OutboxMessage.id)).where(
            OutboxMessage.broadcast_id == b.id)) == 4
    listing = await admin.send_and_wait("/broadcasts")
    assert f"#{b.id}" in listing.text and "4/4 sent" in listing.text


async def test_everyone_skips_partners_and_failures_are_listed(bot: BotHarness) -> None:
    await _people(bot)
    bot.sandbox.set_faults(blocked_user_ids={5})
    await _compose(bot, 1, "Halo semua")
    admin = bot.admin
    preview = await admin.press(button="Everyone", expect="edit")
    # Five: not the partner.
    assert preview.message is not None and "Recipients: 5" in preview.message.text
    await admin.press(button="✅ Send now", expect="edit")
    await deliver(bot)
    assert [m.text for m in bot.sandbox.world.messages(2)] == ["Halo semua"]
    assert not bot.sandbox.world.messages(4)
    report = await admin.next_message(predicate=lambda m: "Report" in m.text)
    assert "Delivered: 4 of 5" in report.text and "Not delivered: 1" in report.text
    assert "• blocked the bot: 1" in report.text
    failures = await admin.press(report, "Who did not get it", expect="message")
    assert failures.message is not None and "• citra: blocked the bot" in failures.message.text
    async with bot.db() as session:
        citra = (await session.scalars(select(Person).where(Person.telegram_id == 5))).one()
        assert not citra.reachable


async def test_cancel_then_confirm_sends_nothing(bot: BotHarness) -> None:
    await _people(bot)
    await _compose(bot, 1, "Jangan dikirim")
    admin = bot.admin
    preview = await admin.press(button="Everyone", expect="edit")
    assert preview.message is not None
    cancelled = await admin.press(preview.message, "✖ Cancel", expect="edit")
    assert cancelled.message is not None and "cancelled" in cancelled.message.text
    async with bot.db() as session:
        b = (await session.scalars(select(Broadcast))).one()
    assert b.status == BroadcastStatus.CANCELLED
    await deliver(bot)
    async with bot.db() as session:
        assert await session.scalar(select(func.count(OutboxMessage.id))) == 0
    assert not bot.sandbox.world.messages(2)


async def test_bad_input_is_refused_with_a_clear_message(bot: BotHarness) -> None:
    ids = await _people(bot)
    admin = bot.admin
    await admin.send_and_wait("/broadcast")
    too_long = await admin.send_and_wait("x" * 4097)
    assert "4097 characters" in too_long.text and "4096" in too_long.text
    # An empty team: nobody matches, nothing is sent.
    async with bot.db.begin() as session:
        session.add(Team(name="Kosong", name_key="kosong"))
    kinds = await admin.send_and_wait("Halo")
    assert "Who should receive it?" in kinds.text
    await admin.press(button="A team…", expect="edit")
    nobody = await admin.press(button="Team Kosong", expect="edit")
    assert nobody.message is not None and "Nobody matches" in nobody.message.text
    # Schedule: a time in the past is refused, a future one is accepted.
    back = await admin.press(nobody.message, "◀ Back", expect="edit")
    assert back.message is not None
    await admin.press(back.message, "A team…", expect="edit")
    preview = await admin.press(button="Team Bogor", expect="edit")
    assert preview.message is not None and "Recipients: 1" in preview.message.text
    ask = await admin.press(preview.message, "🕒 Schedule", expect="edit")
    assert ask.message is not None and "When" in ask.message.text
    past = await admin.send_and_wait("2020-01-01 09:00")
    assert "already passed" in past.text
    done = await admin.send_and_wait("2030-12-05 09:00")
    assert "scheduled for" in done.text
    async with bot.db() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
        assert len(rows) == 1 and rows[0].status == OutboxStatus.PENDING
        b = (await session.scalars(select(Broadcast).where(Broadcast.status == "scheduled"))).one()
        assert b.audience == f"team:{ids['Bogor']}"
    # A volunteer may not broadcast at all.
    refused = await bot.user(2, language_code="en").send_and_wait("/broadcast")
    assert "New broadcast" not in refused.text


async def test_a_lead_reaches_only_their_own_team(bot: BotHarness) -> None:
    ids = await _people(bot)
    await _compose(bot, 6, "Tim Jaksel kumpul")
    lead = bot.user(6)
    kinds = lead.last_bot_message()
    assert kinds is not None and kinds.button_texts == ["A team…", "✖ Cancel"]
    choices = await lead.press(kinds, "A team…", expect="edit")
    assert choices.message is not None
    assert "Team Jaksel" in choices.message.button_texts
    assert "Team Bogor" not in choices.message.button_texts
    async with bot.db() as session:
        b = (await session.scalars(select(Broadcast))).one()
    # Forged callback data (the sandbox only presses real buttons): the service refuses.
    lead_actor = await actor_by_telegram_id(bot.db, 6, "en")
    assert lead_actor is not None
    for key in (f"team:{ids['Bogor']}", "all", "role:volunteer"):
        with pytest.raises(NotAllowed):
            await broadcasts.choose_audience(bot.db, lead_actor, b.id, key)
    preview = await lead.press(choices.message, "Team Jaksel", expect="edit")
    assert preview.message is not None and "Recipients: 4" in preview.message.text
    await lead.press(preview.message, "✅ Send now", expect="edit")
    await deliver(bot)
    assert [m.text for m in bot.sandbox.world.messages(2)] == ["Tim Jaksel kumpul"]
    assert not bot.sandbox.world.messages(5) and not bot.sandbox.world.messages(4)


async def test_a_long_draft_previews_its_start_as_written(bot: BotHarness) -> None:
    """Over the preview's length the start is shown as plain text: '&' reads '&', once
    escaped, never '&amp;'; and /broadcasts' excerpt reads the same."""
    await _people(bot)
    text = "Rapat RT 05 & RW 03 " + "bawa air minum " * 220
    await _compose(bot, 1, text)
    preview = await bot.admin.press(button="Everyone", expect="edit")
    assert preview.message is not None
    assert "Rapat RT 05 & RW 03 bawa air" in preview.message.text
    assert "&amp;" not in preview.message.text
    await bot.admin.press(button="✅ Send now", expect="edit")
    await deliver(bot)
    listing = await bot.admin.send_and_wait("/broadcasts")
    assert "Rapat RT 05 & RW 03" in listing.text and "&amp;" not in listing.text
