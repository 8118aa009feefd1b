"""The dispatcher against the sandbox's strict referee: pacing, 429, 403, 400, 5xx, leases,
quiet hours, skipped rows, and two dispatchers sharing one PostgreSQL database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import ExtBot

from bot.db import create_engine, create_sessionmaker
from bot.delivery import leasing
from bot.delivery.failures import Reason, detail_of, reason_of
from bot.delivery.pacing import Pacer
from bot.delivery.quiet import QuietHours
from bot.delivery.renderers import param
from bot.delivery.sender import Flood, InteractiveMeter, PtbTransport
from bot.views.render import Outgoing, Reader
from models import OutboxMessage, OutboxStatus, Person
from sandbox import Limits
from tests.conftest import T0
from tests.delivery.support import KIND, add_people, queue_notes, rows, sandbox_env
from tests.support.harness import TOKEN

SentRows = list[tuple[int, int | None]]


# 10/s: one send per wake-up.  300/s: the pacer starts the sends due within its 10 ms grain
# together (one wake-up for several); the referee's one-second window must hold either way.
@pytest.mark.parametrize(("rate", "count"), [(10, 25), (300, 450)])
async def test_pacing_stays_inside_the_referees_limits(
    sessionmaker: async_sessionmaker[AsyncSession], db_url: str, rate: int, count: int
) -> None:
    limits = Limits(enabled=True, global_per_second=rate)
    async with sandbox_env(sessionmaker, db_url, T0, limits) as env:
        people = await add_people(env, count)
        await queue_notes(env, people)
        await env.dispatcher(rate=rate).run_once()
        stats = env.sandbox.stats
        assert stats.answered_429 == 0
        assert stats.max_in_window(1.0) <= rate
        assert len(stats.deliveries) == count and not stats.duplicates()
        stored = await rows(env)
        assert {r.status for r in stored} == {OutboxStatus.SENT}
        assert all(r.telegram_message_id and r.sent_at for r in stored)
        assert env.sandbox.world.messages(people[0][1])[-1].text == f"note {people[0][0]}"


async def test_429_is_waited_out_and_the_same_message_sent(
    sessionmaker: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    # The pacer believes in 40/s, the referee allows 8/s: 429s must come, none may be lost.
    limits = Limits(enabled=True, global_per_second=8)
    async with sandbox_env(sessionmaker, db_url, T0, limits) as env:
        people = await add_people(env, 20)
        await queue_notes(env, people)
        dispatcher = env.dispatcher(rate=40)
        await dispatcher.run_once()
        stats = env.sandbox.stats
        assert stats.answered_429 > 0 and dispatcher.counters.flood > 0
        assert len(stats.deliveries) == 20 and not stats.duplicates()
        assert {r.status for r in await rows(env)} == {OutboxStatus.SENT}


async def test_403_marks_the_person_unreachable_and_400_fails_with_reason(
    sessionmaker: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    async with sandbox_env(sessionmaker, db_url, T0, Limits(enabled=False)) as env:
        people = await add_people(env, 3)
        ghost = await add_people(env, 1, start_id=5000, in_sandbox=False)
        env.sandbox.set_faults(blocked_user_ids={people[0][1]})
        await queue_notes(env, people + ghost)
        await env.dispatcher().run_once()
        by_person = {r.person_id: r for r in await rows(env)}
        blocked, ghost_row = by_person[people[0][0]], by_person[ghost[0][0]]
        assert blocked.status == OutboxStatus.FAILED
        # A stable reason code first, Telegram's own words kept after it for the logs.
        assert blocked.last_error and blocked.last_error.startswith("forbidden")
        assert reason_of(blocked.last_error) == Reason.BLOCKED
        assert detail_of(blocked.last_error) == "Forbidden: bot was blocked by the user"
        assert ghost_row.status == OutboxStatus.FAILED
        assert ghost_row.last_error and "chat not found" in ghost_row.last_error.lower()
        assert reason_of(ghost_row.last_error) == Reason.CHAT_NOT_FOUND
        assert by_person[people[1][0]].status == OutboxStatus.SENT
        async with env.db() as session:
            person = await session.get(Person, people[0][0])
            assert person is not None and not person.reachable
            assert person.unreachable_reason and "blocked" in person.unreachable_reason
        # A later message to them is not even attempted.
        await queue_notes(env, people[:1], tag="again")
        await env.dispatcher().run_once()
        assert env.sandbox.stats.calls["sendMessage"] == 4
        again = (await rows(env))[-1]
        assert again.status == OutboxStatus.FAILED and again.attempts == 0
        assert reason_of(again.last_error) == Reason.BLOCKED  # why they were unreachable


async def test_5xx_are_retried_with_backoff_until_delivered(
    sessionmaker: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    async with sandbox_env(sessionmaker, db_url, T0, Limits(enabled=False)) as env:
        people = await add_people(env, 20)
        env.sandbox.set_faults(error_5xx_rate=0.4, seed=3)
        await queue_notes(env, people)
        dispatcher = env.dispatcher()
        for _ in range(6):
            await dispatcher.run_once()
            env.clock.advance(minutes=5)  # past every backoff
        stored = await rows(env)
        assert {r.status for r in stored} == {OutboxStatus.SENT}
        assert env.sandbox.stats.answered_5xx > 0 and dispatcher.counters.retried > 0
        assert max(r.attempts for r in stored) > 1
        assert len(env.sandbox.stats.deliveries) == 20 and not env.sandbox.stats.duplicates()


async def test_rows_are_written_by_the_renderers_the_dispatcher_is_given(
    sessionmaker: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    """The engine writes no text: the lookup it was built with picks each kind's renderer
    (and the recipient's language); a kind it does not know fails with that reason."""

    async def loud(
        session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
    ) -> Outgoing | None:
        return Outgoing(text=f"{reader.lang}: NOTE {param(row, 'n')}")

    async with sandbox_env(sessionmaker, db_url, T0, Limits(enabled=False)) as env:
        people = await add_people(env, 2)
        await queue_notes(env, people[:1])
        await env.dispatcher(renderers={KIND: loud}).run_once()
        assert env.sandbox.world.messages(people[0][1])[-1].text == f"id: NOTE {people[0][0]}"
        await queue_notes(env, people[1:])
        await env.dispatcher(renderers={}).run_once()
        unknown = (await rows(env))[-1]
        assert unknown.status == OutboxStatus.FAILED
        assert reason_of(unknown.last_error) == Reason.INTERNAL
        assert detail_of(unknown.last_error or "") == f"no renderer for kind {KIND!r}"
        assert not env.sandbox.world.messages(people[1][1])


async def test_a_crash_mid_send_loses_nothing_once_the_lease_expires(
    sessionmaker: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    async with sandbox_env(sessionmaker, db_url, T0, Limits(enabled=False)) as env:
        people = await add_people(env, 12)
        await queue_notes(env, people)
        first = env.dispatcher()
        # The first process leases 5 rows and dies before sending them.
        crashed = await leasing.claim(
            env.db, instance="dead", now=env.clock.now(), limit=5, lease=first.lease,
            quiet=first.quiet, default_timezone=first.default_timezone,
            render=first.rendering.row,
        )
        assert len(crashed.prepared) == 5
        restarted = env.dispatcher()
        await restarted.run_once()
        assert len(env.sandbox.stats.deliveries) == 7  # the leased rows wait for their lease
        env.clock.advance(first.lease + timedelta(seconds=1))
        await restarted.run_once()
        assert {r.status for r in await rows(env)} == {OutboxStatus.SENT}
        assert len(env.sandbox.stats.deliveries) == 12 and not env.sandbox.stats.duplicates()


async def test_quiet_hours_defer_non_urgent_rows_to_the_morning(
    sessionmaker: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    night = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)  # 22:30 in Jakarta
    async with sandbox_env(sessionmaker, db_url, night, Limits(enabled=False)) as env:
        people = await add_people(env, 2)
        await queue_notes(env, people[:1], tag="calm")
        await queue_notes(env, people[1:], urgent=True, tag="urgent")
        await env.dispatcher().run_once()
        calm, urgent = await rows(env)
        assert urgent.status == OutboxStatus.SENT
        assert calm.status == OutboxStatus.PENDING
        assert calm.due_at == datetime(2026, 11, 27, 0, 0, tzinfo=UTC)  # 07:00 Jakarta
        env.clock.set(calm.due_at)
        await env.dispatcher().run_once()
        assert {r.status for r in await rows(env)} == {OutboxStatus.SENT}


def test_quiet_hours_window_rules() -> None:
    quiet = QuietHours(*(datetime.strptime(t, "%H:%M").time() for t in ("21:00", "07:00")))
    noon = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)  # 12:00 Jakarta
    early = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)  # 05:00 Jakarta
    assert quiet.deferred_until(noon, "Asia/Jakarta") is None
    assert quiet.deferred_until(early, "Asia/Jakarta") == datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    # The same instant is 07:00 in Jayapura: already morning there.
    assert quiet.deferred_until(early, "Asia/Jayapura") is None
    off = QuietHours(quiet.start, quiet.start)
    assert off.deferred_until(early, "Asia/Jakarta") is None


