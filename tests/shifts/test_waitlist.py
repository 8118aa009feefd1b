"""Waitlist offers that expire and move on, cover swaps, and task nudges/escalations,
with a moved clock, asserting outbox rows and the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import Conflict
from bot.services.shifts import claims as shift_claims
from bot.services.shifts import sweeps as shift_sweeps
from bot.services.shifts import tasks
from bot.services.shifts import waitlist as shift_waitlist
from bot.services.shifts.parsing import TaskDraft
from models import OutboxMessage, OutboxStatus, Role, Shift, ShiftSignup, WaitlistEntry
from tests.conftest import T0
from tests.shifts.factories import make_people, make_shift, make_team, settings

SETTINGS = settings()


async def kinds(db: async_sessionmaker[AsyncSession], kind: str) -> list[OutboxMessage]:
    async with db() as session:
        return list((await session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )).all())


async def test_offer_expires_to_the_next_then_the_lead_hears(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    team = await make_team(sessionmaker)
    (lead,) = await make_people(sessionmaker, 1, team_id=team, role=Role.LEAD, first_id=1,
                                lead=True)
    ani, budi, citra = await make_people(sessionmaker, 3, team_id=team)
    shift_id = await make_shift(sessionmaker, lead, now=T0, team_id=team, capacity=1)
    first = await shift_claims.claim_shift(sessionmaker, ani, shift_id, SETTINGS, now=T0)
    assert (await shift_claims.claim_shift(sessionmaker, budi, shift_id, SETTINGS, now=T0)).full
    await shift_waitlist.join_waitlist(sessionmaker, budi, shift_id, now=T0)
    await shift_waitlist.join_waitlist(sessionmaker, citra, shift_id, now=T0 + timedelta(1))
    assert first.signup_id is not None
    await shift_claims.release_signup(sessionmaker, ani, first.signup_id, SETTINGS, now=T0)

    (offer,) = await kinds(sessionmaker, "shift.waitlist_offer")
    assert offer.person_id == budi.person_id and offer.priority == 0
    # The place is held for Budi: a stranger's claim finds the shift full.
    assert (await shift_claims.claim_shift(sessionmaker, ani, shift_id, SETTINGS, now=T0)).full

    later = T0 + timedelta(minutes=SETTINGS.waitlist_hold_minutes + 1)
    report = await shift_sweeps.sweep(sessionmaker, SETTINGS, now=later)
    assert report.offers_expired == 1
    offers = await kinds(sessionmaker, "shift.waitlist_offer")
    assert [o.person_id for o in offers] == [budi.person_id, citra.person_id]
    with pytest.raises(Conflict):  # Budi's stale Accept
        await shift_waitlist.accept_offer(sessionmaker, budi, offers[0].params["entry_id"],
                                          SETTINGS, now=later)
    await shift_waitlist.decline_offer(sessionmaker, citra, offers[1].params["entry_id"],
                                       SETTINGS, now=later)
    (exhausted,) = await kinds(sessionmaker, "shift.waitlist_exhausted")
    assert exhausted.person_id == lead.person_id
    async with sessionmaker() as session:
        assert await session.scalar(select(Shift.taken)) == 0
        statuses = set(await session.scalars(select(WaitlistEntry.status)))
    assert {s.value for s in statuses} == {"expired", "declined"}


async def test_cover_swaps_the_place_atomically(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    team = await make_team(sessionmaker)
    (coord,) = await make_people(sessionmaker, 1, team_id=None, role=Role.COORDINATOR, first_id=1)
    ani, budi, citra = await make_people(sessionmaker, 3, team_id=team)
    shift_id = await make_shift(sessionmaker, coord, now=T0, team_id=team, capacity=1)
    signup = await shift_claims.claim_shift(sessionmaker, ani, shift_id, SETTINGS, now=T0)
    assert signup.signup_id is not None
    _, asked = await shift_waitlist.request_cover(sessionmaker, ani, signup.signup_id, now=T0)
    assert asked == 2
    cover_id = (await kinds(sessionmaker, "shift.cover_offer"))[0].params["cover_id"]
    await shift_waitlist.accept_cover(sessionmaker, budi, cover_id, SETTINGS, now=T0)
    with pytest.raises(Conflict):
        await shift_waitlist.accept_cover(sessionmaker, citra, cover_id, SETTINGS, now=T0)
    async with sessionmaker() as session:
        assert list(await session.scalars(select(ShiftSignup.person_id))) == [budi.person_id]
        assert await session.scalar(select(Shift.taken)) == 1
    (told,) = await kinds(sessionmaker, "shift.cover_taken")
    assert told.person_id == ani.person_id
    old = [r.status for r in await kinds(sessionmaker, "shift.reminder")
           if r.cause == f"signup:{signup.signup_id}"]
    assert old == [OutboxStatus.CANCELLED, OutboxStatus.CANCELLED]


async def test_task_nudges_and_overdue_escalation(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    team = await make_team(sessionmaker)
    (lead,) = await make_people(sessionmaker, 1, team_id=team, role=Role.LEAD, first_id=1,
                                lead=True)
    (coord,) = await make_people(sessionmaker, 1, team_id=None, role=Role.COORDINATOR,
                                 first_id=2)
    (ani,) = await make_people(sessionmaker, 1, team_id=team)
    deadline = T0 + timedelta(days=2)
    task = await tasks.create_task(
        sessionmaker, lead, TaskDraft(str(team), "Print flyers", deadline), now=T0
    )
    await tasks.claim_task(sessionmaker, ani, task.id, now=T0)
    nudges = await kinds(sessionmaker, "task.nudge")
    assert [n.due_at for n in nudges] == [deadline - timedelta(hours=24), deadline]
    assert await shift_sweeps.escalate_overdue(sessionmaker, now=deadline - timedelta(1)) == 0
    assert await shift_sweeps.escalate_overdue(sessionmaker, now=deadline + timedelta(1)) == 2
    assert await shift_sweeps.escalate_overdue(sessionmaker, now=deadline + timedelta(2)) == 0
    overdue = await kinds(sessionmaker, "task.overdue")
    assert {o.person_id for o in overdue} == {lead.person_id, coord.person_id}
