"""Expenses: record, void, list, and the receipts kept with them.

A volunteer's expense is a claim: it waits for a coordinator, who is notified through the
outbox with Approve / Reject buttons (reviewing is `claims`).  A coordinator's own expense
is approved and settled at once (approved and paid by them: nobody owes it to them, so it is
never in the "to reimburse" list).  Recording tells how far the line is over its plan.
Crossing 80 % or 100 % of a line alerts the coordinators once, in the same transaction as
the change.  The guided /expense ends its flow in the transaction that records the expense
(`ends`), so a second tap on "Save" records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from bot.delivery.kinds import BUDGET_CLAIM_REVIEW, BUDGET_LINE_ALERT, claim_review_cause
from bot.delivery.outbox import enqueue, withdraw
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.services import audit
from bot.services.authz import Permission, can, require
from bot.services.budget.lines import MAX_NOTE, clean_text, find_line, line_spent, treasurers
from bot.services.flows import FlowKey, close_flow
from bot.services.people.members import Actor
from models import BudgetLine, Expense, ExpenseStatus, Person

RECEIPT_MAX_BYTES = 10 * 1024 * 1024
THRESHOLDS = (80, 100)


@dataclass(frozen=True, slots=True)
class Receipt:
    file_id: str
    kind: str  # photo | document
    mime: str | None
    size: int | None


@dataclass(frozen=True, slots=True)
class ExpenseView:
    id: int
    amount: int
    currency: str
    category: str
    note: str
    status: ExpenseStatus
    spent_by_id: int
    spent_by: str
    created_at: datetime
    has_receipt: bool
    reviewed_by: str | None = None
    reject_reason: str | None = None
    self_settled: bool = False  # a coordinator's own: approved and paid by them, owed to none
    # Set as it is recorded: how far its line is over plan with it (a claim counted as if
    # approved); 0 when within the plan.
    line_over_by: int = 0


def check_amount(amount: int) -> None:
    """An expense is a positive amount (the parser refuses minus signs and typos)."""
    if amount <= 0:
        raise InvalidInput("budget.amount.zero", text="0")


def check_receipt(kind: str, mime: str | None, size: int | None) -> None:
    """Refuses a file that is not an image or is too big, before anything is stored."""
    if kind == "document" and not (mime or "").lower().startswith("image/"):
        raise InvalidInput("budget.receipt.not_image")
    if size is not None and size > RECEIPT_MAX_BYTES:
        raise InvalidInput("budget.receipt.too_large", max_mb=RECEIPT_MAX_BYTES // (1024 * 1024))


def validate_receipt(receipt: Receipt | None) -> None:
    if receipt is not None:
        check_receipt(receipt.kind, receipt.mime, receipt.size)


def snapshot(expense: Expense) -> dict[str, Any]:
    return {
        "amount_minor": expense.amount_minor,
        "currency": expense.currency,
        "budget_line_id": expense.budget_line_id,
        "note": expense.note,
        "status": str(expense.status),
        "spent_by_id": expense.spent_by_id,
        "reviewed_by_id": expense.reviewed_by_id,
        "reject_reason": expense.reject_reason,
        "paid_by_id": expense.paid_by_id,
        "void_reason": expense.void_reason,
        "receipt_file_id": expense.receipt_file_id,
    }


async def expense_view(session: AsyncSession, expense_id: int) -> ExpenseView:
    reviewer = aliased(Person)
    row = (
        await session.execute(
            select(Expense, BudgetLine.category, Person, reviewer)
            .join(BudgetLine, BudgetLine.id == Expense.budget_line_id)
            .join(Person, Person.id == Expense.spent_by_id)
            .outerjoin(reviewer, reviewer.id == Expense.reviewed_by_id)
            .where(Expense.id == expense_id)
        )
    ).first()
    if row is None:
        raise NotFound("budget.entry_not_found", ref=f"E{expense_id}")
    expense, category, person, rev = row
    return ExpenseView(
        id=expense.id,
        amount=expense.amount_minor,
        currency=expense.currency,
        category=category,
        note=expense.note,
        status=expense.status,
        spent_by_id=expense.spent_by_id,
        spent_by=person.display_name,
        created_at=expense.created_at,
        has_receipt=expense.receipt_file_id is not None,
        reviewed_by=rev.display_name if rev is not None else None,
        reject_reason=expense.reject_reason,
        self_settled=expense.paid_by_id is not None and expense.paid_by_id == expense.spent_by_id,
    )


# ---- recording ----------------------------------------------------------------------------
async def record_expense(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    *,
    amount: int,
    currency: str,
    category: str,
    note: str,
    receipt: Receipt | None = None,
    now: datetime,
    ends: FlowKey | None = None,
) -> ExpenseView:
    """A volunteer's expense becomes a pending claim (coordinators are asked); a
    coordinator's is approved at once and may fire the line's 80 % / 100 % alert.

    `ends`: the guided flow this write finishes, ended first in the same transaction
    (`FlowGone`, and nothing recorded, when an earlier tap already finished it)."""
    require(actor, Permission.RECORD_EXPENSE)
    check_amount(amount)
    note = clean_text(note, MAX_NOTE)
    validate_receipt(receipt)
    direct = can(actor, Permission.APPROVE_CLAIMS)
    async with sessionmaker.begin() as session:
        if ends is not None:
            await close_flow(session, ends)
        line = await find_line(session, category)
        if line.currency != currency:
            raise Conflict("budget.currency_mismatch", currency=line.currency)
        expense = Expense(
            amount_minor=amount,
            currency=currency,
            budget_line_id=line.id,
            note=note,
            team_id=line.team_id,
            event_id=line.event_id,
            spent_by_id=actor.person_id,
            status=ExpenseStatus.PAID if direct else ExpenseStatus.PENDING,
            created_at=now,
            reviewed_by_id=actor.person_id if direct else None,
            reviewed_at=now if direct else None,
            paid_by_id=actor.person_id if direct else None,
            paid_at=now if direct else None,
        )
        if receipt is not None:
            expense.receipt_file_id = receipt.file_id
            expense.receipt_kind = receipt.kind
            expense.receipt_mime = receipt.mime
            expense.receipt_size = receipt.size
        session.add(expense)
        await session.flush()
        audit.record(
            session,
            action="budget.expense.record_approved" if direct else "budget.expense.claim",
            actor_id=actor.person_id,
            actor_telegram_id=actor.telegram_id,
            target_type="expense",
            target_id=expense.id,
            before=None,
            after=snapshot(expense),
        )
        if direct:
            await fire_alerts(session, line, now=now)
        else:
            await enqueue(
                session,
                [
                    BUDGET_CLAIM_REVIEW.message(
                        chat_id=telegram_id,
                        person_id=person_id,
                        due_at=now,
                        params={"expense_id": expense.id},
                        expense_id=expense.id,
                    )
                    for person_id, telegram_id in await treasurers(session)
                    if person_id != actor.person_id
                ],
            )
        spent = await line_spent(session, line.id) + (0 if direct else amount)
        view = await expense_view(session, expense.id)
        return replace(view, line_over_by=max(0, spent - line.planned_minor))


async def fire_alerts(session: AsyncSession, line: BudgetLine, *, now: datetime) -> list[int]:
    """Enqueues the 80 % / 100 % alerts this line has newly crossed; each fires once ever
    (a conditional UPDATE claims the threshold, so concurrent approvals cannot both fire)."""
    # Lock the line first: on PostgreSQL (READ COMMITTED) two approvals on one line would
    # otherwise each sum without the other's and neither see the threshold crossed.  After
    # the lock, the sum is a fresh statement that sees the other's committed approval.
    await session.execute(select(BudgetLine.id).where(BudgetLine.id == line.id).with_for_update())
    spent = await line_spent(session, line.id)
    fired: list[int] = []
    for threshold in THRESHOLDS:
        if spent * 100 < line.planned_minor * threshold:
            continue
        column = BudgetLine.alert_80_at if threshold == 80 else BudgetLine.alert_100_at
        result = await session.execute(
            update(BudgetLine)
            .where(BudgetLine.id == line.id, column.is_(None))
            .values({column.key: now})
            .execution_options(synchronize_session=False)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            continue
        fired.append(threshold)
        await enqueue(
            session,
            [
                # Per line + threshold (+ recipient: one row each); a re-armed alert that
                # fires again later gets a new key from its firing time.
                BUDGET_LINE_ALERT.message(
                    chat_id=telegram_id,
                    person_id=person_id,
                    due_at=now,
                    params={"line_id": line.id, "threshold": threshold},
                    line_id=line.id,
                    threshold=threshold,
                    at=now,
                )
                for person_id, telegram_id in await treasurers(session)
            ],
        )
    return fired


# ---- void ---------------------------------------------------------------------------------
async def void_expense(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    expense_id: int,
    reason: str,
    *,
    now: datetime,
) -> ExpenseView:
    """Takes an entry out of the sums, keeping it (and why) in the ledger.

    The person who filed it may withdraw it while it is pending; anything else needs
    MANAGE_BUDGET.
    """
    require(actor, Permission.RECORD_EXPENSE)
    reason = clean_text(reason, MAX_NOTE, "budget.void_reason_missing")
    async with sessionmaker.begin() as session:
        expense = await session.get(Expense, expense_id)
        if expense is None:
            raise NotFound("budget.entry_not_found", ref=f"E{expense_id}")
        own_pending = (
            expense.spent_by_id == actor.person_id and expense.status == ExpenseStatus.PENDING
        )
        if not own_pending and not can(actor, Permission.MANAGE_BUDGET):
            raise NotAllowed("budget.void_not_allowed", permission="void_expense")
        if expense.status == ExpenseStatus.VOID:
            raise Conflict("budget.already_void", ref=f"E{expense_id}")
        before = snapshot(expense)
        result = await session.execute(
            update(Expense)
            .where(Expense.id == expense_id, Expense.status == expense.status)
            .values(
                status=ExpenseStatus.VOID,
                status_before_void=expense.status.value,
                void_reason=reason,
                voided_by_id=actor.person_id,
                voided_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("budget.changed", ref=f"E{expense_id}")
        await session.refresh(expense)
        await withdraw(session, claim_review_cause(expense_id))
        audit.record(
            session,
            action="budget.expense.void",
            actor_id=actor.person_id,
            actor_telegram_id=actor.telegram_id,
            target_type="expense",
            target_id=expense_id,
            before=before,
            after=snapshot(expense),
        )
        return await expense_view(session, expense_id)


# ---- lists and receipts -------------------------------------------------------------------
async def claims_by_status(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    status: ExpenseStatus,
    *,
    limit: int = 30,
) -> list[ExpenseView]:
    """Claims to review (pending) or to reimburse (approved), oldest first."""
    require(actor, Permission.APPROVE_CLAIMS)
    async with sessionmaker() as session:
        ids = (
            await session.scalars(
                select(Expense.id)
                .where(Expense.status == status)
                .order_by(Expense.created_at, Expense.id)
                .limit(limit)
            )
        ).all()
        return [await expense_view(session, i) for i in ids]


async def my_claims(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, *, limit: int = 20
) -> list[ExpenseView]:
    """The person's own latest expenses, newest first, with where each one stands."""
    require(actor, Permission.RECORD_EXPENSE)
    async with sessionmaker() as session:
        ids = (
            await session.scalars(
                select(Expense.id)
                .where(Expense.spent_by_id == actor.person_id)
                .order_by(Expense.created_at.desc(), Expense.id.desc())
                .limit(limit)
            )
        ).all()
        return [await expense_view(session, i) for i in ids]


async def receipt_of(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, expense_id: int
) -> tuple[ExpenseView, Receipt]:
    """The receipt to re-send: reviewers see any, a person sees their own."""
    require(actor, Permission.RECORD_EXPENSE)
    async with sessionmaker() as session:
        expense = await session.get(Expense, expense_id)
        if expense is None:
            raise NotFound("budget.entry_not_found", ref=f"E{expense_id}")
        if expense.spent_by_id != actor.person_id and not can(actor, Permission.APPROVE_CLAIMS):
            raise NotAllowed(permission="approve_claims")
        if expense.receipt_file_id is None:
            raise NotFound("budget.receipt.none", ref=f"E{expense_id}")
        receipt = Receipt(
            expense.receipt_file_id,
            expense.receipt_kind or "photo",
            expense.receipt_mime,
            expense.receipt_size,
        )
        return await expense_view(session, expense_id), receipt
