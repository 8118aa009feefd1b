"""Events and who comes to them: RSVPs, confirmations, check-ins and no-shows.

Why a counter on the event (`going_count`): capacity is taken with a
conditional `UPDATE event SET going_count = going_count + 1 WHERE going_count
< capacity`, which the database serialises, so two last-seat RSVPs cannot both
win.  Why a secret `checkin_token`: the QR deep link must not be guessable from
the event id, or anyone could check in from home.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
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


class EventStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class RsvpStatus(StrEnum):
    GOING = "going"
    MAYBE = "maybe"
    DECLINED = "declined"


class CheckinMethod(StrEnum):
    QR = "qr"
    LEAD = "lead"
    LOCATION = "location"


class Event(IdMixin, Base):
    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint("going_count >= 0", name="going_count_nonnegative"),
        Index("ix_event_status_starts", "status", "starts_at"),
    )

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # Check-in by shared location counts within this many metres of the event's location.
    checkin_radius_m: Mapped[int] = mapped_column(Integer, default=300)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    # None: the whole campaign is invited; otherwise one team.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    capacity: Mapped[int | None] = mapped_column(Integer)
    going_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[EventStatus] = mapped_column(
        str_enum(EventStatus), default=EventStatus.SCHEDULED
    )
    checkin_token: Mapped[str] = mapped_column(String(32), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None]
    # Set by the no-show sweep so an event is swept exactly once.
    no_shows_marked_at: Mapped[datetime | None]


class EventRsvp(IdMixin, Base):
    __tablename__ = "event_rsvp"
    __table_args__ = (
        UniqueConstraint("event_id", "person_id"),
        Index("ix_event_rsvp_person", "person_id"),
        # /summary's "active": who was checked in at an event lately.
        Index("ix_event_rsvp_checked_in", "checked_in_at"),
    )

    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    status: Mapped[RsvpStatus] = mapped_column(str_enum(RsvpStatus))
    responded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The answer to "are you still coming?" the day before (None: not answered yet).
    confirmed_at: Mapped[datetime | None]
    checked_in_at: Mapped[datetime | None]
    checkin_method: Mapped[CheckinMethod | None] = mapped_column(str_enum(CheckinMethod))
    checked_in_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL")
    )
    no_show: Mapped[bool] = mapped_column(Boolean, default=False)


class EventInvitation(IdMixin, Base):
    """Who was invited to an event (one row per person, the first invitation's time).

    Why a row of its own: an invitation is what lets someone outside a team event's team
    see it (its card, its RSVP buttons) before they answered; that right must not hang on
    the message that carried it (outbox rows are delivery records, withdrawn and purged).
    """

    __tablename__ = "event_invitation"
    __table_args__ = (
        UniqueConstraint("event_id", "person_id"),
        Index("ix_event_invitation_person", "person_id"),
    )

    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
