"""Reviewing claims: approve, reject (with a reason), mark reimbursed; the claimant is told.

Every status change is a conditional `UPDATE ... WHERE status = <expected>` so two
coordinators tapping Approve at once approve it once; the loser is told who won.  Nobody
decides a claim of their own.  Deciding withdraws the other reviewers' unsent "please
review" messages and tells the claimant through the outbox, in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.kinds import BUDGET_CLAIM_OUTCOME, claim_review_cause
from bot.delivery.outbox import enqueue, withdraw
from bot.errors import Conflict, NotAllowed, NotFound
from bot.services import audit
from bot.services.authz import Permission, require
from bot.services.budget.expenses import (
    ExpenseView,
    expense_view,
    fire_alerts,
    snapshot,
)
from bot.services.budget.lines import MAX_NOTE, clean_text
from bot.services.flows import FlowKey, close_flow
from bot.services.people.members import Actor
from models import BudgetLine, Expense, ExpenseStatus, Person


async def _claim_for_review(session: AsyncSession, actor: Actor, expense_id: int) -> Expense:
    require(actor, Permission.APPROVE_CLAIMS)
    expense = await session.get(Expense, expense_id)
    if expense is None:
        raise NotFound("budget.entry_not_found", ref=f"E{expense_id}")
    if expense.spent_by_id == actor.person_id:
        raise NotAllowed("budget.claim.own", permission="approve_own_claim")
    return expense


async def _already(session: AsyncSession, expense_id: int) -> Conflict:
    # The loaded row is stale by now (someone else decided): read what they decided.
    session.expire_all()
    view = await expense_view(session, expense_id)
    return Conflict(
        f"budget.claim.already_{view.status.value}",
        ref=f"E{expense_id}",
        by=view.reviewed_by or "—",
    )


async def check_reviewable(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, expense_id: int
) -> ExpenseView:
    """Before asking a reviewer for a reject reason: is it still theirs to decide?"""
    async with sessionmaker() as session:
        expense = await _claim_for_review(session, actor, expense_id)
        if expense.status != ExpenseStatus.PENDING:
            raise await _already(session, expense_id)
        return await expense_view(session, expense_id)


async def _decide(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    expense_id: int,
    *,
    approve: bool,
    reason: str | None,
    now: datetime,
    ends: FlowKey | None = None,
) -> ExpenseView:
    async with sessionmaker.begin() as session:
        if ends is not None:
            await close_flow(session, ends)
        expense = await _claim_for_review(session, actor, expense_id)
        before = snapshot(expense)
        new_status = ExpenseStatus.APPROVED if approve else ExpenseStatus.REJECTED
        result = await session.execute(
            update(Expense)
            .where(
                Expense.id == expense_id,
                Expense.status == ExpenseStatus.PENDING,
                Expense.spent_by_id != actor.person_id,
            )
            .values(
                status=new_status,
                reviewed_by_id=actor.person_id,
                reviewed_at=now,
                reject_reason=reason,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise await _already(session, expense_id)
        await session.refresh(expense)
        audit.record(
            session,
            action="budget.claim.approve" if approve else "budget.claim.reject",
            actor_id=actor.person_id,
            actor_telegram_id=actor.telegram_id,
            target_type="expense",
            target_id=expense_id,
            before=before,
            after=snapshot(expense),
        )
        # The other reviewers' unsent "please review" messages are moot now.
        await withdraw(session, claim_review_cause(expense_id))
        await _tell_claimant(session, expense, new_status.value, now=now)
        if approve:
            line = await session.get(BudgetLine, expense.budget_line_id)
            assert line is not None
            await fire_alerts(session, line, now=now)
        return await expense_view(session, expense_id)


async def approve_claim(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    expense_id: int,
    *,
    now: datetime,
) -> ExpenseView:
    return await _decide(sessionmaker, actor, expense_id, approve=True, reason=None, now=now)


async def reject_claim(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    expense_id: int,
    reason: str,
    *,
    now: datetime,
    ends: FlowKey | None = None,
) -> ExpenseView:
    """`ends`: the reviewer's "why?" question, ended in the same transaction."""
    reason = clean_text(reason, MAX_NOTE, "budget.claim.reason_missing")
    return await _decide(
        sessionmaker, actor, expense_id, approve=False, reason=reason, now=now, ends=ends
    )


async def mark_paid(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    expense_id: int,
    *,
    now: datetime,
) -> ExpenseView:
    """An approved claim was reimbursed: it leaves the "owed" list; the claimant is told."""
    require(actor, Permission.APPROVE_CLAIMS)
    async with sessionmaker.begin() as session:
        expense = await session.get(Expense, expense_id)
        if expense is None:
            raise NotFound("budget.entry_not_found", ref=f"E{expense_id}")
        before = snapshot(expense)
        result = await session.execute(
            update(Expense)
            .where(Expense.id == expense_id, Expense.status == ExpenseStatus.APPROVED)
            .values(status=ExpenseStatus.PAID, paid_by_id=actor.person_id, paid_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            await session.refresh(expense)
            if expense.status == ExpenseStatus.PAID:
                raise Conflict("budget.claim.already_paid", ref=f"E{expense_id}")
            raise Conflict("budget.claim.not_approved", ref=f"E{expense_id}")
        await session.refresh(expense)
        audit.record(
            session,
            action="budget.claim.paid",
            actor_id=actor.person_id,
            actor_telegram_id=actor.telegram_id,
            target_type="expense",
            target_id=expense_id,
            before=before,
            after=snapshot(expense),
        )
        if expense.spent_by_id != actor.person_id:
            await _tell_claimant(session, expense, "paid", now=now)
        return await expense_view(session, expense_id)


async def _tell_claimant(
    session: AsyncSession, expense: Expense, outcome: str, *, now: datetime
) -> None:
    person = await session.get(Person, expense.spent_by_id)
    if person is None:
        return
    await enqueue(
        session,
        [
            BUDGET_CLAIM_OUTCOME.message(
                chat_id=person.telegram_id,
                person_id=person.id,
                due_at=now,
                params={"expense_id": expense.id, "outcome": outcome},
                expense_id=expense.id,
                outcome=outcome,
            )
        ],
    )


