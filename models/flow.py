"""The step a person is at in a multi-step input (composing a broadcast, creating a shift).

Kept in the database rather than in PTB's memory so the next message may land
on another replica or after a restart and still continue the same flow.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class FlowState(Base):
    __tablename__ = "flow_state"

    # One active flow per user: starting a new one replaces the old.
    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    flow: Mapped[str] = mapped_column(String(40))
    step: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
