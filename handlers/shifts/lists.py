"""Volunteers' side of shifts: /shifts (browse and claim in one tap), /my, release,
waitlist offers and cover; plus the periodic sweep job (offers, nudges, escalations, no-shows).

Creation, edit and cancel are in `handlers.shifts.create`, check-in in `handlers.shifts.checkin`;
this module lists their handlers too.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import commands
from bot.commands import CommandSpec
from bot.context import GotongContext
from bot.services.authz import Permission
from bot.services.people.members import Actor
from bot.services.shifts import claims as shift_claims
from bot.services.shifts import plan as shifts
from bot.services.shifts import sweeps as shift_sweeps
from bot.services.shifts import tasks
from bot.services.shifts import waitlist as shift_waitlist
from bot.services.shifts.checkin import self_check_in_open
from bot.views.render import Button, Reader
from bot.views.shifts import CB_SHIFT, CB_TASK, button_label, shift_lines, task_lines
from handlers.common import callback_args, edit_or_send, int_arg, reader_for, send
from handlers.guard import StaleButton, guarded
from handlers.shifts import checkin as shift_checkin
from handlers.shifts import create as shift_create

if TYPE_CHECKING:
    from bot.app import GotongApp

log = logging.getLogger(__name__)

SWEEP_JOB = "shifts.sweep"
SWEEP_INTERVAL = timedelta(minutes=1)

commands.register(
    CommandSpec("shifts", Permission.VOLUNTEER),
    CommandSpec("my", Permission.VOLUNTEER),
)


def page_buttons(prefix: str, page: int, pages: int, reader: Reader) -> list[Button]:
    row = []
    if page > 0:
        row.append(Button(reader.t("shifts.btn_prev"), f"{prefix}:p:{page - 1}"))
    if page < pages - 1:
        row.append(Button(reader.t("shifts.btn_next"), f"{prefix}:p:{page + 1}"))
    return row


async def show_shift_page(
    update: Update, context: GotongContext, actor: Actor, page: int
) -> None:
    reader = reader_for(context, actor)
    result = await shifts.open_shifts(context.db, actor, now=context.clock.now(), page=page)
    if not result.shifts:
        await edit_or_send(update, context, reader.t("shifts.none"))
        return
    lines = [reader.t("shifts.list_title", page=result.page + 1, pages=result.pages)]
    keyboard: list[list[Button]] = []
    for index, shift in enumerate(result.shifts, start=1 + result.page * shifts.PAGE_SIZE):
        lines.append(shift_lines(reader, shift, index))
        key = "shifts.btn_claim_n" if shift.free else "shifts.btn_wait_n"
        keyboard.append(
            [Button(reader.t(key, n=index, label=button_label(shift.title, shift.starts_at,
                                                              reader)),
                    f"{CB_SHIFT}:c:{shift.id}")]
        )
    keyboard.append(page_buttons(CB_SHIFT, result.page, result.pages, reader))
    await edit_or_send(update, context, "\n\n".join(lines), keyboard)


@guarded(Permission.VOLUNTEER)
async def cmd_shifts(update: Update, context: GotongContext, actor: Actor) -> None:
    """Open shifts I may take, soonest first, with a claim button each and paging."""
    await show_shift_page(update, context, actor, 0)


@guarded(Permission.VOLUNTEER)
async def cmd_my(update: Update, context: GotongContext, actor: Actor) -> None:
    """My upcoming shifts and open tasks, each with release (and cover / done) buttons, and
    "I'm here ✅" on a shift whose check-in is open."""
    reader = reader_for(context, actor)
    now = context.clock.now()
    mine = await shift_claims.my_signups(context.db, actor, now=now)
    my_tasks = await tasks.my_tasks(context.db, actor)
    if not mine and not my_tasks:
        await send(update, context, reader.t("shifts.my_none"))
        return
    lines: list[str] = []
    keyboard: list[list[Button]] = []
    if mine:
        lines.append(reader.t("shifts.my_shifts_title"))
        for n, item in enumerate(mine, start=1):
            lines.append(shift_lines(reader, item.shift, n))
            if item.cover_open:
                lines.append(reader.t("shifts.my_cover_open"))
            if item.checked_in:
                lines.append(reader.t("shifts.my_checked_in"))
            elif self_check_in_open(item.shift.starts_at, item.shift.ends_at, now):
                keyboard.append([Button(reader.t("shifts.btn_checkin_n", n=n),
                                        f"{CB_SHIFT}:in:{item.signup_id}")])
            row = [Button(reader.t("shifts.btn_release_n", n=n), f"{CB_SHIFT}:r:{item.signup_id}")]
            if not item.cover_open:
                row.append(Button(reader.t("shifts.btn_cover_n", n=n),
                                  f"{CB_SHIFT}:cv:{item.signup_id}"))
            keyboard.append(row)
    if my_tasks:
        lines.append(reader.t("shifts.my_tasks_title"))
        for n, claim in enumerate(my_tasks, start=1):
            lines.append(task_lines(reader, claim.task, n))
            keyboard.append([
                Button(reader.t("tasks.btn_done_n", n=n), f"{CB_TASK}:d:{claim.claim_id}"),
                Button(reader.t("tasks.btn_release_n", n=n), f"{CB_TASK}:r:{claim.claim_id}"),
            ])
    await send(update, context, "\n\n".join(lines), keyboard)


@guarded(Permission.VOLUNTEER)
async def cb_shift(update: Update, context: GotongContext, actor: Actor) -> None:
    """Shift buttons: claim (the list turns into "✅ yours"), waitlist, page, release, cover."""
    query = update.callback_query
    assert query is not None
    parts = callback_args(query.data, CB_SHIFT, 2)
    target = int_arg(parts[1]) if parts else None
    if parts is None or target is None:
        raise StaleButton()
    action = parts[0]
    reader = reader_for(context, actor)
    now = context.clock.now()
    settings = context.settings
    if action == "p":
        await query.answer()
        await show_shift_page(update, context, actor, target)
        return
    if action == "in":
        await shift_checkin.self_check_in(update, context, actor, target)
        return
    if action == "c":
        # The pressed message (the list, or a nudge) becomes the answer: edits and callback
        # answers are not part of Telegram's 30 messages/s, and the chat stays short.
        result = await shift_claims.claim_shift(context.db, actor, target, settings, now=now)
        back = [Button(reader.t("shifts.btn_prev"), f"{CB_SHIFT}:p:0")]
        if result.full:
            await query.answer()
            key = "shifts.full_waiting" if result.on_waitlist else "shifts.full"
            keyboard = [back] if result.on_waitlist else [
                [Button(reader.t("shifts.btn_waitlist"), f"{CB_SHIFT}:w:{target}")], back
            ]
            await edit_or_send(update, context, reader.t(key, title=result.shift.title), keyboard)
            return
        await query.answer(reader.plain("shifts.claimed_toast"))
        await edit_or_send(
            update,
            context,
            reader.t("shifts.claimed") + "\n" + shift_lines(reader, result.shift),
            [[Button(reader.t("shifts.btn_release"), f"{CB_SHIFT}:r:{result.signup_id}")], back],
        )
        return
    if action == "w":
        joined = await shift_waitlist.join_waitlist(context.db, actor, target, now=now)
        await query.answer()
        await edit_or_send(update, context, reader.t(
            "shifts.waitlist_joined", title=joined.shift.title, position=joined.position))
        return
    if action == "r":
        released = await shift_claims.release_signup(context.db, actor, target, settings, now=now)
        await query.answer()
        key = "shifts.released_late" if released.late else "shifts.released"
        await edit_or_send(update, context, reader.t(key, title=released.shift.title))
        return
    if action == "cv":
        shift, asked = await shift_waitlist.request_cover(context.db, actor, target, now=now)
        await query.answer()
        await send(update, context, reader.t("shifts.cover_requested", title=shift.title,
                                             asked=asked))
        return
    if action == "ca":
        taken = await shift_waitlist.accept_cover(context.db, actor, target, settings, now=now)
        await query.answer()
        await edit_or_send(update, context, reader.t("shifts.cover_accepted") + "\n"
                           + shift_lines(reader, taken))
        return
    if action == "wa":
        accepted = await shift_waitlist.accept_offer(context.db, actor, target, settings, now=now)
        await query.answer()
        await edit_or_send(update, context, reader.t("shifts.accepted") + "\n"
                           + shift_lines(reader, accepted))
        return
    if action == "wd":
        declined = await shift_waitlist.decline_offer(context.db, actor, target, settings, now=now)
        await query.answer()
        await edit_or_send(update, context, reader.t("shifts.declined", title=declined.title))
        return
    raise StaleButton()


async def job_shift_sweep(context: GotongContext) -> None:
    """Expires waitlist offers, nudges for free places, escalates overdue tasks, marks
    shift no-shows."""
    report = await shift_sweeps.sweep(context.db, context.settings, now=context.clock.now())
    if report.offers_expired or report.free_nudges or report.overdue_escalations or (
        report.no_shows
    ):
        log.info("shift sweep: %s", report)


async def schedule_sweep(app: GotongApp) -> None:
    if app.job_queue is None:
        log.warning("no job queue: the shift sweep will not run")
        return
    for job in app.job_queue.get_jobs_by_name(SWEEP_JOB):
        job.schedule_removal()
    app.job_queue.run_repeating(
        job_shift_sweep, interval=SWEEP_INTERVAL, first=SWEEP_INTERVAL, name=SWEEP_JOB
    )


def handlers() -> list[BaseHandler]:
    # Imported here: bot.app imports this module, so a top-level import would be circular.
    from bot.app import STARTUP_HOOKS

    if schedule_sweep not in STARTUP_HOOKS:
        STARTUP_HOOKS.append(schedule_sweep)
    return [
        CommandHandler("shifts", cmd_shifts),
        CommandHandler("my", cmd_my),
        CallbackQueryHandler(cb_shift, pattern=rf"^{CB_SHIFT}:"),
        *shift_create.handlers(),
        *shift_checkin.handlers(),
    ]
