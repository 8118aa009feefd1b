"""Pieces every shift and task use case shares: plain views, who is eligible, who to tell.

Kept apart so claims, waitlist, cover and sweeps answer "may this person take
it?" and "who is the lead here?" the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.config import Settings
from bot.delivery.kinds import SHIFT_REMINDER
from bot.delivery.outbox import NewMessage
from models import (
    Membership,
    Person,
    PersonSkill,
    Role,
    Shift,
    ShiftStatus,
    Skill,
    Team,
)

OUTSIDERS = (Role.PARTNER, Role.MEDIA)
COORDINATOR_ROLES = (Role.ADMIN, Role.COORDINATOR)


@dataclass(frozen=True, slots=True)
class ShiftView:
    id: int
    title: str
    team_id: int | None
    team_name: str | None
    place: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    taken: int
    skill_name: str | None
    notes: str
    cancelled: bool

    @property
    def free(self) -> int:
        return max(self.capacity - self.taken, 0)


async def shift_view(session: AsyncSession, shift: Shift) -> ShiftView:
    team = await session.get(Team, shift.team_id) if shift.team_id else None
    skill = await session.get(Skill, shift.skill_id) if shift.skill_id else None
    return ShiftView(
        id=shift.id,
        title=shift.title,
        team_id=shift.team_id,
        team_name=team.name if team else None,
        place=shift.place,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        capacity=shift.capacity,
        taken=shift.taken,
        skill_name=skill.name if skill else None,
        notes=shift.notes,
        cancelled=shift.status == ShiftStatus.CANCELLED,
    )


def eligible_people(team_id: int | None, skill_id: int | None) -> Select[int, int]:
    """(person id, telegram id) of reachable insiders who may take work of this team/skill."""
    stmt = select(Person.id, Person.telegram_id).where(
        Person.reachable.is_(True), Person.role.not_in(OUTSIDERS)
    )
    if team_id is not None:
        stmt = stmt.where(
            exists().where(Membership.person_id == Person.id, Membership.team_id == team_id)
        )
    if skill_id is not None:
        stmt = stmt.where(
            exists().where(PersonSkill.person_id == Person.id, PersonSkill.skill_id == skill_id)
        )
    return stmt


def eligibility_filter(
    team_ids: frozenset[int],
    skill_ids: set[int],
    team_col: InstrumentedAttribute[int | None],
    skill_col: InstrumentedAttribute[int | None],
) -> ColumnElement[bool]:
    """WHERE: the row's team is one of mine (or none) and its skill one of mine (or none)."""
    return and_(
        or_(team_col.is_(None), team_col.in_(team_ids or {-1})),
        or_(skill_col.is_(None), skill_col.in_(skill_ids or {-1})),
    )


async def lead_targets(session: AsyncSession, team_id: int | None) -> list[tuple[int, int]]:
    """The team's leads; the coordinators when the team has none (or there is no team)."""
    rows: list[tuple[int, int]] = []
    if team_id is not None:
        result = await session.execute(
            select(Person.id, Person.telegram_id)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.team_id == team_id, Membership.is_lead.is_(True))
            .order_by(Person.id)
        )
        rows = [(a, b) for a, b in result.all()]
    return rows or await coordinator_targets(session)


async def coordinator_targets(session: AsyncSession) -> list[tuple[int, int]]:
    result = await session.execute(
        select(Person.id, Person.telegram_id)
        .where(Person.role.in_(COORDINATOR_ROLES))
        .order_by(Person.id)
    )
    return [(a, b) for a, b in result.all()]


def reminder_messages(
    settings: Settings,
    signup_id: int,
    person_id: int,
    telegram_id: int,
    shift: Shift | ShiftView,
    now: datetime,
) -> list[NewMessage]:
    """One reminder per configured offset that still lies ahead."""
    return reminder_plan(
        settings.shift_reminder_offsets_hours, signup_id, person_id, telegram_id, shift, now
    )


def reminder_plan(
    offsets: Sequence[int],
    signup_id: int,
    person_id: int,
    telegram_id: int,
    shift: Shift | ShiftView,
    now: datetime,
) -> list[NewMessage]:
    """One reminder per offset (hours before the start) that still lies ahead."""
    messages = []
    for hours in offsets:
        due = shift.starts_at - timedelta(hours=hours)
        if due <= now:
            continue
        messages.append(
            SHIFT_REMINDER.message(
                chat_id=telegram_id,
                person_id=person_id,
                due_at=due,
                params={"shift_id": shift.id, "signup_id": signup_id, "hours": hours},
                # The last reminder before an early shift must not wait out quiet hours.
                urgent=hours <= 2,
                # The start time is part of the key: a moved shift gets new reminders
                # (the ones already sent for the old time do not block them).
                signup_id=signup_id,
                hours=hours,
                starts=shift.starts_at,
            )
        )
    return messages
