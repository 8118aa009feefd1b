"""Team group chats: link a group to a team, post the team's new shifts and events there,
claim from the group, and keep each post's fill level up to date.

Rules that hold everywhere here:

* **Nothing personal in a group.**  Posts show the work (title, time, place, places taken)
  and never a name, phone, reliability or money; confirmations go to the person's private
  chat through the outbox.
* **Posts go through the outbox** (`group.shift_post`, `group.event_post`), written in the
  same transaction as the shift or event, so a restart loses none and a cancelled shift
  posts nothing.  A renderer returns None when the group was unlinked meanwhile.
* **Edits are coalesced.**  `GroupPost.shown` is the state the post shows; `stale_posts`
  lists posts whose shift or event moved on, and the post-edit job edits each at most once
  per tick at the group's pace (20 per minute, edits count), always showing the newest state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery.outbox import PRIORITY_INTERACTIVE, PRIORITY_REMINDER, NewMessage, enqueue
from bot.delivery.renderers import param, renderer
from bot.errors import Conflict, NotFound
from bot.services import audit
from bot.services.authz import Permission, require
from bot.services.people.members import Actor
from bot.services.people.teams import find_team
from bot.services.shifts.claims import ClaimResult, claim_shift
from bot.services.shifts.common import shift_view
from bot.views.render import Button, Keyboard, Outgoing, Reader, truncate
from models import (
    Event,
    EventStatus,
    GroupPost,
    OutboxMessage,
    OutboxStatus,
    Person,
    Shift,
    ShiftSignup,
    ShiftStatus,
    Team,
    TeamGroup,
)

CB_GROUP = "grp"  # grp:c:<shift id> claim, grp:g:<event id> going
KIND_SHIFT_POST = "group.shift_post"
KIND_EVENT_POST = "group.event_post"
KIND_CLAIMED = "group.claimed"
KIND_GOING = "group.going"
MAX_EDITS_PER_TICK = 200
# A post is kept up to date until its shift or event starts, and shows "started" after.
_GRACE = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class GroupLink:
    chat_id: int
    team_id: int
    team_name: str
    relinked: bool  # the group was linked to another team before


@dataclass(frozen=True, slots=True)
class PostEdit:
    """A post whose shift or event moved on: what it should show now."""

    post_id: int
    chat_id: int
    message_id: int
    state: str
    outgoing: Outgoing


# ---- linking ----------------------------------------------------------------------------
async def link_group(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    chat_id: int,
    title: str,
    team_ref: str,
    *,
    now: datetime,
) -> GroupLink:
    """Links a group to a team: coordinators any team, a lead only a team they lead."""
    if chat_id >= 0:
        raise Conflict("groups.only_in_groups")
    require(actor, Permission.MANAGE_TEAMS)
    try:
        async with sessionmaker.begin() as session:
            team = await find_team(session, team_ref)
            require(actor, Permission.MANAGE_TEAMS, team.id)
            link = await session.scalar(select(TeamGroup).where(TeamGroup.chat_id == chat_id))
            relinked = link is not None and link.team_id != team.id
            if link is None:
                link = TeamGroup(chat_id=chat_id, team_id=team.id)
                session.add(link)
            link.team_id, link.title = team.id, title[:128]
            link.linked_by_id, link.linked_at = actor.person_id, now
            await session.flush()
            audit.record(
                session,
                action="group.link",
                actor_id=actor.person_id,
                target_type="team",
                target_id=team.id,
                chat_id=chat_id,
            )
            return GroupLink(chat_id, team.id, team.name, relinked)
    except IntegrityError:  # two /linkteam in one group at once: the other one won
        raise Conflict("groups.link_raced") from None


async def unlink_by(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, chat_id: int
) -> str:
    """/unlinkteam in the group: the same people who may link it may unlink it."""
    async with sessionmaker.begin() as session:
        link = await session.scalar(select(TeamGroup).where(TeamGroup.chat_id == chat_id))
        if link is None:
            raise NotFound("groups.not_linked")
        require(actor, Permission.MANAGE_TEAMS, link.team_id)
        team = await session.get(Team, link.team_id)
        await _forget_group(session, chat_id)
        audit.record(
            session,
            action="group.unlink",
            actor_id=actor.person_id,
            target_type="team",
            target_id=link.team_id,
            chat_id=chat_id,
        )
        return team.name if team else ""


async def bot_left_group(sessionmaker: async_sessionmaker[AsyncSession], chat_id: int) -> bool:
    """Telegram says the bot was removed: unlink, withdraw what waits to be posted there."""
    async with sessionmaker.begin() as session:
        return await _forget_group(session, chat_id)


async def _forget_group(session: AsyncSession, chat_id: int) -> bool:
    found = await session.execute(delete(TeamGroup).where(TeamGroup.chat_id == chat_id))
    await session.execute(delete(GroupPost).where(GroupPost.chat_id == chat_id))
    # Posts not yet out: withdrawn (their renderer would skip them anyway).
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == chat_id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.CANCELLED)
    )
    return bool(found.rowcount)  # type: ignore[attr-defined]


async def linked_team(sessionmaker: async_sessionmaker[AsyncSession], chat_id: int) -> str | None:
    """The name of the team this group is linked to (None: not linked)."""
    async with sessionmaker() as session:
        return await session.scalar(
            select(Team.name).join(TeamGroup, TeamGroup.team_id == Team.id)
            .where(TeamGroup.chat_id == chat_id)
        )


async def group_chats(session: AsyncSession, team_ids: list[int] | None = None) -> list[int]:
    """Linked group chats (of these teams): one post per group instead of a DM per member."""
    query = select(TeamGroup.chat_id).order_by(TeamGroup.chat_id)
    if team_ids is not None:
        query = query.where(TeamGroup.team_id.in_(team_ids))
    return list(await session.scalars(query))


async def known_person(sessionmaker: async_sessionmaker[AsyncSession], telegram_id: int) -> bool:
    """Whether this Telegram user ever used the bot (a stranger gets a deep link instead)."""
    async with sessionmaker() as session:
        found = await session.scalar(
            select(Person.id).where(Person.telegram_id == telegram_id).limit(1)
        )
        return found is not None


# ---- posting ----------------------------------------------------------------------------
async def post_new_shift(session: AsyncSession, shift: Shift, now: datetime) -> int:
    """Inside the shift's own transaction: one post per group linked to its team."""
    if shift.team_id is None:
        return 0
    return await _post(session, "shift", shift.id, shift.team_id, shift.starts_at,
                       KIND_SHIFT_POST, f"shift:{shift.id}", now)


