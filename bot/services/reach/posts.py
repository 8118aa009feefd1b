"""The bot's posts in team group chats: written with a new shift or event, kept up to date.

Kept apart from linking and claiming (`bot.services.reach.groups`) because the shift and
event use cases call `post_new_shift` / `post_new_event` inside their own transaction:
this module imports nothing of theirs, so the import graph has no circle.

* **Nothing personal in a group.**  A post shows the work (title, time, place, places
  taken) and never a name, phone, reliability or money.
* **Posts go through the outbox** (`GROUP_SHIFT_POST`, `GROUP_EVENT_POST`), written in the
  same transaction as the shift or event, so a restart loses none and a cancelled shift
  posts nothing.  `shift_post_to_send` / `event_post_to_send` say None when the group was
  unlinked meanwhile (the renderer then skips the row).
* **Edits are coalesced.**  `GroupPost.shown` is the state the post shows; `stale_posts`
  lists posts whose shift or event moved on, and the post-edit job edits each at most once
  per tick at the group's pace (20 per minute, edits count), always showing the newest state.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import outbox
from bot.delivery.kinds import GROUP_EVENT_POST, GROUP_SHIFT_POST
from bot.delivery.outbox import NewMessage, enqueue
from bot.delivery.renderers import param
from bot.services.shifts.common import ShiftView, shift_view
from models import (
    Event,
    EventStatus,
    GroupPost,
    OutboxMessage,
    Shift,
    ShiftStatus,
    Team,
    TeamGroup,
)

MAX_EDITS_PER_TICK = 200
# A post is kept up to date until its shift or event starts, and shows "started" after.
_GRACE = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class GroupEvent:
    """The group's view of an event: the work and how full it is, nobody's name."""

    id: int
    title: str
    team_name: str
    place: str | None
    starts_at: datetime
    ends_at: datetime
    capacity: int | None
    going: int
    cancelled: bool

    @property
    def full(self) -> bool:
        return self.capacity is not None and self.going >= self.capacity


GroupPostView = ShiftView | GroupEvent
SHIFT_POSTS = ("shift", "left")  # the kinds of post that show one shift


@dataclass(frozen=True, slots=True)
class SeriesView:
    """A repeated shift's post: its occurrences, soonest first."""

    shifts: tuple[ShiftView, ...]


@dataclass(frozen=True, slots=True)
class PostEdit:
    """A post whose shift or event moved on: what it should show now."""

    post_id: int
    chat_id: int
    message_id: int
    state: str
    post: GroupPostView | SeriesView
    kind: str = "shift"  # the post's kind: "shift", "left", "event" or "series"


async def group_chats(session: AsyncSession, team_ids: list[int] | None = None) -> list[int]:
    """Linked group chats (of these teams): one post per group instead of a DM per member."""
    query = select(TeamGroup.chat_id).order_by(TeamGroup.chat_id)
    if team_ids is not None:
        query = query.where(TeamGroup.team_id.in_(team_ids))
    return list(await session.scalars(query))


# ---- posting ----------------------------------------------------------------------------
async def post_new_shift(session: AsyncSession, shift: Shift, now: datetime) -> int:
    """Inside the shift's own transaction: one post per group linked to its team."""
    if shift.team_id is None:
        return 0
    messages = [
        GROUP_SHIFT_POST.message(chat_id=chat_id, due_at=now, params={"shift_id": shift.id},
                                 shift_id=shift.id)
        for chat_id in await group_chats(session, [shift.team_id])
    ]
    return await _post(session, "shift", shift.id, shift.starts_at, messages, now)


async def post_new_event(session: AsyncSession, event: Event, now: datetime) -> int:
    if event.team_id is None:
        return 0
    messages = [
        GROUP_EVENT_POST.message(chat_id=chat_id, due_at=now, params={"event_id": event.id},
                                 event_id=event.id)
        for chat_id in await group_chats(session, [event.team_id])
    ]
    return await _post(session, "event", event.id, event.starts_at, messages, now)


async def _post(
    session: AsyncSession, kind: str, target_id: int, live_until: datetime,
    messages: list[NewMessage], now: datetime,
) -> int:
    """A coordinator's own action, seen together by the team: not held for the night (the
    kinds are urgent).  The post row names its outbox row by the message's dedup key."""
    for message in messages:
        session.add(GroupPost(chat_id=message.chat_id, kind=kind, target_id=target_id,
                              dedup_key=message.dedup_key, live_until=live_until,
                              created_at=now))
    await session.flush()
    return await enqueue(session, messages)


def _details(*parts: object) -> str:
    """A short digest of what a post says besides its fill level (time, place, title): a
    moved shift or event differs from what its post shows, so the post is edited."""
    return format(zlib.crc32("|".join(map(str, parts)).encode()), "08x")


def shift_state(shift: Shift) -> str:
    details = _details(shift.starts_at.timestamp(), shift.ends_at.timestamp(), shift.place,
                       shift.title)
    return f"{shift.taken}/{shift.capacity}/{shift.status.value}/{details}"


def event_state(event: Event) -> str:
    details = _details(event.starts_at.timestamp(), event.ends_at.timestamp(), event.place,
                       event.title)
    return f"{event.going_count}/{event.capacity or 0}/{event.status.value}/{details}"


def live_state(state: str, starts_at: datetime, now: datetime) -> str:
    return state + ("/started" if starts_at <= now else "")


