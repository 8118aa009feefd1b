"""Volunteers' side of tasks: /tasks (claim in one tap), release, and /done with outcome numbers.

`/done 40 doors great street` records the outcome in one message; the Done
button marks the task done and then asks for numbers, a note or a photo.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import commands
from bot.commands import CommandSpec
from bot.context import GotongContext
from bot.errors import InvalidInput
from bot.services import flows
from bot.services.authz import Permission
from bot.services.flows import Flow
from bot.services.people.members import Actor
from bot.services.shifts import tasks
from bot.services.shifts.tasks import Outcome, parse_outcome
from bot.views.render import Button
from bot.views.shifts import CB_TASK, button_label, task_lines
from handlers.common import callback_args, edit_or_send, int_arg, reader_for, send
from handlers.flows import register_flow
from handlers.guard import StaleButton, guarded
from handlers.shifts.lists import page_buttons

FLOW_OUTCOME = "task_outcome"  # after Done: numbers, a note or a photo
FLOW_PICK = "task_done_pick"  # /done with several open tasks: which one?

commands.register(
    CommandSpec("tasks", Permission.VOLUNTEER),
    CommandSpec("done", Permission.VOLUNTEER),
)


async def show_task_page(update: Update, context: GotongContext, actor: Actor, page: int) -> None:
    reader = reader_for(context, actor)
    result = await tasks.open_tasks(context.db, actor, now=context.clock.now(), page=page)
    if not result.tasks:
        await edit_or_send(update, context, reader.t("tasks.none"))
        return
    lines = [reader.t("tasks.list_title", page=result.page + 1, pages=result.pages)]
    keyboard: list[list[Button]] = []
    for index, task in enumerate(result.tasks, start=1 + result.page * 5):
        lines.append(task_lines(reader, task, index))
        keyboard.append([Button(
            reader.t("shifts.btn_claim_n", n=index,
                     label=button_label(task.title, task.deadline, reader)),
            f"{CB_TASK}:c:{task.id}",
        )])
    keyboard.append(page_buttons(CB_TASK, result.page, result.pages, reader))
    await edit_or_send(update, context, "\n\n".join(lines), keyboard)


@guarded(Permission.VOLUNTEER)
async def cmd_tasks(update: Update, context: GotongContext, actor: Actor) -> None:
    """Open tasks I may take, nearest deadline first, one claim button each."""
    await show_task_page(update, context, actor, 0)


@guarded(Permission.VOLUNTEER)
async def cmd_done(update: Update, context: GotongContext, actor: Actor) -> None:
    """`/done [number unit] [note]`: marks my open task done (asks which if several)."""
    reader = reader_for(context, actor)
    message = update.effective_message
    raw = (message.text or "") if message else ""
    outcome = parse_outcome(raw.split(maxsplit=1)[1] if len(raw.split(maxsplit=1)) > 1 else "")
    mine = await tasks.my_tasks(context.db, actor)
    if not mine:
        await send(update, context, reader.t("tasks.none_claimed"))
        return
    if len(mine) == 1:
        await _complete(update, context, actor, mine[0].claim_id, outcome)
        return
    await flows.start_flow(
        context.db, actor.telegram_id, FLOW_PICK, "pick",
        {"quantity": outcome.quantity, "unit": outcome.unit, "note": outcome.note},
        now=context.clock.now(),
    )
    keyboard = [[Button(button_label(m.task.title, m.task.deadline, reader),
                        f"{CB_TASK}:d:{m.claim_id}")] for m in mine[:20]]
    await send(update, context, reader.t("tasks.pick_done"), keyboard)


async def _complete(
    update: Update, context: GotongContext, actor: Actor, claim_id: int, outcome: Outcome,
    *, ask_more: bool = False,
) -> None:
    reader = reader_for(context, actor)
    task = await tasks.complete_task(context.db, actor, claim_id, outcome, now=context.clock.now())
    if outcome.quantity is not None:
        text = reader.t("tasks.done_with_outcome", title=task.title,
                        quantity=reader.number(outcome.quantity), unit=outcome.unit)
    else:
        text = reader.t("tasks.done", title=task.title)
    if ask_more:
        await flows.start_flow(context.db, actor.telegram_id, FLOW_OUTCOME, "outcome",
                               {"claim_id": claim_id}, now=context.clock.now())
        text += "\n" + reader.t("tasks.ask_outcome")
    await edit_or_send(update, context, text)


@guarded(Permission.VOLUNTEER)
async def cb_task(update: Update, context: GotongContext, actor: Actor) -> None:
    """Task buttons: claim, page, release, done."""
    query = update.callback_query
    assert query is not None
    parts = callback_args(query.data, CB_TASK, 2)
    target = int_arg(parts[1]) if parts else None
    if parts is None or target is None:
        raise StaleButton()
    reader = reader_for(context, actor)
    action = parts[0]
    if action == "p":
        await query.answer()
        await show_task_page(update, context, actor, target)
    elif action == "c":
        task, _ = await tasks.claim_task(context.db, actor, target, now=context.clock.now())
        await query.answer(reader.plain("shifts.claimed_toast"))
        await send(update, context, reader.t("tasks.claimed") + "\n" + task_lines(reader, task))
    elif action == "r":
        task = await tasks.release_task(context.db, actor, target)
        await query.answer()
        await edit_or_send(update, context, reader.t("tasks.released", title=task.title))
    elif action == "d":
        flow = await flows.current_flow(context.db, actor.telegram_id, now=context.clock.now())
        await query.answer()
        if flow is not None and flow.flow == FLOW_PICK:
            data = flow.data
            outcome = Outcome(data.get("quantity"), data.get("unit") or "", data.get("note") or "")
            # Completed (the claim re-checked as theirs) before the question is closed.
            await _complete(update, context, actor, target, outcome)
            await flows.end_flow(context.db, actor.telegram_id)
        else:
            await _complete(update, context, actor, target, Outcome(), ask_more=True)
    else:
        raise StaleButton()


async def on_outcome(update: Update, context: GotongContext, actor: Actor, flow: Flow) -> None:
    """After Done: "40 doors", a note, or a photo (its caption read the same way)."""
    message = update.effective_message
    assert message is not None
    photo = message.photo[-1].file_id if message.photo else None
    text = message.text or message.caption or ""
    if not text and photo is None:
        raise InvalidInput("tasks.ask_outcome")
    outcome = parse_outcome(text)
    await tasks.add_outcome(context.db, actor, int(flow.data["claim_id"]), outcome,
                            now=context.clock.now(), photo_file_id=photo)
    await flows.end_flow(context.db, actor.telegram_id)
    await send(update, context, reader_for(context, actor).t("tasks.outcome_saved"))


register_flow(FLOW_OUTCOME, on_outcome)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("tasks", cmd_tasks),
        CommandHandler("done", cmd_done),
        CallbackQueryHandler(cb_task, pattern=rf"^{CB_TASK}:"),
    ]
