"""Team group chats: which Telegram group belongs to which team, and the bot's posts there.

A group is linked to one team (`/linkteam` in the group); the bot posts that team's new
shifts and events there.  `GroupPost.shown` is the fill level the post shows now: the
post-edit job compares it with the shift's or event's current state and edits the post
only when they differ, at most once per tick (coalesced), at the group's pace.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, utcnow


class TeamGroup(IdMixin, Base):
    __tablename__ = "team_group"

    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(128), default="")
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The team wants the day's digest posted here each morning (`/groupdigest on`).
    digest: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class GroupPost(IdMixin, Base):
    """One post of a shift or an event in a group; its message id is the outbox row's."""

    __tablename__ = "group_post"
    __table_args__ = (UniqueConstraint("chat_id", "kind", "target_id"),)

    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "shift" | "event" | "left" | "series"
    target_id: Mapped[int] = mapped_column(BigInteger)
    # The outbox row that posts it (its telegram_message_id is the post to edit).
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    # The state the post shows ("3/5/open"); None until the post went out.
    shown: Mapped[str | None] = mapped_column(String(64))
    # Until when the post is kept up to date (the shift's or event's start).
    live_until: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A shift listed in a series post (a repeated shift): the series post's id.  Such a row
    # is not a message of its own; it lets the series post's Claim buttons work.
    part_of: Mapped[int | None] = mapped_column(BigInteger, index=True)
