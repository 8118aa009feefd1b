"""The staffing autopilot's service on SQLite and PostgreSQL: who is invited, in waves,
who never is, and what is withdrawn."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.kinds import AUTOPILOT_INVITE, AUTOPILOT_REPORT, autopilot_cause
from bot.services.people.members import TeamRef
from bot.services.reach import autopilot
from bot.services.shifts.claims import claim_shift
from bot.services.shifts.plan import cancel_shift
from models import (
    AutopilotAsk,
    AutopilotTeam,
    EventRsvp,
    OutboxMessage,
    OutboxStatus,
    Person,
    PersonSkill,
    RsvpStatus,
    Shift,
    ShiftSignup,
    ShiftStatus,
    Skill,
)
from tests.conftest import T0
from tests.reach.factories import add_member, make_coordinator, make_teams
from tests.shifts.factories import settings

SETTINGS = settings(autopilot_wave_factor=2, autopilot_wave_minutes=60,
                    autopilot_hours_before=48, autopilot_weekly_hours_limit=10)


async def _shift(db: async_sessionmaker[AsyncSession], team_id: int | None, *, start_in: float,
                 hours: float = 3, capacity: int = 2, skill_id: int | None = None,
                 title: str = "Door-knocking") -> int:
    async with db.begin() as session:
        shift = Shift(title=title, team_id=team_id, place="Tebet",
                      starts_at=T0 + timedelta(hours=start_in),
                      ends_at=T0 + timedelta(hours=start_in + hours), capacity=capacity, taken=0,
                      skill_id=skill_id, notes="", status=ShiftStatus.OPEN)
        session.add(shift)
        await session.flush()
        return shift.id


async def _judged(db: async_sessionmaker[AsyncSession], person_id: int, came: int,
                  missed: int) -> None:
    """Past shift signups: `came` checked in, `missed` no-shows."""
    async with db.begin() as session:
        for i in range(came + missed):
            start = T0 - timedelta(days=20 + i)
            shift = Shift(title="past", team_id=None, place="", starts_at=start,
                          ends_at=start + timedelta(hours=1), capacity=5,
                          taken=1, notes="", status=ShiftStatus.OPEN)
            session.add(shift)
            await session.flush()
            session.add(ShiftSignup(shift_id=shift.id, person_id=person_id,
                                    checked_in_at=shift.starts_at if i < came else None,
                                    no_show=i >= came))


async def _invited(db: async_sessionmaker[AsyncSession], shift_id: int) -> list[int]:
    async with db() as session:
        return list(await session.scalars(
            select(OutboxMessage.person_id).where(
                OutboxMessage.kind == AUTOPILOT_INVITE.name,
                OutboxMessage.cause == autopilot_cause(shift_id))
            .order_by(OutboxMessage.person_id)))


async def test_waves_invite_the_best_fitting_never_twice_then_close(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    db = sessionmaker
    teams = await make_teams(db)
    jaksel = teams["Jaksel"]
    await make_coordinator(db)
    lead = await add_member(db, 10, "Lead", jaksel, lead=True)
    people = {n: await add_member(db, 100 + n, f"V{n}", jaksel) for n in range(8)}
    other_team = await add_member(db, 200, "Jaktim person", teams["Jaktim"])
    # Reliability: V3 always came, V5 mostly, V1 never; the rest are not judged yet (0.5).
    await _judged(db, people[3], 4, 0)
    await _judged(db, people[5], 3, 1)
    await _judged(db, people[1], 0, 3)
    # V0 is busy on an overlapping shift; V2 would go over the weekly hours (10 h).
    busy = await _shift(db, jaksel, start_in=25, hours=2, capacity=1, title="Other")
    long = await _shift(db, None, start_in=30, hours=8, capacity=5, title="Long")
    async with db.begin() as session:
        session.add(ShiftSignup(shift_id=busy, person_id=people[0]))
        session.add(ShiftSignup(shift_id=long, person_id=people[2]))
        await session.execute(update(Shift).where(Shift.id == busy).values(taken=1))  # full
        session.add(AutopilotTeam(team_id=jaksel, enabled=True, changed_at=T0))
    shift = await _shift(db, jaksel, start_in=24, capacity=2)
    outside = await _shift(db, jaksel, start_in=72, capacity=2, title="Too far ahead")
    jaktim_shift = await _shift(db, teams["Jaktim"], start_in=24, capacity=2, title="Off team")

    first = await autopilot.sweep(db, SETTINGS, now=T0)
    # 2 free places x factor 2 = 4 people: V3 (1.0), V5 (0.75), then unjudged by id: V4, V6.
    assert await _invited(db, shift) == sorted([people[3], people[5], people[4], people[6]])
    assert await _invited(db, outside) == [] and await _invited(db, jaktim_shift) == []
    assert first.asked == 4 and first.reports == 1
    async with db() as session:
        report = await session.scalar(select(OutboxMessage).where(
            OutboxMessage.kind == AUTOPILOT_REPORT.name))
        assert report is not None and report.person_id == lead
        assert report.params["shifts"][0][:3] == [shift, 4, 1]
        invite = await session.scalar(select(OutboxMessage).where(
            OutboxMessage.kind == AUTOPILOT_INVITE.name))
        assert invite is not None and not invite.urgent  # quiet hours hold it

    again = await autopilot.sweep(db, SETTINGS, now=T0 + timedelta(minutes=10))
    assert again.asked == 0  # the next wave is not due yet

    second = await autopilot.sweep(db, SETTINGS, now=T0 + timedelta(minutes=61))
    # Left: V7 (unjudged) then V1 (0.0); V0 busy, V2 over hours, the Jaktim member never.
    assert second.asked == 2 and second.closed == 1
    assert await _invited(db, shift) == sorted(
        [people[n] for n in (3, 5, 4, 6, 7, 1)])
    async with db() as session:
        asked = set(await session.scalars(select(AutopilotAsk.person_id).where(
            AutopilotAsk.shift_id == shift)))
    assert people[0] not in asked and people[2] not in asked and other_team not in asked

    third = await autopilot.sweep(db, SETTINGS, now=T0 + timedelta(minutes=200))
    assert third.asked == 0  # closed: nobody left


async def test_a_filled_or_cancelled_shift_withdraws_its_invitations(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    db = sessionmaker
    teams = await make_teams(db)
    jaksel = teams["Jaksel"]
    admin = await make_coordinator(db)
    await add_member(db, 10, "Lead", jaksel, lead=True)
    people = [await add_member(db, 100 + n, f"V{n}", jaksel) for n in range(6)]
    async with db.begin() as session:
        session.add(AutopilotTeam(team_id=jaksel, enabled=True, changed_at=T0))
    filled = await _shift(db, jaksel, start_in=24, capacity=1)
    cancelled = await _shift(db, jaksel, start_in=30, capacity=1, title="Later")
    await autopilot.sweep(db, SETTINGS, now=T0)
    assert len(await _invited(db, filled)) == 2 and len(await _invited(db, cancelled)) == 2

    from bot.services.people.members import Actor
    from models import Role

    volunteer = Actor(people[5], 105, "V5", None, Role.VOLUNTEER, "en", True, None, True,
                      (TeamRef(jaksel, "Jaksel", False),))
    claimed = await claim_shift(db, volunteer, filled, SETTINGS, now=T0)
    assert claimed.signup_id is not None
    await cancel_shift(db, admin, cancelled, now=T0)
    report = await autopilot.sweep(db, SETTINGS, now=T0 + timedelta(minutes=5))
    assert report.withdrawn == 4
    async with db() as session:
        statuses = set(await session.scalars(select(OutboxMessage.status).where(
            OutboxMessage.kind == AUTOPILOT_INVITE.name)))
    assert statuses == {OutboxStatus.CANCELLED}


async def test_skill_needed_and_switching_off(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    db = sessionmaker
    teams = await make_teams(db)
    jaksel = teams["Jaksel"]
    admin = await make_coordinator(db)
    people = [await add_member(db, 100 + n, f"V{n}", jaksel) for n in range(4)]
    async with db.begin() as session:
        skill = Skill(name="driver", name_key="driver")
        session.add(skill)
        await session.flush()
        skill_id = skill.id
        session.add(PersonSkill(person_id=people[2], skill_id=skill_id))
        # An event no-show counts against reliability like a shift no-show does.
        await session.execute(update(Person).where(Person.id == people[3]).values(role="partner"))
    await autopilot.set_enabled(db, admin, "jaksel", True, now=T0)
    shift = await _shift(db, jaksel, start_in=24, capacity=3, skill_id=skill_id)
    await autopilot.sweep(db, SETTINGS, now=T0)
    assert await _invited(db, shift) == [people[2]]  # the only driver; partners never

    other = await _shift(db, jaksel, start_in=26, capacity=1, title="No skill")
    setting = await autopilot.set_enabled(db, admin, "Jaksel", False, now=T0)
    assert not setting.enabled
    report = await autopilot.sweep(db, SETTINGS, now=T0 + timedelta(hours=2))
    assert report.asked == 0 and await _invited(db, other) == []
    states = {t.name: t.enabled for t in await autopilot.team_settings(db, admin)}
    assert states == {"Jaksel": False, "Jaktim": False, "Depok": False}


async def test_event_no_shows_lower_the_rank(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    from models import Event, EventStatus

    db = sessionmaker
    teams = await make_teams(db)
    jaksel = teams["Jaksel"]
    people = [await add_member(db, 100 + n, f"V{n}", jaksel) for n in range(3)]
    async with db.begin() as session:
        event = Event(title="Rally", starts_at=T0 - timedelta(days=3),
                      ends_at=T0 - timedelta(days=3, hours=-2), status=EventStatus.SCHEDULED,
                      checkin_token="tok", going_count=0)
        session.add(event)
        await session.flush()
        session.add(EventRsvp(event_id=event.id, person_id=people[0], status=RsvpStatus.GOING,
                              no_show=True))
        session.add(AutopilotTeam(team_id=jaksel, enabled=True, changed_at=T0))
    shift = await _shift(db, jaksel, start_in=24, capacity=1)
    await autopilot.sweep(db, settings(autopilot_wave_factor=2), now=T0)
    assert await _invited(db, shift) == [people[1], people[2]]
