"""Enumerations stored as short strings (portable, readable in SQL, easy to migrate)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum as SAEnum


class Role(StrEnum):
    """Global role of a person; a lead also has `is_lead` on their team membership."""

    ADMIN = "admin"
    COORDINATOR = "coordinator"
    LEAD = "lead"
    VOLUNTEER = "volunteer"
    PARTNER = "partner"
    MEDIA = "media"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # its cause was gone at send time (cancelled shift, person left)
    CANCELLED = "cancelled"  # withdrawn before it was due (e.g. the claim was released)


def str_enum(enum_cls: type[StrEnum], length: int = 20) -> SAEnum:
    """A VARCHAR + CHECK column of the enum's values (not a native PG enum type)."""
    return SAEnum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        create_constraint=True,
        name=enum_cls.__name__.lower(),
    )
