"""Calendar files (.ics) for my upcoming events and shifts, so phones remind people too.

Times are written in the person's timezone with its VTIMEZONE block (calendar
apps then show them right even when the phone travels), each entry carries a
VALARM at the nearest reminder offset, and the UID is stable per event so
importing the file again updates the entry instead of duplicating it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import NotFound
from bot.services.authz import Permission, can, is_team_scoped
from bot.services.events.reading import load_event
from bot.services.events.visibility import may_see
from bot.services.people.members import Actor
from models import Event, EventRsvp, EventStatus, RsvpStatus, Shift, ShiftSignup, ShiftStatus

PRODID = "-//Gotong//Campaign volunteer bot//EN"
UID_DOMAIN = "gotong.bot"
MAX_RUN_ENTRIES = 300  # of events, and of shifts, that a coordinator's file carries


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    uid: str
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str | None = None
    description: str | None = None
    url: str | None = None


def build_ics(entries: list[CalendarEntry], tz: str, alarm_before: timedelta) -> bytes:
    # Imported on first use: nobody needs icalendar until someone asks for /calendar.
    from icalendar import Alarm, Calendar
    from icalendar import Event as IcsEvent

    zone = ZoneInfo(tz)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-timezone", tz)
    for entry in entries:
        item = IcsEvent()
        item.add("uid", entry.uid)
        item.add("summary", entry.title)
        item.add("dtstamp", entry.starts_at)
        item.add("dtstart", entry.starts_at.astimezone(zone))
        item.add("dtend", entry.ends_at.astimezone(zone))
        if entry.place:
            item.add("location", entry.place)
        if entry.description:
            item.add("description", entry.description)
        if entry.url:
            item.add("url", entry.url)
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", entry.title)
        alarm.add("trigger", -alarm_before)
        item.add_component(alarm)
        cal.add_component(item)
    cal.add_missing_timezones()
    return cal.to_ical()


def _event_entry(event: Event) -> CalendarEntry:
    url = None
    if event.latitude is not None and event.longitude is not None:
        url = f"https://maps.google.com/?q={event.latitude:.6f},{event.longitude:.6f}"
    return CalendarEntry(
        uid=f"event-{event.id}@{UID_DOMAIN}",
        title=event.title,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        place=event.place,
        description=event.description,
        url=url,
    )


def _shift_entry(s: Shift) -> CalendarEntry:
    return CalendarEntry(
        uid=f"shift-{s.id}@{UID_DOMAIN}",
        title=s.title,
        starts_at=s.starts_at,
        ends_at=s.ends_at,
        place=s.place or None,
        description=s.notes or None,
    )


async def _shift_entries(
    session: AsyncSession, person_id: int, now: datetime
) -> list[CalendarEntry]:
    """My upcoming shifts that are not cancelled."""
    query = (
        select(Shift)
        .join(ShiftSignup, ShiftSignup.shift_id == Shift.id)
        .where(
            ShiftSignup.person_id == person_id,
            Shift.ends_at > now,
            Shift.status != ShiftStatus.CANCELLED,
        )
        .order_by(Shift.starts_at)
    )
    return [_shift_entry(s) for s in await session.scalars(query)]


async def _run_entries(session: AsyncSession, actor: Actor, now: datetime) -> list[CalendarEntry]:
    """The upcoming events and shifts this person runs: a lead their teams', a coordinator
    (or admin) all of them; nothing for anyone else."""
    teams: frozenset[int] | None
    if is_team_scoped(actor):
        teams = actor.lead_team_ids
        if not teams:
            return []
    elif can(actor, Permission.MANAGE_EVENTS):
        teams = None
    else:
        return []
    events = select(Event).where(Event.status == EventStatus.SCHEDULED, Event.ends_at > now)
    shifts = select(Shift).where(Shift.status != ShiftStatus.CANCELLED, Shift.ends_at > now)
    if teams is not None:
        events = events.where(Event.team_id.in_(teams))
        shifts = shifts.where(Shift.team_id.in_(teams))
    found = [_event_entry(e) for e in await session.scalars(
        events.order_by(Event.starts_at, Event.id).limit(MAX_RUN_ENTRIES)
    )]
    found += [_shift_entry(s) for s in await session.scalars(
        shifts.order_by(Shift.starts_at, Shift.id).limit(MAX_RUN_ENTRIES)
    )]
    return found


async def my_calendar(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    *,
    tz: str,
    alarm_before: timedelta,
    now: datetime,
) -> tuple[int, bytes]:
    """(how many entries, the .ics) of my events (Going or Maybe) and shifts not over yet,
    and those I run (a lead: their teams'; a coordinator: all)."""
    async with sessionmaker() as session:
        events = await session.scalars(
            select(Event)
            .join(EventRsvp, EventRsvp.event_id == Event.id)
            .where(
                EventRsvp.person_id == actor.person_id,
                EventRsvp.status.in_((RsvpStatus.GOING, RsvpStatus.MAYBE)),
                Event.status == EventStatus.SCHEDULED,
                Event.ends_at > now,
            )
            .order_by(Event.starts_at)
        )
        entries = [_event_entry(e) for e in events]
        entries += await _shift_entries(session, actor.person_id, now)
        entries += await _run_entries(session, actor, now)
    # One entry each (an event I attend and run is one), soonest first.
    entries = sorted({e.uid: e for e in entries}.values(), key=lambda e: (e.starts_at, e.uid))
    return len(entries), build_ics(entries, tz, alarm_before)


async def event_calendar(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    event_id: int,
    *,
    tz: str,
    alarm_before: timedelta,
) -> tuple[str, bytes]:
    """(filename, .ics) of one event, from its card."""
    async with sessionmaker() as session:
        event = await load_event(session, event_id)
        if not await may_see(session, actor, event):
            raise NotFound("events.not_found", id=event_id)
        return f"event-{event.id}.ics", build_ics([_event_entry(event)], tz, alarm_before)
