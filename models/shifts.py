"""Shifts, tasks, skills and everything volunteers claim, queue for and report.

The rules that races break live in the schema: `shift.taken` never exceeds
`capacity` (CHECK, and claims raise it with a conditional UPDATE), a person
holds at most one signup per shift and one claim per task (UNIQUE), and a
person is on a shift's waitlist once.  `taken` counts signups *and* places
held for a pending waitlist offer, so a freed place cannot be snatched by a
stranger while the first in line is deciding.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, utcnow
from models.enums import str_enum


class ShiftStatus(StrEnum):
    OPEN = "open"
    CANCELLED = "cancelled"


class WaitlistStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"  # a place is held for them until offer_expires_at
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    LEFT = "left"


class CoverStatus(StrEnum):
    OPEN = "open"
    TAKEN = "taken"
    WITHDRAWN = "withdrawn"


class TaskClaimStatus(StrEnum):
    CLAIMED = "claimed"
    DONE = "done"


class Skill(IdMixin, Base):
    __tablename__ = "skill"

    name: Mapped[str] = mapped_column(String(48))
    # Case-insensitive uniqueness, like team names.
    name_key: Mapped[str] = mapped_column(String(48), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PersonSkill(Base):
    __tablename__ = "person_skill"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[int] = mapped_column(
        ForeignKey("skill.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Shift(IdMixin, Base):
    __tablename__ = "shift"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("taken >= 0 AND taken <= capacity", name="taken_within_capacity"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_shift_status_starts", "status", "starts_at"),
    )

    title: Mapped[str] = mapped_column(String(120))
    # None: open to the whole campaign; otherwise only members of this team may claim.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    # Events are another area; a plain id keeps this table independent of that schema.
    event_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    place: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    capacity: Mapped[int] = mapped_column(Integer)
    taken: Mapped[int] = mapped_column(Integer, default=0)
    skill_id: Mapped[int | None] = mapped_column(ForeignKey("skill.id", ondelete="SET NULL"))
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ShiftStatus] = mapped_column(str_enum(ShiftStatus), default=ShiftStatus.OPEN)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Set by the no-show sweep so a shift's signups are judged exactly once; afterwards a
    # lead's correction is the truth.
    no_shows_marked_at: Mapped[datetime | None]


class ShiftSignup(IdMixin, Base):
    """A person's place on a shift; released places are deleted (the audit keeps history)."""

    __tablename__ = "shift_signup"
    # AUTOINCREMENT: SQLite would reuse a released signup's id, and the reminders' dedup keys
    # (`shift-rem:<signup>:<h>`) of the old one would silently swallow the new one's.
    __table_args__ = (
        UniqueConstraint("shift_id", "person_id"),
        # Hours and shifts worked count a shift's checked-in signups from the index alone.
        Index("ix_shift_signup_shift_checked_in", "shift_id", "checked_in_at"),
        {"sqlite_autoincrement": True},
    )

    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "I'm here": set by the person (checked_in_by_id == person_id) or by a lead.  Volunteer
    # hours and reliability count only checked-in signups.
    checked_in_at: Mapped[datetime | None]
    checked_in_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL")
    )
    # Set by the sweep after the shift ended (plus a grace) when nobody checked them in.
    # server_default: the migration adds it NOT NULL to a table that already has rows.
    no_show: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class WaitlistEntry(IdMixin, Base):
    """A place in a full shift's queue, and the timed offer when a place frees up."""

    __tablename__ = "shift_waitlist"
    __table_args__ = (
        UniqueConstraint("shift_id", "person_id"),
        Index("ix_shift_waitlist_status_expiry", "status", "offer_expires_at"),
    )

    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    status: Mapped[WaitlistStatus] = mapped_column(
        str_enum(WaitlistStatus), default=WaitlistStatus.WAITING
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    offered_at: Mapped[datetime | None]
    offer_expires_at: Mapped[datetime | None]


class CoverRequest(IdMixin, Base):
    """"I can't come, can someone take my place?": the first eligible taker gets it."""

    __tablename__ = "shift_cover"

    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id", ondelete="CASCADE"), index=True)
    signup_id: Mapped[int | None] = mapped_column(
        ForeignKey("shift_signup.id", ondelete="SET NULL")
    )
    requester_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    status: Mapped[CoverStatus] = mapped_column(str_enum(CoverStatus), default=CoverStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]


class Task(IdMixin, Base):
    __tablename__ = "task"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("taken >= 0 AND taken <= capacity", name="taken_within_capacity"),
        Index("ix_task_status_deadline", "status", "deadline"),
    )

    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    skill_id: Mapped[int | None] = mapped_column(ForeignKey("skill.id", ondelete="SET NULL"))
    deadline: Mapped[datetime]
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    taken: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[ShiftStatus] = mapped_column(str_enum(ShiftStatus), default=ShiftStatus.OPEN)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TaskClaim(IdMixin, Base):
    __tablename__ = "task_claim"
    # AUTOINCREMENT for the same reason as shift_signup: nudge dedup keys carry the claim id.
    __table_args__ = (
        UniqueConstraint("task_id", "person_id"),
        # /summary's claimed/done counts read the claims' status from the index alone.
        Index("ix_task_claim_task_status", "task_id", "status"),
        {"sqlite_autoincrement": True},
    )

    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    status: Mapped[TaskClaimStatus] = mapped_column(
        str_enum(TaskClaimStatus), default=TaskClaimStatus.CLAIMED
    )
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")
    photo_file_id: Mapped[str | None] = mapped_column(String(200))
    # Set once the overdue escalation went out, so the sweep looks at each claim once.
    escalated_at: Mapped[datetime | None]


class TaskOutcome(IdMixin, Base):
    """What a finished task achieved ("40 doors"): the raw numbers progress reports add up."""

    __tablename__ = "task_outcome"
    __table_args__ = (Index("ix_task_outcome_unit_recorded", "unit", "recorded_at"),)

    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("task_claim.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    quantity: Mapped[int] = mapped_column(BigInteger)
    unit: Mapped[str] = mapped_column(String(40))  # lower-case, as typed: "doors", "pintu"
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
