"""How the budget's outbox messages read at send time, in each recipient's language.

Rendering at send time means a claim approved by another coordinator a minute ago is not
offered for review again (the renderer returns None and the row is skipped), and the
amounts shown are what the database holds then, not what it held when the row was queued.
The review card and its buttons are `bot.views.budget_claims`'.  Below the renderers:
how /budget, /budgetline, /fund, /ledger and /void answer.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.kinds import BUDGET_CLAIM_OUTCOME, BUDGET_CLAIM_REVIEW, BUDGET_LINE_ALERT
from bot.delivery.renderers import Renderer, param
from bot.errors import NotFound
from bot.services.budget.expenses import ExpenseView, expense_view
from bot.services.budget.exports import Ledger
from bot.services.budget.lines import BudgetStatus, FundView, LineView, line_spent
from bot.views.budget_claims import claim_text, review_keyboard
from bot.views.formatting import progress_bar
from bot.views.i18n import Html
from bot.views.render import Outgoing, Reader
from models import BudgetLine, ExpenseStatus, OutboxMessage, Person


async def _load(session: AsyncSession, row: OutboxMessage) -> ExpenseView | None:
    try:
        return await expense_view(session, int(param(row, "expense_id", 0)))
    except NotFound:
        return None


async def render_review(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    view = await _load(session, row)
    if view is None or view.status != ExpenseStatus.PENDING:
        return None  # decided or voided before this reviewer's turn came
    return Outgoing(claim_text(reader, view), review_keyboard(reader, view))


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


async def render_alert(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    line = await session.get(BudgetLine, int(param(row, "line_id", 0)))
    if line is None:
        return None
    spent = await line_spent(session, line.id)
    threshold = int(param(row, "threshold", 80))
    ratio = spent / line.planned_minor if line.planned_minor else 0.0
    if threshold < 100 and spent >= line.planned_minor:
        return None  # the 100 % alert (fired with this one or before) says it
    key = "budget.alert.over" if threshold >= 100 else "budget.alert.near"
    if spent > line.planned_minor:
        key = "budget.alert.over_by"  # ⚠️ over by …
    return Outgoing(
        reader.t(
            key,
            category=line.category,
            threshold=Html(reader.percent(threshold / 100)),
            percent=reader.percent(ratio),
            spent=reader.money(spent, line.currency),
            planned=reader.money(line.planned_minor, line.currency),
            over=reader.money(spent - line.planned_minor, line.currency),
        )
    )


# ---- /budget, /budgetline, /fund, /ledger, /void ------------------------------------------
def status_lines(reader: Reader, status: BudgetStatus) -> list[str]:
    """The /budget text as lines: each line's bar, the totals, the balance, the claims."""
    money = status.currency
    lines = [reader.t("budget.status.title")]
    if not status.lines:
        lines.append(reader.t("budget.status.no_lines"))
    for line in status.lines:
        lines.append(
            reader.t(
                "budget.status.line_over" if line.remaining < 0 else "budget.status.line",
                category=line.category,
                spent=reader.money(line.spent, money),
                planned=reader.money(line.planned, money),
                percent=reader.percent(line.ratio),
                bar=progress_bar(line.ratio),
                remaining=reader.money(line.remaining, money),
                over=reader.money(-line.remaining, money),
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
            "budget.status.total_over" if status.remaining < 0 else "budget.status.total",
            spent=reader.money(status.spent, money),
            planned=reader.money(status.planned, money),
            percent=reader.percent(total_ratio),
            remaining=reader.money(status.remaining, money),
            over=reader.money(-status.remaining, money),
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


def line_list_lines(reader: Reader, views: list[LineView]) -> list[str]:
    """Bare /budgetline: every line with its plan and team, then how to set one."""
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
    return lines


def line_saved_text(reader: Reader, view: LineView, *, created: bool) -> str:
    return reader.t(
        "budget.line.created" if created else "budget.line.updated",
        category=view.category,
        planned=reader.money(view.planned, view.currency),
        team=view.team_name or "—",
    )


def fund_text(reader: Reader, fund: FundView) -> str:
    return reader.t(
        "budget.fund.recorded",
        ref=f"F{fund.id}",
        amount=reader.money(fund.amount, fund.currency),
        source=fund.source,
        when=reader.date(fund.received_at),
    )


def ledger_caption(reader: Reader, ledger: Ledger) -> str:
    return reader.t(
        "budget.ledger.caption",
        rows=ledger.rows,
        spent=reader.money(ledger.status.spent, ledger.status.currency),
        received=reader.money(ledger.status.received, ledger.status.currency),
    )


def void_text(reader: Reader, ref: str, amount: int, currency: str, reason: str) -> str:
    return reader.t(
        "budget.void.done", ref=ref, amount=reader.money(amount, currency), reason=reason
    )


# The outbox kinds this module writes (its feature declares them: `Feature.renderers`).
RENDERERS: dict[str, Renderer] = {
    BUDGET_CLAIM_REVIEW.name: render_review,
    BUDGET_CLAIM_OUTCOME.name: render_outcome,
    BUDGET_LINE_ALERT.name: render_alert,
}
