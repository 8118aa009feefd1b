"""Three webhook replicas behind nginx on one PostgreSQL, driven through the sandbox.

What a campaign needs from production: every update answered exactly once with the right
reply whichever replica takes it, one webhook registration, one scheduler leader, and a
replica killed with -9 in the middle costing nothing but a few seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from sandbox import SandboxClient, SandboxMessage, SandboxUser
from tests.production.cluster import SECRET, Cluster
from tests.production.conftest import ClusterFactory

pytestmark = pytest.mark.postgres

USERS = 20
# Each person's messages and what the reply must show (their own name, the help list, or
# their new timezone).  /tz writes, so it leaves a processed_update row; read-only updates
# leave none (bot/ops/dedup.py), so only the writes are counted below.
SCRIPT_BEFORE = ["/me", "/tz wita"]
SCRIPT_DURING_KILL = ["/tz wib", "/help", "/tz wita"]
WRITES_BEFORE = 1
WRITES_DURING_KILL = 2
LOST_REPLY = "Your last message was handled, but my answer to it got lost"


def check_reply(user: SandboxUser, sent: str, reply: str) -> None:
    if sent == "/me":
        assert f"Name: {user.spec.first_name}" in reply, reply
    elif sent.startswith("/tz"):
        assert "Times are now shown in" in reply, reply
    else:
        assert "/me" in reply and "/help" in reply, reply


async def converse(user: SandboxUser, script: list[str]) -> None:
    for text in script:
        reply = await user.send_and_wait(text, timeout=30)
        check_reply(user, text, reply.text)


async def converse_through_a_kill(
    user: SandboxUser, script: list[str], told_done: list[tuple[int, str]]
) -> None:
    """As `converse`, but a write the killed replica had committed and not yet answered
    gets "your last message was handled" from the survivor instead (bot/ops/dedup.py)."""
    for text in script:
        # A read-only update the killed replica had answered is answered again (it leaves
        # no row): such a repeat is skipped here and counted as an extra below.
        reply = await user.send_and_wait(text, timeout=30, predicate=_answering(user, text))
        if LOST_REPLY in reply.text:
            told_done.append((user.user_id, text))
            continue
        check_reply(user, text, reply.text)


def _answering(user: SandboxUser, sent: str) -> Callable[[SandboxMessage], bool]:
    def answers(message: SandboxMessage) -> bool:
        if sent.startswith("/tz") and LOST_REPLY in message.text:
            return True
        try:
            check_reply(user, sent, message.text)
        except AssertionError:
            return False
        return True

    return answers


async def wait_until(predicate_sql: str, cluster: Cluster, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not await cluster.scalar(predicate_sql):
        assert time.monotonic() < deadline, f"timed out waiting for: {predicate_sql}"
        await asyncio.sleep(0.05)


async def test_replicas_handle_every_update_once_and_survive_a_kill(
    start_cluster: ClusterFactory,
) -> None:
    async with start_cluster(3) as cluster:
        sandbox = cluster.sandbox
        # Exactly one replica registered the webhook, with the secret and the limits.
        config = sandbox.webhook_info.config
        assert config is not None and config.url == cluster.webhook_url
        assert config.secret_token == SECRET and config.max_connections == 24
        assert config.allowed_updates == ["message", "callback_query", "my_chat_member"]
        assert sandbox.stats.calls["setWebhook"] == 1
        leader = await cluster.wait_for_leader(10)

        client = SandboxClient(sandbox)
        users = [
            client.user(100 + i, first_name=f"Relawan{i}", language_code="en")
            for i in range(USERS)
        ]
        await asyncio.gather(*(converse(u, SCRIPT_BEFORE) for u in users))
        handled_before = USERS * WRITES_BEFORE
        assert await cluster.scalar("select count(*) from processed_update") == handled_before
        # Work was spread: more than one replica handled updates.
        assert await cluster.scalar(
            "select count(distinct handled_by) from processed_update"
        ) >= 2

        # Kill -9 the leader while everyone is talking.
        told_done: list[tuple[int, str]] = []
        talking = asyncio.gather(
            *(converse_through_a_kill(u, SCRIPT_DURING_KILL, told_done) for u in users)
        )
        await wait_until(
            f"select count(*) >= {handled_before + USERS} from processed_update", cluster
        )
        cluster.kill(leader)
        killed_at = time.monotonic()
        new_leader = await cluster.wait_for_leader(10)
        assert new_leader is not leader and time.monotonic() - killed_at <= 10
        await talking  # every message got its reply, right (converse checks each), or a
        # write the killed replica had done got "it was handled"; every write is recorded
        # exactly once just below.

        writes = USERS * (WRITES_BEFORE + WRITES_DURING_KILL)
        assert await cluster.scalar("select count(*) from processed_update") == writes
        total = USERS * (len(SCRIPT_BEFORE) + len(SCRIPT_DURING_KILL))
        assert sandbox.world.updates == {}  # nothing left pending at "Telegram"
        replies = {u.user_id: len(u.bot_messages()) for u in users}
        # Exactly once: one reply per message.  A read-only update the killed replica had
        # answered may be answered again (it leaves no row); a write is never done twice.
        extra = sum(n - len(SCRIPT_BEFORE) - len(SCRIPT_DURING_KILL) for n in replies.values())
        assert all(n >= total // USERS for n in replies.values()), replies
        # Each person has one update in flight at a time; only a read-only one is answered
        # twice (a write is recorded once: checked above).
        assert extra <= USERS, replies

        # A multi-step flow hops between the survivors (nginx alternates), and the broadcast
        # it starts goes out through the outbox dispatchers of both: once per person.
        admin = client.user(1, first_name="Admin", language_code="en")
        prompt = await admin.send_and_wait("/broadcast", timeout=30)
        assert "New broadcast" in prompt.text
        kinds = await admin.send_and_wait("Rapat relawan besok jam 9", timeout=30)
        assert "Who should receive it?" in kinds.text
        preview = await admin.press(button="Everyone", expect="edit", timeout=30)
        assert preview.message is not None and f"Recipients: {USERS + 1}" in preview.message.text
        await admin.press(button="✅ Send now", expect="edit", timeout=30)
        flow_replicas = await cluster.scalar(
            "select count(distinct handled_by) from (select handled_by from processed_update "
            "order by update_id desc limit 4) as last_four"
        )
        assert flow_replicas == 2  # the flow's four steps were handled by both survivors
        for user in users:
            got = await user.next_message(timeout=30)
            assert got.text == "Rapat relawan besok jam 9"
        await wait_until(
            f"select count(*) = {USERS + 1} from outbox where status = 'sent' "
            "and broadcast_id is not null", cluster
        )
        for user in users:  # no outbox row sent twice
            assert [m.text for m in user.bot_messages()].count("Rapat relawan besok jam 9") == 1

        # Metrics of a survivor: Prometheus text with the handled updates and the latency.
        text = await cluster.metrics(new_leader)
        assert 'gotong_updates_total{outcome="handled"}' in text
        assert "gotong_update_handling_seconds_bucket" in text
        assert "gotong_is_leader 1" in text and 'gotong_outbox_messages{status="sent"}' in text
        assert "gotong_telegram_429_total 0" in text and "gotong_outbox_lag_seconds" in text
