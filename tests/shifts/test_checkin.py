"""Shift check-in on real databases (SQLite and PostgreSQL): the self check-in window, the
lead's list and its team scope, the no-show sweep, and the hours and reliability they feed."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import Conflict, NotAllowed, NotFound
from bot.features import outbox_renderers
from bot.services.people.members import Actor
from bot.services.people.reliability import reliability_of
from bot.services.progress import goals, summary
from bot.services.shifts import checkin as shift_checkin
from bot.services.shifts import claims as shift_claims
from bot.services.shifts import plan as shifts
from bot.services.shifts import sweeps as shift_sweeps
from bot.services.shifts.checkin import Outcome
from bot.views import progress as progress_views
from bot.views.i18n import I18n
from bot.views.render import Reader
from bot.views.shift_buttons import CheckInSelf
from models import OutboxMessage, Role, ShiftSignup
from tests.conftest import T0
from tests.shifts.factories import make_people, make_shift, make_team, settings

SETTINGS = settings()
START = T0 + timedelta(days=2)  # make_shift's default start
END = START + timedelta(hours=3)


def reader(now: datetime) -> Reader:
    return Reader(I18n("en"), "en", "Asia/Jakarta", "IDR", now)


async def signup_of(db: async_sessionmaker[AsyncSession], who: Actor, shift_id: int) -> int:
    result = await shift_claims.claim_shift(db, who, shift_id, SETTINGS, now=T0)
    assert result.signup_id is not None
    return result.signup_id


async def signup_row(db: async_sessionmaker[AsyncSession], signup_id: int) -> ShiftSignup:
    async with db() as session:
        row = await session.get(ShiftSignup, signup_id)
        assert row is not None
        return row


async def test_self_check_in_window_sweep_hours_and_reliability(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    team = await make_team(sessionmaker)
    (coord,) = await make_people(sessionmaker, 1, team_id=None, role=Role.COORDINATOR, first_id=1)
    ani, budi = await make_people(sessionmaker, 2, team_id=team)
    shift_id = await make_shift(sessionmaker, coord, now=T0, team_id=team)
    ani_signup = await signup_of(sessionmaker, ani, shift_id)
    budi_signup = await signup_of(sessionmaker, budi, shift_id)

    early = await shift_checkin.check_in_self(
        sessionmaker, ani, ani_signup, now=START - timedelta(hours=1, minutes=1)
    )
    assert early.outcome == Outcome.TOO_EARLY and early.opens_at == START - timedelta(hours=1)
    assert (await signup_row(sessionmaker, ani_signup)).checked_in_at is None
    with pytest.raises(NotFound) as forged:  # Budi pressing Ani's button (forged data)
        await shift_checkin.check_in_self(sessionmaker, budi, ani_signup, now=START)
    assert forged.value.key == "error.stale_button"
    with pytest.raises(NotFound):
        await shift_checkin.check_in_self(sessionmaker, ani, 999_999, now=START)

    opened = START - timedelta(hours=1)
    done = await shift_checkin.check_in_self(sessionmaker, ani, ani_signup, now=opened)
    assert done.outcome == Outcome.CHECKED_IN and done.title == "Door-knocking Tebet"
    again = await shift_checkin.check_in_self(sessionmaker, ani, ani_signup, now=START)
    assert again.outcome == Outcome.ALREADY
    row = await signup_row(sessionmaker, ani_signup)
    assert row.checked_in_at == opened and row.checked_in_by_id == ani.person_id
    late = await shift_checkin.check_in_self(
        sessionmaker, budi, budi_signup, now=END + timedelta(minutes=1)
    )
    assert late.outcome == Outcome.TOO_LATE
    assert (await signup_row(sessionmaker, budi_signup)).checked_in_at is None

    # No-shows: not within the grace, then once, through the shifts sweep.
    assert await shift_checkin.mark_no_shows(sessionmaker, now=END + timedelta(minutes=30)) == 0
    report = await shift_sweeps.sweep(sessionmaker, SETTINGS, now=END + timedelta(hours=1))
    assert report.no_shows == 1
    assert await shift_checkin.mark_no_shows(sessionmaker, now=END + timedelta(hours=2)) == 0
    assert (await signup_row(sessionmaker, budi_signup)).no_show
    assert not (await signup_row(sessionmaker, ani_signup)).no_show

    after = END + timedelta(hours=2)
    async with sessionmaker() as session:
        rel = await reliability_of(session, [ani.person_id, budi.person_id])
        ani_record = await summary.person_record(session, ani.person_id, after)
        budi_record = await summary.person_record(session, budi.person_id, after)
        hours = await goals.metric_value(session, "hours", None, after)
        shifts_done = await goals.metric_value(session, "shifts", None, after)
        during = await goals.metric_value(session, "hours", None, START + timedelta(hours=1))
        budi_me = await progress_views.me_section(session, budi, reader(after), after)
    assert (rel[ani.person_id].attended, rel[ani.person_id].no_shows) == (1, 0)
    assert (rel[budi.person_id].attended, rel[budi.person_id].no_shows) == (0, 1)
    assert ani_record.shifts_done == 1 and ani_record.hours == pytest.approx(3.0)
    assert budi_record.shifts_done == 0 and budi_record.hours == 0
    assert hours == pytest.approx(3.0) and shifts_done == 1  # Budi's signup is not counted
    assert during == 0  # a shift still running has given no hours yet
    assert budi_me == [
        "🤝 Reliability: 0% (came to 0 of 1 shift or event; no-shows: 1)"
    ]


async def test_lead_list_toggles_within_team_scope(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    team = await make_team(sessionmaker)
    other = await make_team(sessionmaker, "Bekasi")
    (coord,) = await make_people(sessionmaker, 1, team_id=None, role=Role.COORDINATOR, first_id=1)
    (lead,) = await make_people(sessionmaker, 1, team_id=team, role=Role.LEAD, lead=True,
                                first_id=10)
    (stranger,) = await make_people(sessionmaker, 1, team_id=other, role=Role.LEAD, lead=True,
                                    first_id=20)
    ani, budi = await make_people(sessionmaker, 2, team_id=team)
    shift_id = await make_shift(sessionmaker, coord, now=T0, team_id=team)
    ani_signup = await signup_of(sessionmaker, ani, shift_id)
    budi_signup = await signup_of(sessionmaker, budi, shift_id)

    for outsider in (stranger, ani):
        with pytest.raises(NotAllowed):
            await shift_checkin.shift_roster(sessionmaker, outsider, shift_id)
        with pytest.raises(NotAllowed):
            await shift_checkin.set_checked_in(sessionmaker, outsider, budi_signup, True,
                                               now=START)
    assert (await signup_row(sessionmaker, budi_signup)).checked_in_at is None

    early = await shift_checkin.set_checked_in(sessionmaker, lead, budi_signup, True, now=T0)
    assert early.outcome == Outcome.TOO_EARLY
    assert await shift_checkin.shifts_to_check_in(sessionmaker, lead, now=T0) == []

    assert [s.id for s in await shift_checkin.shifts_to_check_in(
        sessionmaker, lead, now=START)] == [shift_id]
    assert await shift_checkin.shifts_to_check_in(sessionmaker, stranger, now=START) == []
    ticked = await shift_checkin.set_checked_in(sessionmaker, lead, budi_signup, True, now=START)
    assert ticked.outcome == Outcome.CHECKED_IN and ticked.person_name == budi.display_name
    twice = await shift_checkin.set_checked_in(sessionmaker, lead, budi_signup, True, now=START)
    assert twice.outcome == Outcome.ALREADY  # a double tap does not flip it back
    row = await signup_row(sessionmaker, budi_signup)
    assert row.checked_in_at == START and row.checked_in_by_id == lead.person_id
    roster = await shift_checkin.shift_roster(sessionmaker, lead, shift_id)
    assert roster.total == 2 and roster.here == 1
    undone = await shift_checkin.set_checked_in(sessionmaker, lead, budi_signup, False, now=START)
    assert undone.outcome == Outcome.UNDONE
    assert (await signup_row(sessionmaker, budi_signup)).checked_in_at is None

    # After the sweep, the lead's correction is the truth either way.
    assert await shift_checkin.mark_no_shows(sessionmaker, now=END + timedelta(hours=1)) == 2
    fixed = END + timedelta(hours=3)
    await shift_checkin.set_checked_in(sessionmaker, lead, ani_signup, True, now=fixed)
    row = await signup_row(sessionmaker, ani_signup)
    assert row.checked_in_at == fixed and not row.no_show
    await shift_checkin.set_checked_in(sessionmaker, lead, ani_signup, False, now=fixed)
    assert (await signup_row(sessionmaker, ani_signup)).no_show
    closed = await shift_checkin.set_checked_in(
        sessionmaker, lead, ani_signup, True, now=END + timedelta(hours=25)
    )
    assert closed.outcome == Outcome.TOO_LATE

    # A campaign-wide shift belongs to the coordinators, not to a team's lead.
    open_id = await make_shift(sessionmaker, coord, now=T0, team_id=None, title="Rally",
                               start_in=timedelta(days=4))
    with pytest.raises(NotAllowed):
        await shift_checkin.shift_roster(sessionmaker, lead, open_id)
    assert (await shift_checkin.shift_roster(sessionmaker, coord, open_id)).total == 0
    await shifts.cancel_shift(sessionmaker, coord, open_id, now=T0)
    with pytest.raises(Conflict):
        await shift_checkin.shift_roster(sessionmaker, coord, open_id)


async def test_last_reminder_carries_the_check_in_button(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    team = await make_team(sessionmaker)
    (coord,) = await make_people(sessionmaker, 1, team_id=None, role=Role.COORDINATOR, first_id=1)
    (ani,) = await make_people(sessionmaker, 1, team_id=team)
    shift_id = await make_shift(sessionmaker, coord, now=T0, team_id=team)
    signup_id = await signup_of(sessionmaker, ani, shift_id)
    async with sessionmaker() as session:
        rows = {
            int(r.params["hours"]): r
            for r in await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "shift.reminder")
            )
        }
        render = outbox_renderers()["shift.reminder"]
        day_before = await render(session, rows[24], None, reader(START - timedelta(hours=24)))
        last = await render(session, rows[2], None, reader(START - timedelta(hours=2)))
    assert day_before is not None and last is not None
    here = CheckInSelf(signup_id).pack()
    assert not any(b.data == here for row in day_before.keyboard for b in row)
    assert last.keyboard[0][0].data == here
    assert last.keyboard[0][0].text == "✅ I'm here"
