"""Moving a shift plans its reminders anew (issue #12, item 3): the real bot on the sandbox,
a coordinator's /editshift, the outbox rows it leaves and what the volunteer receives.

Moved earlier: a shift 30 h away moved to 3 h away must not send "starts in 24 h" at once;
its 2 h reminder comes at the new time.  Moved after its 2 h reminder went out: a new
2 h reminder for the new time (the old key, sent, must not block it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.clock import FrozenClock
from models import OutboxMessage, OutboxStatus, Person, Role, ShiftSignup
from sandbox import SandboxMessage, UserSpec
from tests.conftest import T0
from tests.support.harness import BotHarness, deliver, start_harness

TWO_H = "your shift starts in 2 h"
DAY = "your shift starts in 24 h"


async def _volunteer(bot: BotHarness) -> None:
    async with bot.db.begin() as session:
        session.add(Person(telegram_id=2, first_name="Ani", role=Role.VOLUNTEER, language="en"))
    bot.sandbox.world.private_chat(UserSpec(2, "Ani"))


async def _claim(bot: BotHarness, line: str) -> int:
    """The coordinator creates the shift, Ani claims it from /shifts; its signup id."""
    created = await bot.admin.send_and_wait(f"/newshift {line}")
    assert "Shift #1 created" in created.text
    ani = bot.user(2, "Ani")
    listing = await ani.send_and_wait("/shifts")
    claimed = await ani.press(listing, 0, expect="edit")
    assert claimed.answer.text == "✅ It's yours!"
    async with bot.db() as session:
        signup = await session.scalar(select(ShiftSignup.id))
    assert signup is not None
    return int(signup)


async def _reminders(bot: BotHarness, signup: int) -> list[tuple[int, OutboxStatus, datetime]]:
    async with bot.db() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "shift.reminder",
                   OutboxMessage.cause == f"signup:{signup}")
            .order_by(OutboxMessage.id)
        )
        return [(int(r.params["hours"]), r.status, r.due_at.replace(tzinfo=None)) for r in rows]


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


def _received(bot: BotHarness, before: int) -> list[SandboxMessage]:
    return bot.user(2).bot_messages()[before:]


async def test_moved_earlier(tmp_path: Path) -> None:
    clock = FrozenClock(T0)  # Thursday 10:00 in Jakarta
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}", clock=clock) as bot:
        await _volunteer(bot)
        signup = await _claim(bot, "- | Door-knocking | besok 16:00 | 3j | 1 | Pasar Tebet")
        start = T0 + timedelta(hours=30)
        assert [(h, s) for h, s, _ in await _reminders(bot, signup)] == [
            (24, OutboxStatus.PENDING), (2, OutboxStatus.PENDING)]

        edited = await bot.admin.send_and_wait("/editshift 1 time today 13:00")
        assert "Shift updated" in edited.text
        new_start = T0 + timedelta(hours=3)
        assert await _reminders(bot, signup) == [
            (24, OutboxStatus.CANCELLED, _naive(start - timedelta(hours=24))),
            (2, OutboxStatus.CANCELLED, _naive(start - timedelta(hours=2))),
            (2, OutboxStatus.PENDING, _naive(new_start - timedelta(hours=2))),
        ]

        seen = len(bot.user(2).bot_messages())
        await deliver(bot)  # now: only the notice that the shift changed
        told = await bot.user(2).next_message()
        assert "Your shift changed" in told.text
        assert not any(DAY in m.text or TWO_H in m.text for m in _received(bot, seen))

        clock.advance(hours=1)  # 11:00: 2 h before the new start
        await deliver(bot)
        reminded = await bot.user(2).next_message()
        assert TWO_H in reminded.text
        assert not any(DAY in m.text for m in _received(bot, seen))


async def test_moved_after_a_reminder_went_out(tmp_path: Path) -> None:
    clock = FrozenClock(T0)
    async with start_harness(f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}", clock=clock) as bot:
        await _volunteer(bot)
        signup = await _claim(bot, "- | Door-knocking | today 13:00 | 3j | 1 | Pasar Tebet")
        assert [h for h, _, _ in await _reminders(bot, signup)] == [2]  # 24 h is already past

        clock.advance(hours=1)  # 11:00: the 2 h reminder goes out
        await deliver(bot)
        first = await bot.user(2).next_message()
        assert TWO_H in first.text

        edited = await bot.admin.send_and_wait("/editshift 1 time today 14:00")
        assert "Shift updated" in edited.text
        new_start = T0 + timedelta(hours=4)
        assert await _reminders(bot, signup) == [
            (2, OutboxStatus.SENT, _naive(T0 + timedelta(hours=1))),
            (2, OutboxStatus.PENDING, _naive(new_start - timedelta(hours=2))),
        ]
        await deliver(bot)
        assert "Your shift changed" in (await bot.user(2).next_message()).text

        seen = len(bot.user(2).bot_messages())
        clock.advance(hours=1)  # 12:00: 2 h before the new start, a new reminder
        await deliver(bot)
        again = await bot.user(2).next_message()
        assert TWO_H in again.text
        assert len([m for m in _received(bot, seen) if TWO_H in m.text]) == 1
