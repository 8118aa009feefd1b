"""The check-in QR code: a PNG of the event's secret deep link, for coordinators to print.

segno is pure Python (no Pillow), so making a code costs a few milliseconds and
no native dependency.  Only managers get the token: it is what lets people in.
"""

from __future__ import annotations

import io

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import Conflict, NotAllowed
from bot.services.authz import Permission
from bot.services.events.reading import load_event
from bot.services.events.visibility import may_run
from bot.services.people.members import Actor
from models import EventStatus

CHECKIN_PREFIX = "checkin_"


def checkin_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={CHECKIN_PREFIX}{token}"


def qr_png(data: str, *, scale: int = 8) -> bytes:
    import segno  # on first use: only /qr needs it

    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


async def event_checkin_qr(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, event_id: int, bot_username: str
) -> tuple[str, str, bytes]:
    """(event title, the deep link, its PNG QR code)."""
    async with sessionmaker() as session:
        event = await load_event(session, event_id)
        if not may_run(actor, event):
            raise NotAllowed(permission=Permission.MANAGE_EVENTS.value)
        if event.status == EventStatus.CANCELLED:
            raise Conflict("events.is_cancelled", title=event.title)
        link = checkin_link(bot_username, event.checkin_token)
        return event.title, link, qr_png(link)
