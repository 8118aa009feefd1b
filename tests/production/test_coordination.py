"""Leader election and update dedup against a real PostgreSQL, several "replicas" in one test.

Each `Leadership` / `UpdateGate` here uses its own connections exactly as a separate
process would, so the database is what decides.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import load_settings
from bot.ops import heartbeat
from bot.ops.dedup import Claim, DuplicateUpdate, UpdateGate, prune_processed_updates
from bot.ops.leader import EVERY_REPLICA_JOBS, Leadership, leader_only
from bot.ops.runtime import Ops
from models import ProcessedUpdate
from tests.support.harness import start_harness

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


@pytest.mark.postgres
async def test_one_leader_and_a_fast_takeover(postgres_url: str) -> None:
    first = Leadership(postgres_url, check_seconds=0.2)
    second = Leadership(postgres_url, check_seconds=0.2)
    await first.start()
    await second.start()
    try:
        assert first.is_leader and not second.is_leader
        assert await second.check() is False  # still held: a follower stays a follower
        await first.stop()  # a clean stop (or a dead process) releases the lock
        assert await second.check() is True
        assert await first.check() is False or not first.is_leader
    finally:
        await first.stop()
        await second.stop()


async def test_sqlite_single_process_is_the_leader(sqlite_url: str) -> None:
    leadership = Leadership(sqlite_url)
    await leadership.start()
    assert leadership.is_leader and await leadership.check()
    await leadership.stop()


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_leader_only_runs_the_job_only_on_the_leader(
    db_url: str, engine: AsyncEngine
) -> None:
    ran: list[str] = []

    async def job(context: SimpleNamespace) -> None:
        ran.append(context.name)

    settings = load_settings(database_url=db_url, leader_check_seconds=0.5, _env_file=None)
    replicas = [Ops(settings, engine), Ops(settings, engine)]
    for ops in replicas:
        await ops.leadership.start()
    try:
        for name, ops in zip(("first", "second"), replicas, strict=True):
            context = SimpleNamespace(name=name, bot_data=SimpleNamespace(ops=ops))
            await leader_only(job)(context)
        assert ran == ["first"]
    finally:
        for ops in replicas:
            await ops.leadership.stop()


async def count(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(ProcessedUpdate)) or 0)


async def write_something(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """A handler's write transaction: its first statement claims the update."""
    async with sessionmaker.begin() as session:
        await session.execute(select(1))


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_redelivery_during_handling_waits_then_is_a_duplicate(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    a, b = UpdateGate(engine, "a"), UpdateGate(engine, "b")
    claimed = asyncio.Event()
    finish = asyncio.Event()

    async def first() -> Claim:
        async with a.admit(1) as (claim, _), sessionmaker.begin() as session:
            await session.execute(select(1))  # the claim is in, not committed
            claimed.set()
            await finish.wait()
            return claim

    task = asyncio.create_task(first())
    await claimed.wait()

    admitted = asyncio.Event()

    async def second() -> Claim:
        async with b.admit(1) as (claim, handling):
            assert claim is Claim.NEW  # not committed yet: b starts handling too...
            admitted.set()
            with pytest.raises(DuplicateUpdate):
                await write_something(sessionmaker)  # ...and its write waits for a's
            assert handling is not None and handling.duplicate
            return claim

    racing = asyncio.create_task(second())
    await admitted.wait()
    finish.set()
    assert await task is Claim.NEW
    assert await racing is Claim.NEW
    assert await count(sessionmaker) == 1
    await a.drain()  # a's `answered` mark follows its update by MARK_GATHER_SECONDS
    async with b.admit(1) as (claim, _):
        assert claim is Claim.DUPLICATE


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_a_replica_dying_mid_update_leaves_it_to_the_next(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    gate = UpdateGate(engine, "dies")
    with pytest.raises(RuntimeError):
        async with gate.admit(2), sessionmaker.begin() as session:
            await session.execute(select(1))
            raise RuntimeError("killed mid-update")
    assert await count(sessionmaker) == 0
    following = UpdateGate(engine, "next")
    assert await _handle(following, 2, sessionmaker) is Claim.NEW
    await following.drain()  # its `answered` mark is written behind the update
    assert await _handle(UpdateGate(engine, "later"), 2, sessionmaker) is Claim.DUPLICATE


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_sqlite_gate_and_pruning(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    gate = UpdateGate(engine, "only")
    async with gate.admit(3) as (claim, _):
        assert claim is Claim.NEW
        assert await _handle(gate, 3, sessionmaker) is Claim.BUSY  # concurrent redelivery
        await write_something(sessionmaker)
    assert await _handle(gate, 3, sessionmaker) is Claim.DUPLICATE
    assert await _handle(gate, 4, sessionmaker) is Claim.NEW
    async with sessionmaker.begin() as session:  # age update 3's row
        row = await session.get(ProcessedUpdate, 3)
        assert row is not None
        row.handled_at = NOW - timedelta(days=3)
    pruned = await prune_processed_updates(sessionmaker, now=NOW, retention=timedelta(hours=48))
    assert pruned == 1 and await count(sessionmaker) == 1


@pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)
async def test_answered_marks_are_written_behind_the_updates(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    gate = UpdateGate(engine, "busy")
    claims = await asyncio.gather(*(_handle(gate, i, sessionmaker) for i in range(10, 40)))
    assert set(claims) == {Claim.NEW}
    # Before its mark is written, this replica already knows each update is finished...
    assert [await _handle(gate, i, sessionmaker) for i in (10, 39)] == [Claim.DUPLICATE] * 2
    await gate.drain()
    async with sessionmaker() as session:
        answered = await session.scalars(
            select(ProcessedUpdate.update_id).where(ProcessedUpdate.answered.is_(True))
        )
        assert sorted(answered) == list(range(10, 40))
    # ...and once written, so does every other replica (nothing is told "answer lost").
    assert await _handle(UpdateGate(engine, "other"), 25, sessionmaker) is Claim.DUPLICATE


async def _handle(
    gate: UpdateGate, update_id: int, sessionmaker: async_sessionmaker[AsyncSession]
) -> Claim:
    async with gate.admit(update_id) as (claim, _):
        if claim is Claim.NEW:
            await write_something(sessionmaker)
        return claim


@pytest.mark.postgres
async def test_periodic_jobs_are_leader_only_except_dispatch(postgres_url: str) -> None:
    from bot.app import DISPATCH_JOB

    assert DISPATCH_JOB in EVERY_REPLICA_JOBS
    async with start_harness(postgres_url) as harness:
        jobs = {job.name: job for job in harness.app.job_queue.jobs()}  # type: ignore[union-attr]
        assert DISPATCH_JOB in jobs and "ops.prune" in jobs
        assert not getattr(jobs[DISPATCH_JOB].callback, "__leader_only__", False)
        others = [job for name, job in jobs.items() if name != DISPATCH_JOB]
        assert len(others) >= 2  # the features' sweeps and digests, and the pruning
        assert all(getattr(job.callback, "__leader_only__", False) for job in others)


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_replicas_share_one_tokens_pace_by_heartbeat(
    db_url: str, engine: AsyncEngine
) -> None:
    from bot.delivery.pacing import Pacer

    settings = load_settings(
        database_url=db_url, send_rate_per_second=30, leader_check_seconds=1, _env_file=None
    )
    first, second = Ops(settings, engine), Ops(settings, engine)
    first.pacer, second.pacer = Pacer(30), Pacer(30)
    await first.beat()
    assert first.live_replicas == 1 and first.pacer.rate == 30  # alone: the whole budget
    await second.beat()
    await first.beat()
    assert first.live_replicas == second.live_replicas == 2
    assert first.pacer.rate == second.pacer.rate == 15  # 30 msg/s in total, not 30 each
    await heartbeat.leave(second.sessionmaker, second.replica_id)  # a clean stop
    await first.beat()
    assert first.live_replicas == 1 and first.pacer.rate == 30
