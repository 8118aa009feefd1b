"""The durable outbox: every message the bot sends on its own is a row here first.

Rows are written in the same transaction as the change that causes them, so a
claim and its reminders commit together and a cancellation withdraws them
together.  The dispatcher leases due rows, sends them at Telegram's pace and
records the outcome; the table is also the delivery report.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, utcnow
from models.enums import OutboxStatus, str_enum


class OutboxMessage(IdMixin, Base):
    __tablename__ = "outbox"
    __table_args__ = (
        # The dispatcher's query: due pending rows, oldest first.
        Index("ix_outbox_status_due", "status", "due_at"),
        Index("ix_outbox_cause", "cause"),
        # withdraw/replan's query: a cause's pending rows (without it SQLite walks every
        # pending row through ix_outbox_status_due, once per cause of a moved event).
        Index("ix_outbox_cause_status", "cause", "status"),
        Index("ix_outbox_broadcast_status", "broadcast_id", "status"),
    )

    kind: Mapped[str] = mapped_column(String(40))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # What made this message necessary ("shift:12", "signup:40"): cancelling the cause
    # cancels every pending row that carries it.
    cause: Mapped[str | None] = mapped_column(String(64))
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Lower sends first among due rows: 0 interactive follow-ups, 5 reminders, 9 bulk broadcasts.
    priority: Mapped[int] = mapped_column(SmallInteger, default=5)
    # Urgent messages ignore quiet hours (an event starting inside the quiet window).
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_until: Mapped[datetime | None]
    leased_by: Mapped[str | None] = mapped_column(String(64))
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    broadcast_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
