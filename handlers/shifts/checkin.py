"""Shift check-in: the volunteer's "I'm here ✅" (from the reminder and /my) and the lead's
/shiftcheckin list, one button per person that ticks or unticks them.

The self check-in button carries `sh:in:<signup>` (the shifts area's prefix, dispatched
by `handlers.shifts.lists.cb_shift`); the lead's buttons use `CB_CHECKIN` and carry the state
they set, so a double tap cannot flip it back.  Listed by `handlers.shifts.lists.handlers()`.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import commands
from bot.commands import CommandSpec
from bot.context import GotongContext
from bot.errors import InvalidInput
from bot.services.authz import Permission
from bot.services.people.members import Actor
from bot.services.shifts import checkin as shift_checkin
from bot.services.shifts.checkin import CheckinResult, Outcome, ShiftRoster
from bot.views.render import CALLBACK_ANSWER_LIMIT, Button, Reader, to_plain
from bot.views.shifts import button_label
from handlers.common import button_rows, callback_args, edit_or_send, int_arg, reader_for, send
from handlers.guard import StaleButton, guarded

CB_CHECKIN = "shc"

commands.register(CommandSpec("shiftcheckin", Permission.CHECK_IN_OTHERS, menu=False))


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


async def self_check_in(
    update: Update, context: GotongContext, actor: Actor, signup_id: int
) -> None:
    """"I'm here ✅" pressed: checked in (a toast and a thank-you), or when it opens."""
    query = update.callback_query
    assert query is not None
    result = await shift_checkin.check_in_self(
        context.db, actor, signup_id, now=context.clock.now()
    )
    reader = reader_for(context, actor)
    done = result.outcome == Outcome.CHECKED_IN
    await query.answer(reader.plain("shiftcheckin.toast") if done else None)
    # A new message rather than an edit: the pressed one may be /my, listing other shifts.
    await send(update, context, self_reply(reader, result))


def lead_toast(reader: Reader, result: CheckinResult) -> str:
    if result.outcome == Outcome.TOO_EARLY:
        return reader.t("shiftcheckin.lead_too_early", opens=reader.when(result.opens_at))
    if result.outcome == Outcome.TOO_LATE:
        hours = int(shift_checkin.LEAD_CLOSES_AFTER.total_seconds() // 3600)
        return reader.t("shiftcheckin.lead_too_late", hours=hours)
    key = {
        Outcome.CHECKED_IN: "shiftcheckin.lead_done",
        Outcome.UNDONE: "shiftcheckin.lead_undone",
    }.get(result.outcome, "shiftcheckin.lead_already")
    return reader.t(key, name=result.person_name)


def roster_message(reader: Reader, roster: ShiftRoster) -> tuple[str, list[list[Button]]]:
    shift = roster.shift
    refresh = [Button(reader.t("shiftcheckin.btn_refresh"), f"{CB_CHECKIN}:l:{shift.id}")]
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
            # The state this tap sets: a repeated tap sets it again instead of flipping it.
            f"{CB_CHECKIN}:t:{line.signup_id}:{0 if line.checked_in else 1}",
        )
        for line in roster.lines
    ]
    return text, [*button_rows(buttons, 2), refresh]


async def _show_roster(
    update: Update, context: GotongContext, actor: Actor, shift_id: int
) -> None:
    roster = await shift_checkin.shift_roster(context.db, actor, shift_id)
    text, keyboard = roster_message(reader_for(context, actor), roster)
    await edit_or_send(update, context, text, keyboard)


@guarded(Permission.CHECK_IN_OTHERS)
async def cmd_shiftcheckin(update: Update, context: GotongContext, actor: Actor) -> None:
    """The shift's people with a button each to check them in; without an id, the shifts
    running now to pick from."""
    args = context.args or []
    reader = reader_for(context, actor)
    if args:
        if len(args) != 1 or (shift_id := int_arg(args[0].lstrip("#"))) is None:
            raise InvalidInput("shiftcheckin.usage")
        await _show_roster(update, context, actor, shift_id)
        return
    found = await shift_checkin.shifts_to_check_in(context.db, actor, now=context.clock.now())
    if not found:
        hours = int(shift_checkin.SELF_OPENS_BEFORE.total_seconds() // 3600)
        await send(update, context, reader.t("shiftcheckin.none", hours=hours))
        return
    keyboard = [
        [Button(button_label(s.title, s.starts_at, reader), f"{CB_CHECKIN}:l:{s.id}")]
        for s in found
    ]
    await send(update, context, reader.t("shiftcheckin.pick"), keyboard)


@guarded(Permission.CHECK_IN_OTHERS)
async def cb_shiftcheckin_list(update: Update, context: GotongContext, actor: Actor) -> None:
    """A shift picked (or 🔄): its check-in list replaces the message."""
    query = update.callback_query
    assert query is not None
    args = callback_args(query.data, f"{CB_CHECKIN}:l", 1)
    if args is None or (shift_id := int_arg(args[0])) is None:
        raise StaleButton()
    await _show_roster(update, context, actor, shift_id)
    await query.answer()


@guarded(Permission.CHECK_IN_OTHERS)
async def cb_shiftcheckin_person(update: Update, context: GotongContext, actor: Actor) -> None:
    """Tapping a name checks them in (or takes it back); a toast says which, the list updates."""
    query = update.callback_query
    assert query is not None
    args = callback_args(query.data, f"{CB_CHECKIN}:t", 2)
    signup_id = int_arg(args[0]) if args else None
    if args is None or signup_id is None or args[1] not in ("0", "1"):
        raise StaleButton()
    result = await shift_checkin.set_checked_in(
        context.db, actor, signup_id, args[1] == "1", now=context.clock.now()
    )
    await query.answer(
        to_plain(lead_toast(reader_for(context, actor), result), CALLBACK_ANSWER_LIMIT)
    )
    await _show_roster(update, context, actor, result.shift_id)


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg,unused-ignore]
    return [
        CommandHandler("shiftcheckin", cmd_shiftcheckin),
        CallbackQueryHandler(cb_shiftcheckin_list, pattern=rf"^{CB_CHECKIN}:l:"),
        CallbackQueryHandler(cb_shiftcheckin_person, pattern=rf"^{CB_CHECKIN}:t:"),
    ]
