"""Repeating a shift: a week of shifts in a few taps, idempotent, within the actor's powers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FrozenClock
from bot.errors import InvalidInput, NotAllowed
from bot.services.shifts.repeat import repeat_shift
from bot.views.i18n import I18n
from bot.views.render import to_plain
from models import Role, Shift, Team
from tests.conftest import T0
from tests.shifts.factories import make_people, make_shift, make_team
from tests.support.harness import start_harness


async def starts(db: async_sessionmaker[AsyncSession]) -> list[timedelta]:
    async with db() as session:
        return [s - T0 for s in await session.scalars(select(Shift.starts_at).order_by(Shift.id))]


async def test_repeat_is_idempotent_and_skips_the_past(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    team = await make_team(sessionmaker)
    [coord] = await make_people(sessionmaker, 1, team_id=None, role=Role.COORDINATOR)
    shift_id = await make_shift(
        sessionmaker, coord, now=T0, team_id=team, start_in=timedelta(hours=2)
    )
    week = await repeat_shift(sessionmaker, coord, shift_id, "w", now=T0)
    assert len(week.created) == 6 and week.skipped == 0
    again = await repeat_shift(sessionmaker, coord, shift_id, "d", now=T0)
    assert again.created == () and again.skipped == 1
    weekly = await repeat_shift(sessionmaker, coord, shift_id, "k", now=T0)
    assert len(weekly.created) == 3
    offsets = await starts(sessionmaker)
    assert offsets == [timedelta(hours=2)] + [timedelta(days=d, hours=2) for d in range(1, 7)] + [
        timedelta(weeks=w, hours=2) for w in range(1, 4)
    ]
    # Days later the source has started: it is not repeated (the planner's rule too).
    with pytest.raises(InvalidInput) as late:
        await repeat_shift(sessionmaker, coord, shift_id, "d", now=T0 + timedelta(days=3))
    assert late.value.key == "series.past"
    with pytest.raises(InvalidInput):
        await repeat_shift(sessionmaker, coord, shift_id, "zz", now=T0)


async def test_a_lead_repeats_only_their_own_teams_shifts(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    own, other = await make_team(sessionmaker, "Own"), await make_team(sessionmaker, "Other")
    [coord] = await make_people(sessionmaker, 1, team_id=None, role=Role.COORDINATOR)
    [lead] = await make_people(
        sessionmaker, 1, team_id=own, role=Role.LEAD, lead=True, first_id=2000
    )
    foreign = await make_shift(sessionmaker, coord, now=T0, team_id=other)
    with pytest.raises(NotAllowed):
        await repeat_shift(sessionmaker, lead, foreign, "d", now=T0)
    assert len(await starts(sessionmaker)) == 1


async def test_coordinator_creates_a_week_of_shifts_in_three_taps(tmp_path: Path) -> None:
    async with start_harness(
        f"sqlite+aiosqlite:///{tmp_path / 'repeat.sqlite3'}", clock=FrozenClock(T0)
    ) as bot:
        async with bot.db.begin() as session:
            session.add(Team(name="Jaksel", name_key="jaksel"))
        admin = bot.admin
        created = await admin.send_and_wait(
            "/newshift Jaksel | Posko pagi | besok 08:00 | 3j | 5 | Pasar Tebet"
        )
        # The button says what it does: the six days after the shift's, whatever the weekday.
        assert "Each of the next 6 days" in " ".join(created.button_texts)
        week = await admin.press(created, 1, expect="message")
        assert week.message is not None and "6 copies of Posko pagi" in week.message.text
        twice = await admin.press(created, 1, expect="message")
        assert twice.message is not None and "Nothing new" in twice.message.text
        volunteer = bot.user(2, "Ani", "en")
        await volunteer.send_and_wait("/start")
        assert "Ani" in (await admin.send_and_wait("/team add Jaksel 2")).text
        listing = await volunteer.send_and_wait("/shifts")
        assert listing.text.count("Posko pagi") == 5  # first page of 7 shifts


def test_the_repeat_buttons_say_what_they_do_in_both_languages() -> None:
    """'Every day this week' made six copies whatever the weekday: the label says so now."""
    i18n = I18n()
    assert to_plain(i18n.t("en", "shift_repeat.btn_daily_week")) == "📅 Each of the next 6 days"
    assert to_plain(i18n.t("id", "shift_repeat.btn_daily_week")) == "📅 Tiap hari, 6 hari ke depan"
    assert "minggu ini" not in i18n.t("id", "shift_repeat.btn_daily_week")
