"""How shift and task messages look, for replies and for the outbox (rendered at send time).

Renderers re-read the shift or task when the message goes out, so a reminder
shows the current time and place, and a reminder whose signup or shift is gone
renders as None (the dispatcher skips it).  The buttons they put on messages carry
the typed data of `bot.views.shift_buttons`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import kinds
from bot.delivery.renderers import Renderer, param
from bot.services.shifts.checkin import REMINDER_BUTTON_WITHIN
from bot.services.shifts.common import ShiftView, shift_view
from bot.services.shifts.tasks import TaskView, task_view
from bot.views.formatting import format_datetime
from bot.views.render import Button, Outgoing, Reader, truncate
from bot.views.shift_buttons import (
    AcceptOffer,
    AskCover,
    CheckInSelf,
    ClaimShift,
    DeclineOffer,
    JoinWaitlist,
    ReleaseSignup,
    TakeCover,
    TaskDone,
)
from models import (
    CoverRequest,
    CoverStatus,
    OutboxMessage,
    Person,
    Shift,
    ShiftSignup,
    ShiftStatus,
    Task,
    TaskClaim,
    TaskClaimStatus,
    WaitlistEntry,
    WaitlistStatus,
)


def shift_lines(reader: Reader, shift: ShiftView, number: int | None = None) -> str:
    """A shift in one block: title, time, place, team/skill, free places."""
    head = f"{number}. " if number is not None else ""
    parts = [
        reader.t(
            "shifts.line",
            n=head,
            title=shift.title,
            when=reader.time_range(shift.starts_at, shift.ends_at),
            place=shift.place or "—",
            free=shift.free,
            capacity=shift.capacity,
        )
    ]
    extra = [x for x in (shift.team_name, shift.skill_name and f"🛠 {shift.skill_name}") if x]
    if extra:
        parts.append(reader.t("shifts.line_extra", extra=" · ".join(extra)))
    if shift.notes:
        parts.append(reader.t("shifts.line_notes", notes=truncate(shift.notes, 300)))
    return "\n".join(parts)


def task_lines(reader: Reader, task: TaskView, number: int | None = None) -> str:
    head = f"{number}. " if number is not None else ""
    text = reader.t(
        "tasks.line", n=head, title=task.title, deadline=reader.when(task.deadline),
        free=task.free, capacity=task.capacity,
    )
    if task.description:
        text += "\n" + reader.t("shifts.line_notes", notes=truncate(task.description, 300))
    return text


def button_label(text: str, when: datetime, reader: Reader) -> str:
    """A title and its time on a button: no year (lists look at the coming weeks); a long
    title is shortened, never the time (nor its zone label)."""
    moment = reader.zoned(format_datetime(when, reader.lang, reader.tz, with_year=False), when)
    return f"{truncate(text, max(1, 60 - len(moment) - 3))} · {moment}"


async def _open_shift(session: AsyncSession, row: OutboxMessage) -> Shift | None:
    shift = await session.get(Shift, int(param(row, "shift_id", 0)))
    if shift is None or shift.status != ShiftStatus.OPEN:
        return None
    return shift


async def render_reminder(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    signup = await session.get(ShiftSignup, int(param(row, "signup_id", 0)))
    shift = await _open_shift(session, row)
    if signup is None or shift is None or signup.shift_id != shift.id:
        return None
    view = await shift_view(session, shift)
    text = reader.t("shifts.reminder", hours=int(param(row, "hours", 0))) + "\n" + shift_lines(
        reader, view
    )
    keyboard = [[Button(reader.t("shifts.btn_release"), ReleaseSignup(signup.id).pack()),
                 Button(reader.t("shifts.btn_cover"), AskCover(signup.id).pack())]]
    if shift.starts_at - reader.now <= REMINDER_BUTTON_WITHIN and signup.checked_in_at is None:
        # The last reminder is where people are when they arrive: check in from it.
        keyboard.insert(0, [Button(reader.t("shifts.btn_checkin"), CheckInSelf(signup.id).pack())])
    return Outgoing(text, keyboard)


async def render_changed(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    shift = await _open_shift(session, row)
    if shift is None:
        return None
    view = await shift_view(session, shift)
    what = ", ".join(reader.t(f"shifts.field_{w}") for w in param(row, "what", []))
    return Outgoing(reader.t("shifts.changed_notice", what=what) + "\n" + shift_lines(reader, view))


async def render_cancelled(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    shift = await session.get(Shift, int(param(row, "shift_id", 0)))
    if shift is None or shift.status != ShiftStatus.CANCELLED:
        return None
    return Outgoing(
        reader.t(
            "shifts.cancelled_notice",
            title=shift.title,
            when=reader.time_range(shift.starts_at, shift.ends_at),
        )
    )


async def render_late_release(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    shift = await _open_shift(session, row)
    if shift is None:
        return None
    view = await shift_view(session, shift)
    return Outgoing(
        reader.t("shifts.late_release_notice", name=str(param(row, "name", "?")))
        + "\n" + shift_lines(reader, view)
    )


async def render_waitlist_offer(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    entry = await session.get(WaitlistEntry, int(param(row, "entry_id", 0)))
    shift = await _open_shift(session, row)
    if entry is None or shift is None or entry.status != WaitlistStatus.OFFERED:
        return None
    assert entry.offer_expires_at is not None
    view = await shift_view(session, shift)
    text = reader.t("shifts.offer", until=reader.when(entry.offer_expires_at)) + "\n" + (
        shift_lines(reader, view)
    )
    keyboard = [[Button(reader.t("shifts.btn_accept"), AcceptOffer(entry.id).pack()),
                 Button(reader.t("shifts.btn_decline"), DeclineOffer(entry.id).pack())]]
    return Outgoing(text, keyboard)


async def render_waitlist_expired(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    """The offer ran out: say so (its buttons were taken off), and offer a place in line."""
    entry = await session.get(WaitlistEntry, int(param(row, "entry_id", 0)))
    shift = await _open_shift(session, row)
    if entry is None or shift is None or entry.status != WaitlistStatus.EXPIRED:
        return None
    text = reader.t("shifts.offer_expired_notice", title=shift.title,
                    when=reader.time_range(shift.starts_at, shift.ends_at))
    if shift.starts_at <= reader.now:
        return Outgoing(text)
    again = Button(reader.t("shifts.btn_waitlist_again"), JoinWaitlist(shift.id).pack())
    return Outgoing(text, [[again]])


async def render_exhausted(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    shift = await _open_shift(session, row)
    if shift is None or shift.taken >= shift.capacity:
        return None
    view = await shift_view(session, shift)
    return Outgoing(reader.t("shifts.exhausted_notice") + "\n" + shift_lines(reader, view))


async def render_cover_offer(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    cover = await session.get(CoverRequest, int(param(row, "cover_id", 0)))
    shift = await _open_shift(session, row)
    if cover is None or shift is None or cover.status != CoverStatus.OPEN:
        return None
    view = await shift_view(session, shift)
    text = reader.t("shifts.cover_offer", name=str(param(row, "name", "?"))) + "\n" + (
        shift_lines(reader, view)
    )
    return Outgoing(text, [[Button(reader.t("shifts.btn_take"), TakeCover(cover.id).pack())]])


async def render_cover_taken(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    shift = await _open_shift(session, row)
    if shift is None:
        return None
    return Outgoing(
        reader.t("shifts.cover_taken_notice", name=str(param(row, "name", "?")),
                 title=shift.title, when=reader.time_range(shift.starts_at, shift.ends_at))
    )


async def render_free_nudge(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    """The day's one nudge: the listed shifts still open, ahead, not full and not yours,
    each with its claim button (None when none is left).  Older rows name one `shift_id`."""
    ids = [int(i) for i in param(row, "shift_ids", None) or [param(row, "shift_id", 0)]]
    mine: set[int] = set()
    if person is not None:
        mine = set(
            await session.scalars(
                select(ShiftSignup.shift_id).where(
                    ShiftSignup.person_id == person.id, ShiftSignup.shift_id.in_(ids)
                )
            )
        )
    lines = [reader.t("shifts.free_nudge")]
    keyboard: list[list[Button]] = []
    for shift_id in ids:
        shift = await session.get(Shift, shift_id)
        if shift is None or shift.status != ShiftStatus.OPEN or shift.id in mine:
            continue
        if shift.taken >= shift.capacity or shift.starts_at <= row.due_at:
            continue
        view = await shift_view(session, shift)
        number = len(keyboard) + 1
        lines.append(shift_lines(reader, view, number))
        label = button_label(shift.title, shift.starts_at, reader)
        keyboard.append(
            [Button(reader.plain("shifts.btn_claim_n", n=number, label=label),
                    ClaimShift(shift.id).pack())]
        )
    if not keyboard:
        return None
    return Outgoing("\n".join(lines), keyboard)


async def _claimed_task(session: AsyncSession, row: OutboxMessage) -> tuple[TaskClaim, Task] | None:
    claim = await session.get(TaskClaim, int(param(row, "claim_id", 0)))
    task = await session.get(Task, int(param(row, "task_id", 0)))
    if claim is None or task is None or claim.task_id != task.id:
        return None
    if claim.status != TaskClaimStatus.CLAIMED or task.status != ShiftStatus.OPEN:
        return None
    return claim, task


async def render_task_nudge(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    found = await _claimed_task(session, row)
    if found is None:
        return None
    claim, task = found
    key = "tasks.nudge_due" if int(param(row, "hours", 0)) == 0 else "tasks.nudge_soon"
    view = await task_view(session, task)
    keyboard = [[Button(reader.t("tasks.btn_done"), TaskDone(claim.id).pack())]]
    return Outgoing(reader.t(key) + "\n" + task_lines(reader, view), keyboard)


async def render_task_overdue(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    found = await _claimed_task(session, row)
    if found is None:
        return None
    _, task = found
    view = await task_view(session, task)
    return Outgoing(
        reader.t("tasks.overdue_notice", name=str(param(row, "name", "?")))
        + "\n" + task_lines(reader, view)
    )


__all__ = ["button_label", "shift_lines", "task_lines"]


# The outbox kinds this module writes (its feature declares them: `Feature.renderers`).
RENDERERS: dict[str, Renderer] = {
    kinds.SHIFT_REMINDER.name: render_reminder,
    kinds.SHIFT_CHANGED.name: render_changed,
    kinds.SHIFT_CANCELLED.name: render_cancelled,
    kinds.SHIFT_LATE_RELEASE.name: render_late_release,
    kinds.SHIFT_WAITLIST_OFFER.name: render_waitlist_offer,
    kinds.SHIFT_WAITLIST_EXPIRED.name: render_waitlist_expired,
    kinds.SHIFT_WAITLIST_EXHAUSTED.name: render_exhausted,
    kinds.SHIFT_COVER_OFFER.name: render_cover_offer,
    kinds.SHIFT_COVER_TAKEN.name: render_cover_taken,
    kinds.SHIFT_FREE_NUDGE.name: render_free_nudge,
    kinds.TASK_NUDGE.name: render_task_nudge,
    kinds.TASK_OVERDUE.name: render_task_overdue,
}
