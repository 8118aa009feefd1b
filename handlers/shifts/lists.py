"""Volunteers' side of shifts: /shifts (browse and claim in one tap), /my, release,
waitlist offers and cover; plus the periodic sweep job (offers, nudges, escalations, no-shows).

Creation, edit and cancel are in `handlers.shifts.create`, check-in in `handlers.shifts.checkin`.
Each button kind (`bot.views.shift_buttons`) has its own action here; the texts and keyboards
come from `bot.views.shift_lists`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import CallbackQuery, Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler

from bot.commands import CommandSpec
from bot.context import GotongContext
from bot.services.authz import Permission
from bot.services.people.members import Actor
from bot.services.shifts import claims as shift_claims
from bot.services.shifts import plan as shifts
from bot.services.shifts import sweeps as shift_sweeps
from bot.services.shifts import waitlist as shift_waitlist
from bot.views import shift_lists as shift_views
from bot.views import shifts as shift_outbox
from bot.views.shift_buttons import (
    AcceptOffer,
    AskCover,
    ClaimShift,
    DeclineOffer,
    JoinWaitlist,
    ReleaseSignup,
    ShiftsPage,
    TakeCover,
    UndoRelease,
)
from handlers.buttons import pressed
from handlers.common import edit_or_send, reader_for, send
from handlers.feature import Every, Feature
from handlers.guard import guarded

log = logging.getLogger(__name__)

SWEEP_JOB = "shifts.sweep"
SWEEP_INTERVAL = timedelta(minutes=1)



def _query(update: Update) -> CallbackQuery:
    query = update.callback_query
    assert query is not None
    return query


async def show_shift_page(
    update: Update, context: GotongContext, actor: Actor, page: int
) -> None:
    result = await shifts.open_shifts(context.db, actor, now=context.clock.now(), page=page)
    text, keyboard = shift_views.open_shifts(reader_for(context, actor), result)
    await edit_or_send(update, context, text, keyboard or None)


@guarded(Permission.VOLUNTEER)
async def cmd_shifts(update: Update, context: GotongContext, actor: Actor) -> None:
    """Open shifts I may take, soonest first, with a claim button each and paging."""
    await show_shift_page(update, context, actor, 0)


@guarded(Permission.VOLUNTEER)
async def cmd_my(update: Update, context: GotongContext, actor: Actor) -> None:
    """My upcoming shifts and open tasks, each with release (and cover / done) buttons, and
    "I'm here ✅" on a shift whose check-in is open."""
    now = context.clock.now()
    mine = await shift_claims.my_upcoming(context.db, actor, now=now)
    text, keyboard = shift_views.my_list(reader_for(context, actor), mine, now)
    await send(update, context, text, keyboard or None)


@pressed(ShiftsPage, Permission.VOLUNTEER)
async def on_shifts_page(
    update: Update, context: GotongContext, actor: Actor, data: ShiftsPage
) -> None:
    await _query(update).answer()
    await show_shift_page(update, context, actor, data.page)


@pressed(ClaimShift, Permission.VOLUNTEER)
async def on_claim_shift(
    update: Update, context: GotongContext, actor: Actor, data: ClaimShift
) -> None:
    """Claim: the pressed message (the list, or a nudge) becomes the answer: edits and
    callback answers are not part of Telegram's 30 messages/s, and the chat stays short."""
    query = _query(update)
    reader = reader_for(context, actor)
    result = await shift_claims.claim_shift(
        context.db, actor, data.shift_id, context.settings, now=context.clock.now()
    )
    await query.answer(None if result.full else reader.plain("shifts.claimed_toast"))
    text, keyboard = shift_views.claimed(reader, result, data.shift_id)
    await edit_or_send(update, context, text, keyboard)


@pressed(JoinWaitlist, Permission.VOLUNTEER)
async def on_join_waitlist(
    update: Update, context: GotongContext, actor: Actor, data: JoinWaitlist
) -> None:
    joined = await shift_waitlist.join_waitlist(
        context.db, actor, data.shift_id, now=context.clock.now()
    )
    await _query(update).answer()
    await edit_or_send(update, context,
                       shift_views.waitlist_joined(reader_for(context, actor), joined))


