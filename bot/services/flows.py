"""Multi-step inputs: start, read, advance and end a person's current flow."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import FlowState

DEFAULT_TTL = timedelta(hours=2)


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
        state = await session.get(FlowState, telegram_id)
        if state is None or state.expires_at <= now:
            return None
        return Flow(state.flow, state.step, dict(state.data))


async def end_flow(sessionmaker: async_sessionmaker[AsyncSession], telegram_id: int) -> bool:
    async with sessionmaker.begin() as session:
        result = await session.execute(
            delete(FlowState).where(FlowState.telegram_id == telegram_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
