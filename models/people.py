"""People, teams, memberships and invites: who is in the campaign and in what role."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, IdMixin, utcnow
from models.enums import Role, str_enum


def display_name(
    first_name: str | None, last_name: str | None, username: str | None, telegram_id: int
) -> str:
    """How a person is named to others: their names, else @username, else #id."""
    name = " ".join(p for p in (first_name, last_name) if p).strip()
    return name or (f"@{username}" if username else f"#{telegram_id}")


class Person(IdMixin, Base):
    __tablename__ = "person"
    # /summary's volunteer counts (new, active, unreachable): each one range of an index.
    __table_args__ = (
        Index("ix_person_role_joined", "role", "joined_at"),
        Index("ix_person_role_seen", "role", "last_seen_at"),
        Index("ix_person_reachable_role", "reachable", "role"),
    )

    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    first_name: Mapped[str] = mapped_column(String(128), default="")
    last_name: Mapped[str | None] = mapped_column(String(128))
    username: Mapped[str | None] = mapped_column(String(64), index=True)
    # None until the person picked a language; Telegram's language_code preselects it.
    language: Mapped[str | None] = mapped_column(String(8))
    # Telegram's language_code as last seen: what we write in until they choose.
    telegram_language: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[Role] = mapped_column(str_enum(Role), default=Role.VOLUNTEER, index=True)
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    unreachable_reason: Mapped[str | None] = mapped_column(String(200))
    unreachable_since: Mapped[datetime | None]
    joined_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="person", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def display_name(self) -> str:
        return display_name(self.first_name, self.last_name, self.username, self.telegram_id)


class Team(IdMixin, Base):
    __tablename__ = "team"

    name: Mapped[str] = mapped_column(String(64))
    # Case-insensitive uniqueness: "Jakarta Selatan" and "jakarta selatan" are one team.
    name_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="team", cascade="all, delete-orphan"
    )


class Membership(IdMixin, Base):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("person_id", "team_id"),)

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    is_lead: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(back_populates="memberships")
    team: Mapped[Team] = relationship(back_populates="memberships", lazy="joined")


class Invite(IdMixin, Base):
    __tablename__ = "invite"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(str_enum(Role), default=Role.VOLUNTEER)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    max_uses: Mapped[int]
    uses: Mapped[int] = mapped_column(default=0)
    revoked_at: Mapped[datetime | None]

    team: Mapped[Team | None] = relationship(lazy="joined")


Index("ix_membership_person", Membership.person_id)
