"""How the bot's posts in team group chats look, their buttons, and the private notices
that answer a tap on them (outbox renderers, written at send time).

A post shows the work and how full it is, never anybody's name
(`bot.services.reach.posts`); the Claim and Going buttons carry typed data
(`GroupClaim`, `GroupGoing`) that the handlers re-check against the post in that group.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.kinds import GROUP_CLAIMED, GROUP_EVENT_POST, GROUP_GOING, GROUP_SHIFT_POST
from bot.delivery.renderers import Renderer
from bot.services.reach import groups, posts
from bot.services.reach.posts import GroupEvent, GroupPostView
from bot.services.shifts.common import ShiftView
from bot.views.callbacks import CallbackData, callback
from bot.views.render import Button, Keyboard, Outgoing, Reader, truncate
from bot.views.shift_buttons import ReleaseSignup
from bot.views.shifts import shift_lines
from models import OutboxMessage, Person


@callback("grc")
@dataclass(frozen=True, slots=True)
class GroupClaim(CallbackData):
    """Claim on a group's shift post: for the person who tapped."""

    shift_id: int


@callback("grg")
@dataclass(frozen=True, slots=True)
class GroupGoing(CallbackData):
    """Going on a group's event post."""

    event_id: int


def shift_post(reader: Reader, view: ShiftView) -> Outgoing:
    """The group's view of a shift: the work and how full it is, nobody's name."""
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
        keyboard = [[Button(reader.t("groups.btn_claim"), GroupClaim(view.id).pack())]]
    return Outgoing("\n".join(text), keyboard)


def event_post(reader: Reader, event: GroupEvent) -> Outgoing:
    text = [reader.t("groups.event_post", team=event.team_name, title=event.title,
                     when=reader.time_range(event.starts_at, event.ends_at),
                     place=event.place or "—")]
    keyboard: Keyboard = ()
    if event.cancelled:
        text.append(reader.t("groups.post_cancelled"))
    elif event.starts_at <= reader.now:
        text.append(reader.t("groups.post_started"))
    elif event.full:
        text.append(reader.t("groups.event_full", going=event.going))
    else:
        if event.capacity:
            text.append(reader.t("groups.event_fill_of", going=event.going,
                                 capacity=event.capacity))
        else:
            text.append(reader.t("groups.event_fill", going=event.going))
        keyboard = [[Button(reader.t("groups.btn_going"), GroupGoing(event.id).pack())]]
    return Outgoing("\n".join(text), keyboard)


def group_post(reader: Reader, post: GroupPostView) -> Outgoing:
    """A shift's or an event's post, whichever this one is."""
    if isinstance(post, GroupEvent):
        return event_post(reader, post)
    return shift_post(reader, post)


def going_notice(reader: Reader, title: str, starts_at: datetime, ends_at: datetime) -> str:
    """The private "you're going" after a tap in the group (or its deep link)."""
    return reader.t("groups.going_private", title=truncate(title, 200),
                    when=reader.time_range(starts_at, ends_at))


# ---- outbox renderers -------------------------------------------------------------------
async def render_shift_post(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    view = await posts.shift_post_to_send(session, row)
    return None if view is None else shift_post(reader, view)


async def render_event_post(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    event = await posts.event_post_to_send(session, row)
    return None if event is None else event_post(reader, event)


async def render_claimed(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    notice = await groups.claimed_to_send(session, row)
    if notice is None:
        return None
    text = reader.t("groups.claimed_private") + "\n" + shift_lines(reader, notice.shift)
    keyboard = [[Button(reader.t("shifts.btn_release"), ReleaseSignup(notice.signup_id).pack())]]
    return Outgoing(text, keyboard)


async def render_going(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    event = await groups.going_to_send(session, row)
    if event is None:
        return None
    return Outgoing(going_notice(reader, event.title, event.starts_at, event.ends_at))


# The outbox kinds this module writes (its feature declares them: `Feature.renderers`).
RENDERERS: dict[str, Renderer] = {
    GROUP_SHIFT_POST.name: render_shift_post,
    GROUP_EVENT_POST.name: render_event_post,
    GROUP_CLAIMED.name: render_claimed,
    GROUP_GOING.name: render_going,
}
