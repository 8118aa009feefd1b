"""/summary's counts per scope on SQLite and PostgreSQL, where the statements split or
combine conditions: "active" as seen lately OR checked in lately (never counted twice),
other roles left out of the totals, cancelled tasks' claims and cancelled shifts' hours
left out, each goal counted in its own scope (the dashboard counts goals side by side).

The base campaign is `tests.progress.factories.build_campaign`; the rows added here are
spelled out beside the numbers they change.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.people.members import TeamRef
from bot.services.progress import goals, summary
from models import (
    Event,
    EventRsvp,
    Goal,
    Membership,
    Person,
    Role,
    RsvpStatus,
    Shift,
    ShiftSignup,
    ShiftStatus,
    Task,
    TaskClaim,
)
from tests.conftest import T0
from tests.progress.factories import Campaign, actor, build_campaign


@pytest.fixture
async def campaign(sessionmaker: async_sessionmaker[AsyncSession]) -> Campaign:
    c = await build_campaign(sessionmaker, T0)
    vol0, vol2, vol6 = c.people[0], c.people[2], c.people[6]
    async with sessionmaker.begin() as session:
        # A media person in Jaksel: not a volunteer, in no count.
        media = Person(telegram_id=900, first_name="Pers", role=Role.MEDIA,
                       joined_at=T0 - timedelta(days=1), last_seen_at=T0, reachable=False)
        session.add(media)
        await session.flush()
        session.add(Membership(person_id=media.id, team_id=c.jaksel.id))
        # A campaign-wide event two days ago: Vol0 (seen lately anyway) and Vol6 (Bekasi,
        # last seen 30 days ago) checked in: Vol6 becomes active, Vol0 is not counted twice.
        rally = Event(title="Aksi", starts_at=T0 - timedelta(days=2),
                      ends_at=T0 - timedelta(days=2) + timedelta(hours=2), team_id=None,
                      checkin_token="tok-aksi", going_count=2)
        session.add(rally)
        await session.flush()
        for person in (vol0, vol6):
            session.add(EventRsvp(event_id=rally.id, person_id=person.id,
                                  status=RsvpStatus.GOING,
                                  checked_in_at=rally.starts_at + timedelta(minutes=1)))
        # A cancelled Jaksel task with a claim: not among the claimed.
        dropped = Task(title="Batal", team_id=c.jaksel.id, deadline=T0 - timedelta(days=1),
                       capacity=1, taken=1, status=ShiftStatus.CANCELLED)
        session.add(dropped)
        await session.flush()
        session.add(TaskClaim(task_id=dropped.id, person_id=vol2.id,
                              claimed_at=T0 - timedelta(days=3)))
        # Bekasi: an ended 2 h shift with 3 signups, 2 checked in (4 hours); Jaksel: an
        # ended but cancelled 5 h shift with a check-in (no hours).
        start = T0 - timedelta(days=1)
        bekasi_past = Shift(title="Bekasi kemarin", team_id=c.bekasi.id, starts_at=start,
                            ends_at=start + timedelta(hours=2), capacity=3, taken=3)
        cancelled = Shift(title="Batal", team_id=c.jaksel.id, starts_at=start,
                          ends_at=start + timedelta(hours=5), capacity=3, taken=1,
                          status=ShiftStatus.CANCELLED)
        session.add_all([bekasi_past, cancelled])
        await session.flush()
        for i, person in enumerate(c.people[5:8]):
            session.add(ShiftSignup(shift_id=bekasi_past.id, person_id=person.id,
                                    checked_in_at=start if i else None))
        session.add(ShiftSignup(shift_id=cancelled.id, person_id=vol0.id, checked_in_at=start))
        session.add_all([
            Goal(metric="hours", target=100, team_id=None, created_at=T0 - timedelta(days=9)),
            Goal(metric="volunteers", target=50, team_id=None, created_at=T0 - timedelta(days=9)),
            Goal(metric="hours", target=20, team_id=c.jaksel.id,
                 created_at=T0 - timedelta(days=9)),
            Goal(metric="hours", target=20, team_id=c.bekasi.id,
                 created_at=T0 - timedelta(days=9)),
        ])
    return c


async def test_campaign_counts_each_volunteer_once(
    sessionmaker: async_sessionmaker[AsyncSession], campaign: Campaign
) -> None:
    s = await summary.campaign_summary(sessionmaker, actor(campaign.admin, Role.ADMIN), now=T0)
    # 8 volunteers and the lead; the media person is no volunteer.  Active: the lead,
    # Vol0-3 (seen 3 days ago), Vol4 (checked in 3 days ago), Vol6 (checked in 2 days ago).
    assert s.volunteers == summary.VolunteerStats(total=9, new=1, active=7, unreachable=1)
    assert s.tasks == summary.TaskStats(open=1, claimed=1, done=1, overdue=1)
    # The campaign's goals first, then the teams' (Jaksel 6 h, Bekasi 4 h, none cancelled).
    current = {(g.metric, g.team_name): g.current for g in s.goals}  # julianday: ~1e-9 off
    assert current == pytest.approx({("hours", None): 10.0, ("volunteers", None): 9.0,
                                     ("hours", "Jaksel"): 6.0, ("hours", "Bekasi"): 4.0})
    async with sessionmaker() as session:  # /goals reads the same values one by one
        listed = await goals.goals_in(session, None, T0)
    assert [(g.id, g.current) for g in listed] == [(g.id, g.current) for g in s.goals]


async def test_team_counts_stay_in_the_team(
    sessionmaker: async_sessionmaker[AsyncSession], campaign: Campaign
) -> None:
    admin = actor(campaign.admin, Role.ADMIN)
    jaksel = await summary.team_summary(sessionmaker, admin, campaign.jaksel.id, now=T0)
    # Vol0-5 and the lead; active: the lead, Vol0-3, Vol4; Vol5 unreachable.
    assert jaksel.volunteers == summary.VolunteerStats(total=7, new=1, active=6, unreachable=1)
    assert jaksel.tasks == summary.TaskStats(open=1, claimed=1, done=1, overdue=1)
    assert (jaksel.events.events, jaksel.events.checked_in, jaksel.events.no_show) == (2, 1, 1)
    bekasi = await summary.team_summary(sessionmaker, admin, campaign.bekasi.id, now=T0)
    assert bekasi.volunteers == summary.VolunteerStats(total=2, new=0, active=1, unreachable=0)
    assert bekasi.tasks == summary.TaskStats(open=0, claimed=0, done=0, overdue=0)
    assert bekasi.events.events == 0
    assert bekasi.shifts == summary.ShiftStats(shifts=1, places=2, filled=2, urgent_shifts=0,
                                               urgent_places=0)
    assert {(g.metric, g.team_name): g.current for g in bekasi.goals} == pytest.approx({
        ("hours", None): 10.0, ("volunteers", None): 9.0, ("hours", "Bekasi"): 4.0})
    lead = actor(campaign.lead, Role.LEAD, (TeamRef(campaign.jaksel.id, "Jaksel", True),))
    own = await summary.campaign_summary(sessionmaker, lead, now=T0)
    assert own.volunteers == jaksel.volunteers and own.tasks == jaksel.tasks
