"""Timezone names checked before zoneinfo sees them.

`ZoneInfo(name)` opens a file under the tz database's directory, so a name that is a
directory there (`Asia`, `America`), too long for the file system (300 characters), or
odd in other ways raises `IsADirectoryError`/`OSError` rather than
`ZoneInfoNotFoundError`.  Every name typed by a person or read from the settings goes
through `zone_or_none` first: a known IANA key (the set zoneinfo itself lists, from the
system database or the `tzdata` package) or nothing.
"""

from __future__ import annotations

import functools
import re
from zoneinfo import ZoneInfo, available_timezones

# IANA keys are at most a few dozen ASCII characters: letters, digits, "_", "-", "+", "/".
_SHAPE = re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+){0,2}")
MAX_LENGTH = 64


@functools.cache
def _known() -> frozenset[str]:
    return frozenset(available_timezones())


def is_known_zone(name: str) -> bool:
    """True for an IANA timezone key such as `Asia/Makassar` (exact spelling)."""
    return len(name) <= MAX_LENGTH and _SHAPE.fullmatch(name) is not None and name in _known()


def zone_or_none(name: str) -> ZoneInfo | None:
    """The zone for a known IANA key, else None; never raises."""
    return ZoneInfo(name) if is_known_zone(name) else None
