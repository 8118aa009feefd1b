"""SIGTERM (what systemd sends on stop or during a deploy) loses nothing.

The replica stops taking new updates, finishes the one it is handling (its reply is sent
and the update recorded as handled, so Telegram does not redeliver it), gives up the
leader lock and leaves the heartbeat table, and exits 0.  Meanwhile Telegram keeps what
arrives; the restarted replica gets it.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from sandbox import SandboxClient
from tests.production.cluster import TOKEN
from tests.production.conftest import ClusterFactory

pytestmark = pytest.mark.postgres


async def test_sigterm_finishes_the_update_in_flight(start_cluster: ClusterFactory) -> None:
    async with start_cluster(1, LOG_JSON="true") as cluster:
        sandbox = cluster.sandbox
        (replica,) = cluster.replicas
        # The reply takes a while to go out: the update is in flight when SIGTERM lands.
        sandbox.set_faults(slow_seconds=1.5, methods=frozenset({"sendMessage"}))
        ani = SandboxClient(sandbox).user(31, first_name="Ani", language_code="en")
        # A write (read-only updates leave no processed_update row: bot/ops/dedup.py).
        await ani.send("/tz wita")
        deadline = time.monotonic() + 20
        while sandbox.stats.calls["sendMessage"] < 1:
            assert time.monotonic() < deadline, "the update never reached the replica"
            await asyncio.sleep(0.02)
        code = await cluster.terminate(replica)
        assert code == 0, cluster.tail(replica)
        reply = ani.bot_messages()
        assert len(reply) == 1 and "Times are now shown in" in reply[0].text
        assert sandbox.world.updates == {}  # nothing left for Telegram to redeliver
        assert sandbox.webhook_info.failed == 0
        assert await cluster.scalar("select count(*) from processed_update") == 1
        assert await cluster.scalar("select count(*) from replica") == 0
        # The lock is free: nobody holds the leader's advisory lock any more.
        assert await cluster.scalar(
            "select count(*) from pg_locks where locktype = 'advisory' and granted and "
            "database = (select oid from pg_database where datname = current_database())"
        ) == 0
        assert "stopped cleanly" in cluster.tail(replica)
        # LOG_JSON=true: every line a JSON object a log collector can read, token masked.
        records = [json.loads(line) for line in replica.log.read_text().splitlines()]
        assert {"ts", "level", "logger", "msg"} <= set(records[0])
        assert TOKEN not in replica.log.read_text()

        # While no replica runs, Telegram keeps the update and retries; the restarted
        # replica (same port, as systemd restarts it) gets it, registers nothing anew.
        sandbox.set_faults(slow_seconds=0.0)
        await ani.send("/tz wib")
        restarted = cluster.start_replica(replica.port)
        await cluster.wait_healthy(restarted)
        got = await ani.next_message(timeout=30)
        assert "Times are now shown in" in got.text
        assert sandbox.stats.calls["setWebhook"] == 1
        assert await cluster.scalar("select count(*) from processed_update") == 2
