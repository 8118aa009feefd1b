"""The campaign's money in chat: /budget, /budgetline, /fund, /expense, /claims, /ledger, /void.

Volunteers file expenses (`handlers/budget_expense.py`: one line or the guided flow);
coordinators review them with the buttons the outbox brings them and mark reimbursements
paid (`handlers/budget_claims.py`), and see the budget and ledger here.  Amounts are read
as the person types them, in their language ("1.500.000", "1,5jt").
"""

from __future__ import annotations

import re

from telegram import InputFile, Update
from telegram.ext import CommandHandler

from bot.commands import CommandSpec
from bot.context import GotongContext
from bot.errors import InvalidInput
from bot.services.authz import Permission
from bot.services.budget import expenses
from bot.services.budget import exports as budget_exports
from bot.services.budget import lines as budget
from bot.services.people.members import Actor
from bot.views import budget as budget_views
from bot.views.budget import (
    fund_text,
    ledger_caption,
    line_list_lines,
    line_saved_text,
    status_lines,
    void_text,
)
from handlers.budget_claims import BUTTONS as CLAIM_BUTTONS
from handlers.budget_claims import FLOW_REJECT, REJECT, cmd_claims
from handlers.budget_expense import EXPENSE, FLOW_EXPENSE, cmd_expense, money_args
from handlers.common import reader_for, send
from handlers.feature import Feature
from handlers.guard import guarded
from handlers.guided import BUTTONS as GUIDED_BUTTONS

_REF = re.compile(r"^#?([EeFf]?)(\d{1,18})$")


# ---- /budget ------------------------------------------------------------------------------
@guarded(Permission.MANAGE_BUDGET)
async def cmd_budget(update: Update, context: GotongContext, actor: Actor) -> None:
    """Planned vs spent per line with bars, what remains, the balance and what is owed."""
    status = await budget.budget_status(context.db, currency=context.settings.currency)
    await send(update, context, status_lines(reader_for(context, actor), status))


# ---- /budgetline and /fund ----------------------------------------------------------------
@guarded(Permission.MANAGE_BUDGET)
async def cmd_budgetline(update: Update, context: GotongContext, actor: Actor) -> None:
    """`/budgetline <category> <amount> [team] [event:N]` sets a line; bare: lists them."""
    reader = reader_for(context, actor)
    args = list(context.args or [])
    if not args:
        await send(update, context, line_list_lines(reader, await budget.list_lines(context.db)))
        return
    event_id = budget.event_ref(args[-1])
    if event_id is not None:
        args = args[:-1]
    found = next(
        (
            (i, hit)
            for i in range(1, len(args))
            if (hit := budget.split_amount(args, i, **money_args(context, actor)))
        ),
        None,
    )
    if found is None:
        if len(args) < 2:
            raise InvalidInput("budget.line.usage")
        raise budget.amount_error(args, len(args) - 1, **money_args(context, actor))
    index, (planned, width) = found
    view, created = await budget.set_budget_line(
        context.db,
        actor,
        category=" ".join(args[:index]),
        planned=planned,
        currency=context.settings.currency,
        team_ref=" ".join(args[index + width :]) or None,
        event_id=event_id,
        now=context.clock.now(),
    )
    await send(update, context, line_saved_text(reader, view, created=created))


@guarded(Permission.MANAGE_BUDGET)
async def cmd_fund(update: Update, context: GotongContext, actor: Actor) -> None:
    """`/fund <amount> <source> [| note]` records money received."""
    args = list(context.args or [])
    if not args:
        raise InvalidInput("budget.fund.usage")
    hit = budget.split_amount(args, 0, **money_args(context, actor))
    if hit is None:
        raise budget.amount_error(args, 0, **money_args(context, actor))
    amount, width = hit
    source, _, note = " ".join(args[width:]).partition("|")
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
    await send(update, context, fund_text(reader_for(context, actor), fund))


# ---- /ledger and /void --------------------------------------------------------------------
@guarded(Permission.MANAGE_BUDGET)
async def cmd_ledger(update: Update, context: GotongContext, actor: Actor) -> None:
    """Sends the whole ledger as a CSV file, with the totals /budget shows."""
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
        caption=ledger_caption(reader_for(context, actor), ledger),
    )


@guarded(Permission.RECORD_EXPENSE)
async def cmd_void(update: Update, context: GotongContext, actor: Actor) -> None:
    """`/void <E12|F3> <reason>`: takes an entry out of the sums, keeping it in the ledger."""
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
        amount, currency = fund.amount, fund.currency
    else:
        view = await expenses.void_expense(context.db, actor, number, reason, now=now)
        amount, currency = view.amount, view.currency
    reader = reader_for(context, actor)
    await send(update, context, void_text(reader, f"{kind}{number}", amount, currency, reason))


FEATURE = Feature(
    "budget",
    handlers=[
        CommandHandler("budget", cmd_budget),
        CommandHandler("budgetline", cmd_budgetline),
        CommandHandler("fund", cmd_fund),
        CommandHandler("expense", cmd_expense),
        CommandHandler("claims", cmd_claims),
        CommandHandler("ledger", cmd_ledger),
        CommandHandler("void", cmd_void),
    ],
    buttons=[*CLAIM_BUTTONS, *GUIDED_BUTTONS],
    commands=[
        CommandSpec("budget", Permission.MANAGE_BUDGET),
        CommandSpec("expense", Permission.RECORD_EXPENSE),
        CommandSpec("claims", Permission.RECORD_EXPENSE),
        CommandSpec("budgetline", Permission.MANAGE_BUDGET),
        CommandSpec("fund", Permission.MANAGE_BUDGET),
        CommandSpec("ledger", Permission.MANAGE_BUDGET),
        CommandSpec("void", Permission.RECORD_EXPENSE, menu=False),
    ],
    flows={FLOW_EXPENSE: EXPENSE, FLOW_REJECT: REJECT},
    renderers=budget_views.RENDERERS,
)