async def post_new_event(session: AsyncSession, event: Event, now: datetime) -> int:
    if event.team_id is None:
        return 0
    return await _post(session, "event", event.id, event.team_id, event.starts_at,
                       KIND_EVENT_POST, f"event:{event.id}", now)


async def _post(
    session: AsyncSession, kind: str, target_id: int, team_id: int, live_until: datetime,
    outbox_kind: str, cause: str, now: datetime,
) -> int:
    chats = await group_chats(session, [team_id])
    messages = []
    for chat_id in chats:
        key = f"grp-post:{kind}:{target_id}:{chat_id}"
        session.add(GroupPost(chat_id=chat_id, kind=kind, target_id=target_id, dedup_key=key,
                              live_until=live_until, created_at=now))
        messages.append(NewMessage(
            kind=outbox_kind, chat_id=chat_id, dedup_key=key, due_at=now,
            params={f"{kind}_id": target_id}, cause=cause, priority=PRIORITY_REMINDER,
            # A coordinator's own action, seen together by the team: not held for the night.
            urgent=True,
        ))
    await session.flush()
    return await enqueue(session, messages)


def shift_state(shift: Shift) -> str:
    return f"{shift.taken}/{shift.capacity}/{shift.status.value}"


def event_state(event: Event) -> str:
    return f"{event.going_count}/{event.capacity or 0}/{event.status.value}"


