"""Feedback from the field: after an event or shift, the people who came rate it.

Why a round per event/shift (`feedback_round`): the bot asks once, after attendance
was judged (the no-show sweeps); the round is the "asked" marker and carries the
window (`closes_at`) and the subject's team and start, so reports filter and scope
ratings without joining two subject tables.  Why one response row per person and
round (UNIQUE): a rating pressed twice updates that row (the last one counts), it
can never count twice.  Custom questions belong to an event (at most two).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, utcnow
from models.enums import str_enum


class QuestionKind(StrEnum):
    CHOICE = "choice"
    NUMBER = "number"


class FeedbackRound(IdMixin, Base):
    """The bot asked the people who came to one event or one shift."""

    __tablename__ = "feedback_round"
    __table_args__ = (
        CheckConstraint("(event_id IS NULL) <> (shift_id IS NULL)", name="one_subject"),
        Index("ix_feedback_round_starts", "subject_starts_at"),
    )

    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), unique=True
    )
    shift_id: Mapped[int | None] = mapped_column(
        ForeignKey("shift.id", ondelete="CASCADE"), unique=True
    )
    # The subject's team (None: campaign-wide) and start, copied: reports and scoped reads.
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("team.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    subject_starts_at: Mapped[datetime]
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    closes_at: Mapped[datetime]


class FeedbackQuestion(IdMixin, Base):
    """A coordinator's own question for an event: a choice or a number."""

    __tablename__ = "feedback_question"
    __table_args__ = (
        UniqueConstraint("event_id", "position"),
        CheckConstraint("position IN (1, 2)", name="position_one_or_two"),
    )

    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[QuestionKind] = mapped_column(str_enum(QuestionKind))
    prompt: Mapped[str] = mapped_column(String(200))
    choices: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeedbackResponse(IdMixin, Base):
    """One person's answer in a round (created when asked; filled in as they tap)."""

    __tablename__ = "feedback_response"
    __table_args__ = (
        UniqueConstraint("round_id", "person_id"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_one_to_five"),
        Index("ix_feedback_response_person", "person_id"),
    )

    round_id: Mapped[int] = mapped_column(ForeignKey("feedback_round.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    # Asked as a lead of the subject's team (not as someone who was checked in).
    as_lead: Mapped[bool] = mapped_column(Boolean, default=False)
    rating: Mapped[int | None] = mapped_column(Integer)
    rated_at: Mapped[datetime | None]
    comment: Mapped[str | None] = mapped_column(Text)
    photo_file_id: Mapped[str | None] = mapped_column(String(200))
    commented_at: Mapped[datetime | None]


class FeedbackAnswer(Base):
    """An answer to a custom question; both values None means "skipped"."""

    __tablename__ = "feedback_answer"

    response_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_response.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_question.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    number: Mapped[int | None] = mapped_column(BigInteger)
    choice: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
