"""Multi-step inputs: start, read, advance and end a person's current flow.

A flow's final write ends the flow in its own transaction (`close_flow` with the
`FlowKey` the use case is handed): the row is deleted first, so a second tap on "Save"
(or a redelivered update) finds no flow and writes nothing (`FlowGone`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import Conflict
from models import FlowState

DEFAULT_TTL = timedelta(hours=2)


class FlowGone(Conflict):
    """The flow this answer belongs to is over: saved by an earlier tap, stopped or expired."""

    key = "flow.gone"


@dataclass(frozen=True, slots=True)
class FlowKey:
    """Which person's which flow a use case ends in its transaction."""

    telegram_id: int
    flow: str


@dataclass(frozen=True, slots=True)
class Flow:
    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)


async def start_flow(
    sessionmaker: async_sessionmaker[AsyncSession],
    telegram_id: int,
    flow: str,
    step: str,
    data: dict[str, Any] | None = None,
    *,
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
) -> Flow:
    async with sessionmaker.begin() as session:
        state = await session.get(FlowState, telegram_id)
        if state is None:
            state = FlowState(telegram_id=telegram_id)
            session.add(state)
        state.flow, state.step, state.data = flow, step, dict(data or {})
        state.updated_at, state.expires_at = now, now + ttl
        return Flow(flow, step, dict(state.data))


async def current_flow(
    sessionmaker: async_sessionmaker[AsyncSession], telegram_id: int, *, now: datetime
) -> Flow | None:
    async with sessionmaker() as session:
        return open_flow(await session.get(FlowState, telegram_id), now)


def open_flow(state: FlowState | None, now: datetime) -> Flow | None:
    """The flow a `flow_state` row holds, unless there is none or it expired."""
    if state is None or state.expires_at <= now:
        return None
    return Flow(state.flow, state.step, dict(state.data))


async def end_flow(sessionmaker: async_sessionmaker[AsyncSession], telegram_id: int) -> bool:
    async with sessionmaker.begin() as session:
        result = await session.execute(
            delete(FlowState).where(FlowState.telegram_id == telegram_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


async def close_flow(session: AsyncSession, key: FlowKey) -> None:
    """Ends the flow inside the caller's transaction, before its write; `FlowGone` when it
    is no longer open (the write is rolled back with it).  On PostgreSQL the DELETE waits
    for a concurrent tap's transaction and then finds the row gone; SQLite writes in turn.
    """
    result = await session.execute(
        delete(FlowState).where(
            FlowState.telegram_id == key.telegram_id, FlowState.flow == key.flow
        )
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise FlowGone()
