"""The campaign's money in chat: /budget, /budgetline, /fund, /expense, /claims, /ledger, /void.

Volunteers file expenses (a guided flow or one line); coordinators review them with the
buttons the outbox brings them, mark reimbursements paid, and see the budget and ledger.
Amounts are read as the person types them, in their language ("1.500.000", "1,5jt").
"""

from __future__ import annotations

import re
from typing import Any

from telegram import InputFile, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.commands import CommandSpec, register
from bot.context import GotongContext
from bot.errors import DomainError, InvalidInput
from bot.services import flows
from bot.services.authz import Permission, can
from bot.services.budget import expenses
from bot.services.budget import exports as budget_exports
from bot.services.budget import lines as budget
from bot.services.budget.expenses import ExpenseView, Receipt
from bot.services.flows import Flow
from bot.services.people.members import Actor
from bot.views.budget import CB_CLAIM, claim_text, review_keyboard
from bot.views.formatting import progress_bar
from bot.views.render import Button, Reader, truncate
from handlers.common import (
    button_rows,
    callback_args,
    edit_or_send,
    int_arg,
    reader_for,
    send,
)
from handlers.flows import register_flow
from handlers.guard import StaleButton, guarded
from models import ExpenseStatus

CB_EXPENSE = "bx"  # bx:c:<line id> | bx:skip:0 | bx:ok:0 | bx:no:0
FLOW_EXPENSE = "budget_expense"
FLOW_REJECT = "budget_reject"
LIST_LIMIT = 10
_REF = re.compile(r"^#?([EeFf]?)(\d{1,18})$")

register(
    CommandSpec("budget", Permission.MANAGE_BUDGET),
    CommandSpec("expense", Permission.RECORD_EXPENSE),
    CommandSpec("claims", Permission.RECORD_EXPENSE),
    CommandSpec("budgetline", Permission.MANAGE_BUDGET),
    CommandSpec("fund", Permission.MANAGE_BUDGET),
    CommandSpec("ledger", Permission.MANAGE_BUDGET),
    CommandSpec("void", Permission.RECORD_EXPENSE, menu=False),
)


def _money_args(context: GotongContext, actor: Actor) -> dict[str, str]:
    return {"currency": context.settings.currency, "lang": actor.language}


# ---- /budget ------------------------------------------------------------------------------
def budget_lines(reader: Reader, status: budget.BudgetStatus) -> list[str]:
    """The /budget text as lines (packed into messages by `send`)."""
    money = status.currency
    lines = [reader.t("budget.status.title")]
    if not status.lines:
        lines.append(reader.t("budget.status.no_lines"))
    for line in status.lines:
        lines.append(
            reader.t(
                "budget.status.line",
                category=line.category,
                spent=reader.money(line.spent, money),
                planned=reader.money(line.planned, money),
                percent=reader.percent(line.ratio),
                bar=progress_bar(line.ratio),
                remaining=reader.money(line.remaining, money),
            )
        )
        if line.pending:
            lines.append(
                reader.t("budget.status.line_pending", pending=reader.money(line.pending, money))
            )
    total_ratio = status.spent / status.planned if status.planned else 0.0
    lines += [
        "",
        reader.t(
            "budget.status.total",
            spent=reader.money(status.spent, money),
            planned=reader.money(status.planned, money),
            percent=reader.percent(total_ratio),
            remaining=reader.money(status.remaining, money),
        ),
        reader.t(
            "budget.status.balance",
            received=reader.money(status.received, money),
            spent=reader.money(status.spent, money),
            balance=reader.money(status.balance, money),
        ),
        reader.t(
            "budget.status.claims",
            pending_count=status.pending_count,
            pending=reader.money(status.pending, money),
            owed_count=status.owed_count,
            owed=reader.money(status.owed, money),
        ),
    ]
    return lines


@guarded(Permission.MANAGE_BUDGET)
async def cmd_budget(update: Update, context: GotongContext, actor: Actor) -> None:
    """Planned vs spent per line with bars, what remains, the balance and what is owed."""
    status = await budget.budget_status(context.db, currency=context.settings.currency)
    await send(update, context, budget_lines(reader_for(context, actor), status))


