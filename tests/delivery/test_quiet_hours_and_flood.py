"""Quiet hours never hide a coordinator's action, and the bot's own edits respect flood control.

A coordinator broadcasting at 23:00 WIB is told how many recipients are in their quiet
hours and chooses; the progress message and /broadcasts say what is held until when.  With
the sandbox refereeing like Telegram (edits counted), taps right after a reply and a forced
429 on the progress edit end in the right state, with no error reply and no alert.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from handlers.feature import Feature
from models import Broadcast, BroadcastStatus, OutboxMessage, OutboxStatus, Person, Role
from sandbox import UserSpec
from tests.delivery.support import KIND, render_note
from tests.support.harness import BotHarness, deliver, start_harness

# Tuesday 1 Dec 2026, 23:00 in Jakarta (16:00 UTC): inside 21:00-07:00 for WIB and WIT.
NIGHT = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
COORDINATORS_CHAT = -1001


@pytest.fixture
async def night_bot(sqlite_url: str) -> AsyncIterator[BotHarness]:
    clock = FrozenClock(NIGHT)
    notes = Feature("test notes", renderers={KIND: render_note})  # a test outbox kind
    async with start_harness(
        sqlite_url, clock=clock, coordinators_chat_id=COORDINATORS_CHAT, extra_features=[notes]
    ) as harness:
        await harness.client.create_group(COORDINATORS_CHAT, "Coordinators")
        yield harness


async def _people(bot: BotHarness) -> None:
    """The admin and ani in Jakarta, dodi in Jayapura (WIT), emma in London (daytime)."""
    spec = [
        (1, "admin", Role.ADMIN, None),
        (2, "ani", Role.VOLUNTEER, None),
        (3, "dodi", Role.VOLUNTEER, "Asia/Jayapura"),
        (4, "emma", Role.VOLUNTEER, "Europe/London"),
    ]
    async with bot.db.begin() as session:
        for tid, name, role, zone in spec:
            # Seen a day ago: nobody is "using the bot right now" but the coordinator.
            session.add(
                Person(telegram_id=tid, first_name=name, role=role, language="en",
                       timezone=zone, last_seen_at=NIGHT - timedelta(days=1), memberships=[])
            )
            bot.sandbox.world.private_chat(UserSpec(tid, name))


async def _preview(bot: BotHarness, text: str) -> None:
    admin = bot.admin
    await admin.send_and_wait("/broadcast")
    await admin.send_and_wait(text)
    preview = await admin.press(button="Everyone", expect="edit")
    assert preview.message is not None and "Recipients: 4" in preview.message.text


async def test_at_night_the_coordinator_is_told_and_sends_now_anyway(
    night_bot: BotHarness,
) -> None:
    bot = night_bot
    await _people(bot)
    await _preview(bot, "Rapat darurat malam ini")
    notice = await bot.admin.press(button="✅ Send now", expect="edit")
    assert notice.message is not None
    # Jakarta (admin, ani) and Jayapura (dodi) are asleep; London is not.
    assert "3 of the 4 recipients are in their quiet hours now (21:00–07:00" in notice.message.text
    assert notice.message.button_texts[:2] == ["🌙 Send now anyway", "⏰ Theirs at 07:00"]
    async with bot.db() as session:  # nothing is queued before the choice
        assert (await session.scalars(select(OutboxMessage))).all() == []
    started = await bot.admin.press(button="🌙 Send now anyway", expect="edit")
    assert started.message is not None and "sending to 4 people" in started.message.text
    await deliver(bot)
    for tid in (2, 3, 4):
        assert [m.text for m in bot.sandbox.world.messages(tid)] == ["Rapat darurat malam ini"]
    progress = bot.sandbox.world.message(1, started.message.message_id)
    assert "finished: 4 of 4 delivered" in progress.text and not progress.buttons


async def test_held_messages_wait_for_each_morning_and_everyone_can_see_it(
    night_bot: BotHarness,
) -> None:
    bot = night_bot
    await _people(bot)
    await _preview(bot, "Besok kumpul jam 8")
    await bot.admin.press(button="✅ Send now", expect="edit")
    started = await bot.admin.press(button="⏰ Theirs at 07:00", expect="edit")
    assert started.message is not None
    # The first held one goes when dodi's night ends: 07:00 WIT is 05:00 WIB.
    assert "3 in their quiet hours get it from Wed, 2 Dec 2026, 05:00" in started.message.text
    await deliver(bot)
    assert [m.text for m in bot.sandbox.world.messages(4)] == ["Besok kumpul jam 8"]
    assert not bot.sandbox.world.messages(2) and not bot.sandbox.world.messages(3)
    # The next progress tick shows it once the chat's window allows (the "started" edit
    # just used it).
    progress = await bot.client.wait_for_edit(
        1, started.message.message_id, started.message.version,
        predicate=lambda m: "Sent: 1 of 4" in m.text, timeout=15,
    )
    assert "Held until Wed, 2 Dec 2026, 05:00: 3" in progress.text
    assert progress.button_texts == ["⏹ Stop sending"]
    listing = await bot.admin.send_and_wait("/broadcasts")
    assert "held until Wed, 2 Dec 2026, 05:00: 3" in listing.text
    summary = await bot.admin.send_and_wait("/summary")
    assert "held for quiet hours, until Wed, 2 Dec 2026, 05:00: 3" in summary.text

    assert isinstance(bot.clock, FrozenClock)
    bot.clock.set(datetime(2026, 12, 1, 22, 0, tzinfo=UTC))  # 07:00 in Jayapura
    await deliver(bot)
    assert [m.text for m in bot.sandbox.world.messages(3)] == ["Besok kumpul jam 8"]
    assert not bot.sandbox.world.messages(2)
    bot.clock.set(datetime(2026, 12, 2, 0, 0, tzinfo=UTC))  # 07:00 in Jakarta
    await deliver(bot)
    assert [m.text for m in bot.sandbox.world.messages(2)] == ["Besok kumpul jam 8"]
    async with bot.db() as session:
        b = (await session.scalars(select(Broadcast))).one()
        assert b.status == BroadcastStatus.DONE and b.sent_count == 4
    progress = bot.sandbox.world.message(1, started.message.message_id)
    assert "finished: 4 of 4 delivered" in progress.text


async def test_a_notice_to_someone_using_the_bot_is_not_held(night_bot: BotHarness) -> None:
    """An approval the person waits for, at night: they are awake, it goes at once."""
    from bot.delivery.outbox import PRIORITY_INTERACTIVE, NewMessage, enqueue

    bot = night_bot
    await _people(bot)
    async with bot.db.begin() as session:
        people = {p.telegram_id: p for p in (await session.scalars(select(Person))).all()}
        people[2].last_seen_at = NIGHT - timedelta(minutes=2)  # ani is using the bot
        await enqueue(
            session,
            [
                NewMessage(kind=KIND, chat_id=tid, person_id=people[tid].id,
                           dedup_key=f"t:{tid}", due_at=NIGHT, params={"n": tid},
                           priority=PRIORITY_INTERACTIVE)
                for tid in (2, 3)
            ],
        )
    await deliver(bot)
    assert [m.text for m in bot.sandbox.world.messages(2)] == ["note 2"]
    assert not bot.sandbox.world.messages(3)  # dodi is asleep: his waits for 07:00 WIT
    async with bot.db() as session:
        waiting = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)
            )
        ).one()
        assert waiting.chat_id == 3 and waiting.due_at == datetime(2026, 12, 1, 22, 0, tzinfo=UTC)


async def test_a_refused_final_progress_edit_is_retried_and_nobody_is_alarmed(
    night_bot: BotHarness,
) -> None:
    bot = night_bot
    await _people(bot)
    bot.sandbox.set_limits(enabled=True)
    await _preview(bot, "Tes progres")
    await bot.admin.press(button="✅ Send now", expect="edit")
    started = await bot.admin.press(button="🌙 Send now anyway", expect="edit")
    assert started.message is not None
    # Telegram refuses the next progress edit with a long flood wait (another replica used
    # the chat's budget, say): the final state must still appear.
    bot.sandbox.set_limits(
        forced_429s=1, forced_retry_after=1, forced_methods=["editmessagetext"]
    )
    await deliver(bot)
    dispatcher = bot.app.bot_data.dispatcher
    assert dispatcher is not None
    for _ in range(3):  # a few ticks; the pacer waits out the retry_after itself
        progress = bot.sandbox.world.message(1, started.message.message_id)
        if "finished" in progress.text:
            break
        await dispatcher.update_broadcasts(bot.clock.now())
    progress = bot.sandbox.world.message(1, started.message.message_id)
    assert "finished: 4 of 4 delivered" in progress.text and not progress.buttons
    assert bot.sandbox.stats.edits_429 >= 1
    assert not bot.sandbox.world.messages(COORDINATORS_CHAT)  # no "Galat Gotong" alarm
    texts = [m.text for m in bot.sandbox.world.messages(1)]
    assert not any("went wrong" in t or "ada masalah" in t for t in texts)


async def test_taps_right_after_a_reply_are_all_answered_without_a_429(
    night_bot: BotHarness,
) -> None:
    """Five taps in two seconds on a message the bot just sent, limits on: every tap is
    answered, the edits wait their turn, nothing says 'something went wrong'."""
    bot = night_bot
    bot.sandbox.set_limits(enabled=True)
    admin = bot.admin
    menu = await admin.send_and_wait("/lang")
    labels = menu.button_texts
    assert len(labels) >= 2
    presses = [
        asyncio.create_task(admin.press(menu, labels[i % 2], expect="answer", timeout=20))
        for i in range(5)
    ]
    answers = await asyncio.gather(*presses)
    assert len(answers) == 5
    assert bot.sandbox.stats.answered_429 == 0
    texts = [m.text for m in bot.sandbox.world.messages(1) if m.from_bot]
    assert not any("went wrong" in t or "ada masalah" in t for t in texts)


async def test_a_502_on_a_reply_is_retried_and_nobody_is_alarmed(night_bot: BotHarness) -> None:
    """Telegram (or its proxy) answers 502 to the reply once: the person still gets it."""
    bot = night_bot
    admin = bot.admin
    await admin.send_and_wait("/start")
    # Seed 1 with a 50 % rate: the first faulty call fails, the next ones succeed.
    bot.sandbox.set_faults(error_5xx_rate=0.5, seed=1, methods=["sendmessage"])
    reply = await admin.send_and_wait("/help")
    assert "/broadcast" in reply.text
    assert bot.sandbox.stats.answered_5xx == 1
    assert not bot.sandbox.world.messages(COORDINATORS_CHAT)


async def test_a_button_on_a_message_that_is_gone_gets_a_fresh_answer(
    night_bot: BotHarness,
) -> None:
    """The pressed message was deleted before the bot could edit it: the answer comes as a
    new message instead of 'message to edit not found' reaching the error handler."""
    bot = night_bot
    admin = bot.admin
    menu = await admin.send_and_wait("/lang")
    data = menu.buttons[0][0]["callback_data"]
    world = bot.sandbox.world
    world.press(world.users[admin.user_id], admin.chat_id, menu.message_id, data=data)
    stored = world.find_message(admin.chat_id, menu.message_id)
    assert stored is not None
    world.delete_message(stored)  # in the same step: before the bot can poll the press
    fresh = await admin.next_message()
    assert fresh.message_id > menu.message_id and "went wrong" not in fresh.text
    assert not bot.sandbox.world.messages(COORDINATORS_CHAT)
