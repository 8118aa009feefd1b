"""The check-in QR code: a PNG of the event's secret deep link, for coordinators to print.

segno is pure Python (no Pillow), so making a code costs a few milliseconds and
no native dependency.  Only those who run the event get the token (it is what lets
people in): `bot.services.events.attendance.checkin_code` checks that.
"""

from __future__ import annotations

import io

from bot.services.events.attendance import CheckinCode

CHECKIN_PREFIX = "checkin_"


def checkin_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={CHECKIN_PREFIX}{token}"


def qr_png(data: str, *, scale: int = 8) -> bytes:
    import segno  # on first use: only /qr needs it

    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def checkin_qr(code: CheckinCode, bot_username: str) -> tuple[str, bytes]:
    """(the deep link, its PNG QR code) of an event's check-in code."""
    link = checkin_link(bot_username, code.token)
    return link, qr_png(link)
