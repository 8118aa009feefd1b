"""Campaign goals: a target number for one metric by a deadline, campaign-wide or for a team.

A goal stores only what the coordinator decided (metric, target, deadline, team);
progress is never stored but counted from the facts at read time (task outcomes
by unit, registrations, check-ins, events held, shift hours), so a corrected
outcome or a late check-in is reflected without any bookkeeping.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, utcnow


class Goal(IdMixin, Base):
    __tablename__ = "goal"
    __table_args__ = (
        CheckConstraint("target > 0", name="target_positive"),
        # /goals lists the live goals; setting a goal again looks up (metric, team).
        Index("ix_goal_metric_team", "metric", "team_id"),
    )

    # A counted fact ("volunteers", "checkins", "events", "shifts", "hours", "tasks")
    # or an outcome unit in its canonical form ("doors", "flyers").
    metric: Mapped[str] = mapped_column(String(40))
    target: Mapped[int] = mapped_column(BigInteger)
    # The end of the deadline's local day, in UTC; None: no deadline (no pace shown).
    deadline: Mapped[datetime | None]
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Removed goals are kept for the report's history.
    archived_at: Mapped[datetime | None]