# ---- /budgetline and /fund ----------------------------------------------------------------
@guarded(Permission.MANAGE_BUDGET)
async def cmd_budgetline(update: Update, context: GotongContext, actor: Actor) -> None:
    """`/budgetline <category> <amount> [team] [event:N]` sets a line; bare: lists them."""
    reader = reader_for(context, actor)
    args = list(context.args or [])
    if not args:
        views = await budget.list_lines(context.db)
        lines = [reader.t("budget.line.list_title")]
        lines += [
            reader.t(
                "budget.line.list_line",
                category=v.category,
                planned=reader.money(v.planned, v.currency),
                team=v.team_name or "—",
            )
            for v in views
        ] or [reader.t("budget.status.no_lines")]
        lines.append(reader.t("budget.line.usage"))
        await send(update, context, lines)
        return
    event_id = budget.event_ref(args[-1])
    if event_id is not None:
        args = args[:-1]
    found = next(
        (
            (i, hit)
            for i in range(1, len(args))
            if (hit := budget.split_amount(args, i, **_money_args(context, actor)))
        ),
        None,
    )
    if found is None:
        if len(args) < 2:
            raise InvalidInput("budget.line.usage")
        raise budget.amount_error(args, len(args) - 1, **_money_args(context, actor))
    index, (planned, width) = found
    team_ref = " ".join(args[index + width :]) or None
    view, created = await budget.set_budget_line(
        context.db,
        actor,
        category=" ".join(args[:index]),
        planned=planned,
        currency=context.settings.currency,
        team_ref=team_ref,
        event_id=event_id,
        now=context.clock.now(),
    )
    await send(
        update,
        context,
        reader.t(
            "budget.line.created" if created else "budget.line.updated",
            category=view.category,
            planned=reader.money(view.planned, view.currency),
            team=view.team_name or "—",
        ),
    )


@guarded(Permission.MANAGE_BUDGET)
async def cmd_fund(update: Update, context: GotongContext, actor: Actor) -> None:
    """`/fund <amount> <source> [| note]` records money received."""
    reader = reader_for(context, actor)
    args = list(context.args or [])
    if not args:
        raise InvalidInput("budget.fund.usage")
    hit = budget.split_amount(args, 0, **_money_args(context, actor))
    if hit is None:
        raise budget.amount_error(args, 0, **_money_args(context, actor))
    amount, width = hit
    rest = " ".join(args[width:])
    source, _, note = rest.partition("|")
    if not source.strip():
        raise InvalidInput("budget.fund.usage")
    fund = await budget.record_fund(
        context.db,
        actor,
        amount=amount,
        currency=context.settings.currency,
        source=source,
        note=note or None,
        now=context.clock.now(),
    )
    await send(
        update,
        context,
        reader.t(
            "budget.fund.recorded",
            ref=f"F{fund.id}",
            amount=reader.money(fund.amount, fund.currency),
            source=fund.source,
            when=reader.date(fund.received_at),
        ),
    )


# ---- /expense: one line, or the guided flow -----------------------------------------------
@guarded(Permission.RECORD_EXPENSE)
async def cmd_expense(update: Update, context: GotongContext, actor: Actor) -> None:
    """`/expense 250rb Printing flyer RW 05`, or bare `/expense` for step-by-step questions."""
    reader = reader_for(context, actor)
    args = list(context.args or [])
    if not args:
        if not await budget.list_lines(context.db):
            raise InvalidInput("budget.expense.no_lines")
        await flows.start_flow(
            context.db, actor.telegram_id, FLOW_EXPENSE, "amount", now=context.clock.now()
        )
        await send(update, context, reader.t("budget.expense.ask_amount"))
        return
    hit = budget.split_amount(args, 0, **_money_args(context, actor))
    if hit is None:
        raise budget.amount_error(args, 0, **_money_args(context, actor))
    amount, width = hit
    rest = args[width:]
    if not rest:
        raise InvalidInput("budget.expense.usage")
    # The category is the longest run of leading words that names a line ("Transport Jaksel").
    views = await budget.list_lines(context.db)
    keys = {budget.category_key(v.category): v for v in views}
    chosen = next(
        (
            (n, keys[k])
            for n in range(len(rest), 0, -1)
            if (k := budget.category_key(" ".join(rest[:n]))) in keys
        ),
        None,
    )
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
    await send(update, context, _recorded_text(reader, view))


def _recorded_text(reader: Reader, view: ExpenseView) -> str:
    key = (
        "budget.expense.recorded_claim"
        if view.status == ExpenseStatus.PENDING
        else "budget.expense.recorded_approved"
    )
    return reader.t(
        key,
        ref=f"E{view.id}",
        amount=reader.money(view.amount, view.currency),
        category=view.category,
        note=view.note or "—",
    )


