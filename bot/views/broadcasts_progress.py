"""A running broadcast on screen: its progress message, its report, and its outbox kinds.

The dispatcher reads the state (`bot.delivery.broadcasts.ProgressView`) and is handed
these texts through its `OutboxRendering` (`bot.views.outbox`); the broadcast's own
message and the author's report are rendered at send time like every outbox row.
"""

from __future__ import annotations

import math

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import kinds
from bot.delivery.broadcasts import Held, ProgressView, failure_reasons
from bot.delivery.renderers import Renderer, param
from bot.views.broadcasts import CancelBroadcast, Failures, reason_text
from bot.views.i18n import Html
from bot.views.render import Button, Outgoing, Reader
from models import Broadcast, BroadcastStatus, OutboxMessage, Person


def eta_text(reader: Reader, seconds: int) -> str:
    if seconds < 90:
        return reader.t("broadcast.eta_seconds", n=seconds)
    return reader.t("broadcast.eta_minutes", n=math.ceil(seconds / 60))


def held_text(reader: Reader, held: Held) -> Html | str:
    """'🌙 Held until 07:00: 12' on its own line, or nothing."""
    if not held.count or held.until is None:
        return ""
    count = reader.number(held.count)
    line = reader.t("broadcast.held_line", until=reader.when(held.until), n=count)
    return Html("\n" + line)


def progress_text(reader: Reader, view: ProgressView) -> str:
    if view.done:
        return reader.t(
            "broadcast.progress_done",
            id=view.id,
            sent=reader.number(view.sent),
            failed=reader.number(view.failed),  # the report says why, reason by reason
            total=reader.number(view.total),
        )
    return reader.t(
        "broadcast.progress",
        id=view.id,
        sent=reader.number(view.sent),
        failed=reader.number(view.failed),  # the blocked ones are among them
        remaining=reader.number(view.remaining),
        total=reader.number(view.total),
        eta=eta_text(reader, view.eta_seconds),
        held=held_text(reader, view.held),
    )


def progress_message(reader: Reader, view: ProgressView) -> Outgoing:
    """The progress text with Stop while it runs; no buttons once it is done."""
    if view.done:
        return Outgoing(text=progress_text(reader, view))
    stop = Button(reader.t("broadcast.button_stop"), CancelBroadcast(view.id).pack())
    return Outgoing(text=progress_text(reader, view), keyboard=[[stop]])


async def render_message(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    # session.get hits the identity map after the first row of a batch: one read per batch.
    b = await session.get(Broadcast, int(param(row, "id", row.broadcast_id or 0)))
    if b is None or b.status == BroadcastStatus.CANCELLED:
        return None
    if b.media_type == "photo":
        return Outgoing(text=b.text, photo=b.media_file_id)
    if b.media_type == "document":
        return Outgoing(text=b.text, document=b.media_file_id)
    return Outgoing(text=b.text)


async def render_report(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    b = await session.get(Broadcast, int(param(row, "id", 0)))
    if b is None:
        return None
    reasons = await failure_reasons(session, b.id) if b.failed_count else []
    text = reader.t(
        "broadcast.report",
        id=b.id,
        total=reader.number(b.total),
        delivered=reader.number(b.sent_count),
        failed=reader.number(b.failed_count),
        reasons=Html(
            "".join(
                "\n" + reader.t("broadcast.report_reason", reason=reason_text(reader, r),
                                n=reader.number(n))
                for r, n in reasons
            )
        ),
        skipped=reader.number(b.skipped_count),
    )
    keyboard: list[list[Button]] = []
    if b.failed_count:
        keyboard.append([Button(reader.t("broadcast.button_failures"), Failures(b.id).pack())])
    return Outgoing(text=text, keyboard=keyboard)


# The outbox kinds this module writes (its feature declares them: `Feature.renderers`).
RENDERERS: dict[str, Renderer] = {
    kinds.BROADCAST_MESSAGE.name: render_message,
    kinds.BROADCAST_REPORT.name: render_report,
}
