"""How expenses and claims read: the review card and its buttons, the owed list, /claims.

The claim buttons are typed (`bot/views/callbacks.py`); `handlers/budget_claims.py`
answers them, and the outbox's review message (`bot.views.budget`) carries the same
keyboard as /claims, so a reviewer's tap means the same wherever it was pressed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.services.budget.expenses import ExpenseView
from bot.views.callbacks import CallbackData, callback
from bot.views.render import Button, Reader
from models import ExpenseStatus


@callback("cla")
@dataclass(frozen=True, slots=True)
class ApproveClaim(CallbackData):
    expense_id: int


@callback("clr")
@dataclass(frozen=True, slots=True)
class RejectClaim(CallbackData):
    expense_id: int


@callback("clp")
@dataclass(frozen=True, slots=True)
class PayClaim(CallbackData):
    """The approved claim was reimbursed."""

    expense_id: int


@callback("clv")
@dataclass(frozen=True, slots=True)
class ShowReceipt(CallbackData):
    expense_id: int


def ref(view: ExpenseView) -> str:
    return f"E{view.id}"


def review_keyboard(reader: Reader, view: ExpenseView) -> list[list[Button]]:
    """Approve / Reject for a pending claim, plus the receipt when there is one."""
    rows = [
        [
            Button(reader.t("budget.btn.approve"), ApproveClaim(view.id).pack()),
            Button(reader.t("budget.btn.reject"), RejectClaim(view.id).pack()),
        ]
    ]
    if view.has_receipt:
        rows.append([Button(reader.t("budget.btn.receipt"), ShowReceipt(view.id).pack())])
    return rows


def claim_text(reader: Reader, view: ExpenseView) -> str:
    return reader.t(
        "budget.claim.review",
        ref=ref(view),
        name=view.spent_by,
        amount=reader.money(view.amount, view.currency),
        category=view.category,
        note=view.note or "—",
        when=reader.when(view.created_at),
        receipt=reader.t(
            "budget.claim.has_receipt" if view.has_receipt else "budget.claim.no_receipt"
        ),
    )


def approved_text(reader: Reader, view: ExpenseView) -> str:
    return claim_text(reader, view) + "\n\n" + reader.t("budget.claim.approved")


def rejected_text(reader: Reader, view: ExpenseView, reason: str) -> str:
    """The reviewer's card once the claim is rejected: it says why, and has no buttons."""
    return claim_text(reader, view) + "\n\n" + reader.t("budget.claim.rejected_card",
                                                         reason=reason)


def owed_text(reader: Reader, view: ExpenseView) -> str:
    return reader.t(
        "budget.claim.owed_line",
        ref=ref(view),
        name=view.spent_by,
        amount=reader.money(view.amount, view.currency),
        category=view.category,
        note=view.note or "—",
    )


def owed_keyboard(reader: Reader, view: ExpenseView) -> list[list[Button]]:
    """An approved claim's buttons (on /claims and on the card just approved): Mark paid,
    and the receipt."""
    row = [Button(reader.t("budget.btn.paid"), PayClaim(view.id).pack())]
    if view.has_receipt:
        row.append(Button(reader.t("budget.btn.receipt"), ShowReceipt(view.id).pack()))
    return [row]


def paid_text(reader: Reader, view: ExpenseView) -> str:
    return owed_text(reader, view) + "\n\n" + reader.t("budget.claim.paid", ref=ref(view))


def paid_keyboard(reader: Reader, view: ExpenseView) -> list[list[Button]]:
    """A paid claim's card: only the receipt is left to look at (if there is one)."""
    if not view.has_receipt:
        return []
    return [[Button(reader.plain("budget.btn.receipt"), ShowReceipt(view.id).pack())]]


def recorded_text(reader: Reader, view: ExpenseView) -> str:
    """The answer to a recorded expense: a claim sent for review, or settled at once; and
    ⚠️ how far it takes its line over the plan."""
    claim = view.status == ExpenseStatus.PENDING
    text = reader.t(
        "budget.expense.recorded_claim" if claim else "budget.expense.recorded_approved",
        ref=ref(view),
        amount=reader.money(view.amount, view.currency),
        category=view.category,
        note=view.note or "—",
    )
    if view.line_over_by > 0:
        text += "\n" + reader.t(
            "budget.expense.over_if_approved" if claim else "budget.expense.over_now",
            category=view.category,
            over=reader.money(view.line_over_by, view.currency),
        )
    return text


def expense_review_text(reader: Reader, answers: Mapping[str, Any]) -> str:
    """The guided /expense's answers, shown before Save."""
    return reader.t(
        "budget.expense.confirm",
        amount=reader.money(int(answers["amount"])),
        category=str(answers["category"]),
        note=str(answers.get("note") or "—"),
        receipt=reader.t(
            "budget.claim.has_receipt" if answers.get("receipt") else "budget.claim.no_receipt"
        ),
    )


def my_claims_lines(reader: Reader, mine: list[ExpenseView]) -> list[str]:
    lines = [reader.t("budget.claims.mine_title")]
    lines += [
        reader.t(
            "budget.claims.mine_line",
            ref=ref(v),
            amount=reader.money(v.amount, v.currency),
            category=v.category,
            note=v.note or "—",
            status=reader.t(f"budget.state.{v.status.value}"),
        )
        for v in mine
    ] or [reader.t("budget.claims.mine_none")]
    return lines


def receipt_caption(reader: Reader, view: ExpenseView) -> str:
    return reader.t(
        "budget.receipt.caption",
        ref=ref(view),
        amount=reader.money(view.amount, view.currency),
        name=view.spent_by,
    )