def _receipt_from(message: Message | None) -> Receipt | None:
    if message is None:
        return None
    if message.photo:
        biggest = message.photo[-1]
        return Receipt(biggest.file_id, "photo", "image/jpeg", biggest.file_size)
    if message.document:
        doc = message.document
        return Receipt(doc.file_id, "document", doc.mime_type, doc.file_size)
    return None


async def _ask_category(update: Update, context: GotongContext, reader: Reader) -> None:
    views = await budget.list_lines(context.db)
    buttons = [Button(truncate(v.category, 40), f"{CB_EXPENSE}:c:{v.id}") for v in views]
    await send(update, context, reader.t("budget.expense.ask_category"), button_rows(buttons))


async def _ask_confirm(
    update: Update, context: GotongContext, reader: Reader, data: dict[str, Any]
) -> None:
    text = reader.t(
        "budget.expense.confirm",
        amount=reader.money(int(data["amount"])),
        category=str(data["category"]),
        note=str(data.get("note") or "—"),
        receipt=reader.t(
            "budget.claim.has_receipt" if data.get("receipt") else "budget.claim.no_receipt"
        ),
    )
    keyboard = [
        [
            Button(reader.t("budget.btn.save"), f"{CB_EXPENSE}:ok:0"),
            Button(reader.t("budget.btn.cancel"), f"{CB_EXPENSE}:no:0"),
        ]
    ]
    await edit_or_send(update, context, text, keyboard)


async def step_expense(update: Update, context: GotongContext, actor: Actor, flow: Flow) -> None:
    """Answers each step of the guided expense: amount, category, note, receipt."""
    reader = reader_for(context, actor)
    message = update.effective_message
    text = (message.text or "").strip() if message else ""
    data = dict(flow.data)
    now = context.clock.now()

    async def advance(step: str) -> None:
        await flows.start_flow(context.db, actor.telegram_id, FLOW_EXPENSE, step, data, now=now)

    if flow.step == "amount":
        if not text:
            raise InvalidInput("budget.expense.ask_amount")
        data["amount"] = budget.parse_money(text, **_money_args(context, actor))
        await advance("category")
        await _ask_category(update, context, reader)
    elif flow.step == "category":
        views = await budget.list_lines(context.db)
        match = next(
            (v for v in views if budget.category_key(v.category) == budget.category_key(text)),
            None,
        )
        if match is None:
            await _ask_category(update, context, reader)
            return
        data["line_id"], data["category"] = match.id, match.category
        await advance("note")
        await send(update, context, reader.t("budget.expense.ask_note"))
    elif flow.step == "note":
        if not text:
            raise InvalidInput("budget.expense.ask_note")
        data["note"] = budget.clean_text(text, budget.MAX_NOTE)
        await advance("receipt")
        skip = [[Button(reader.t("budget.btn.skip_receipt"), f"{CB_EXPENSE}:skip:0")]]
        await send(update, context, reader.t("budget.expense.ask_receipt"), skip)
    elif flow.step == "receipt":
        receipt = _receipt_from(message)
        if receipt is None:
            raise InvalidInput("budget.receipt.expected")
        expenses.validate_receipt(receipt)
        data["receipt"] = [receipt.file_id, receipt.kind, receipt.mime, receipt.size]
        await advance("confirm")
        await _ask_confirm(update, context, reader, data)
    else:  # confirm: typed text instead of a tap
        await _ask_confirm(update, context, reader, data)


@guarded(Permission.RECORD_EXPENSE)
async def cb_expense(update: Update, context: GotongContext, actor: Actor) -> None:
    """The expense flow's buttons: pick the category, skip the receipt, save or cancel."""
    query = update.callback_query
    assert query is not None
    args = callback_args(query.data, CB_EXPENSE, 2)
    now = context.clock.now()
    flow = await flows.current_flow(context.db, actor.telegram_id, now=now)
    if args is None or flow is None or flow.flow != FLOW_EXPENSE:
        raise StaleButton()
    action, raw_id = args
    reader = reader_for(context, actor)
    data = dict(flow.data)
    if action == "c" and flow.step == "category":
        line_id = int_arg(raw_id)
        line = next((v for v in await budget.list_lines(context.db) if v.id == line_id), None)
        if line is None:
            raise StaleButton()
        data["line_id"], data["category"] = line.id, line.category
        await flows.start_flow(context.db, actor.telegram_id, FLOW_EXPENSE, "note", data, now=now)
        await query.answer()
        await edit_or_send(update, context, reader.t("budget.expense.ask_note"))
    elif action == "skip" and flow.step == "receipt":
        await flows.start_flow(
            context.db, actor.telegram_id, FLOW_EXPENSE, "confirm", data, now=now
        )
        await query.answer()
        await _ask_confirm(update, context, reader, data)
    elif action == "ok" and flow.step == "confirm":
        raw = data.get("receipt")
        receipt = Receipt(raw[0], raw[1], raw[2], raw[3]) if raw else None
        view = await expenses.record_expense(
            context.db,
            actor,
            amount=int(data["amount"]),
            currency=context.settings.currency,
            category=str(data["line_id"]),
            note=str(data.get("note", "")),
            receipt=receipt,
            now=now,
        )
        await flows.end_flow(context.db, actor.telegram_id)
        await query.answer()
        await edit_or_send(update, context, _recorded_text(reader, view))
    elif action == "no":
        await flows.end_flow(context.db, actor.telegram_id)
        await query.answer()
        await edit_or_send(update, context, reader.t("flow.cancelled"))
    else:
        raise StaleButton()


