"""Shift check-in: the volunteer's "I'm here ✅" (from the reminder and /my) and the lead's
/shiftcheckin list, one button per person that ticks or unticks them.

Each button kind (`CheckInSelf`, `CheckInList`, `CheckInToggle` in `bot.views.shift_buttons`)
has its own action; the lead's buttons carry the state they set, so a double tap cannot flip
it back.  Texts and keyboards come from `bot.views.shift_checkin`.
"""

from __future__ import annotations

from telegram import CallbackQuery, Update
from telegram.ext import CommandHandler

from bot.commands import CommandSpec
from bot.context import GotongContext
from bot.errors import InvalidInput
from bot.services.authz import Permission
from bot.services.people.members import Actor
from bot.services.shifts import checkin as shift_checkin
from bot.services.shifts.checkin import Outcome
from bot.views import shift_checkin as checkin_views
from bot.views.render import CALLBACK_ANSWER_LIMIT, to_plain
from bot.views.shift_buttons import CheckInList, CheckInSelf, CheckInToggle
from handlers.buttons import pressed
from handlers.common import edit_or_send, int_arg, reader_for, send
from handlers.feature import Feature
from handlers.guard import guarded


def _query(update: Update) -> CallbackQuery:
    query = update.callback_query
    assert query is not None
    return query


@pressed(CheckInSelf, Permission.VOLUNTEER)
async def on_check_in_self(
    update: Update, context: GotongContext, actor: Actor, data: CheckInSelf
) -> None:
    """"I'm here ✅" pressed: checked in (a toast and a thank-you), or when it opens."""
    query = _query(update)
    result = await shift_checkin.check_in_self(
        context.db, actor, data.signup_id, now=context.clock.now()
    )
    reader = reader_for(context, actor)
    done = result.outcome == Outcome.CHECKED_IN
    await query.answer(reader.plain("shiftcheckin.toast") if done else None)
    # A new message rather than an edit: the pressed one may be /my, listing other shifts.
    await send(update, context, checkin_views.self_reply(reader, result))


async def _show_roster(
    update: Update, context: GotongContext, actor: Actor, shift_id: int
) -> None:
    roster = await shift_checkin.shift_roster(context.db, actor, shift_id)
    text, keyboard = checkin_views.roster(reader_for(context, actor), roster)
    await edit_or_send(update, context, text, keyboard)


@guarded(Permission.CHECK_IN_OTHERS)
async def cmd_shiftcheckin(update: Update, context: GotongContext, actor: Actor) -> None:
    """The shift's people with a button each to check them in; without an id, the shifts
    running now to pick from."""
    args = context.args or []
    if args:
        if len(args) != 1 or (shift_id := int_arg(args[0].lstrip("#"))) is None:
            raise InvalidInput("shiftcheckin.usage")
        await _show_roster(update, context, actor, shift_id)
        return
    found = await shift_checkin.shifts_to_check_in(context.db, actor, now=context.clock.now())
    text, keyboard = checkin_views.pick_shift(
        reader_for(context, actor), found, shift_checkin.SELF_OPENS_BEFORE
    )
    await send(update, context, text, keyboard or None)


@pressed(CheckInList, Permission.CHECK_IN_OTHERS)
async def on_check_in_list(
    update: Update, context: GotongContext, actor: Actor, data: CheckInList
) -> None:
    """A shift picked (or 🔄): its check-in list replaces the message."""
    await _show_roster(update, context, actor, data.shift_id)
    await _query(update).answer()


@pressed(CheckInToggle, Permission.CHECK_IN_OTHERS)
async def on_check_in_toggle(
    update: Update, context: GotongContext, actor: Actor, data: CheckInToggle
) -> None:
    """Tapping a name checks them in (or takes it back); a toast says which, the list updates."""
    result = await shift_checkin.set_checked_in(
        context.db, actor, data.signup_id, data.here, now=context.clock.now()
    )
    toast = checkin_views.lead_toast(
        reader_for(context, actor), result, shift_checkin.LEAD_CLOSES_AFTER
    )
    await _query(update).answer(to_plain(toast, CALLBACK_ANSWER_LIMIT))
    await _show_roster(update, context, actor, result.shift_id)


FEATURE = Feature(
    "shift_checkin",
    handlers=[
        CommandHandler("shiftcheckin", cmd_shiftcheckin),
    ],
    buttons=[on_check_in_self, on_check_in_list, on_check_in_toggle],
    commands=[CommandSpec("shiftcheckin", Permission.CHECK_IN_OTHERS, menu=False)],
)
