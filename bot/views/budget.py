"""How the budget's outbox messages read at send time, in each recipient's language.

Rendering at send time means a claim approved by another coordinator a minute ago is not
offered for review again (the renderer returns None and the row is skipped), and the
amounts shown are what the database holds then, not what it held when the row was queued.
The review buttons' callback data is shared with `handlers.budget`, which answers them.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.renderers import param, renderer
from bot.errors import NotFound
from bot.services.budget.expenses import (
    KIND_ALERT,
    KIND_OUTCOME,
    KIND_REVIEW,
    ExpenseView,
    expense_view,
)
from bot.services.budget.lines import line_spent
from bot.views.i18n import Html
from bot.views.render import Button, Outgoing, Reader
from models import BudgetLine, ExpenseStatus, OutboxMessage, Person

CB_CLAIM = "bcl"  # bcl:<a|r|p|v>:<expense id>


def review_keyboard(reader: Reader, view: ExpenseView) -> list[list[Button]]:
    """Approve / Reject for a pending claim, plus the receipt when there is one."""
    rows = [
        [
            Button(reader.t("budget.btn.approve"), f"{CB_CLAIM}:a:{view.id}"),
            Button(reader.t("budget.btn.reject"), f"{CB_CLAIM}:r:{view.id}"),
        ]
    ]
    if view.has_receipt:
        rows.append([Button(reader.t("budget.btn.receipt"), f"{CB_CLAIM}:v:{view.id}")])
    return rows


def claim_text(reader: Reader, view: ExpenseView) -> str:
    return reader.t(
        "budget.claim.review",
        ref=f"E{view.id}",
        name=view.spent_by,
        amount=reader.money(view.amount, view.currency),
        category=view.category,
        note=view.note or "—",
        when=reader.when(view.created_at),
        receipt=reader.t(
            "budget.claim.has_receipt" if view.has_receipt else "budget.claim.no_receipt"
        ),
    )


async def _load(session: AsyncSession, row: OutboxMessage) -> ExpenseView | None:
    try:
        return await expense_view(session, int(param(row, "expense_id", 0)))
    except NotFound:
        return None


@renderer(KIND_REVIEW)
async def render_review(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    view = await _load(session, row)
    if view is None or view.status != ExpenseStatus.PENDING:
        return None  # decided or voided before this reviewer's turn came
    return Outgoing(claim_text(reader, view), review_keyboard(reader, view))


@renderer(KIND_OUTCOME)
async def render_outcome(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    view = await _load(session, row)
    outcome = str(param(row, "outcome", ""))
    if view is None or view.status == ExpenseStatus.VOID:
        return None
    if outcome not in ("approved", "rejected", "paid"):
        return None
    return Outgoing(
        reader.t(
            f"budget.claim.told_{outcome}",
            ref=f"E{view.id}",
            amount=reader.money(view.amount, view.currency),
            category=view.category,
            note=view.note or "—",
            by=view.reviewed_by or "—",
            reason=view.reject_reason or "—",
        )
    )


@renderer(KIND_ALERT)
async def render_alert(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    line = await session.get(BudgetLine, int(param(row, "line_id", 0)))
    if line is None:
        return None
    spent = await line_spent(session, line.id)
    threshold = int(param(row, "threshold", 80))
    ratio = spent / line.planned_minor if line.planned_minor else 0.0
    key = "budget.alert.over" if threshold >= 100 else "budget.alert.near"
    return Outgoing(
        reader.t(
            key,
            category=line.category,
            threshold=Html(reader.percent(threshold / 100)),
            percent=reader.percent(ratio),
            spent=reader.money(spent, line.currency),
            planned=reader.money(line.planned_minor, line.currency),
        )
    )
