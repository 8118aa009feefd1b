"""What volunteers read and tap around shifts: /shifts, a claim's answer, /my, the replies
to release, waitlist and cover.

Each view turns a service's plain result into a text and a keyboard whose buttons carry
the typed data of `bot.views.shift_buttons`; the handlers only send what these return.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from bot.services.shifts.checkin import self_check_in_open
from bot.services.shifts.claims import (
    UNDO_RELEASE_WINDOW,
    ClaimResult,
    MySignup,
    MyUpcoming,
    ReleaseResult,
)
from bot.services.shifts.common import ShiftView
from bot.services.shifts.plan import PAGE_SIZE, ShiftPage
from bot.services.shifts.waitlist import WaitlistResult
from bot.views.callbacks import CallbackData
from bot.views.render import Button, Reader
from bot.views.shift_buttons import (
    AskCover,
    CheckInSelf,
    ClaimShift,
    JoinWaitlist,
    ReleaseSignup,
    ReleaseTask,
    ShiftsPage,
    TaskDone,
    UndoRelease,
)
from bot.views.shifts import button_label, shift_lines, task_lines

Keyboard = list[list[Button]]
Screen = tuple[str, Keyboard]


def page_row(
    reader: Reader, page: int, pages: int, to: Callable[[int], CallbackData]
) -> list[Button]:
    """◀️ / ▶️ under a paged list (empty on a single page)."""
    row = []
    if page > 0:
        row.append(Button(reader.t("shifts.btn_prev"), to(page - 1).pack()))
    if page < pages - 1:
        row.append(Button(reader.t("shifts.btn_next"), to(page + 1).pack()))
    return row


def claim_button(label: str, shift_id: int) -> Button:
    """A button that claims the shift (other areas' cards offer shifts with it too)."""
    return Button(label, ClaimShift(shift_id).pack())


def release_button(label: str, signup_id: int) -> Button:
    return Button(label, ReleaseSignup(signup_id).pack())


def open_shifts(reader: Reader, result: ShiftPage) -> Screen:
    """/shifts: one page of open shifts, a claim (or waitlist) button each; the ones that can
    be taken come first, full and clashing ones after them, marked."""
    if not result.shifts:
        return reader.t("shifts.none"), []
    title = (reader.t("shifts.list_title", page=result.page + 1, pages=result.pages)
             if result.pages > 1 else reader.t("shifts.list_title_one"))
    lines = [title]
    keyboard: Keyboard = []
    for index, shift in enumerate(result.shifts, start=1 + result.page * PAGE_SIZE):
        block = shift_lines(reader, shift, index)
        clash = result.clash(shift.id)
        if clash is not None:
            block += "\n" + reader.t("shifts.line_clash", title=clash)
            key = "shifts.btn_clash_n"
        elif not shift.free:
            block += "\n" + reader.t("shifts.line_full")
            key = "shifts.btn_wait_n"
        else:
            key = "shifts.btn_claim_n"
        lines.append(block)
        label = button_label(shift.title, shift.starts_at, reader)
        keyboard.append([claim_button(reader.t(key, n=index, label=label), shift.id)])
    keyboard.append(page_row(reader, result.page, result.pages, ShiftsPage))
    return "\n\n".join(lines), keyboard


def claimed(reader: Reader, result: ClaimResult, shift_id: int) -> Screen:
    """The pressed list becomes the answer: yours (release, back), or full (waitlist, back)."""
    back = [Button(reader.t("shifts.btn_prev"), ShiftsPage(0).pack())]
    if result.signup_id is None:
        key = "shifts.full_waiting" if result.on_waitlist else "shifts.full"
        keyboard = [back] if result.on_waitlist else [
            [Button(reader.t("shifts.btn_waitlist"), JoinWaitlist(shift_id).pack())], back
        ]
        return reader.t(key, title=result.shift.title), keyboard
    text = reader.t("shifts.claimed") + "\n" + shift_lines(reader, result.shift)
    return text, [[release_button(reader.t("shifts.btn_release"), result.signup_id)], back]


def waitlist_joined(reader: Reader, joined: WaitlistResult) -> str:
    return reader.t("shifts.waitlist_joined", title=joined.shift.title, position=joined.position)


def released(reader: Reader, result: ReleaseResult) -> Screen:
    """The release's answer, with "Undo" for a few seconds (the service judges the time)."""
    key = "shifts.released_late" if result.late else "shifts.released"
    text = reader.t(key, title=result.shift.title)
    if result.released_at is None:
        return text, []
    seconds = int(UNDO_RELEASE_WINDOW.total_seconds())
    undo = UndoRelease(result.shift.id, int(result.released_at.timestamp()))
    return (text + "\n" + reader.t("shifts.undo_hint", seconds=seconds),
            [[Button(reader.t("shifts.btn_undo"), undo.pack())]])


def undone(reader: Reader, result: ClaimResult) -> Screen:
    """The undo took the place back: the claimed answer, headed "yours again"."""
    text, keyboard = claimed(reader, result, result.shift.id)
    return reader.t("shifts.undone") + "\n" + text, keyboard


def cover_requested(reader: Reader, shift: ShiftView, asked: int) -> str:
    return reader.t("shifts.cover_requested", title=shift.title, asked=asked)


def cover_accepted(reader: Reader, shift: ShiftView) -> str:
    return reader.t("shifts.cover_accepted") + "\n" + shift_lines(reader, shift)


def offer_accepted(reader: Reader, shift: ShiftView) -> str:
    return reader.t("shifts.accepted") + "\n" + shift_lines(reader, shift)


def offer_declined(reader: Reader, shift: ShiftView) -> str:
    return reader.t("shifts.declined", title=shift.title)


def _my_shift_rows(reader: Reader, mine: Sequence[MySignup], now: datetime) -> Screen:
    lines = [reader.t("shifts.my_shifts_title")]
    keyboard: Keyboard = []
    for n, item in enumerate(mine, start=1):
        lines.append(shift_lines(reader, item.shift, n))
        if item.cover_open:
            lines.append(reader.t("shifts.my_cover_open"))
        if item.checked_in:
            lines.append(reader.t("shifts.my_checked_in"))
        elif self_check_in_open(item.shift.starts_at, item.shift.ends_at, now):
            keyboard.append([Button(reader.t("shifts.btn_checkin_n", n=n),
                                    CheckInSelf(item.signup_id).pack())])
        row = [release_button(reader.t("shifts.btn_release_n", n=n), item.signup_id)]
        if not item.cover_open:
            row.append(Button(reader.t("shifts.btn_cover_n", n=n),
                              AskCover(item.signup_id).pack()))
        keyboard.append(row)
    return "\n\n".join(lines), keyboard


def my_list(reader: Reader, upcoming: MyUpcoming, now: datetime) -> Screen:
    """/my: my upcoming shifts (release, cover, "I'm here" while check-in is open) and my
    open tasks (done, release)."""
    mine, my_tasks = upcoming.shifts, upcoming.tasks
    if not mine and not my_tasks:
        return reader.t("shifts.my_none"), []
    lines: list[str] = []
    keyboard: Keyboard = []
    if mine:
        text, keyboard = _my_shift_rows(reader, mine, now)
        lines.append(text)
    if my_tasks:
        lines.append(reader.t("shifts.my_tasks_title"))
        for n, claim in enumerate(my_tasks, start=1):
            lines.append(task_lines(reader, claim.task, n))
            keyboard.append([
                Button(reader.t("tasks.btn_done_n", n=n), TaskDone(claim.claim_id).pack()),
                Button(reader.t("tasks.btn_release_n", n=n), ReleaseTask(claim.claim_id).pack()),
            ])
    return "\n\n".join(lines), keyboard
