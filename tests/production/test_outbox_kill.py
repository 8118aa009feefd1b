"""A replica killed with -9 in the middle of a broadcast: the outbox loses nothing.

Both replicas' dispatchers lease rows with FOR UPDATE SKIP LOCKED.  The killed one's
leased rows go back to pending when their lease ends (OUTBOX_LEASE_SECONDS, 10 here: the
dispatcher starts no send within 5 s of its lease's end) and the survivor sends them.
Telegram has no idempotency key, so the only message that can reach a person twice is
one the dead replica had leased (it may have been on the wire when the process died):
the test holds the duplicates to those rows.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.db import create_engine, create_sessionmaker
from models import Person, Role
from sandbox import SandboxClient, UserSpec
from tests.production.cluster import Cluster, ReplicaProcess
from tests.production.conftest import ClusterFactory

pytestmark = pytest.mark.postgres

PEOPLE = 60
TEXT = "Aksi bersih pantai Minggu jam 6"


async def start_broadcast(cluster: Cluster) -> None:
    """Sixty volunteers, slow sends, and the admin's broadcast to everyone under way."""
    sandbox = cluster.sandbox
    engine = create_engine(cluster.database_url)
    try:
        async with create_sessionmaker(engine).begin() as session:
            for i in range(PEOPLE):
                tid = 500 + i
                session.add(Person(telegram_id=tid, first_name=f"P{i}", role=Role.VOLUNTEER,
                                   language="en"))
                sandbox.world.private_chat(UserSpec(tid, f"P{i}"))
    finally:
        await engine.dispose()
    # Slow sends: the broadcast takes a few seconds, so the kill lands in the middle.
    sandbox.set_faults(slow_seconds=0.1, methods=frozenset({"sendMessage"}))
    admin = SandboxClient(sandbox).user(1, first_name="Admin", language_code="en")
    await admin.send_and_wait("/broadcast", timeout=30)
    await admin.send_and_wait(TEXT, timeout=30)
    await admin.press(button="Everyone", expect="edit", timeout=30)
    await admin.press(button="✅ Send now", expect="edit", timeout=30)


async def replica_holding_leases(cluster: Cluster) -> tuple[ReplicaProcess, int]:
    """Waits until some rows went out and a replica holds leases; returns it and how many."""
    deadline = time.monotonic() + 30
    while True:
        assert time.monotonic() < deadline, "the broadcast never got going"
        sent = await cluster.scalar("select count(*) from outbox where status = 'sent'")
        holder = await cluster.scalar(
            "select split_part(leased_by, ':', 2) from outbox where status = 'sending' "
            "group by 1 order by count(*) desc limit 1"
        )
        if sent and holder:
            victim = next(r for r in cluster.replicas if str(r.process.pid) == holder)
            leased = await cluster.scalar(
                f"select count(*) from outbox where status = 'sending' "
                f"and split_part(leased_by, ':', 2) = '{holder}'"
            )
            return victim, int(leased)
        await asyncio.sleep(0.05)


async def all_sent(cluster: Cluster) -> dict[int, int]:
    """Waits until every broadcast row is sent; returns how often each person got it."""
    deadline = time.monotonic() + 40
    while await cluster.scalar(
        "select count(*) from outbox where broadcast_id is not null and status <> 'sent'"
    ):
        assert time.monotonic() < deadline, "outbox rows stuck"
        await asyncio.sleep(0.1)
    assert await cluster.scalar(
        "select count(*) from outbox where broadcast_id is not null"
    ) >= PEOPLE
    return {
        tid: sum(1 for m in cluster.sandbox.world.messages(tid) if m.text == TEXT)
        for tid in range(500, 500 + PEOPLE)
    }


async def test_a_replica_killed_mid_broadcast_costs_nothing(
    start_cluster: ClusterFactory,
) -> None:
    async with start_cluster(2, OUTBOX_LEASE_SECONDS="10") as cluster:
        await start_broadcast(cluster)
        victim, leased_by_victim = await replica_holding_leases(cluster)
        cluster.kill(victim)
        received = await all_sent(cluster)
        assert all(n >= 1 for n in received.values()), received  # nothing lost
        duplicates = sum(n - 1 for n in received.values())
        assert duplicates <= leased_by_victim  # only what the dead replica had in hand


async def test_sigterm_mid_broadcast_finishes_its_sends_and_hands_the_rest_over(
    start_cluster: ClusterFactory,
) -> None:
    async with start_cluster(2, OUTBOX_LEASE_SECONDS="10") as cluster:
        await start_broadcast(cluster)
        victim, _ = await replica_holding_leases(cluster)
        assert await cluster.terminate(victim) == 0
        # Its leases were released on the way out, not left to expire.
        assert not await cluster.scalar(
            f"select count(*) from outbox where status = 'sending' "
            f"and split_part(leased_by, ':', 2) = '{victim.process.pid}'"
        )
        received = await all_sent(cluster)
        assert all(n == 1 for n in received.values()), received  # once each, exactly