async def shift_post(
    session: AsyncSession, shift: Shift, reader: Reader
) -> Outgoing:
    """The group's view of a shift: the work and how full it is, nobody's name."""
    view = await shift_view(session, shift)
    text = [reader.t("groups.shift_post", team=view.team_name or "", title=view.title,
                     when=reader.time_range(view.starts_at, view.ends_at),
                     place=view.place or "—")]
    if view.skill_name:
        text.append(reader.t("groups.post_skill", skill=view.skill_name))
    keyboard: Keyboard = ()
    if view.cancelled:
        text.append(reader.t("groups.post_cancelled"))
    elif view.starts_at <= reader.now:
        text.append(reader.t("groups.post_started"))
    elif view.free == 0:
        text.append(reader.t("groups.shift_full", capacity=view.capacity))
    else:
        text.append(reader.t("groups.shift_fill", taken=view.taken, capacity=view.capacity,
                             free=view.free))
        keyboard = [[Button(reader.t("groups.btn_claim"), f"{CB_GROUP}:c:{view.id}")]]
    return Outgoing("\n".join(text), keyboard)


async def event_post(session: AsyncSession, event: Event, reader: Reader) -> Outgoing:
    team = await session.get(Team, event.team_id) if event.team_id else None
    text = [reader.t("groups.event_post", team=team.name if team else "", title=event.title,
                     when=reader.time_range(event.starts_at, event.ends_at),
                     place=event.place or "—")]
    keyboard: Keyboard = ()
    full = event.capacity is not None and event.going_count >= event.capacity
    if event.status == EventStatus.CANCELLED:
        text.append(reader.t("groups.post_cancelled"))
    elif event.starts_at <= reader.now:
        text.append(reader.t("groups.post_started"))
    elif full:
        text.append(reader.t("groups.event_full", going=event.going_count))
    else:
        if event.capacity:
            text.append(reader.t("groups.event_fill_of", going=event.going_count,
                                 capacity=event.capacity))
        else:
            text.append(reader.t("groups.event_fill", going=event.going_count))
        keyboard = [[Button(reader.t("groups.btn_going"), f"{CB_GROUP}:g:{event.id}")]]
    return Outgoing("\n".join(text), keyboard)


async def _linked(session: AsyncSession, chat_id: int) -> bool:
    found = await session.scalar(select(TeamGroup.id).where(TeamGroup.chat_id == chat_id))
    return found is not None


async def _post_row(session: AsyncSession, row: OutboxMessage) -> GroupPost | None:
    return await session.scalar(select(GroupPost).where(GroupPost.dedup_key == row.dedup_key))