async def test_a_row_whose_cause_is_gone_is_skipped_not_sent(
    sessionmaker: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    async with sandbox_env(sessionmaker, db_url, T0, Limits(enabled=False)) as env:
        people = await add_people(env, 2)
        await queue_notes(env, people[:1], gone=True, tag="gone")
        await queue_notes(env, people[1:], tag="here")
        await env.dispatcher().run_once()
        gone, here = await rows(env)
        assert gone.status == OutboxStatus.SKIPPED and here.status == OutboxStatus.SENT
        assert len(env.sandbox.stats.deliveries) == 1


@pytest.mark.postgres
async def test_two_dispatchers_on_postgres_send_each_row_once(postgres_url: str) -> None:
    from tests.support.databases import create_schema

    engines = [create_engine(postgres_url), create_engine(postgres_url)]
    await create_schema(engines[0])
    try:
        db = create_sessionmaker(engines[0])
        async with sandbox_env(db, postgres_url, T0, Limits(enabled=False)) as env:
            people = await add_people(env, 120)
            await queue_notes(env, people)
            one = env.dispatcher(rate=1000)
            env.db = create_sessionmaker(engines[1])
            two = env.dispatcher(rate=1000)
            # Small claims so both really compete for the same rows.
            one.high_water = two.high_water = 10
            await asyncio.gather(one.run_once(), two.run_once())
            assert one.counters.sent > 0 and two.counters.sent > 0
            assert one.counters.sent + two.counters.sent == 120
            assert len(env.sandbox.stats.deliveries) == 120
            assert not env.sandbox.stats.duplicates()
            async with db() as session:
                statuses = set((await session.scalars(select(leasing.OUTBOX.c.status))).all())
            assert statuses == {OutboxStatus.SENT.value}
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_broadcast_and_its_progress_message_share_the_pace(
    sessionmaker: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    # The coordinator's progress message is a send like any other: sent unpaced right after
    # the broadcast filled the window, the referee answered 429 (seen at 30/s).
    from bot.services import broadcasts
    from bot.services.people.members import actor_from
    from models import Role
    from sandbox import UserSpec

    limits = Limits(enabled=True, global_per_second=4)
    async with sandbox_env(sessionmaker, db_url, T0, limits) as env:
        async with env.db.begin() as session:
            admin = Person(telegram_id=1, first_name="A", role=Role.ADMIN, memberships=[])
            session.add(admin)
            await session.flush()
            actor = actor_from(admin, "en")
        env.sandbox.world.private_chat(UserSpec(1, "A"))
        await add_people(env, 7)
        draft = await broadcasts.create_draft(
            env.db, actor, text="Halo semua", visible_length=10, media_file_id=None,
            media_type=None, now=T0,
        )
        await broadcasts.choose_audience(env.db, actor, draft.id, "all")
        await broadcasts.confirm(
            env.db, actor, draft.id, now=T0, progress_chat_id=1, progress_message_id=None
        )
        await env.dispatcher(rate=4).run_once()
        stats = env.sandbox.stats
        assert stats.answered_429 == 0 and stats.max_in_window(1.0) <= 4
        assert sum(d.text == "Halo semua" for d in stats.deliveries) == 8
        # The coordinator: the broadcast (a member too), the progress message, the report.
        texts = [m.text for m in env.sandbox.world.messages(1)]
        assert len(texts) == 3 and texts[0] == "Halo semua"
        assert all("#1" in text for text in texts[1:])


async def test_a_paid_broadcasts_refused_progress_edit_pauses_no_send(
    sessionmaker: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    # In paid mode the progress edit (never paid) meets the free 30/s: its 429 is about
    # edits only.  The handlers' meter used to pause the shared pacer and retry the edit
    # itself, three times: every paid send stood still ~1 s per progress tick.
    async with sandbox_env(sessionmaker, db_url, T0) as env:
        people = await add_people(env, 1)
        telegram_id = people[0][1]
        pacer = Pacer(1000)
        bot = ExtBot(
            TOKEN, base_url=env.sandbox.base_url, base_file_url=env.sandbox.base_file_url,
            rate_limiter=InteractiveMeter(pacer),
        )
        await bot.initialize()
        transport = PtbTransport(bot)
        try:
            message_id = await transport.send(telegram_id, Outgoing(text="Sent 0 of 10"), paid=True)
            env.sandbox.set_limits(
                forced_429s=1, forced_retry_after=3, forced_methods=["editmessagetext"]
            )
            with pytest.raises(Flood):
                await transport.edit(telegram_id, message_id, "Sent 5 of 10")
        finally:
            await transport.aclose()
            await bot.shutdown()
        assert pacer.pauses == 0  # the dispatcher alone decides (paid: no pause)
        assert env.sandbox.stats.edits_429 == 1  # refused once, not retried behind its back
        assert env.sandbox.world.messages(telegram_id)[-1].text == "Sent 0 of 10"
