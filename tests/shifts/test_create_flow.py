"""The guided /newshift and /newtask end in the transaction of their write: two taps on the
last button (two replicas, a redelivered update) create one shift or task, and the second
reads that the flow is over (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import NotFound
from bot.services import flows
from bot.services.flows import FlowGone, FlowKey
from bot.services.shifts import plan, tasks
from bot.services.shifts.parsing import ShiftDraft, TaskDraft
from models import FlowState, Role, Shift, Task
from tests.conftest import T0
from tests.shifts.factories import make_people

SM = async_sessionmaker[AsyncSession]


async def _count(db: SM, model: type[Shift] | type[Task]) -> int:
    async with db() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_two_last_taps_create_one_shift(sessionmaker: SM) -> None:
    (coord,) = await make_people(sessionmaker, 1, team_id=None, role=Role.COORDINATOR, first_id=1)
    await flows.start_flow(sessionmaker, coord.telegram_id, "newshift", "skill", {}, now=T0)
    key = FlowKey(coord.telegram_id, "newshift")
    draft = ShiftDraft(team_ref=None, title="Door-knocking", starts_at=T0 + timedelta(days=1),
                       ends_at=T0 + timedelta(days=1, hours=3), capacity=5, place="Tebet")
    results = await asyncio.gather(
        *(plan.create_shift(sessionmaker, coord, draft, now=T0, flow=key) for _ in range(2)),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["FlowGone", "ShiftView"]
    assert await _count(sessionmaker, Shift) == 1
    async with sessionmaker() as session:
        assert await session.get(FlowState, coord.telegram_id) is None


async def test_a_refused_last_answer_keeps_the_flow_and_a_second_task_is_not_written(
    sessionmaker: SM,
) -> None:
    (coord,) = await make_people(sessionmaker, 1, team_id=None, role=Role.COORDINATOR, first_id=1)
    await flows.start_flow(sessionmaker, coord.telegram_id, "newtask", "skill", {}, now=T0)
    key = FlowKey(coord.telegram_id, "newtask")
    bad = TaskDraft(team_ref="no such team", title="Flyers", deadline=T0 + timedelta(days=2),
                    capacity=1)
    with pytest.raises(NotFound):  # the team is unknown: nothing written, the answers stay
        await tasks.create_task(sessionmaker, coord, bad, now=T0, flow=key)
    assert await flows.current_flow(sessionmaker, coord.telegram_id, now=T0) is not None
    good = TaskDraft(team_ref=None, title="Flyers", deadline=T0 + timedelta(days=2), capacity=1)
    await tasks.create_task(sessionmaker, coord, good, now=T0, flow=key)
    with pytest.raises(FlowGone):
        await tasks.create_task(sessionmaker, coord, good, now=T0, flow=key)
    assert await _count(sessionmaker, Task) == 1
