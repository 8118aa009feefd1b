"""Team group chats: link a group to a team, claim or say "going" from the bot's posts.

The posts themselves (written with a new shift or event, kept up to date) are
`bot.services.reach.posts`.  Nothing personal is said in a group: the confirmation of a
claim or a "going" goes to the person's private chat through the outbox
(`GROUP_CLAIMED`, `GROUP_GOING`); `claimed_to_send` / `going_to_send` say what it shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery import outbox
from bot.delivery.kinds import GROUP_CLAIMED, GROUP_GOING
from bot.delivery.outbox import enqueue
from bot.delivery.renderers import param
from bot.errors import Conflict, NotFound
from bot.services import audit
from bot.services.authz import Permission, require
from bot.services.people.members import Actor
from bot.services.people.teams import find_team
from bot.services.reach.posts import SHIFT_POSTS, GroupEvent, group_event
from bot.services.shifts.claims import ClaimResult, claim_shift
from bot.services.shifts.common import ShiftView, shift_view
from models import (
    Event,
    EventStatus,
    GroupPost,
    OutboxMessage,
    Person,
    Shift,
    ShiftSignup,
    ShiftStatus,
    Team,
    TeamGroup,
)


@dataclass(frozen=True, slots=True)
class GroupLink:
    chat_id: int
    team_id: int
    team_name: str
    relinked: bool  # the group was linked to another team before


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
    await outbox.withdraw_chat(session, chat_id)
    return bool(found.rowcount)  # type: ignore[attr-defined]


async def linked_team(sessionmaker: async_sessionmaker[AsyncSession], chat_id: int) -> str | None:
    """The name of the team this group is linked to (None: not linked)."""
    async with sessionmaker() as session:
        return await session.scalar(
            select(Team.name).join(TeamGroup, TeamGroup.team_id == Team.id)
            .where(TeamGroup.chat_id == chat_id)
        )


async def known_person(sessionmaker: async_sessionmaker[AsyncSession], telegram_id: int) -> bool:
    """Whether this Telegram user ever used the bot (a stranger gets a deep link instead)."""
    async with sessionmaker() as session:
        found = await session.scalar(
            select(Person.id).where(Person.telegram_id == telegram_id).limit(1)
        )
        return found is not None


# ---- claiming from a group -------------------------------------------------------------
async def _check_post(
    session: AsyncSession, chat_id: int, kinds: tuple[str, ...], target_id: int
) -> None:
    """The button must be on a post of this very object in this very group (forged data
    naming another team's shift is refused, not claimed): its own post, a "places left"
    post or a series post listing it."""
    found = await session.scalar(
        select(GroupPost.id).where(
            GroupPost.chat_id == chat_id, GroupPost.kind.in_(kinds),
            GroupPost.target_id == target_id,
        ).limit(1)
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
        await _check_post(session, chat_id, SHIFT_POSTS, shift_id)
    result = await claim_shift(sessionmaker, actor, shift_id, settings, now=now)
    if result.signup_id is not None:
        async with sessionmaker.begin() as session:
            await enqueue(session, [GROUP_CLAIMED.message(
                chat_id=actor.telegram_id, person_id=actor.person_id, due_at=now,
                params={"shift_id": shift_id, "signup_id": result.signup_id},
                signup_id=result.signup_id,
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
        await _check_post(session, chat_id, ("event",), event_id)
    result = await rsvp(sessionmaker, actor, event_id, RsvpStatus.GOING,
                        timing=Timing.from_settings(settings), now=now)
    if result.changed:
        async with sessionmaker.begin() as session:
            await enqueue(session, [GROUP_GOING.message(
                chat_id=actor.telegram_id, person_id=actor.person_id, due_at=now,
                params={"event_id": event_id}, event_id=event_id, stamp=now,
            )])
    return result.changed


# ---- what the outbox renderers show ----------------------------------------------------
@dataclass(frozen=True, slots=True)
class ClaimedNotice:
    """The private confirmation of a claim made in a group."""

    signup_id: int
    shift: ShiftView


async def claimed_to_send(session: AsyncSession, row: OutboxMessage) -> ClaimedNotice | None:
    signup = await session.get(ShiftSignup, int(param(row, "signup_id", 0)))
    shift = await session.get(Shift, int(param(row, "shift_id", 0)))
    if signup is None or shift is None or shift.status != ShiftStatus.OPEN:
        return None
    return ClaimedNotice(signup.id, await shift_view(session, shift))


async def going_to_send(session: AsyncSession, row: OutboxMessage) -> GroupEvent | None:
    event = await session.get(Event, int(param(row, "event_id", 0)))
    if event is None or event.status == EventStatus.CANCELLED:
        return None
    return await group_event(session, event)
