"""What volunteers read and tap around tasks: /tasks, a claim, release, /done and its pick.

Buttons carry the typed data of `bot.views.shift_buttons`; the handlers send what these
views return.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.services.shifts.plan import PAGE_SIZE
from bot.services.shifts.tasks import MyTask, Outcome, TaskPage, TaskView
from bot.views.render import Button, Reader
from bot.views.shift_buttons import ClaimTask, ReleaseTask, TaskDone, TasksPage
from bot.views.shift_lists import Screen, page_row
from bot.views.shifts import button_label, task_lines


def open_tasks(reader: Reader, result: TaskPage) -> Screen:
    """/tasks: one page of open tasks, a claim button each."""
    if not result.tasks:
        return reader.t("tasks.none"), []
    lines = [reader.t("tasks.list_title", page=result.page + 1, pages=result.pages)
             if result.pages > 1 else reader.t("tasks.list_title_one")]
    keyboard: list[list[Button]] = []
    for index, task in enumerate(result.tasks, start=1 + result.page * PAGE_SIZE):
        lines.append(task_lines(reader, task, index))
        label = reader.t("shifts.btn_claim_n", n=index,
                         label=button_label(task.title, task.deadline, reader))
        keyboard.append([Button(label, ClaimTask(task.id).pack())])
    keyboard.append(page_row(reader, result.page, result.pages, TasksPage))
    return "\n\n".join(lines), keyboard


def claimed(reader: Reader, task: TaskView, claim_id: int) -> Screen:
    """The pressed /tasks list becomes the answer, as a shift claim's does: yours (done,
    give back) and back to the list."""
    text = reader.t("tasks.claimed") + "\n" + task_lines(reader, task)
    keyboard = [
        [Button(reader.t("tasks.btn_done"), TaskDone(claim_id).pack()),
         Button(reader.t("tasks.btn_release"), ReleaseTask(claim_id).pack())],
        [Button(reader.t("shifts.btn_prev"), TasksPage(0).pack())],
    ]
    return text, keyboard


def released(reader: Reader, task: TaskView) -> str:
    return reader.t("tasks.released", title=task.title)


def pick_done(reader: Reader, mine: Sequence[MyTask]) -> Screen:
    """/done with several open tasks: which one?"""
    keyboard = [[Button(button_label(m.task.title, m.task.deadline, reader),
                        TaskDone(m.claim_id).pack())] for m in mine[:20]]
    return reader.t("tasks.pick_done"), keyboard


def done(reader: Reader, task: TaskView, outcome: Outcome, *, ask_more: bool) -> str:
    if outcome.quantity is not None:
        text = reader.t("tasks.done_with_outcome", title=task.title,
                        quantity=reader.number(outcome.quantity), unit=outcome.unit)
    else:
        text = reader.t("tasks.done", title=task.title)
    if ask_more:
        text += "\n" + reader.t("tasks.ask_outcome")
    return text
