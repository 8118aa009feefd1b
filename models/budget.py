"""The campaign's money: budget lines, funds received, and expenses (claims) against lines.

Amounts are integers in the currency's minor unit with the ISO code beside them, so sums
add up to the rupiah.  Nothing here is ever deleted: a mistaken entry is voided with a
reason, and the ledger export still shows it.  The event link is a plain nullable id
(no foreign key) so this area does not depend on the events tables' migration order.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, utcnow
from models.enums import str_enum


class ExpenseStatus(StrEnum):
    PENDING = "pending"  # a claim waiting for a coordinator
    APPROVED = "approved"  # counts as spent; owed to the person until paid
    REJECTED = "rejected"
    PAID = "paid"  # reimbursed
    VOID = "void"  # a mistake, kept for the record


class BudgetLine(IdMixin, Base):
    __tablename__ = "budget_line"
    __table_args__ = (CheckConstraint("planned_minor > 0", name="planned_positive"),)

    category: Mapped[str] = mapped_column(String(64))
    # Case- and space-insensitive: "printing" and "Printing " are one line.
    category_key: Mapped[str] = mapped_column(String(64), unique=True)
    planned_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the 80 % / 100 % alerts fired: each fires once (set by a conditional UPDATE).
    alert_80_at: Mapped[datetime | None]
    alert_100_at: Mapped[datetime | None]


class Fund(IdMixin, Base):
    __tablename__ = "budget_fund"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)

    source: Mapped[str] = mapped_column(String(200))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    note: Mapped[str | None] = mapped_column(String(500))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    void_reason: Mapped[str | None] = mapped_column(String(500))
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    voided_at: Mapped[datetime | None]


class Expense(IdMixin, Base):
    """Money spent against a budget line; a volunteer's expense is a claim to reimburse."""

    __tablename__ = "budget_expense"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        Index("ix_budget_expense_line_status", "budget_line_id", "status"),
        Index("ix_budget_expense_status", "status"),
    )

    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    budget_line_id: Mapped[int] = mapped_column(ForeignKey("budget_line.id", ondelete="RESTRICT"))
    note: Mapped[str] = mapped_column(String(500), default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    spent_by_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[ExpenseStatus] = mapped_column(
        str_enum(ExpenseStatus), default=ExpenseStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The receipt as Telegram holds it: re-sent by file_id, never downloaded.
    receipt_file_id: Mapped[str | None] = mapped_column(String(256))
    receipt_kind: Mapped[str | None] = mapped_column(String(16))  # photo | document
    receipt_mime: Mapped[str | None] = mapped_column(String(100))
    receipt_size: Mapped[int | None] = mapped_column(BigInteger)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]
    reject_reason: Mapped[str | None] = mapped_column(Text)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    paid_at: Mapped[datetime | None]
    void_reason: Mapped[str | None] = mapped_column(String(500))
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    voided_at: Mapped[datetime | None]
    # Status before voiding, so the ledger can say what was voided.
    status_before_void: Mapped[str | None] = mapped_column(String(20))
