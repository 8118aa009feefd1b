"""Claims on real databases (SQLite and PostgreSQL): capacity, uniqueness, overlap, skills,
reminders in the outbox, release, cancel, and the bad inputs that must change nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import Conflict, InvalidInput, NotAllowed
from bot.services.people import skills
from bot.services.shifts import claims as shift_claims
from bot.services.shifts import plan as shifts
from bot.services.shifts.parsing import parse_end, parse_shift_line, parse_start
from models import OutboxMessage, OutboxStatus, Role, Shift, ShiftSignup
from tests.conftest import T0
from tests.shifts.factories import make_people, make_shift, make_team, settings

SETTINGS = settings()
TZ = "Asia/Jakarta"


async def count(db: async_sessionmaker[AsyncSession], stmt: Any) -> int:
    async with db() as session:
        return int(await session.scalar(stmt) or 0)


async def test_500_concurrent_claims_fill_exactly_20_places(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    team = await make_team(sessionmaker)
    (coord,) = await make_people(sessionmaker, 1, team_id=None, role=Role.COORDINATOR, first_id=1)
    volunteers = await make_people(sessionmaker, 500, team_id=team)
    shift_id = await make_shift(sessionmaker, coord, now=T0, team_id=team, capacity=20)

    results = await asyncio.gather(
        *(shift_claims.claim_shift(sessionmaker, v, shift_id, SETTINGS, now=T0) for v in volunteers)
    )

    assert sum(1 for r in results if not r.full) == 20
    assert sum(1 for r in results if r.full) == 480
    assert await count(sessionmaker, select(func.count()).select_from(ShiftSignup)) == 20
    assert await count(sessionmaker, select(Shift.taken).where(Shift.id == shift_id)) == 20
    # Each winner has their two reminders; nobody else has any.
    assert await count(
        sessionmaker,
        select(func.count()).select_from(OutboxMessage)
        .where(OutboxMessage.kind == "shift.reminder"),
    ) == 40


async def test_claim_writes_reminders_and_release_withdraws_them(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    team = await make_team(sessionmaker)
    (coord,) = await make_people(sessionmaker, 1, team_id=None, role=Role.COORDINATOR, first_id=1)
    (ani,) = await make_people(sessionmaker, 1, team_id=team)
    shift_id = await make_shift(sessionmaker, coord, now=T0, team_id=team)
    result = await shift_claims.claim_shift(sessionmaker, ani, shift_id, SETTINGS, now=T0)
    assert result.signup_id is not None and result.shift.free == 19

    async with sessionmaker() as session:
        rows = (await session.scalars(
            select(OutboxMessage).where(OutboxMessage.cause == f"signup:{result.signup_id}")
            .order_by(OutboxMessage.due_at)
        )).all()
    start = T0 + timedelta(days=2)
    assert [(r.kind, r.due_at, r.status) for r in rows] == [
        ("shift.reminder", start - timedelta(hours=24), OutboxStatus.PENDING),
        ("shift.reminder", start - timedelta(hours=2), OutboxStatus.PENDING),
    ]
    assert {r.dedup_key for r in rows} == {
        f"shift-rem:{result.signup_id}:24:{int(start.timestamp())}",
        f"shift-rem:{result.signup_id}:2:{int(start.timestamp())}",
    }

    # A double tap is refused and changes nothing.
    with pytest.raises(Conflict) as exc:
        await shift_claims.claim_shift(sessionmaker, ani, shift_id, SETTINGS, now=T0)
    assert exc.value.key == "shifts.already_yours"

    released = await shift_claims.release_signup(
        sessionmaker, ani, result.signup_id, SETTINGS, now=T0
    )
    assert not released.late and released.shift.free == 20
    async with sessionmaker() as session:
        statuses = set(await session.scalars(
            select(OutboxMessage.status).where(
                OutboxMessage.cause == f"signup:{result.signup_id}")
        ))
    assert statuses == {OutboxStatus.CANCELLED}


async def test_overlap_skill_team_and_forged_release_are_refused(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    team = await make_team(sessionmaker)
    other_team = await make_team(sessionmaker, "Jaktim")
    (coord,) = await make_people(sessionmaker, 1, team_id=None, role=Role.COORDINATOR, first_id=1)
    ani, budi = await make_people(sessionmaker, 2, team_id=team)
    first = await make_shift(sessionmaker, coord, now=T0, team_id=team, title="Morning")
    clash = await make_shift(sessionmaker, coord, now=T0, team_id=team, title="Overlap",
                             start_in=timedelta(days=2, hours=1))
    foreign = await make_shift(sessionmaker, coord, now=T0, team_id=other_team,
                               start_in=timedelta(days=5))
    await skills.add_skill(sessionmaker, coord, "First aid")
    medic = await make_shift(sessionmaker, coord, now=T0, team_id=team, skill="first aid",
                             start_in=timedelta(days=6))

    signup = await shift_claims.claim_shift(sessionmaker, ani, first, SETTINGS, now=T0)
    with pytest.raises(Conflict) as exc:
        await shift_claims.claim_shift(sessionmaker, ani, clash, SETTINGS, now=T0)
    assert exc.value.key == "shifts.overlap" and exc.value.params["title"] == "Morning"
    with pytest.raises(Conflict) as exc:
        await shift_claims.claim_shift(sessionmaker, ani, foreign, SETTINGS, now=T0)
    assert exc.value.key == "shifts.not_your_team"
    with pytest.raises(Conflict) as exc:
        await shift_claims.claim_shift(sessionmaker, ani, medic, SETTINGS, now=T0)
    assert exc.value.key == "shifts.needs_skill"
    # With the skill picked, the same claim works.
    skill_id = (await skills.list_skills(sessionmaker, ani))[0].id
    assert await skills.toggle_skill(sessionmaker, ani, skill_id) is True
    assert not (await shift_claims.claim_shift(sessionmaker, ani, medic, SETTINGS, now=T0)).full

    # Budi forges Ani's release button: refused, Ani keeps the place.
    assert signup.signup_id is not None
    with pytest.raises(NotAllowed):
        await shift_claims.release_signup(sessionmaker, budi, signup.signup_id, SETTINGS, now=T0)
    assert await count(sessionmaker, select(func.count()).select_from(ShiftSignup).where(
        ShiftSignup.shift_id == first)) == 1

    # Cancelled and started shifts cannot be claimed.
    await shifts.cancel_shift(sessionmaker, coord, clash, now=T0)
    with pytest.raises(Conflict) as exc:
        await shift_claims.claim_shift(sessionmaker, budi, clash, SETTINGS, now=T0)
    assert exc.value.key == "shifts.cancelled"
    later = T0 + timedelta(days=2, minutes=1)
    with pytest.raises(Conflict) as exc:
        await shift_claims.claim_shift(sessionmaker, budi, first, SETTINGS, now=later)
    assert exc.value.key == "shifts.past"


async def test_cancel_notifies_everyone_and_withdraws_reminders(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    team = await make_team(sessionmaker)
    (coord,) = await make_people(sessionmaker, 1, team_id=None, role=Role.COORDINATOR, first_id=1)
    people = await make_people(sessionmaker, 3, team_id=team)
    shift_id = await make_shift(sessionmaker, coord, now=T0, team_id=team)
    for p in people:
        await shift_claims.claim_shift(sessionmaker, p, shift_id, SETTINGS, now=T0)
    view, notified = await shifts.cancel_shift(sessionmaker, coord, shift_id, now=T0)
    assert view.cancelled and notified == 3
    async with sessionmaker() as session:
        rows = (await session.execute(
            select(OutboxMessage.kind, OutboxMessage.status, func.count())
            .group_by(OutboxMessage.kind, OutboxMessage.status)
        )).all()
    assert sorted((k, s, n) for k, s, n in rows) == [
        ("shift.cancelled", OutboxStatus.PENDING, 3),
        ("shift.reminder", OutboxStatus.CANCELLED, 6),
    ]


async def test_lead_creates_only_for_own_team_and_edit_moves_reminders(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    team = await make_team(sessionmaker)
    other = await make_team(sessionmaker, "Jaktim")
    (lead,) = await make_people(sessionmaker, 1, team_id=team, role=Role.LEAD, first_id=1,
                                lead=True)
    (ani,) = await make_people(sessionmaker, 1, team_id=team)
    with pytest.raises(NotAllowed):
        await make_shift(sessionmaker, lead, now=T0, team_id=other)
    shift_id = await make_shift(sessionmaker, lead, now=T0, team_id=team)
    claim = await shift_claims.claim_shift(sessionmaker, ani, shift_id, SETTINGS, now=T0)
    new_start = T0 + timedelta(days=3)
    edited = await shifts.edit_shift(sessionmaker, lead, shift_id, SETTINGS, now=T0,
                                     starts_at=new_start, capacity=5)
    assert edited.starts_at == new_start and edited.ends_at == new_start + timedelta(hours=3)
    async with sessionmaker() as session:
        due = set(await session.scalars(select(OutboxMessage.due_at).where(
            OutboxMessage.cause == f"signup:{claim.signup_id}",
            OutboxMessage.status == OutboxStatus.PENDING)))
        changed = await session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.kind == "shift.changed"))
    assert due == {new_start - timedelta(hours=24), new_start - timedelta(hours=2)}
    assert changed == 1
    with pytest.raises(InvalidInput):
        await shifts.edit_shift(sessionmaker, lead, shift_id, SETTINGS, now=T0, capacity=0)


def test_bad_dates_capacity_and_lines_are_refused_with_clear_keys() -> None:
    now = T0
    with pytest.raises(InvalidInput) as exc:
        parse_start("kemarin 08:00", now=now, tz=TZ, language="id")
    assert exc.value.key == "shifts.in_past"
    with pytest.raises(InvalidInput) as exc:
        parse_start("someday soon", now=now, tz=TZ, language="en")
    assert exc.value.key == "shifts.bad_when" and exc.value.params["formats"]
    start = parse_start("besok 08:00", now=now, tz=TZ, language="id")
    night = parse_start("besok 22:00", now=now, tz=TZ, language="id")
    # A bare earlier time after a late start is the next morning: an overnight shift.
    assert parse_end("06:00", night, now=now, tz=TZ, language="id") - night == timedelta(hours=8)
    with pytest.raises(InvalidInput) as exc:
        parse_end("25 jam", start, now=now, tz=TZ, language="id")
    assert exc.value.key == "shifts.too_long"
    with pytest.raises(InvalidInput) as exc:
        parse_end("kapan-kapan", start, now=now, tz=TZ, language="id")
    assert exc.value.key == "shifts.bad_end"
    with pytest.raises(InvalidInput) as exc:
        parse_end("besok 07:00", start, now=now, tz=TZ, language="id")
    assert exc.value.key == "shifts.end_before_start"
    for capacity in ("0", "10001", "-3", "lots"):
        with pytest.raises(InvalidInput) as exc:
            parse_shift_line(f"Jaksel | T | besok 08:00 | 3j | {capacity} | X", now=now, tz=TZ,
                             language="id")
        assert exc.value.key == "shifts.bad_capacity"
    draft = parse_shift_line("Jaksel | Door-knocking Tebet | besok 08:00 | 3j | 20 | Pasar Tebet",
                             now=now, tz=TZ, language="id")
    assert (draft.ends_at - draft.starts_at, draft.capacity, draft.team_ref) == (
        timedelta(hours=3), 20, "Jaksel")
    end_by_time = parse_end("12:30", start, now=now, tz=TZ, language="id")
    assert end_by_time - start == timedelta(hours=4, minutes=30)


async def _pending_reminders(
    db: async_sessionmaker[AsyncSession], signup_id: int
) -> list[tuple[int, Any]]:
    async with db() as session:
        rows = (await session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.cause == f"signup:{signup_id}",
                OutboxMessage.kind == "shift.reminder",
                OutboxMessage.status == OutboxStatus.PENDING,
            ).order_by(OutboxMessage.due_at)
        )).all()
        return [(int(r.params["hours"]), r.due_at) for r in rows]


async def test_moving_a_shift_plans_its_reminders_anew(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """Earlier: a shift 30 h away moved to 3 h away gets its 2 h reminder, not "starts in
    24 h" at once.  Later, after the 2 h reminder went: a new 2 h (and 24 h) reminder."""
    team = await make_team(sessionmaker)
    (coord,) = await make_people(sessionmaker, 1, team_id=None, role=Role.COORDINATOR, first_id=1)
    (ani,) = await make_people(sessionmaker, 1, team_id=team)
    shift_id = await make_shift(
        sessionmaker, coord, now=T0, team_id=team, start_in=timedelta(hours=30)
    )
    claimed = await shift_claims.claim_shift(sessionmaker, ani, shift_id, SETTINGS, now=T0)
    assert claimed.signup_id is not None
    signup = claimed.signup_id
    assert [h for h, _ in await _pending_reminders(sessionmaker, signup)] == [24, 2]

    new_start = T0 + timedelta(hours=3)
    await shifts.edit_shift(sessionmaker, coord, shift_id, SETTINGS, now=T0, starts_at=new_start)
    assert await _pending_reminders(sessionmaker, signup) == [
        (2, new_start - timedelta(hours=2))
    ]

    # The 2 h reminder goes out; then the shift moves two days later.
    later = T0 + timedelta(hours=1, minutes=30)
    async with sessionmaker.begin() as session:
        row = (await session.scalars(select(OutboxMessage).where(
            OutboxMessage.cause == f"signup:{signup}",
            OutboxMessage.status == OutboxStatus.PENDING,
        ))).one()
        row.status = OutboxStatus.SENT
    moved = later + timedelta(days=2)
    await shifts.edit_shift(sessionmaker, coord, shift_id, SETTINGS, now=later, starts_at=moved)
    assert await _pending_reminders(sessionmaker, signup) == [
        (24, moved - timedelta(hours=24)),
        (2, moved - timedelta(hours=2)),
    ]
