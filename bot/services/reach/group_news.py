"""Group posts beyond "a new shift": the last few places of a shift, and a repeated shift.

* **"2 places left"** (`plan_places_left`, a job): a linked team's open shift starting
  within `GROUP_PLACES_LEFT_HOURS` that has at least one person on it and at most
  `GROUP_PLACES_LEFT_THRESHOLD` places free gets one post in each of the team's groups,
  with a Claim button.  The rule is once per shift and group (`GROUP_PLACES_LEFT`'s key
  and the `group_post` row of kind "left"): going 2 → 1, or 2 → 3 → 2 after a release,
  posts nothing more; the post itself is kept current like every other (its headline
  shows the places left now, then "full" without the button).  A shift that is no more
  than the threshold from the start (capacity 2, nobody on it) is the new-shift post's
  news, not this one: "at least one taken" keeps the two apart.  Automatic, so it is not
  urgent: quiet hours hold it (a group has no person: the campaign's zone), and at send
  time the renderer skips it when the shift filled, started or was cancelled meanwhile
  (a cancel also withdraws it: its cause is the shift's).
* **A repeated series** (`post_series`, in the repeat's own transaction): one post listing
  the new occurrences, with a Claim button for each near one, instead of one post per
  copy.  Each occurrence gets a `group_post` row (kind "shift", `part_of` the series
  post) so its button is checked like any other post's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery.kinds import GROUP_PLACES_LEFT, GROUP_SERIES_POST
from bot.delivery.outbox import enqueue
from bot.delivery.renderers import param
from bot.services.reach.posts import SeriesView, group_chats, series_now, shift_state
from bot.services.shifts.common import ShiftView, shift_view
from models import GroupPost, OutboxMessage, Shift, ShiftStatus, TeamGroup

MAX_PLANNED_PER_RUN = 500


# ---- "2 places left" ---------------------------------------------------------------------
async def plan_places_left(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, *, now: datetime
) -> int:
    """Enqueues a "places left" post for each linked group of each shift that just came
    down to its last few places; returns how many were enqueued."""
    until = now + timedelta(hours=settings.group_places_left_hours)
    threshold = settings.group_places_left_threshold
    free = Shift.capacity - Shift.taken
    posted = and_(GroupPost.chat_id == TeamGroup.chat_id, GroupPost.kind == "left",
                  GroupPost.target_id == Shift.id)
    async with sessionmaker.begin() as session:
        rows = (await session.execute(
            select(Shift.id, Shift.starts_at, TeamGroup.chat_id)
            .join(TeamGroup, TeamGroup.team_id == Shift.team_id)
            .outerjoin(GroupPost, posted)
            .where(Shift.status == ShiftStatus.OPEN, Shift.starts_at > now,
                   Shift.starts_at <= until, Shift.taken >= 1, free >= 1, free <= threshold,
                   GroupPost.id.is_(None))
            .order_by(Shift.starts_at, Shift.id, TeamGroup.chat_id)
            .limit(MAX_PLANNED_PER_RUN)
        )).all()
        messages = []
        for shift_id, starts_at, chat_id in rows:
            message = GROUP_PLACES_LEFT.message(chat_id=chat_id, due_at=now,
                                                params={"shift_id": shift_id},
                                                shift_id=shift_id)
            session.add(GroupPost(chat_id=chat_id, kind="left", target_id=shift_id,
                                  dedup_key=message.dedup_key, live_until=starts_at,
                                  created_at=now))
            messages.append(message)
        await session.flush()
        return await enqueue(session, messages)


async def places_left_to_send(
    session: AsyncSession, row: OutboxMessage, now: datetime
) -> ShiftView | None:
    """The shift a "places left" row shows as it goes out; None (skipped) when it filled,
    started or was cancelled meanwhile, or the group was unlinked."""
    shift = await session.get(Shift, int(param(row, "shift_id", 0)))
    post = await session.scalar(select(GroupPost).where(
        GroupPost.chat_id == row.chat_id, GroupPost.kind == "left",
        GroupPost.target_id == int(param(row, "shift_id", 0))))
    linked = await session.scalar(select(TeamGroup.id).where(TeamGroup.chat_id == row.chat_id))
    if (shift is None or post is None or linked is None or shift.status != ShiftStatus.OPEN
            or shift.taken >= shift.capacity or shift.starts_at <= now):
        return None
    post.shown = shift_state(shift)
    return await shift_view(session, shift)


# ---- a repeated series -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Occurrence:
    shift_id: int
    starts_at: datetime


async def post_series(
    session: AsyncSession, team_id: int | None, copies: Sequence[Shift], now: datetime
) -> int:
    """Inside the repeat's transaction: one post per linked group listing the copies (flushed
    shifts, soonest first).  The coordinator's own action: not held for the night."""
    if team_id is None or not copies:
        return 0
    first = min(copies, key=lambda s: (s.starts_at, s.id))
    last = max(s.starts_at for s in copies)
    messages = []
    for chat_id in await group_chats(session, [team_id]):
        message = GROUP_SERIES_POST.message(chat_id=chat_id, due_at=now,
                                            params={"shift_ids": [s.id for s in copies]},
                                            shift_id=first.id)
        series = GroupPost(chat_id=chat_id, kind="series", target_id=first.id,
                           dedup_key=message.dedup_key, live_until=last, created_at=now)
        session.add(series)
        await session.flush()
        for shift in copies:
            session.add(GroupPost(chat_id=chat_id, kind="shift", target_id=shift.id,
                                  dedup_key=f"{message.dedup_key}/{shift.id}",
                                  live_until=shift.starts_at, part_of=series.id,
                                  created_at=now))
        messages.append(message)
    await session.flush()
    return await enqueue(session, messages)


async def series_to_send(
    session: AsyncSession, row: OutboxMessage, now: datetime
) -> SeriesView | None:
    """A series row's occurrences as it goes out; None when the group was unlinked or every
    occurrence is cancelled."""
    post = await session.scalar(select(GroupPost).where(GroupPost.dedup_key == row.dedup_key))
    linked = await session.scalar(select(TeamGroup.id).where(TeamGroup.chat_id == row.chat_id))
    if post is None or linked is None:
        return None
    view, state = await series_now(session, post.id, now)
    if not any(not s.cancelled for s in view.shifts):
        return None
    post.shown = state
    return view
