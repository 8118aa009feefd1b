"""/expense: one line (`/expense 250rb Printing flyer RW 05`) or the guided questions.

The guided /expense is declared once (`EXPENSE`): amount, category (buttons), note,
receipt (or skip), then a review with Save.  Each answer is checked by the rule the
service applies to it; Save records the expense and ends the flow in one transaction,
so a second tap records nothing and is told it is already saved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from telegram import Message, Update

from bot.context import GotongContext
from bot.errors import InvalidInput
from bot.services.authz import Permission
from bot.services.budget import expenses
from bot.services.budget import lines as budget
from bot.services.budget.expenses import Receipt
from bot.services.people.members import Actor
from bot.views.budget_claims import expense_review_text, recorded_text
from handlers.common import edit_or_send, reader_for, send
from handlers.guard import guarded
from handlers.guided import Answer, Confirm, GuidedFlow, Step, Turn

FLOW_EXPENSE = "budget_expense"


def money_args(context: GotongContext, actor: Actor) -> dict[str, str]:
    """How amounts are read: the campaign's currency, the person's language ("1.500.000")."""
    return {"currency": context.settings.currency, "lang": actor.language}


# ---- the guided flow's steps ---------------------------------------------------------------
async def read_amount(turn: Turn, answer: Answer) -> Mapping[str, Any]:
    if not answer.text:
        raise InvalidInput("budget.expense.ask_amount")
    amount = budget.parse_money(answer.text, **money_args(turn.context, turn.actor))
    expenses.check_amount(amount)
    return {"amount": amount}


async def read_line(turn: Turn, answer: Answer) -> Mapping[str, Any]:
    """A line's button (its id) or its category typed; the write looks it up the same way."""
    line = await budget.pick_line(turn.context.db, answer.choice or answer.text)
    return {"line_id": line.id, "category": line.category}


async def line_choices(turn: Turn) -> Sequence[tuple[str, str]]:
    return [(str(v.id), v.category) for v in await budget.list_lines(turn.context.db)]


async def read_note(turn: Turn, answer: Answer) -> Mapping[str, Any]:
    if not answer.text:
        raise InvalidInput("budget.expense.ask_note")
    return {"note": budget.clean_text(answer.text, budget.MAX_NOTE)}


def receipt_from(message: Message | None) -> Receipt | None:
    """The photo (its largest size) or image file a message carries."""
    if message is None:
        return None
    if message.photo:
        biggest = message.photo[-1]
        return Receipt(biggest.file_id, "photo", "image/jpeg", biggest.file_size)
    if message.document:
        doc = message.document
        return Receipt(doc.file_id, "document", doc.mime_type, doc.file_size)
    return None


async def read_receipt(turn: Turn, answer: Answer) -> Mapping[str, Any]:
    if answer.skipped:
        return {"receipt": None}
    receipt = receipt_from(answer.message)
    if receipt is None:
        raise InvalidInput("budget.receipt.expected")
    expenses.validate_receipt(receipt)
    return {"receipt": [receipt.file_id, receipt.kind, receipt.mime, receipt.size]}


async def save_expense(turn: Turn) -> None:
    """Save: the expense is recorded and the flow ended in the same transaction."""
    data = turn.data
    raw = data.get("receipt")
    view = await expenses.record_expense(
        turn.context.db,
        turn.actor,
        amount=int(data["amount"]),
        currency=turn.context.settings.currency,
        category=str(data["line_id"]),
        note=str(data.get("note", "")),
        receipt=Receipt(raw[0], raw[1], raw[2], raw[3]) if raw else None,
        now=turn.now,
        ends=turn.key,
    )
    query = turn.update.callback_query
    if query is not None:
        await query.answer()
    await edit_or_send(turn.update, turn.context, recorded_text(turn.reader, view))


EXPENSE = GuidedFlow(
    FLOW_EXPENSE,
    steps=(
        Step("amount", "budget.expense.ask_amount", read_amount),
        Step("category", "budget.expense.ask_category", read_line, choices=line_choices),
        Step("note", "budget.expense.ask_note", read_note),
        Step("receipt", "budget.expense.ask_receipt", read_receipt, skip="budget.btn.skip_receipt"),
    ),
    confirm=Confirm(
        lambda turn: expense_review_text(turn.reader, turn.data),
        save="budget.btn.save",
        cancel="budget.btn.cancel",
    ),
    finish=save_expense,
)


# ---- /expense --------------------------------------------------------------------------------
def _named_line(
    rest: list[str], views: list[budget.LineView]
) -> tuple[int, budget.LineView] | None:
    """The longest run of leading words that names a line ("Transport Jaksel"), and its length."""
    keys = {budget.category_key(v.category): v for v in views}
    return next(
        (
            (n, keys[k])
            for n in range(len(rest), 0, -1)
            if (k := budget.category_key(" ".join(rest[:n]))) in keys
        ),
        None,
    )


@guarded(Permission.RECORD_EXPENSE)
async def cmd_expense(update: Update, context: GotongContext, actor: Actor) -> None:
    """`/expense 250rb Printing flyer RW 05`, or bare `/expense` for step-by-step questions."""
    args = list(context.args or [])
    if not args:
        if not await budget.list_lines(context.db):
            raise InvalidInput("budget.expense.no_lines")
        await EXPENSE.start(update, context, actor)
        return
    hit = budget.split_amount(args, 0, **money_args(context, actor))
    if hit is None:
        raise budget.amount_error(args, 0, **money_args(context, actor))
    amount, width = hit
    rest = args[width:]
    if not rest:
        raise InvalidInput("budget.expense.usage")
    views = await budget.list_lines(context.db)
    chosen = _named_line(rest, views)
    if chosen is None:
        raise InvalidInput(
            "budget.unknown_category",
            name=rest[0],
            known=", ".join(v.category for v in views) or "—",
        )
    used, line = chosen
    view = await expenses.record_expense(
        context.db,
        actor,
        amount=amount,
        currency=context.settings.currency,
        category=str(line.id),
        note=" ".join(rest[used:]),
        now=context.clock.now(),
    )
    await send(update, context, recorded_text(reader_for(context, actor), view))
