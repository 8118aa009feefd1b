"""The JSON shapes the Mini App's pages draw: planner cards of shifts and events, list rows.

Local days and times are in the person's zone (the `Reader`'s), so the page never does
time-zone arithmetic; `fill` is the planner's colour (open, low, ok, full).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.services.planning import week
from bot.services.shifts.common import ShiftView
from bot.views.render import Reader


def iso(moment: datetime) -> str:
    return moment.isoformat()


def local_parts(
    reader: Reader, start: datetime, end: datetime, *, when: bool = False
) -> dict[str, str]:
    """Local day and times; `when` adds the Babel-formatted range (lists, not the planner's
    hundreds of cards, which show start-end under their day's heading)."""
    zone = ZoneInfo(reader.tz)
    a, b = start.astimezone(zone), end.astimezone(zone)
    parts = {
        "day": a.date().isoformat(),
        "start_local": a.strftime("%Y-%m-%dT%H:%M"),
        "end_local": b.strftime("%Y-%m-%dT%H:%M"),
        "start": a.strftime("%H:%M"),
        "end": b.strftime("%H:%M"),
    }
    if when:
        parts["when"] = reader.time_range(start, end)
    return parts


def fill(taken: int, capacity: int | None) -> str:
    if capacity is None or capacity <= 0:
        return "open"
    if taken >= capacity:
        return "full"
    return "ok" if taken >= capacity * week.UNDERSTAFFED_BELOW else "low"


def shift_json(reader: Reader, s: week.PlannedShift) -> dict[str, Any]:
    return {
        "kind": "shift",
        "id": s.id,
        "title": s.title,
        "team_id": s.team_id,
        "team_name": s.team_name,
        "event_id": s.event_id,
        "place": s.place,
        "notes": s.notes,
        "starts_at": iso(s.starts_at),
        "ends_at": iso(s.ends_at),
        **local_parts(reader, s.starts_at, s.ends_at),
        "capacity": s.capacity,
        "taken": s.taken,
        "waitlist": s.waitlist,
        "checked_in": s.checked_in,
        "fill": fill(s.taken, s.capacity),
        "understaffed": s.understaffed(reader.now),
        "cancelled": s.cancelled,
        "version": iso(s.version),
    }


def event_json(reader: Reader, e: week.PlannedEvent) -> dict[str, Any]:
    return {
        "kind": "event",
        "id": e.id,
        "title": e.title,
        "team_id": e.team_id,
        "team_name": e.team_name,
        "place": e.place or "",
        "description": e.description or "",
        "starts_at": iso(e.starts_at),
        "ends_at": iso(e.ends_at),
        **local_parts(reader, e.starts_at, e.ends_at),
        "capacity": e.capacity,
        "going": e.going,
        "confirmed": e.confirmed,
        "fill": fill(e.going, e.capacity),
        "understaffed": e.understaffed(reader.now),
        "cancelled": e.cancelled,
        "version": iso(e.version),
    }


def open_shift_json(reader: Reader, v: ShiftView) -> dict[str, Any]:
    """A row of the volunteer's lists (theirs, the open ones)."""
    return {
        "id": v.id, "title": v.title, "team_name": v.team_name, "place": v.place,
        "capacity": v.capacity, "taken": v.taken, "free": v.free, "skill": v.skill_name,
        **local_parts(reader, v.starts_at, v.ends_at, when=True),
    }
