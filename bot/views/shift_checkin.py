"""What check-in looks like: the volunteer's answer to "I'm here ✅", the lead's toast, and
the lead's /shiftcheckin list (one button per person that ticks or unticks them).

The list's buttons carry the state they set (`CheckInToggle.here`), so a double tap
cannot flip it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.services.shifts.checkin import CheckinResult, Outcome, ShiftRoster
from bot.services.shifts.common import ShiftView
from bot.views.render import Button, Reader
from bot.views.shift_buttons import CheckInList, CheckInToggle
from bot.views.shift_lists import Screen
from bot.views.shifts import button_label


def _button_rows(buttons: Sequence[Button], per_row: int = 2) -> list[list[Button]]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def self_reply(reader: Reader, result: CheckinResult) -> str:
    """What the volunteer reads after pressing "I'm here"."""
    if result.outcome == Outcome.TOO_EARLY:
        return reader.t("shiftcheckin.too_early", title=result.title,
                        opens=reader.when(result.opens_at))
    if result.outcome == Outcome.TOO_LATE:
        return reader.t("shiftcheckin.too_late", title=result.title)
    if result.outcome == Outcome.ALREADY:
        return reader.t("shiftcheckin.already", title=result.title)
    return reader.t("shiftcheckin.done", title=result.title)


def lead_toast(reader: Reader, result: CheckinResult, closes_after: timedelta) -> str:
    if result.outcome == Outcome.TOO_EARLY:
        return reader.t("shiftcheckin.lead_too_early", opens=reader.when(result.opens_at))
    if result.outcome == Outcome.TOO_LATE:
        hours = int(closes_after.total_seconds() // 3600)
        return reader.t("shiftcheckin.lead_too_late", hours=hours)
    key = {
        Outcome.CHECKED_IN: "shiftcheckin.lead_done",
        Outcome.UNDONE: "shiftcheckin.lead_undone",
    }.get(result.outcome, "shiftcheckin.lead_already")
    return reader.t(key, name=result.person_name)


def roster(reader: Reader, roster: ShiftRoster) -> Screen:
    """The lead's list: who is here (✅), missed it (❌) or not yet (⬜), and 🔄."""
    shift = roster.shift
    refresh = [Button(reader.t("shiftcheckin.btn_refresh"), CheckInList(shift.id).pack())]
    if not roster.lines:
        return reader.t("shiftcheckin.list_empty", title=shift.title), [refresh]
    text = reader.t(
        "shiftcheckin.list_title",
        title=shift.title,
        when=reader.time_range(shift.starts_at, shift.ends_at),
        here=roster.here,
        total=roster.total,
    )
    if roster.total > len(roster.lines):
        text += "\n" + reader.t("shiftcheckin.list_more", shown=len(roster.lines),
                                total=roster.total)
    buttons = [
        Button(
            ("✅ " if line.checked_in else "❌ " if line.no_show else "⬜ ") + line.name[:28],
            CheckInToggle(line.signup_id, not line.checked_in).pack(),
        )
        for line in roster.lines
    ]
    return text, [*_button_rows(buttons, 2), refresh]


def pick_shift(reader: Reader, found: Sequence[ShiftView], opens_before: timedelta) -> Screen:
    """/shiftcheckin without an id: the shifts running now to pick from."""
    if not found:
        hours = int(opens_before.total_seconds() // 3600)
        return reader.t("shiftcheckin.none", hours=hours), []
    keyboard = [
        [Button(button_label(s.title, s.starts_at, reader), CheckInList(s.id).pack())]
        for s in found
    ]
    return reader.t("shiftcheckin.pick"), keyboard
