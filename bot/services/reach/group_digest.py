"""The day's digest in a team's group chat, for the teams that want it.

A lead of the team or a coordinator turns it on or off in the group (`/groupdigest on|off`,
`set_digest`); each morning at `GROUP_DIGEST_TIME` (the campaign's zone) the daily job
enqueues one `GROUP_DIGEST` per group that wants it (`enqueue_group_digests`, keyed by the
group and the local date: a second run that day adds nothing).  At send time the digest
lists the team's shifts and events of today and tomorrow with how full they are and the
open places: nothing personal (no names, phones, reliability or money).  Bulk and
automatic, so quiet hours hold it like any other digest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.kinds import GROUP_DIGEST
from bot.delivery.outbox import enqueue
from bot.delivery.renderers import param
from bot.errors import NotFound
from bot.services import audit
from bot.services.authz import Permission, require
from bot.services.people.members import Actor
from models import Event, EventStatus, OutboxMessage, Shift, ShiftStatus, Team, TeamGroup


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One shift or event of the day: the work and how full it is, nobody's name."""

    title: str
    place: str | None
    starts_at: datetime
    ends_at: datetime
    taken: int  # places taken (a shift) or people going (an event)
    capacity: int | None  # None: an event without a limit
    is_event: bool


@dataclass(frozen=True, slots=True)
class GroupDigest:
    team_name: str
    today: tuple[DigestItem, ...]
    tomorrow: tuple[DigestItem, ...]

    @property
    def open_places(self) -> int:
        return sum(max(i.capacity - i.taken, 0) for i in self.today + self.tomorrow
                   if i.capacity is not None and not i.is_event)


async def set_digest(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, chat_id: int, on: bool,
    *, now: datetime,
) -> str:
    """Turns the group's morning digest on or off (those who may link the group); returns
    the team's name."""
    require(actor, Permission.MANAGE_TEAMS)
    async with sessionmaker.begin() as session:
        link = await session.scalar(select(TeamGroup).where(TeamGroup.chat_id == chat_id))
        if link is None:
            raise NotFound("groups.not_linked")
        require(actor, Permission.MANAGE_TEAMS, link.team_id)
        link.digest = on
        audit.record(session, action="group.digest", actor_id=actor.person_id,
                     target_type="team", target_id=link.team_id, chat_id=chat_id, on=on)
        team = await session.get(Team, link.team_id)
        return team.name if team else ""


def local_day(now: datetime, tz: str) -> str:
    return now.astimezone(ZoneInfo(tz)).date().isoformat()


async def enqueue_group_digests(
    sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime, tz: str
) -> int:
    """One digest per group that wants it, for today (the campaign's date)."""
    day = local_day(now, tz)
    async with sessionmaker.begin() as session:
        chats = (await session.scalars(
            select(TeamGroup.chat_id).where(TeamGroup.digest.is_(True))
            .order_by(TeamGroup.chat_id)
        )).all()
        return await enqueue(session, [
            GROUP_DIGEST.message(chat_id=chat_id, due_at=now, params={"day": day}, day=day)
            for chat_id in chats
        ])


def _day_bounds(day: str, tz: str) -> tuple[datetime, datetime, datetime]:
    zone = ZoneInfo(tz)
    start = datetime.fromisoformat(day).replace(tzinfo=zone)
    return start, start + timedelta(days=1), start + timedelta(days=2)


async def digest_to_send(
    session: AsyncSession, row: OutboxMessage, now: datetime, tz: str
) -> GroupDigest | None:
    """The digest as it goes out; None when the group was unlinked or turned it off, or the
    day it was for is over (a digest held too long says nothing useful)."""
    link = await session.scalar(select(TeamGroup).where(TeamGroup.chat_id == row.chat_id))
    day = str(param(row, "day", ""))
    if link is None or not link.digest or not day or local_day(now, tz) != day:
        return None
    team = await session.get(Team, link.team_id)
    start, middle, end = _day_bounds(day, tz)
    items: list[DigestItem] = []
    shifts = await session.scalars(
        select(Shift).where(Shift.team_id == link.team_id, Shift.status == ShiftStatus.OPEN,
                            Shift.starts_at >= start, Shift.starts_at < end)
    )
    items += [DigestItem(s.title, s.place, s.starts_at, s.ends_at, s.taken, s.capacity, False)
              for s in shifts]
    events = await session.scalars(
        select(Event).where(Event.team_id == link.team_id,
                            Event.status != EventStatus.CANCELLED,
                            Event.starts_at >= start, Event.starts_at < end)
    )
    items += [DigestItem(e.title, e.place, e.starts_at, e.ends_at, e.going_count, e.capacity,
                         True) for e in events]
    items.sort(key=lambda i: (i.starts_at, i.title))
    return GroupDigest(
        team.name if team else "",
        tuple(i for i in items if i.starts_at < middle),
        tuple(i for i in items if i.starts_at >= middle),
    )
