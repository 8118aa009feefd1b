"""Start and stop: the app ends every task it started before its engine closes.

The hang this guards against (issue #11): a task of the app still running after
`post_shutdown` disposed the engine; pytest-asyncio's loop teardown then cancels it and
waits, and a rollback on a closed pool can wait forever.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.app import finish_tasks
from bot.delivery.outbox import NewMessage, enqueue
from handlers.feature import Feature
from models import OutboxMessage, OutboxStatus, Person
from tests.delivery.support import KIND, NOTES
from tests.support.harness import start_harness

CYCLES = 20


def _running_tasks() -> set[asyncio.Task[object]]:
    return {t for t in asyncio.all_tasks() if not t.done()}


@contextmanager
def recording_tasks() -> Iterator[list[asyncio.Future[Any]]]:
    """Every task created on this loop meanwhile (a task factory: nothing is patched)."""
    loop = asyncio.get_running_loop()
    previous = loop.get_task_factory()
    created: list[asyncio.Future[Any]] = []

    def factory(
        loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], **kw: Any
    ) -> asyncio.Future[Any]:
        task = previous(loop, coro, **kw) if previous else asyncio.Task(coro, loop=loop, **kw)
        created.append(task)
        return task

    loop.set_task_factory(factory)  # type: ignore[arg-type]
    try:
        yield created
    finally:
        loop.set_task_factory(previous)


def _thrown_away(tasks: list[asyncio.Future[Any]]) -> list[str]:
    """SQLAlchemy closes a connection in a task of its own when a task was cancelled inside
    a database call; such a close, awaited by nobody, is what could hang the loop's end."""
    return [
        repr(t) for t in tasks
        if isinstance(t, asyncio.Task)
        and getattr(t.get_coro(), "__qualname__", "").endswith("_terminate_graceful_close")
    ]


async def _busy_run(url: str, cycle: int) -> None:
    """One start and stop, stopped mid-work."""
    notes = Feature("test notes", renderers=NOTES)  # a test outbox kind
    async with start_harness(url, dispatch_interval_seconds=0.01, extra_features=[notes]) as bot:
        reply = await bot.admin.send_and_wait("/help")
        assert reply.text
        async with bot.db.begin() as session:
            admin = await session.scalar(select(Person.id).where(Person.telegram_id == 1))
            await enqueue(
                session,
                [
                    NewMessage(
                        kind=KIND, chat_id=1, dedup_key=f"cycle:{cycle}:{n}",
                        due_at=bot.clock.now(), params={"n": n}, person_id=admin,
                    )
                    for n in range(5)
                ],
            )
        await bot.admin.send("/help")  # not waited for: in flight at the stop


async def test_twenty_starts_and_stops_leave_no_task_behind(tmp_path: Path) -> None:
    """Each run stops mid-work: an update in flight, outbox sends queued, the dispatch job
    firing every 10 ms.  Whatever the interleaving, nothing of the app outlives it, and no
    task of it was cancelled inside a database call."""
    before = _running_tasks()
    url = f"sqlite+aiosqlite:///{tmp_path / 'cycles.sqlite3'}"
    for cycle in range(CYCLES):
        with recording_tasks() as created:
            await _busy_run(url, cycle)
        assert not _thrown_away(created), f"cycle {cycle}: a task was cancelled mid-query"
        left = _running_tasks() - before
        assert not left, f"cycle {cycle}: {sorted(t.get_name() for t in left)}"
    # Nothing was lost either: rows are sent or still pending for the next start.
    async with start_harness(url) as bot, bot.db() as session:
        statuses = set((await session.scalars(select(OutboxMessage.status))).all())
        assert statuses <= {OutboxStatus.SENT, OutboxStatus.PENDING}


async def test_a_task_that_will_not_end_is_cancelled_after_the_bound() -> None:
    never = asyncio.Event()
    stuck = asyncio.ensure_future(never.wait())
    await finish_tasks([stuck], 0.01, "test")
    assert stuck.cancelled()
