"""Volunteers' side of tasks: /tasks (claim in one tap), release, and /done with outcome numbers.

`/done 40 doors great street` records the outcome in one message; the Done
button marks the task done and then asks for numbers, a note or a photo.
"""

from __future__ import annotations

from telegram import CallbackQuery, Update
from telegram.ext import CommandHandler

from bot.commands import CommandSpec
from bot.context import GotongContext
from bot.errors import InvalidInput
from bot.services import flows
from bot.services.authz import Permission
from bot.services.flows import Flow
from bot.services.people.members import Actor
from bot.services.shifts import tasks
from bot.services.shifts.tasks import Outcome, parse_outcome
from bot.views import tasks as task_views
from bot.views.shift_buttons import ClaimTask, ReleaseTask, TaskDone, TasksPage
from handlers.buttons import pressed
from handlers.common import edit_or_send, reader_for, send
from handlers.feature import Feature
from handlers.guard import guarded

FLOW_OUTCOME = "task_outcome"  # after Done: numbers, a note or a photo
FLOW_PICK = "task_done_pick"  # /done with several open tasks: which one?

def _query(update: Update) -> CallbackQuery:
    query = update.callback_query
    assert query is not None
    return query


async def show_task_page(update: Update, context: GotongContext, actor: Actor, page: int) -> None:
    result = await tasks.open_tasks(context.db, actor, now=context.clock.now(), page=page)
    text, keyboard = task_views.open_tasks(reader_for(context, actor), result)
    await edit_or_send(update, context, text, keyboard or None)


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
    text, keyboard = task_views.pick_done(reader, mine)
    await send(update, context, text, keyboard)


async def _complete(
    update: Update, context: GotongContext, actor: Actor, claim_id: int, outcome: Outcome,
    *, ask_more: bool = False,
) -> None:
    task = await tasks.complete_task(context.db, actor, claim_id, outcome, now=context.clock.now())
    if ask_more:
        await flows.start_flow(context.db, actor.telegram_id, FLOW_OUTCOME, "outcome",
                               {"claim_id": claim_id}, now=context.clock.now())
    text = task_views.done(reader_for(context, actor), task, outcome, ask_more=ask_more)
    await edit_or_send(update, context, text)


@pressed(TasksPage, Permission.VOLUNTEER)
async def on_tasks_page(
    update: Update, context: GotongContext, actor: Actor, data: TasksPage
) -> None:
    await _query(update).answer()
    await show_task_page(update, context, actor, data.page)


@pressed(ClaimTask, Permission.VOLUNTEER)
async def on_claim_task(
    update: Update, context: GotongContext, actor: Actor, data: ClaimTask
) -> None:
    reader = reader_for(context, actor)
    """Claim: the pressed list becomes the answer (edited in place, as for shifts)."""
    task, claim_id = await tasks.claim_task(context.db, actor, data.task_id,
                                            now=context.clock.now())
    await _query(update).answer(reader.plain("shifts.claimed_toast"))
    text, keyboard = task_views.claimed(reader, task, claim_id)
    await edit_or_send(update, context, text, keyboard)


@pressed(ReleaseTask, Permission.VOLUNTEER)
async def on_release_task(
    update: Update, context: GotongContext, actor: Actor, data: ReleaseTask
) -> None:
    task = await tasks.release_task(context.db, actor, data.claim_id)
    await _query(update).answer()
    await edit_or_send(update, context, task_views.released(reader_for(context, actor), task))


@pressed(TaskDone, Permission.VOLUNTEER)
async def on_task_done(
    update: Update, context: GotongContext, actor: Actor, data: TaskDone
) -> None:
    """Done: with the numbers /done was given (several open tasks: this one was picked),
    else marked done and asked for numbers, a note or a photo."""
    flow = await context.open_flow(update)  # read with the actor
    await _query(update).answer()
    if flow is not None and flow.flow == FLOW_PICK:
        saved = flow.data
        outcome = Outcome(saved.get("quantity"), saved.get("unit") or "", saved.get("note") or "")
        # Completed (the claim re-checked as theirs) before the question is closed.
        await _complete(update, context, actor, data.claim_id, outcome)
        await flows.end_flow(context.db, actor.telegram_id)
    else:
        await _complete(update, context, actor, data.claim_id, Outcome(), ask_more=True)


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




FEATURE = Feature(
    "tasks",
    handlers=[
        CommandHandler("tasks", cmd_tasks),
        CommandHandler("done", cmd_done),
    ],
    buttons=[on_tasks_page, on_claim_task, on_release_task, on_task_done],
    commands=[
        CommandSpec("tasks", Permission.VOLUNTEER),
        CommandSpec("done", Permission.VOLUNTEER),
    ],
    flows={FLOW_OUTCOME: on_outcome},
)
