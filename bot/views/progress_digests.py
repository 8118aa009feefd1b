"""Digests and milestone thank-yous as text: the outbox renderers of their three kinds.

The rows carry no numbers; each renderer asks `bot.services.progress.digests` for the
action items at send time (a digest held by quiet hours still tells the truth) and
words them in the recipient's language.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.renderers import Renderer, param
from bot.services.progress.digests import (
    COORDINATOR_ROLES,
    DAILY_KIND,
    MAX_ITEMS,
    MILESTONE_KIND,
    WEEKLY_KIND,
    ActionItems,
    daily_items,
    weekly_items,
)
from bot.views.progress import goal_line
from bot.views.render import Outgoing, Reader, truncate
from models import OutboxMessage, Person

DIGEST_LIMIT = 4000


def _shift_and_event_lines(reader: Reader, items: ActionItems) -> list[str]:
    lines: list[str] = []
    if items.unfilled_total:
        lines.append(reader.t("progress.digest_unfilled", n=reader.number(items.unfilled_total)))
        lines += [
            reader.t(
                "progress.digest_unfilled_item",
                title=truncate(t, 40),
                when=reader.when(s),
                free=reader.number(f),
            )
            for t, s, f in items.unfilled
        ]
    if items.unconfirmed_total:
        lines.append(
            reader.t("progress.digest_unconfirmed", n=reader.number(items.unconfirmed_total))
        )
        lines += [
            reader.t(
                "progress.digest_unconfirmed_item",
                title=truncate(t, 40),
                when=reader.when(s),
                n=reader.number(n),
            )
            for t, s, n in items.unconfirmed
        ]
    return lines


def _task_people_goal_lines(reader: Reader, items: ActionItems) -> list[str]:
    lines: list[str] = []
    if items.overdue_total:
        lines.append(reader.t("progress.digest_overdue", n=reader.number(items.overdue_total)))
        lines += [
            reader.t("progress.digest_overdue_item", title=truncate(t, 40), n=reader.number(n))
            for t, n in items.overdue
        ]
    if items.unreachable_total:
        lines.append(
            reader.t(
                "progress.digest_unreachable",
                n=reader.number(items.unreachable_total),
                names=", ".join(truncate(n, 30) for n in items.unreachable),
            )
        )
    if items.behind:
        lines.append(reader.t("progress.digest_behind"))
        lines += [goal_line(reader, g) for g in items.behind[:MAX_ITEMS]]
    return lines


def digest_lines(reader: Reader, items: ActionItems, *, weekly: bool, when: datetime) -> list[str]:
    lines = [
        reader.t(
            "progress.digest_weekly_title" if weekly else "progress.digest_daily_title",
            date=reader.date(when),
        )
    ]
    if weekly:
        lines.append(reader.t("progress.digest_new", n=reader.number(items.new_volunteers)))
    if items.empty:
        lines.append(reader.t("progress.digest_all_clear"))
        return lines
    return lines + _shift_and_event_lines(reader, items) + _task_people_goal_lines(reader, items)


# ---- renderers (run by the dispatcher at send time, in the recipient's language) ------------
def send_time(row: OutboxMessage, reader: Reader) -> datetime:
    """Now, for the digest's content: the send time, never before the row was due."""
    return max(row.due_at, reader.now)


async def render_daily(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    if person is None:
        return None
    now = send_time(row, reader)
    items = await daily_items(session, person.id, now)
    if items is None:
        return None  # no longer a lead: nothing to report to them
    if items.empty:
        return None  # a quiet day is not worth a message to a lead
    return Outgoing("\n".join(digest_lines(reader, items, weekly=False, when=now))[:DIGEST_LIMIT])


async def render_weekly(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    if person is None or person.role not in COORDINATOR_ROLES:
        return None
    now = send_time(row, reader)
    items = await weekly_items(session, now)
    lines = digest_lines(reader, items, weekly=True, when=now)
    lines.append(reader.t("progress.digest_more"))
    return Outgoing("\n".join(lines)[:DIGEST_LIMIT])


async def render_milestone(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    if person is None:
        return None
    what = param(row, "what", "shifts")
    key = "progress.milestone_hours" if what == "hours" else "progress.milestone_shifts"
    return Outgoing(
        reader.t(
            key,
            name=person.first_name or person.display_name,
            n=reader.number(int(param(row, "count", 0))),
        )
    )


# The outbox kinds this module writes (its feature declares them: `Feature.renderers`).
RENDERERS: dict[str, Renderer] = {
    DAILY_KIND: render_daily,
    WEEKLY_KIND: render_weekly,
    MILESTONE_KIND: render_milestone,
}
