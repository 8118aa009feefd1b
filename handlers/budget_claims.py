"""Reviewing claims in chat: Approve / Reject / Mark paid / Receipt buttons and /claims.

The buttons come with the outbox's review message and with /claims; each kind has its
own action.  Rejecting asks for the reason (a one-question guided flow, `REJECT`): the
claimant is told it, and a claim decided by someone else meanwhile ends the question.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.context import GotongContext
from bot.errors import DomainError, InvalidInput
from bot.services import flows
from bot.services.authz import Permission, can
from bot.services.budget import claims, expenses
from bot.services.budget import lines as budget
from bot.services.budget.expenses import ExpenseView, Receipt
from bot.services.people.members import Actor
from bot.views.budget_claims import (
    ApproveClaim,
    PayClaim,
    RejectClaim,
    ShowReceipt,
    approved_text,
    claim_text,
    my_claims_lines,
    owed_keyboard,
    owed_text,
    paid_keyboard,
    paid_text,
    receipt_caption,
    rejected_text,
    review_keyboard,
)
from handlers.buttons import pressed
from handlers.common import edit_or_send, reader_for, send
from handlers.guard import guarded
from handlers.guided import Answer, GuidedFlow, Step, Turn
from models import ExpenseStatus

log = logging.getLogger(__name__)

FLOW_REJECT = "budget_reject"
LIST_LIMIT = 10


# ---- the buttons ---------------------------------------------------------------------------
@pressed(ApproveClaim, Permission.RECORD_EXPENSE)
async def cb_claim_approve(
    update: Update, context: GotongContext, actor: Actor, data: ApproveClaim
) -> None:
    """Approve: the card then says it was approved and offers Mark paid (a second reviewer
    is told who won)."""
    query = update.callback_query
    assert query is not None
    reader = reader_for(context, actor)
    view = await claims.approve_claim(context.db, actor, data.expense_id, now=context.clock.now())
    await query.answer(reader.plain("budget.claim.approved_toast"))
    await edit_or_send(update, context, approved_text(reader, view), owed_keyboard(reader, view))


@pressed(RejectClaim, Permission.RECORD_EXPENSE)
async def cb_claim_reject(
    update: Update, context: GotongContext, actor: Actor, data: RejectClaim
) -> None:
    """Reject: first the reason, asked below the card (the card stays as it was until the
    reason is saved; the flow keeps where the card is, to edit it then)."""
    query = update.callback_query
    assert query is not None
    view = await claims.check_reviewable(context.db, actor, data.expense_id)
    await query.answer()
    start: dict[str, Any] = {"expense_id": view.id}
    if query.message is not None:
        start.update(card_chat=query.message.chat.id, card_message=query.message.message_id)
    await REJECT.start(update, context, actor, start, edit=False)


@pressed(PayClaim, Permission.RECORD_EXPENSE)
async def cb_claim_paid(
    update: Update, context: GotongContext, actor: Actor, data: PayClaim
) -> None:
    """Mark paid: the approved claim leaves the owed list; the claimant is told."""
    query = update.callback_query
    assert query is not None
    reader = reader_for(context, actor)
    view = await claims.mark_paid(context.db, actor, data.expense_id, now=context.clock.now())
    await query.answer(reader.plain("budget.claim.paid_toast"))
    await edit_or_send(update, context, paid_text(reader, view), paid_keyboard(reader, view))


@pressed(ShowReceipt, Permission.RECORD_EXPENSE)
async def cb_claim_receipt(
    update: Update, context: GotongContext, actor: Actor, data: ShowReceipt
) -> None:
    """Receipt: the photo or file sent again, below the card."""
    query = update.callback_query
    assert query is not None
    view, receipt = await expenses.receipt_of(context.db, actor, data.expense_id)
    await query.answer()
    await _send_receipt(update, context, actor, view, receipt)


async def _send_receipt(
    update: Update, context: GotongContext, actor: Actor, view: ExpenseView, receipt: Receipt
) -> None:
    chat = update.effective_chat
    assert chat is not None
    caption = receipt_caption(reader_for(context, actor), view)
    # Telegram re-sends by file_id, but a photo id only as a photo and a document id only as
    # a document: the receipt's kind decides.
    if receipt.kind == "photo":
        await context.bot.send_photo(chat.id, receipt.file_id, caption=caption)
    else:
        await context.bot.send_document(chat.id, receipt.file_id, caption=caption)


BUTTONS = (cb_claim_approve, cb_claim_reject, cb_claim_paid, cb_claim_receipt)


# ---- the reason for a rejection ------------------------------------------------------------
async def read_reason(turn: Turn, answer: Answer) -> Mapping[str, Any]:
    reason = budget.clean_text(answer.text, budget.MAX_NOTE, "budget.claim.reason_missing")
    return {"reason": reason}


async def reject_with_reason(turn: Turn) -> None:
    """The claim is rejected with the reason, and the question ends with it."""
    expense_id = int(turn.data.get("expense_id", 0))
    reason = str(turn.data["reason"])
    try:
        view = await claims.reject_claim(
            turn.context.db, turn.actor, expense_id, reason, now=turn.now, ends=turn.key
        )
    except InvalidInput:
        raise
    except DomainError:
        # Decided by someone else meanwhile (or voided): the question is over.
        await flows.end_flow(turn.context.db, turn.actor.telegram_id)
        raise
    await _edit_card(turn, rejected_text(turn.reader, view, reason))
    await send(
        turn.update,
        turn.context,
        turn.reader.t("budget.claim.rejected", ref=f"E{view.id}", reason=reason),
    )


async def _edit_card(turn: Turn, text: str) -> None:
    """The card whose Reject started the flow now says so, without its buttons."""
    chat_id, message_id = turn.data.get("card_chat"), turn.data.get("card_message")
    if chat_id is None or message_id is None:
        return
    try:
        await turn.context.bot.edit_message_text(
            text, chat_id=int(chat_id), message_id=int(message_id), parse_mode=ParseMode.HTML,
            reply_markup=None, disable_web_page_preview=True,
        )
    except TelegramError as exc:  # deleted by the reviewer, or too old: the reply says it
        log.info("claim card %s/%s not edited (%s)", chat_id, message_id, exc)


REJECT = GuidedFlow(
    FLOW_REJECT,
    steps=(
        Step(
            "reason",
            "budget.claim.ask_reason",
            read_reason,
            params=lambda turn: {"ref": f"E{turn.data.get('expense_id', 0)}"},
        ),
    ),
    finish=reject_with_reason,
)


# ---- /claims -------------------------------------------------------------------------------
@guarded(Permission.RECORD_EXPENSE)
async def cmd_claims(update: Update, context: GotongContext, actor: Actor) -> None:
    """Reviewers: claims to decide and approved claims to reimburse; others: their own."""
    reader = reader_for(context, actor)
    if not can(actor, Permission.APPROVE_CLAIMS):
        mine = await expenses.my_claims(context.db, actor)
        await send(update, context, my_claims_lines(reader, mine))
        return
    pending = await expenses.claims_by_status(
        context.db, actor, ExpenseStatus.PENDING, limit=LIST_LIMIT + 1
    )
    owed = await expenses.claims_by_status(
        context.db, actor, ExpenseStatus.APPROVED, limit=LIST_LIMIT + 1
    )
    await send(update, context, reader.t("budget.claims.pending_title", count=len(pending)))
    for view in pending[:LIST_LIMIT]:
        keyboard = review_keyboard(reader, view) if view.spent_by_id != actor.person_id else None
        await send(update, context, claim_text(reader, view), keyboard)
    await send(update, context, reader.t("budget.claims.owed_title", count=len(owed)))
    for view in owed[:LIST_LIMIT]:
        await send(update, context, owed_text(reader, view), owed_keyboard(reader, view))
    if len(pending) > LIST_LIMIT or len(owed) > LIST_LIMIT:
        await send(update, context, reader.t("budget.claims.more", limit=LIST_LIMIT))
