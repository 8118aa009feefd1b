"""Where an event is: "GOR Senayan @ -6.21,106.80" read into a name and coordinates, and
the distance a shared location lies from it (check-in by location).

Pure functions, no database: the new-event questions, /editevent and the check-in all
read places the same way.
"""

from __future__ import annotations

import math
import re

_COORDS = re.compile(r"(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
EARTH_RADIUS_M = 6_371_000.0


def parse_coordinates(text: str) -> tuple[float, float] | None:
    """`-6.2088, 106.8456` → (lat, lon); None when the text is not a coordinate pair."""
    match = _COORDS.fullmatch(text.strip())
    if not match:
        return None
    lat, lon = float(match[1]), float(match[2])
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def split_place(text: str) -> tuple[str | None, tuple[float, float] | None]:
    """`GOR Senayan @ -6.21,106.80` → ("GOR Senayan", (-6.21, 106.8)); either part optional."""
    name, sep, coords = text.rpartition("@")
    if sep:
        found = parse_coordinates(coords)
        if found is not None:
            return (name.strip() or None), found
    found = parse_coordinates(text)
    if found is not None:
        return None, found
    return (text.strip() or None), None


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (accurate to well under a metre at event scale)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))