@renderer(KIND_SHIFT_POST)
async def render_shift_post(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    shift = await session.get(Shift, int(param(row, "shift_id", 0)))
    post = await _post_row(session, row)
    if (shift is None or post is None or shift.status != ShiftStatus.OPEN
            or not await _linked(session, row.chat_id)):
        return None  # cancelled, or the group was unlinked / removed the bot meanwhile
    post.shown = shift_state(shift)  # what this very text shows
    return await shift_post(session, shift, reader)


@renderer(KIND_EVENT_POST)
async def render_event_post(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    event = await session.get(Event, int(param(row, "event_id", 0)))
    post = await _post_row(session, row)
    if (event is None or post is None or event.status == EventStatus.CANCELLED
            or not await _linked(session, row.chat_id)):
        return None
    post.shown = event_state(event)
    return await event_post(session, event, reader)


# ---- keeping posts up to date ----------------------------------------------------------
async def stale_posts(
    sessionmaker: async_sessionmaker[AsyncSession], reader: Reader, *,
    limit: int = MAX_EDITS_PER_TICK,
) -> list[PostEdit]:
    """Posts out in their groups whose shift or event changed since: the text they need."""
    now = reader.now
    edits: list[PostEdit] = []
    async with sessionmaker() as session:
        sent = (
            select(GroupPost, OutboxMessage.telegram_message_id)
            .join(OutboxMessage, OutboxMessage.dedup_key == GroupPost.dedup_key)
            .where(OutboxMessage.status == OutboxStatus.SENT,
                   OutboxMessage.telegram_message_id.is_not(None),
                   GroupPost.shown.is_not(None))
        )
        shifts = await session.execute(
            sent.add_columns(Shift).join(Shift, Shift.id == GroupPost.target_id)
            .where(GroupPost.kind == "shift", GroupPost.live_until > now - _GRACE)
            .order_by(GroupPost.id).limit(limit * 4)
        )
        for post, message_id, shift in shifts.all():
            state = shift_state(shift) + ("/started" if shift.starts_at <= now else "")
            if state != post.shown and len(edits) < limit:
                edits.append(PostEdit(post.id, post.chat_id, int(message_id), state,
                                      await shift_post(session, shift, reader)))
        events = await session.execute(
            sent.add_columns(Event).join(Event, Event.id == GroupPost.target_id)
            .where(GroupPost.kind == "event", GroupPost.live_until > now - _GRACE)
            .order_by(GroupPost.id).limit(limit * 4)
        )
        for post, message_id, event in events.all():
            state = event_state(event) + ("/started" if event.starts_at <= now else "")
            if state != post.shown and len(edits) < limit:
                edits.append(PostEdit(post.id, post.chat_id, int(message_id), state,
                                      await event_post(session, event, reader)))
    return edits


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


# ---- claiming from a group -------------------------------------------------------------
async def _check_post(session: AsyncSession, chat_id: int, kind: str, target_id: int) -> None:
    """The button must be on a post of this very object in this very group (forged data
    naming another team's shift is refused, not claimed)."""
    found = await session.scalar(
        select(GroupPost.id).where(
            GroupPost.chat_id == chat_id, GroupPost.kind == kind, GroupPost.target_id == target_id
        )
    )
    if found is None:
        raise NotFound("groups.post_gone")


async def claim_from_group(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    chat_id: int,
    shift_id: int,
    settings: Settings,
    *,
    now: datetime,
) -> ClaimResult:
    """Claims for the person who tapped; the confirmation goes to their private chat."""
    async with sessionmaker() as session:
        await _check_post(session, chat_id, "shift", shift_id)
    result = await claim_shift(sessionmaker, actor, shift_id, settings, now=now)
    if result.signup_id is not None:
        async with sessionmaker.begin() as session:
            await enqueue(session, [NewMessage(
                kind=KIND_CLAIMED, chat_id=actor.telegram_id, person_id=actor.person_id,
                dedup_key=f"grp-claimed:{result.signup_id}", due_at=now,
                params={"shift_id": shift_id, "signup_id": result.signup_id},
                cause=f"signup:{result.signup_id}", priority=PRIORITY_INTERACTIVE, urgent=True,
            )])
    return result


async def going_from_group(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    chat_id: int,
    event_id: int,
    settings: Settings,
    *,
    now: datetime,
) -> bool:
    """RSVPs "going" for the person who tapped; True when it changed their answer."""
    from bot.services.events.events import Timing, rsvp
    from models import RsvpStatus

    async with sessionmaker() as session:
        await _check_post(session, chat_id, "event", event_id)
    result = await rsvp(sessionmaker, actor, event_id, RsvpStatus.GOING,
                        timing=Timing.from_settings(settings), now=now)
    if result.changed:
        async with sessionmaker.begin() as session:
            await enqueue(session, [NewMessage(
                kind=KIND_GOING, chat_id=actor.telegram_id, person_id=actor.person_id,
                dedup_key=f"grp-going:{event_id}:{actor.person_id}:{int(now.timestamp())}",
                due_at=now, params={"event_id": event_id}, cause=f"event:{event_id}",
                priority=PRIORITY_INTERACTIVE, urgent=True,
            )])
    return result.changed


@renderer(KIND_CLAIMED)
async def render_claimed(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    from bot.views.shifts import CB_SHIFT, shift_lines

    signup = await session.get(ShiftSignup, int(param(row, "signup_id", 0)))
    shift = await session.get(Shift, int(param(row, "shift_id", 0)))
    if signup is None or shift is None or shift.status != ShiftStatus.OPEN:
        return None
    text = reader.t("groups.claimed_private") + "\n" + shift_lines(
        reader, await shift_view(session, shift))
    keyboard = [[Button(reader.t("shifts.btn_release"), f"{CB_SHIFT}:r:{signup.id}")]]
    return Outgoing(text, keyboard)


@renderer(KIND_GOING)
async def render_going(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    event = await session.get(Event, int(param(row, "event_id", 0)))
    if event is None or event.status == EventStatus.CANCELLED:
        return None
    return Outgoing(reader.t("groups.going_private", title=truncate(event.title, 200),
                             when=reader.time_range(event.starts_at, event.ends_at)))