async def group_event(session: AsyncSession, event: Event) -> GroupEvent:
    team = await session.get(Team, event.team_id) if event.team_id else None
    return GroupEvent(
        id=event.id, title=event.title, team_name=team.name if team else "", place=event.place,
        starts_at=event.starts_at, ends_at=event.ends_at, capacity=event.capacity,
        going=event.going_count, cancelled=event.status == EventStatus.CANCELLED,
    )


# ---- what the outbox renderers show ----------------------------------------------------
async def _linked(session: AsyncSession, chat_id: int) -> bool:
    found = await session.scalar(select(TeamGroup.id).where(TeamGroup.chat_id == chat_id))
    return found is not None


async def _post_row(
    session: AsyncSession, chat_id: int, kind: str, target_id: int
) -> GroupPost | None:
    return await session.scalar(select(GroupPost).where(
        GroupPost.chat_id == chat_id, GroupPost.kind == kind, GroupPost.target_id == target_id))


async def shift_post_to_send(session: AsyncSession, row: OutboxMessage) -> ShiftView | None:
    """The shift a `group.shift_post` row shows as it goes out (noted as what the post
    shows); None when it was cancelled or the group unlinked / removed the bot meanwhile."""
    shift_id = int(param(row, "shift_id", 0))
    shift = await session.get(Shift, shift_id)
    post = await _post_row(session, row.chat_id, "shift", shift_id)
    if (shift is None or post is None or shift.status != ShiftStatus.OPEN
            or not await _linked(session, row.chat_id)):
        return None
    post.shown = shift_state(shift)  # what this very text shows
    return await shift_view(session, shift)


async def event_post_to_send(session: AsyncSession, row: OutboxMessage) -> GroupEvent | None:
    event_id = int(param(row, "event_id", 0))
    event = await session.get(Event, event_id)
    post = await _post_row(session, row.chat_id, "event", event_id)
    if (event is None or post is None or event.status == EventStatus.CANCELLED
            or not await _linked(session, row.chat_id)):
        return None
    post.shown = event_state(event)
    return await group_event(session, event)


# ---- keeping posts up to date ----------------------------------------------------------
async def stale_posts(
    sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime,
    limit: int = MAX_EDITS_PER_TICK,
) -> list[PostEdit]:
    """Posts out in their groups whose shift or event changed since (fill level, time,
    place, cancelled, started): what they show now.  A post lives until its shift or event
    starts (a moved one's new start), plus a grace to show "started"."""
    edits: list[PostEdit] = []
    async with sessionmaker() as session:
        out = outbox.delivered()
        sent = (
            select(GroupPost, out.c.message_id)
            .join(out, out.c.dedup_key == GroupPost.dedup_key)
            .where(GroupPost.shown.is_not(None))
        )
        shifts = await session.execute(
            sent.add_columns(Shift).join(Shift, Shift.id == GroupPost.target_id)
            .where(GroupPost.kind.in_(SHIFT_POSTS), Shift.starts_at > now - _GRACE)
            .order_by(GroupPost.id).limit(limit * 4)
        )
        for post, message_id, shift in shifts.all():
            state = live_state(shift_state(shift), shift.starts_at, now)
            if state != post.shown and len(edits) < limit:
                edits.append(PostEdit(post.id, post.chat_id, int(message_id), state,
                                      await shift_view(session, shift), post.kind))
        events = await session.execute(
            sent.add_columns(Event).join(Event, Event.id == GroupPost.target_id)
            .where(GroupPost.kind == "event", Event.starts_at > now - _GRACE)
            .order_by(GroupPost.id).limit(limit * 4)
        )
        for post, message_id, event in events.all():
            state = live_state(event_state(event), event.starts_at, now)
            if state != post.shown and len(edits) < limit:
                edits.append(PostEdit(post.id, post.chat_id, int(message_id), state,
                                      await group_event(session, event), "event"))
        series = await session.execute(
            sent.where(GroupPost.kind == "series", GroupPost.live_until > now - _GRACE)
            .order_by(GroupPost.id).limit(limit)
        )
        for post, message_id in series.all():
            view, state = await series_now(session, post.id, now)
            if state != post.shown and len(edits) < limit:
                edits.append(PostEdit(post.id, post.chat_id, int(message_id), state, view,
                                      "series"))
    return edits


async def series_now(
    session: AsyncSession, post_id: int, now: datetime
) -> tuple[SeriesView, str]:
    """A series post's occurrences and the state it shows (one digest over all of them)."""
    shifts = (await session.scalars(
        select(Shift).join(GroupPost, GroupPost.target_id == Shift.id)
        .where(GroupPost.part_of == post_id, GroupPost.kind == "shift")
        .order_by(Shift.starts_at, Shift.id)
    )).all()
    states = ",".join(live_state(shift_state(s), s.starts_at, now) for s in shifts)
    view = SeriesView(tuple([await shift_view(session, s) for s in shifts]))
    return view, f"series/{len(shifts)}/{_details(states)}"


async def mark_shown(
    sessionmaker: async_sessionmaker[AsyncSession], shown: dict[int, str]
) -> None:
    if not shown:
        return
    async with sessionmaker.begin() as session:
        for post_id, state in shown.items():
            await session.execute(
                update(GroupPost).where(GroupPost.id == post_id).values(shown=state)
            )
