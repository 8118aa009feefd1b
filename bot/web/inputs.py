"""Reading a Mini App request: JSON fields, query and path numbers, local date-times.

Every value the page sends is checked here for its shape (a string, an int, a date-time
of <input type=datetime-local>) before a use case sees it; a wrong shape is the same
`InvalidInput` the chat's parsers raise, answered 422 in the person's language.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.errors import InvalidInput, NotFound
from bot.services.shifts.parsing import check_capacity
from bot.services.shifts.series import Series

MAX_BODY = 64 * 1024
MAX_NOTES = 1000
MAX_DESCRIPTION = 2000
BODY_KEY = web.RequestKey("body", dict)


def local_time(value: object, field: str, tz: str) -> datetime:
    """`2026-11-27T08:00` (an <input type=datetime-local>) in the person's zone, to UTC."""
    if not isinstance(value, str) or not 10 <= len(value) <= 32:
        raise InvalidInput("webapp.bad_datetime", field=field)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("webapp.bad_datetime", field=field) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(tz))
    return parsed.astimezone(ZoneInfo("UTC"))


def text(body: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise InvalidInput("webapp.bad_field", field=key)
    return value


def integer(body: dict[str, Any], key: str, *, required: bool = False) -> int | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput("webapp.bad_field", field=key)
    return value


def capacity(value: int | None) -> int:
    if value is None:
        raise InvalidInput("webapp.bad_field", field="capacity")
    return check_capacity(value)


def query_int(request: web.Request, key: str) -> int | None:
    raw = request.query.get(key, "")
    if raw in ("", "all"):
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise InvalidInput("webapp.bad_field", field=key)
    return int(raw)


def path_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit() or len(raw) > 12:
        raise NotFound()
    return int(raw)


def body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object (read and checked before the handler runs)."""
    return request.get(BODY_KEY) or {}


def day(body: dict[str, Any], key: str) -> date | None:
    """`2026-12-24` (an <input type=date>), or None when the field is empty."""
    value = body.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) != 10:
        raise InvalidInput("webapp.bad_datetime", field=key)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("webapp.bad_datetime", field=key) from None


def series(body: dict[str, Any]) -> Series:
    """The planner's repeat form: `step`, and `count` or `until` (the series' own rules)."""
    step = text(body, "step", required=True) or ""
    return Series.of(step, integer(body, "count"), day(body, "until"))