@pressed(ReleaseSignup, Permission.VOLUNTEER)
async def on_release_signup(
    update: Update, context: GotongContext, actor: Actor, data: ReleaseSignup
) -> None:
    released = await shift_claims.release_signup(
        context.db, actor, data.signup_id, context.settings, now=context.clock.now()
    )
    await _query(update).answer()
    text, keyboard = shift_views.released(reader_for(context, actor), released)
    await edit_or_send(update, context, text, keyboard or None)


@pressed(UndoRelease, Permission.VOLUNTEER)
async def on_undo_release(
    update: Update, context: GotongContext, actor: Actor, data: UndoRelease
) -> None:
    """"Undo" within the window takes the place back (the claim's own path); later, or
    when the place went to the next in line, the answer says so."""
    reader = reader_for(context, actor)
    result = await shift_claims.undo_release(
        context.db, actor, data.shift_id, data.at, context.settings, now=context.clock.now()
    )
    await _query(update).answer(reader.plain("shifts.undone_toast"))
    text, keyboard = shift_views.undone(reader, result)
    await edit_or_send(update, context, text, keyboard)


@pressed(AskCover, Permission.VOLUNTEER)
async def on_ask_cover(
    update: Update, context: GotongContext, actor: Actor, data: AskCover
) -> None:
    shift, asked = await shift_waitlist.request_cover(
        context.db, actor, data.signup_id, now=context.clock.now()
    )
    await _query(update).answer()
    await send(update, context,
               shift_views.cover_requested(reader_for(context, actor), shift, asked))


@pressed(TakeCover, Permission.VOLUNTEER)
async def on_take_cover(
    update: Update, context: GotongContext, actor: Actor, data: TakeCover
) -> None:
    taken = await shift_waitlist.accept_cover(
        context.db, actor, data.cover_id, context.settings, now=context.clock.now()
    )
    await _query(update).answer()
    await edit_or_send(update, context,
                       shift_views.cover_accepted(reader_for(context, actor), taken))


@pressed(AcceptOffer, Permission.VOLUNTEER)
async def on_accept_offer(
    update: Update, context: GotongContext, actor: Actor, data: AcceptOffer
) -> None:
    accepted = await shift_waitlist.accept_offer(
        context.db, actor, data.entry_id, context.settings, now=context.clock.now()
    )
    await _query(update).answer()
    await edit_or_send(update, context,
                       shift_views.offer_accepted(reader_for(context, actor), accepted))


@pressed(DeclineOffer, Permission.VOLUNTEER)
async def on_decline_offer(
    update: Update, context: GotongContext, actor: Actor, data: DeclineOffer
) -> None:
    declined = await shift_waitlist.decline_offer(
        context.db, actor, data.entry_id, context.settings, now=context.clock.now()
    )
    await _query(update).answer()
    await edit_or_send(update, context,
                       shift_views.offer_declined(reader_for(context, actor), declined))


async def job_shift_sweep(context: GotongContext) -> None:
    """Expires waitlist offers, nudges for free places, escalates overdue tasks, marks
    shift no-shows."""
    report = await shift_sweeps.sweep(context.db, context.settings, now=context.clock.now())
    for offer in report.expired_offers:
        # The expired offer's Accept/Decline go away; the notice (outbox) says why.
        for chat_id, message_id in offer.messages:
            try:
                await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
            except TelegramError as exc:  # deleted by the person, or too old: nothing to take off
                log.info("expired offer %d: buttons stay (%s)", offer.entry_id, exc)
    if report.offers_expired or report.free_nudges or report.overdue_escalations or (
        report.no_shows
    ):
        log.info("shift sweep: %s", report)


FEATURE = Feature(
    "shifts",
    handlers=[
        CommandHandler("shifts", cmd_shifts),
        CommandHandler("my", cmd_my),
    ],
    buttons=[
        on_shifts_page,
        on_claim_shift,
        on_join_waitlist,
        on_release_signup,
        on_undo_release,
        on_ask_cover,
        on_take_cover,
        on_accept_offer,
        on_decline_offer,
    ],
    commands=[CommandSpec("shifts", Permission.VOLUNTEER), CommandSpec("my", Permission.VOLUNTEER)],
    jobs=[Every(SWEEP_JOB, job_shift_sweep, SWEEP_INTERVAL)],
    renderers=shift_outbox.RENDERERS,
)
