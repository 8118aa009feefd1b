"""The staffing autopilot: which teams use it, where each shift stands, who was asked.

`AutopilotAsk` is unique per (shift, person): nobody is asked twice for one shift, however
often the sweep runs or restarts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, utcnow


class AutopilotTeam(Base):
    __tablename__ = "autopilot_team"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("team.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL")
    )
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class AutopilotShift(Base):
    """A shift the autopilot works on: how many waves went out, and when the last did."""

    __tablename__ = "autopilot_shift"

    shift_id: Mapped[int] = mapped_column(
        ForeignKey("shift.id", ondelete="CASCADE"), primary_key=True
    )
    waves: Mapped[int] = mapped_column(Integer, default=0)
    asked: Mapped[int] = mapped_column(Integer, default=0)
    last_wave_at: Mapped[datetime]
    # Set when the autopilot stopped on it: nobody left to ask, cancelled or started.
    closed_at: Mapped[datetime | None]
    # Set when it was seen full (the lead was told once); cleared if a place frees again.
    filled_at: Mapped[datetime | None]


class AutopilotAsk(IdMixin, Base):
    __tablename__ = "autopilot_ask"
    __table_args__ = (UniqueConstraint("shift_id", "person_id"),)

    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    wave: Mapped[int] = mapped_column(Integer)
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
