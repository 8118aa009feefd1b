"""The ledger as CSV: every fund and expense, voided ones included, with who and when.

Read in the same session as the totals (`status_in`), so the totals block at the end of
the file is exactly what `/budget` shows.  Amounts are in major units in the currency's own
digits with a dot decimal ("1500000" rupiah, "12.50" dollars) and the currency code beside
them, which every spreadsheet reads the same way whatever its locale; dates are ISO 8601 in
the campaign's timezone.  Written by the shared, formula-safe writer (`csv_export`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from bot.money import major_units
from bot.services.authz import Permission, require
from bot.services.budget.lines import BudgetStatus, status_in
from bot.services.csv_export import csv_bytes
from bot.services.people.members import Actor
from models import BudgetLine, Expense, Fund, Person

HEADER = (
    "entry",
    "type",
    "date",
    "status",
    "category",
    "amount",
    "currency",
    "person",
    "description",
    "reviewed_by",
    "reviewed_at",
    "paid_at",
    "void_reason",
)


@dataclass(frozen=True, slots=True)
class Ledger:
    csv_bytes: bytes
    rows: int
    status: BudgetStatus


def major(minor: int, currency: str) -> str:
    """Minor units as a plain number in the currency's digits: 150000000 IDR → "1500000"."""
    return major_units(minor, currency)


def _iso(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).isoformat(timespec="seconds") if moment else ""


async def ledger_csv(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    *,
    timezone: str,
    currency: str,
) -> Ledger:
    require(actor, Permission.MANAGE_BUDGET)
    tz = ZoneInfo(timezone)
    rows: list[tuple[Any, ...]] = []
    count = 0
    # One session for rows and totals.  (On PostgreSQL each statement has its own snapshot, so
    # an expense recorded mid-export may show in the totals only; the next export agrees.)
    async with sessionmaker() as session:
        recorder = aliased(Person)
        funds = await session.execute(
            select(Fund, recorder)
            .outerjoin(recorder, recorder.id == Fund.recorded_by_id)
            .order_by(Fund.received_at, Fund.id)
        )
        for fund, rec in funds:
            rows.append(
                (
                    f"F{fund.id}",
                    "fund",
                    _iso(fund.received_at, tz),
                    "void" if fund.voided else "received",
                    "",
                    major(fund.amount_minor, fund.currency),
                    fund.currency,
                    rec.display_name if rec else "",
                    " — ".join(p for p in (fund.source, fund.note) if p),
                    "",
                    "",
                    "",
                    fund.void_reason or "",
                )
            )
            count += 1
        spender, reviewer = aliased(Person), aliased(Person)
        expenses = await session.execute(
            select(Expense, BudgetLine.category, spender, reviewer)
            .join(BudgetLine, BudgetLine.id == Expense.budget_line_id)
            .join(spender, spender.id == Expense.spent_by_id)
            .outerjoin(reviewer, reviewer.id == Expense.reviewed_by_id)
            .order_by(Expense.created_at, Expense.id)
        )
        for expense, category, spent_by, rev in expenses:
            status = expense.status.value
            if expense.status_before_void:
                status = f"void ({expense.status_before_void})"
            rows.append(
                (
                    f"E{expense.id}",
                    "expense",
                    _iso(expense.created_at, tz),
                    status,
                    category,
                    major(expense.amount_minor, expense.currency),
                    expense.currency,
                    spent_by.display_name,
                    expense.note,
                    rev.display_name if rev else "",
                    _iso(expense.reviewed_at, tz),
                    _iso(expense.paid_at, tz),
                    expense.void_reason or "",
                )
            )
            count += 1
        totals = await status_in(session, currency=currency)
    rows.append(())
    for label, amount in (
        ("total_planned", totals.planned),
        ("total_received", totals.received),
        ("total_spent", totals.spent),
        ("balance", totals.balance),
        ("pending_claims", totals.pending),
        ("owed", totals.owed),
    ):
        rows.append(("", label, "", "", "", major(amount, totals.currency), totals.currency))
    # UTF-8 with BOM: Excel (what treasurers open it with) otherwise garbles "Rp" names.
    return Ledger(await csv_bytes(HEADER, rows), count, totals)
