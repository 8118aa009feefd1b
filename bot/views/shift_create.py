"""What coordinators read and tap while creating shifts and tasks: the guided flow's team
and skill buttons, the created shift with its repeat buttons, the repeat's result.

Buttons carry the typed data of `bot.views.shift_buttons`.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.services.events.duties import EventSlot
from bot.services.people.skills import SkillView
from bot.services.people.teams import TeamSummary
from bot.services.shifts.common import ShiftView
from bot.services.shifts.plan import CancelPreview
from bot.services.shifts.repeat import RepeatPattern, RepeatResult
from bot.services.shifts.tasks import TaskView
from bot.views.render import Button, Reader
from bot.views.shift_buttons import (
    AddDuty,
    CancelShiftNow,
    DutyAtEventTime,
    KeepShift,
    NewForTeam,
    NewWithSkill,
    RepeatShift,
)
from bot.views.shift_lists import Keyboard, Screen
from bot.views.shifts import shift_lines, task_lines

REPEATS = (
    ("shift_repeat.btn_next_day", RepeatPattern.NEXT_DAY),
    ("shift_repeat.btn_daily_week", RepeatPattern.DAILY_WEEK),
    ("shift_repeat.btn_weekly", RepeatPattern.WEEKLY),
)


def _rows(buttons: Sequence[Button], per_row: int = 2) -> Keyboard:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def pick_team(reader: Reader, teams: Sequence[TeamSummary], *, all_teams: bool) -> Screen:
    """The guided flow's first question: which team (and "all teams" for coordinators)."""
    buttons = [Button(t.name[:40], NewForTeam(t.id).pack()) for t in teams]
    if all_teams:
        buttons.append(Button(reader.t("shifts.btn_all_teams"), NewForTeam(None).pack()))
    return reader.t("shifts.flow_team"), _rows(buttons)


def pick_skill(reader: Reader, skills: Sequence[SkillView]) -> Screen:
    """The guided flow's last question: which skill it needs, or none."""
    buttons = [Button(s.name[:40], NewWithSkill(s.id).pack()) for s in skills[:30]]
    buttons.append(Button(reader.t("shifts.btn_no_skill"), NewWithSkill(None).pack()))
    return reader.t("shifts.flow_skill"), _rows(buttons)


def repeat_keyboard(reader: Reader, shift_id: int) -> Keyboard:
    return [[Button(reader.t(key), RepeatShift(shift_id, pattern).pack())]
            for key, pattern in REPEATS]


def shift_created(reader: Reader, created: ShiftView, event_id: int | None) -> Screen:
    """The new shift, "repeat it?" buttons, and for an event's role "add another"."""
    text = reader.t("shifts.created", id=created.id) + "\n" + shift_lines(reader, created)
    keyboard = repeat_keyboard(reader, created.id)
    if event_id is not None:
        text += "\n" + reader.t("event_roles.created_for", id=event_id)
        keyboard.insert(0, [Button(reader.t("event_roles.btn_another"),
                                   AddDuty(event_id).pack())])
    return text + "\n\n" + reader.t("shift_repeat.ask"), keyboard


def same_time_question(reader: Reader, slot: EventSlot) -> Screen:
    """An event's role: "same time as the event? [Yes]", or type another start."""
    when = reader.time_range(slot.starts_at, slot.ends_at)
    button = Button(reader.t("event_roles.btn_same_time"), DutyAtEventTime(slot.event_id).pack())
    return reader.t("event_roles.flow_same_time", when=when), [[button]]


def task_created(reader: Reader, created: TaskView) -> str:
    return reader.t("tasks.created", id=created.id) + "\n" + task_lines(reader, created)


def repeated(reader: Reader, result: RepeatResult) -> list[str]:
    if not result.created:
        return [reader.t("shift_repeat.nothing", title=result.title)]
    lines = [reader.t("shift_repeat.created", count=len(result.created), title=result.title)]
    lines += [reader.t("shift_repeat.line", when=reader.when(start)) for start in result.created]
    if result.roles:
        lines.append(reader.t("shift_repeat.roles", count=result.roles))
    if result.skipped:
        lines.append(reader.t("shift_repeat.skipped", count=result.skipped))
    return lines


def edited(reader: Reader, shift: ShiftView) -> str:
    return reader.t("shifts.edited") + "\n" + shift_lines(reader, shift)


def cancelled(reader: Reader, shift: ShiftView, notified: int) -> str:
    return reader.t("shifts.cancel_done", title=shift.title, notified=notified)


def cancel_question(reader: Reader, preview: CancelPreview) -> Screen:
    """/cancelshift asks first: which shift, how many people will be told, yes or keep it."""
    shift = preview.shift
    told = (reader.t("shifts.cancel_tells", count=preview.told) if preview.told
            else reader.t("shifts.cancel_tells_nobody"))
    text = reader.t("shifts.cancel_confirm", title=shift.title,
                    when=reader.time_range(shift.starts_at, shift.ends_at)) + "\n" + told
    keyboard = [[Button(reader.t("shifts.btn_cancel_yes"), CancelShiftNow(shift.id).pack()),
                 Button(reader.t("shifts.btn_keep"), KeepShift(shift.id).pack())]]
    return text, keyboard


def kept(reader: Reader) -> str:
    return reader.t("shifts.cancel_kept")
