"""The messages events send on their own, written at send time in the reader's language.

One renderer per outbox kind (the `RENDERERS` table at the end): the invitation, the
reminders, the day-before question and its nudge, "what changed", "it is off", and the escalation to
the organisers.  Each asks the events services whether its reason still holds (the event
on and not begun, the answer still Going, the question still unanswered) and returns
None when it does not, so the dispatcher skips a row the situation overtook.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.renderers import Renderer, param
from bot.services.events.messages import (
    KIND_CANCELLED,
    KIND_CONFIRM,
    KIND_ESCALATION,
    KIND_INVITE,
    KIND_NUDGE,
    KIND_REMINDER,
    KIND_UPDATE,
)
from bot.services.events.reading import (
    PersonRef,
    live_event,
    pending_confirmation,
    still_going,
    unconfirmed_people,
    view_for_person,
)
from bot.views.events import AnswerOnCard, Confirm, Renudge, card_lines, rsvp_buttons
from bot.views.formatting import format_time
from bot.views.i18n import Html, escape
from bot.views.render import Button, Outgoing, Reader
from models import Event, OutboxMessage, Person, RsvpStatus

MAX_ESCALATION_NAMES = 40
MAX_MESSAGE_BUTTONS = 5
SOON_IN_HOURS = timedelta(hours=6)  # up to this, "in 6 hours"; beyond, "today at 18:00"


def _event_id(row: OutboxMessage) -> int:
    return int(param(row, "event_id", 0))


async def render_invite(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    event = await live_event(session, _event_id(row), reader.now)
    if event is None:
        return None
    # The invitation shows the duties ("Registration desk 0/4") so people see where to help.
    view = await view_for_person(session, event, person, with_duties=True)
    lines = [reader.t("events.invite_intro"), *card_lines(view, reader)]
    return Outgoing("\n".join(lines), rsvp_buttons(view, reader))


async def render_reminder(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    event = await live_event(session, _event_id(row), reader.now)
    if event is None or not await still_going(session, int(param(row, "rsvp_id", 0))):
        return None
    view = await view_for_person(session, event, person)
    head = reader.t(
        "events.reminder",
        title=view.title,
        when=reader.time_range(view.starts_at, view.ends_at),
        place=view.place or reader.t("events.no_place"),
    )
    keyboard: list[list[Button]] = []
    if view.map_url:
        keyboard.append([Button(reader.t("events.btn_map"), url=view.map_url)])
    cant = AnswerOnCard(RsvpStatus.DECLINED, view.id).pack()
    keyboard.append([Button(reader.t("events.btn_cant_come"), cant)])
    return Outgoing(head, keyboard)


def _changed_lines(event: Event, before: dict[str, Any], reader: Reader) -> list[str]:
    lines = [reader.t("events.updated", title=event.title)]
    if "title" in before:
        lines.append(reader.t("events.changed_title", old=before["title"], new=event.title))
    if "starts_at" in before:
        old = reader.time_range(
            datetime.fromisoformat(before["starts_at"]), datetime.fromisoformat(before["ends_at"])
        )
        new = reader.time_range(event.starts_at, event.ends_at)
        lines.append(reader.t("events.changed_time", old=old, new=new))
    if "place" in before:
        lines.append(
            reader.t(
                "events.changed_place",
                old=before["place"] or reader.t("events.no_place"),
                new=event.place or reader.t("events.no_place"),
            )
        )
    return lines


async def render_update(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    event = await live_event(session, _event_id(row), reader.now)
    if event is None:
        return None
    before: dict[str, Any] = param(row, "before", {}) or {}
    view = await view_for_person(session, event, person)
    return Outgoing("\n".join(_changed_lines(event, before, reader)), rsvp_buttons(view, reader))


async def render_cancelled(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    event = await session.get(Event, _event_id(row))
    if event is None:
        return None
    return Outgoing(
        reader.t(
            "events.cancelled_notice",
            title=event.title,
            when=reader.time_range(event.starts_at, event.ends_at),
        )
    )


# ---- the day-before question -------------------------------------------------------------------
def confirm_keyboard(reader: Reader, rsvp_id: int) -> list[list[Button]]:
    return [
        [
            Button(reader.t("events.btn_confirm"), Confirm(True, rsvp_id).pack()),
            Button(reader.t("events.btn_cant_come"), Confirm(False, rsvp_id).pack()),
        ]
    ]


async def _question(
    session: AsyncSession, row: OutboxMessage, reader: Reader
) -> tuple[Event, int] | None:
    rsvp_id = int(param(row, "rsvp_id", 0))
    event = await pending_confirmation(session, _event_id(row), rsvp_id, reader.now)
    return None if event is None else (event, rsvp_id)


async def render_confirm(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    found = await _question(session, row, reader)
    if found is None:
        return None
    event, rsvp_id = found
    text = reader.t(
        "events.confirm_ask",
        title=event.title,
        soon=Html(how_soon(event.starts_at, reader)),
        when=reader.time_range(event.starts_at, event.ends_at),
        place=event.place or reader.t("events.no_place"),
    )
    keyboard = confirm_keyboard(reader, rsvp_id)
    view = await view_for_person(session, event, person)
    if view.map_url:  # the question stands in for the reminder due with it
        keyboard.append([Button(reader.t("events.btn_map"), url=view.map_url)])
    return Outgoing(text, keyboard)


def how_soon(start: datetime, reader: Reader) -> str:
    """When it starts, as the reader would say it: "in 40 minutes", "in 6 hours", "today at
    18:00", "tomorrow at 10:00" (days in the reader's zone), or "on Sun, 29 Nov"."""
    left = start - reader.now
    if left < timedelta(hours=1):
        return reader.t("events.soon_minutes", count=max(1, int(left.total_seconds() // 60)))
    if left <= SOON_IN_HOURS:
        return reader.t("events.soon_hours", count=round(left.total_seconds() / 3600))
    zone = ZoneInfo(reader.tz)
    days = (start.astimezone(zone).date() - reader.now.astimezone(zone).date()).days
    at = reader.zoned(format_time(start, reader.lang, reader.tz), start)
    if days == 0:
        return reader.t("events.soon_today", time=at)
    if days == 1:
        return reader.t("events.soon_tomorrow", time=at)
    return reader.t("events.soon_on", day=reader.date(start))


async def render_nudge(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    found = await _question(session, row, reader)
    if found is None:
        return None
    event, rsvp_id = found
    text = reader.t(
        "events.confirm_nudge",
        title=event.title,
        when=reader.time_range(event.starts_at, event.ends_at),
    )
    return Outgoing(text, confirm_keyboard(reader, rsvp_id))


# ---- the escalation ----------------------------------------------------------------------------
def mention(person: PersonRef) -> Html:
    """A tappable name that opens a private chat with the person."""
    return Html(f'<a href="tg://user?id={person.telegram_id}">{escape(person.name)}</a>')


def escalation(event: Event, silent: list[PersonRef], reader: Reader) -> Outgoing:
    """"3 people said they're going but haven't confirmed": names, re-nudge, message links."""
    lines = [
        reader.t(
            "events.escalation",
            title=event.title,
            when=reader.time_range(event.starts_at, event.ends_at),
            count=len(silent),
        )
    ]
    for p in silent[:MAX_ESCALATION_NAMES]:
        handle = f" @{p.username}" if p.username else ""
        lines.append(reader.t("events.escalation_line", name=mention(p), handle=handle))
    if len(silent) > MAX_ESCALATION_NAMES:
        lines.append(reader.t("events.and_more", count=len(silent) - MAX_ESCALATION_NAMES))
    keyboard = [
        [Button(reader.t("events.btn_renudge"), Renudge(event.id).pack())],
        *[
            [
                Button(
                    reader.t("events.btn_message", name=p.name[:30]),
                    url=f"https://t.me/{p.username}",
                )
            ]
            for p in silent[:MAX_MESSAGE_BUTTONS]
            if p.username
        ],
    ]
    return Outgoing("\n".join(lines), keyboard)


async def render_escalation(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    event = await live_event(session, _event_id(row), reader.now)
    if event is None:
        return None
    silent = await unconfirmed_people(session, event.id)
    if not silent:
        return None
    return escalation(event, silent, reader)


# The outbox kinds this module writes (its feature declares them: `Feature.renderers`).
RENDERERS: dict[str, Renderer] = {
    KIND_INVITE: render_invite,
    KIND_REMINDER: render_reminder,
    KIND_UPDATE: render_update,
    KIND_CANCELLED: render_cancelled,
    KIND_CONFIRM: render_confirm,
    KIND_NUDGE: render_nudge,
    KIND_ESCALATION: render_escalation,
}
