"""What a new or edited event must be, and how typed answers become its fields.

One set of rules for every way an event is written: the one-line `/newevent`, the
guided questions (each answer checked at its own step, so a bad length is refused when
it is typed, not after the last question), `/editevent` and the web app.  The parsers
turn text into values and apply the rule of their field; `validate_draft` applies them
all again to the whole draft inside the use case, so nothing skips a rule.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.errors import InvalidInput
from bot.services.events.geo import parse_coordinates, split_place
from bot.timeparse import WhenParseError, describe_formats, parse_duration, parse_when

MAX_TITLE = 200
MAX_PLACE = 200
MAX_DESCRIPTION = 2000
MAX_CAPACITY = 100_000
MAX_LENGTH = timedelta(days=14)
# Answers that mean "nothing here" (no place, no limit, no map location).
SKIP = frozenset({"-", "skip", "lewati", "tidak", "no", "none"})


@dataclass(frozen=True, slots=True)
class EventDraft:
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    team_id: int | None = None
    capacity: int | None = None
    description: str | None = None


# ---- one field at a time (the rules) ---------------------------------------------------------
def check_title(text: str) -> str:
    title = " ".join(text.split())
    if not title:
        raise InvalidInput("events.title_empty")
    if len(title) > MAX_TITLE:
        raise InvalidInput("events.title_too_long", max=MAX_TITLE)
    return title


def check_start(starts_at: datetime, now: datetime) -> datetime:
    if starts_at <= now:
        raise InvalidInput("events.start_in_past")
    return starts_at


def check_times(starts_at: datetime, ends_at: datetime) -> datetime:
    """The end after the start, at most `MAX_LENGTH` later; returns the end."""
    if ends_at <= starts_at:
        raise InvalidInput("events.end_before_start")
    if ends_at - starts_at > MAX_LENGTH:
        raise InvalidInput("events.too_long")
    return ends_at


def _looks_like_time(text: str) -> bool:
    try:
        parse_duration(text)
    except WhenParseError:
        return False
    return True


def check_place(place: str | None) -> str | None:
    """A place name, or None; "2h" or "19:00" is an answer to another question, not a place."""
    cleaned = " ".join((place or "").split()) or None
    if cleaned is None:
        return None
    if _looks_like_time(cleaned):
        raise InvalidInput("events.place_is_time", text=cleaned)
    if len(cleaned) > MAX_PLACE:
        raise InvalidInput("events.place_too_long", max=MAX_PLACE)
    return cleaned


def check_capacity(capacity: int | None) -> int | None:
    if capacity is not None and not 0 < capacity <= MAX_CAPACITY:
        raise InvalidInput("events.bad_capacity", max=MAX_CAPACITY)
    return capacity


def validate_draft(draft: EventDraft, now: datetime) -> EventDraft:
    """The whole draft through every rule (`now`: the moment the start must lie after)."""
    title = check_title(draft.title)
    check_start(draft.starts_at, now)
    check_times(draft.starts_at, draft.ends_at)
    place = check_place(draft.place)
    check_capacity(draft.capacity)
    description = (draft.description or "").strip()[:MAX_DESCRIPTION] or None
    return replace(draft, title=title, place=place, description=description)


# ---- typed answers → values ----------------------------------------------------------------------
def parse_when_text(text: str, *, now: datetime, tz: str, language: str) -> datetime:
    """A date and time as people type it ("besok 19:00"); not yet checked against now."""
    try:
        return parse_when(text, now=now, tz=tz, language=language)
    except WhenParseError:
        raise InvalidInput(
            "events.bad_when", text=text, examples=describe_formats(language)
        ) from None


def parse_start(text: str, *, now: datetime, tz: str, language: str) -> datetime:
    return check_start(parse_when_text(text, now=now, tz=tz, language=language), now)


def parse_end_text(text: str, start: datetime, *, tz: str, language: str) -> datetime:
    """A length ("3h", "90m") or an end time after `start`; not yet checked."""
    try:
        return start + parse_duration(text)
    except WhenParseError:
        pass
    try:
        return parse_when(text, now=start - timedelta(seconds=1), tz=tz, language=language)
    except WhenParseError:
        raise InvalidInput("events.bad_length", text=text) from None


def parse_end(text: str, start: datetime, *, tz: str, language: str) -> datetime:
    """The end an answer names, checked: after the start, at most 14 days long."""
    return check_times(start, parse_end_text(text, start, tz=tz, language=language))


def parse_place(text: str) -> tuple[str | None, tuple[float, float] | None]:
    """The place answer: a name, a name @ coordinates, bare coordinates, or `-` for none."""
    if text.strip().lower() in SKIP:
        return None, None
    place, coords = split_place(text)
    return check_place(place), coords


def parse_location_text(text: str) -> tuple[float, float] | None:
    """Typed coordinates for the map location; None for `-` (skip)."""
    if text.strip().lower() in SKIP:
        return None
    coords = parse_coordinates(text)
    if coords is None:
        raise InvalidInput("events.bad_location")
    return coords


def parse_capacity(text: str) -> int | None:
    """A number of places, or None (no limit) for `-` or nothing."""
    raw = text.strip().lower()
    if raw in SKIP or not raw:
        return None
    if not raw.isdigit() or len(raw) > 7:
        raise InvalidInput("events.bad_capacity", max=MAX_CAPACITY)
    return check_capacity(int(raw))
