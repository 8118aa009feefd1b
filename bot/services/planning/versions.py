"""Optimistic concurrency for the Mini App's edits: two browsers, one shift, nothing lost.

Every shift and event the planner shows carries its `updated_at` as its version.  A save
first *reserves* the change: one conditional `UPDATE ... SET updated_at = :stamp WHERE id
= :id AND updated_at = :version` (the database decides who was first, on SQLite and on
PostgreSQL alike).  The loser is told the item changed (409) and gets nothing written; the
winner then runs the chat's own use case (`shifts.edit_shift`, `events.edit_event`, ...)
with `now = stamp`, which writes the same stamp as the new version.  When that use case
refuses (a rule said no), the reservation is undone with another conditional UPDATE, so a
refused save does not make the next one look stale.

The stamp is never equal to the version it replaces (at least a microsecond later), even
with a frozen clock or two saves in the same microsecond.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import Conflict, DomainError, NotFound
from bot.services.authz import Permission, require, require_team
from bot.services.people.members import Actor
from models import Event, Shift

T = TypeVar("T")
Model = type[Shift] | type[Event]


def parse_version(value: object) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise Conflict("webapp.version_missing")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Conflict("webapp.version_missing") from None
    if parsed.tzinfo is None:
        raise Conflict("webapp.version_missing")
    return parsed


def _check_may_change(actor: Actor, model: Model, row: Shift | Event) -> None:
    if model is Shift:
        require_team(actor, Permission.MANAGE_SHIFTS, row.team_id)
    else:
        require(actor, Permission.MANAGE_EVENTS)


async def _reserve(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    model: Model,
    item_id: int,
    version: datetime,
    now: datetime,
) -> datetime:
    async with sessionmaker.begin() as session:
        row: Shift | Event | None = await session.get(model, item_id)
        if row is None:
            raise NotFound("shifts.not_found" if model is Shift else "events.not_found", id=item_id)
        _check_may_change(actor, model, row)
        stamp = max(now, version + timedelta(microseconds=1), row.updated_at + timedelta(
            microseconds=1))
        moved = await session.execute(
            update(model)
            .where(model.id == item_id, model.updated_at == version)
            .values(updated_at=stamp)
            .execution_options(synchronize_session=False)
        )
        if not moved.rowcount:  # type: ignore[attr-defined]
            raise Conflict("webapp.changed_meanwhile")
        return stamp


async def _undo(
    sessionmaker: async_sessionmaker[AsyncSession],
    model: Model,
    item_id: int,
    version: datetime,
    stamp: datetime,
) -> None:
    async with sessionmaker.begin() as session:
        await session.execute(
            update(model)
            .where(model.id == item_id, model.updated_at == stamp)
            .values(updated_at=version)
            .execution_options(synchronize_session=False)
        )


async def guarded_change(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    model: Model,
    item_id: int,
    version: datetime,
    now: datetime,
    change: Callable[[datetime], Awaitable[T]],
) -> T:
    """Runs `change(stamp)` (a chat use case called with now=stamp) if `version` is current."""
    stamp = await _reserve(sessionmaker, actor, model, item_id, version, now)
    try:
        return await change(stamp)
    except DomainError:
        await _undo(sessionmaker, model, item_id, version, stamp)
        raise