# ---- review: approve / reject / paid / receipt ----------------------------------------------
@guarded(Permission.RECORD_EXPENSE)
async def cb_claim(update: Update, context: GotongContext, actor: Actor) -> None:
    """A reviewer's buttons on a claim; the message then says what was decided."""
    query = update.callback_query
    assert query is not None
    args = callback_args(query.data, CB_CLAIM, 2)
    expense_id = int_arg(args[1]) if args else None
    if args is None or expense_id is None:
        raise StaleButton()
    reader = reader_for(context, actor)
    now = context.clock.now()
    action = args[0]
    if action == "v":
        view, receipt = await expenses.receipt_of(context.db, actor, expense_id)
        await query.answer()
        await _send_receipt(update, context, reader, view, receipt)
        return
    if action == "a":
        view = await expenses.approve_claim(context.db, actor, expense_id, now=now)
        await query.answer(reader.plain("budget.claim.approved_toast"))
        await edit_or_send(
            update, context, claim_text(reader, view) + "\n\n" + reader.t("budget.claim.approved")
        )
    elif action == "r":
        view = await expenses.check_reviewable(context.db, actor, expense_id)
        await flows.start_flow(
            context.db, actor.telegram_id, FLOW_REJECT, "reason", {"expense_id": view.id}, now=now
        )
        await query.answer()
        await send(update, context, reader.t("budget.claim.ask_reason", ref=f"E{view.id}"))
    elif action == "p":
        view = await expenses.mark_paid(context.db, actor, expense_id, now=now)
        await query.answer(reader.plain("budget.claim.paid_toast"))
        paid = reader.t("budget.claim.paid", ref=f"E{view.id}")
        await edit_or_send(update, context, _owed_text(reader, view) + "\n\n" + paid)
    else:
        raise StaleButton()


async def _send_receipt(
    update: Update, context: GotongContext, reader: Reader, view: ExpenseView, receipt: Receipt
) -> None:
    chat = update.effective_chat
    assert chat is not None
    caption = reader.t(
        "budget.receipt.caption",
        ref=f"E{view.id}",
        amount=reader.money(view.amount, view.currency),
        name=view.spent_by,
    )
    # Telegram re-sends by file_id, but a photo id only as a photo and a document id only as
    # a document: the receipt's kind decides.
    if receipt.kind == "photo":
        await context.bot.send_photo(chat.id, receipt.file_id, caption=caption)
    else:
        await context.bot.send_document(chat.id, receipt.file_id, caption=caption)


async def step_reject(update: Update, context: GotongContext, actor: Actor, flow: Flow) -> None:
    """The reviewer types why the claim is rejected; the claimant is told the reason."""
    reader = reader_for(context, actor)
    message = update.effective_message
    text = (message.text or "").strip() if message else ""
    if not text:
        raise InvalidInput("budget.claim.reason_missing")
    expense_id = int(flow.data.get("expense_id", 0))
    try:
        view = await expenses.reject_claim(
            context.db, actor, expense_id, text, now=context.clock.now()
        )
    except InvalidInput:
        raise  # an unusable reason: they stay in the step and type it again
    except DomainError:
        # Decided by someone else meanwhile (or voided): the question is over.
        await flows.end_flow(context.db, actor.telegram_id)
        raise
    await flows.end_flow(context.db, actor.telegram_id)
    await send(update, context, reader.t("budget.claim.rejected", ref=f"E{view.id}", reason=text))


