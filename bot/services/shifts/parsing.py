"""Reading what coordinators type for shifts and tasks: dates, lengths, capacities, one-liners.

The guided flow and the one-line commands share these, so "besok 08:00" or a
capacity of 0 is accepted or refused with the same words either way.  Every
refusal is an `InvalidInput` whose key names what to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.errors import InvalidInput
from bot.timeparse import WhenParseError, describe_formats, parse_duration, parse_when

MAX_CAPACITY = 10_000
MAX_TITLE = 120
MAX_PLACE = 200
MAX_SHIFT_LENGTH = timedelta(hours=24)
_BARE_TIME_RE = re.compile(
    r"(?:jam |pukul |pkl |at )?\d{1,2}(?:[:.]\d{2})?(?: ?(?:am|pm|pagi|siang|sore|malam))?"
    r"(?: ?(?:wib|wita|wit))?"
)
NO_VALUE = ("-", "", "—", "none", "tidak", "tidak ada", "skip", "lewati")
# The optional last field of a one-line shift: `event:12` (or `acara:12`), as budget
# lines name an event.
_EVENT_FIELD_RE = re.compile(r"(?:event|acara)\s*:\s*#?(\S*)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ShiftDraft:
    team_ref: str | None
    title: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    place: str
    skill_ref: str | None = None
    notes: str = ""
    # The event this shift is a role of (checked by `shifts.create_shift`).
    event_id: int | None = None


@dataclass(frozen=True, slots=True)
class TaskDraft:
    team_ref: str | None
    title: str
    deadline: datetime
    capacity: int = 1
    skill_ref: str | None = None
    description: str = ""


def optional(text: str | None) -> str | None:
    if text is None:
        return None
    cleaned = " ".join(text.split())
    return None if cleaned.casefold() in NO_VALUE else cleaned


def parse_title(text: str) -> str:
    title = " ".join(text.split())
    if not title:
        raise InvalidInput("shifts.bad_title", max=MAX_TITLE)
    if len(title) > MAX_TITLE:
        raise InvalidInput("shifts.bad_title", max=MAX_TITLE)
    return title


def parse_place(text: str) -> str:
    return " ".join(text.split())[:MAX_PLACE]


def parse_start(text: str, *, now: datetime, tz: str, language: str) -> datetime:
    """A start or deadline in the future; the error lists the formats that work."""
    try:
        when = parse_when(text, now=now, tz=tz, language=language)
    except WhenParseError:
        raise InvalidInput(
            "shifts.bad_when", text=text, formats=describe_formats(language)
        ) from None
    if when <= now:
        raise InvalidInput("shifts.in_past", text=text)
    return when


def parse_end(text: str, start: datetime, *, now: datetime, tz: str, language: str) -> datetime:
    """A length ("3j", "90m", "1:30") or an end time ("12:00", "besok 12:00") after `start`."""
    try:
        # "12:30" is an end time here, not a length: lengths carry a unit ("3j", "90m").
        if re.fullmatch(r"\d{1,2}[:.]\d{2}", text.strip()):
            raise WhenParseError("unparseable", text)
        end = start + parse_duration(text)
    except WhenParseError:
        try:
            # A bare time ("12:00", "jam 6 sore") is read relative to the start, so it is the
            # next such time after the start; a text with a day ("besok 07:00") relative to now.
            bare = _BARE_TIME_RE.fullmatch(text.strip().lower()) is not None
            end = parse_when(text, now=start if bare else now, tz=tz, language=language)
        except WhenParseError:
            raise InvalidInput(
                "shifts.bad_end", text=text, formats=describe_formats(language)
            ) from None
    if end <= start:
        raise InvalidInput("shifts.end_before_start")
    if end - start > MAX_SHIFT_LENGTH:
        raise InvalidInput("shifts.too_long")
    return end


def parse_capacity(text: str) -> int:
    raw = text.strip()
    if not raw.isdigit() or len(raw) > 9:
        raise InvalidInput("shifts.bad_capacity", max=MAX_CAPACITY)
    return check_capacity(int(raw))


def check_capacity(value: int) -> int:
    if value < 1 or value > MAX_CAPACITY:
        raise InvalidInput("shifts.bad_capacity", max=MAX_CAPACITY)
    return value


def split_line(text: str) -> list[str]:
    return [part.strip() for part in text.split("|")]


def pop_event_field(parts: list[str]) -> tuple[list[str], int | None]:
    """Takes a trailing `event:12` field off a one-liner: (the other fields, 12)."""
    match = _EVENT_FIELD_RE.fullmatch(parts[-1]) if parts else None
    if match is None:
        return parts, None
    ref = match.group(1)
    if not ref.isdigit() or len(ref) > 12:
        raise InvalidInput("event_roles.bad_event_field", text=parts[-1])
    return parts[:-1], int(ref)


def parse_shift_line(text: str, *, now: datetime, tz: str, language: str) -> ShiftDraft:
    """`team | title | start | length or end | capacity | place [| skill] [| notes]
    [| event:ID]`."""
    parts, event_id = pop_event_field(split_line(text))
    if len(parts) < 6 or len(parts) > 8:
        raise InvalidInput("shifts.usage")
    team, title, start_text, end_text, capacity_text, place = parts[:6]
    start = parse_start(start_text, now=now, tz=tz, language=language)
    return ShiftDraft(
        team_ref=optional(team),
        title=parse_title(title),
        starts_at=start,
        ends_at=parse_end(end_text, start, now=now, tz=tz, language=language),
        capacity=parse_capacity(capacity_text),
        place=parse_place(place),
        skill_ref=optional(parts[6]) if len(parts) > 6 else None,
        notes=parts[7] if len(parts) > 7 else "",
        event_id=event_id,
    )


def parse_task_line(text: str, *, now: datetime, tz: str, language: str) -> TaskDraft:
    """`team | title | deadline [| capacity] [| skill] [| description]`."""
    parts = split_line(text)
    if len(parts) < 3 or len(parts) > 6:
        raise InvalidInput("tasks.usage")
    capacity = 1
    if len(parts) > 3 and optional(parts[3]) is not None:
        capacity = parse_capacity(parts[3])
    return TaskDraft(
        team_ref=optional(parts[0]),
        title=parse_title(parts[1]),
        deadline=parse_start(parts[2], now=now, tz=tz, language=language),
        capacity=capacity,
        skill_ref=optional(parts[4]) if len(parts) > 4 else None,
        description=parts[5] if len(parts) > 5 else "",
    )