# ---- /claims ------------------------------------------------------------------------------
def _owed_text(reader: Reader, view: ExpenseView) -> str:
    return reader.t(
        "budget.claim.owed_line",
        ref=f"E{view.id}",
        name=view.spent_by,
        amount=reader.money(view.amount, view.currency),
        category=view.category,
        note=view.note or "—",
    )


def _owed_keyboard(reader: Reader, view: ExpenseView) -> list[list[Button]]:
    row = [Button(reader.t("budget.btn.paid"), f"{CB_CLAIM}:p:{view.id}")]
    if view.has_receipt:
        row.append(Button(reader.t("budget.btn.receipt"), f"{CB_CLAIM}:v:{view.id}"))
    return [row]


@guarded(Permission.RECORD_EXPENSE)
async def cmd_claims(update: Update, context: GotongContext, actor: Actor) -> None:
    """Reviewers: claims to decide and approved claims to reimburse; others: their own."""
    reader = reader_for(context, actor)
    if not can(actor, Permission.APPROVE_CLAIMS):
        mine = await expenses.my_claims(context.db, actor)
        lines = [reader.t("budget.claims.mine_title")]
        lines += [
            reader.t(
                "budget.claims.mine_line",
                ref=f"E{v.id}",
                amount=reader.money(v.amount, v.currency),
                category=v.category,
                note=v.note or "—",
                status=reader.t(f"budget.state.{v.status.value}"),
            )
            for v in mine
        ] or [reader.t("budget.claims.mine_none")]
        await send(update, context, lines)
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
        await send(update, context, _owed_text(reader, view), _owed_keyboard(reader, view))
    if len(pending) > LIST_LIMIT or len(owed) > LIST_LIMIT:
        await send(update, context, reader.t("budget.claims.more", limit=LIST_LIMIT))


# ---- /ledger and /void --------------------------------------------------------------------
@guarded(Permission.MANAGE_BUDGET)
async def cmd_ledger(update: Update, context: GotongContext, actor: Actor) -> None:
    """Sends the whole ledger as a CSV file, with the totals /budget shows."""
    reader = reader_for(context, actor)
    now = context.clock.now()
    ledger = await budget_exports.ledger_csv(
        context.db, actor, timezone=context.settings.timezone, currency=context.settings.currency
    )
    chat = update.effective_chat
    assert chat is not None
    stamp = now.astimezone(context.settings.tz).strftime("%Y%m%d-%H%M")
    await context.bot.send_document(
        chat.id,
        InputFile(ledger.csv_bytes, filename=f"ledger-{stamp}.csv"),
        caption=reader.t(
            "budget.ledger.caption",
            rows=ledger.rows,
            spent=reader.money(ledger.status.spent, ledger.status.currency),
            received=reader.money(ledger.status.received, ledger.status.currency),
        ),
    )


@guarded(Permission.RECORD_EXPENSE)
async def cmd_void(update: Update, context: GotongContext, actor: Actor) -> None:
    """`/void <E12|F3> <reason>`: takes an entry out of the sums, keeping it in the ledger."""
    reader = reader_for(context, actor)
    args = context.args or []
    match = _REF.match(args[0]) if args else None
    if match is None:
        raise InvalidInput("budget.void.usage")
    if len(args) < 2:
        raise InvalidInput("budget.void_reason_missing")
    kind, number = match.group(1).upper() or "E", int(match.group(2))
    reason = " ".join(args[1:])
    now = context.clock.now()
    if kind == "F":
        fund = await budget.void_fund(context.db, actor, number, reason, now=now)
        amount = reader.money(fund.amount, fund.currency)
    else:
        view = await expenses.void_expense(context.db, actor, number, reason, now=now)
        amount = reader.money(view.amount, view.currency)
    await send(
        update,
        context,
        reader.t("budget.void.done", ref=f"{kind}{number}", amount=amount, reason=reason),
    )


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    register_flow(FLOW_EXPENSE, step_expense)
    register_flow(FLOW_REJECT, step_reject)
    return [
        CommandHandler("budget", cmd_budget),
        CommandHandler("budgetline", cmd_budgetline),
        CommandHandler("fund", cmd_fund),
        CommandHandler("expense", cmd_expense),
        CommandHandler("claims", cmd_claims),
        CommandHandler("ledger", cmd_ledger),
        CommandHandler("void", cmd_void),
        CallbackQueryHandler(cb_expense, pattern=rf"^{CB_EXPENSE}:"),
        CallbackQueryHandler(cb_claim, pattern=rf"^{CB_CLAIM}:"),
    ]
