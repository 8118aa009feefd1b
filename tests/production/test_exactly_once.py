"""Telegram delivers every update at least once; Gotong acts on it once, in every mode.

* Polling: the bot handled `/fund` and died before it confirmed the offset, so Telegram
  hands the same update to the restarted bot.  Before, polling had no dedup at all and
  the fund was recorded twice.
* Webhook: three copies of one `/fund` arrive at once at two replicas (a proxy retried,
  Telegram retried).  Before, on SQLite all three passed the in-memory check (it spanned
  an await) and the fund was recorded three times.

The dedup row is written in the handler's own transaction (bot/ops/dedup.py), so what
decides is the database, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import func, select

from bot.app import GotongApp, build_application, running
from bot.clock import FrozenClock
from bot.db import create_engine, create_sessionmaker
from bot.webhook import SECRET_HEADER, make_webhook_app
from models import Fund, ProcessedUpdate
from sandbox import SandboxClient, SandboxServer
from tests.conftest import T0
from tests.support.databases import create_schema
from tests.support.harness import ADMIN_ID, start_harness
from tests.support.harness import test_settings as harness_settings

FUND = "/fund 10jt Donasi Pak Budi | transfer BCA"
SECRET = "right-secret"
PATH = "/tg/hook"


async def count_rows(url: str, model: Any) -> int:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        await engine.dispose()


@asynccontextmanager
async def restarted_bot(url: str, sandbox: SandboxServer) -> AsyncIterator[GotongApp]:
    """The bot started again on the same database (no fresh schema), polling."""
    engine = create_engine(url)
    app = build_application(harness_settings(url, sandbox), clock=FrozenClock(T0), engine=engine)
    async with running(app):
        yield app


async def test_polling_redelivery_after_a_crash_is_not_handled_twice(db_url: str) -> None:
    sandbox = SandboxServer()
    await sandbox.start()
    try:
        async with start_harness(db_url, clock=FrozenClock(T0), sandbox=sandbox) as bot:
            sent = await bot.admin.send(FUND)
            # What Telegram holds until the offset is confirmed: this very update.
            update_id, update = next(
                (uid, dict(u)) for uid, u in sandbox.world.updates.items()
                if u.get("message", {}).get("message_id") == sent.message_id
            )
            recorded = await bot.admin.next_message()
            assert "Donasi Pak Budi" in recorded.text
        assert await count_rows(db_url, Fund) == 1

        # The bot died before its next getUpdates confirmed the offset: Telegram gives the
        # same update to the restarted bot, ahead of anything newer.
        sandbox.world.updates[update_id] = update
        admin = SandboxClient(sandbox).user(ADMIN_ID, first_name="Admin", language_code="en")
        async with restarted_bot(db_url, sandbox):
            await admin.send("/me")
            # One person's updates run in order: /me's reply comes after the redelivery.
            after_redelivery = await admin.next_message()
        assert "Admin" in after_redelivery.text
        assert await count_rows(db_url, Fund) == 1
        confirmations = [m for m in admin.bot_messages() if "Donasi Pak Budi" in m.text]
        assert len(confirmations) == 1
    finally:
        await sandbox.stop()


async def test_a_redelivery_whose_reply_died_with_the_bot_says_it_was_done(db_url: str) -> None:
    """The bot committed /fund, then died before its reply went out: the redelivery is not
    handled again, and the person reads that their message was handled."""
    sandbox = SandboxServer()
    await sandbox.start()
    try:
        async with start_harness(db_url, clock=FrozenClock(T0), sandbox=sandbox) as bot:
            sent = await bot.admin.send(FUND)
            update_id, update = next(
                (uid, dict(u)) for uid, u in sandbox.world.updates.items()
                if u.get("message", {}).get("message_id") == sent.message_id
            )
            await bot.admin.next_message()
            # The handling is marked finished right after its reply; then we make it look
            # as if the reply had never left.
            for _ in range(250):
                async with bot.db() as session:
                    if await session.scalar(
                        select(ProcessedUpdate.answered).where(
                            ProcessedUpdate.update_id == update_id)
                    ):
                        break
                await asyncio.sleep(0.02)  # a write of the update's own task, just after
            else:
                raise AssertionError("the handled update was never marked answered")
            async with bot.db.begin() as session:
                row = await session.get(ProcessedUpdate, update_id)
                assert row is not None
                row.answered = False
        sandbox.world.updates[update_id] = update
        admin = SandboxClient(sandbox).user(ADMIN_ID, first_name="Admin", language_code="en")
        async with restarted_bot(db_url, sandbox):
            told = await admin.next_message(timeout=20)
        assert "Your last message was handled, but my answer to it got lost" in told.text
        assert await count_rows(db_url, Fund) == 1
    finally:
        await sandbox.stop()


def fund_update(update_id: int, user_id: int, text: str) -> bytes:
    user = {"id": user_id, "is_bot": False, "first_name": "Admin", "language_code": "en"}
    command = text.split()[0]
    return json.dumps(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 1_790_000_000,
                "chat": {"id": user_id, "type": "private", "first_name": "Admin"},
                "from": user,
                "text": text,
                "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
            },
        }
    ).encode()


@asynccontextmanager
async def webhook_replica(url: str, sandbox: SandboxServer) -> AsyncIterator[str]:
    """One replica: its own engine, gate and webhook server, on the shared database."""
    engine = create_engine(url)
    app = build_application(harness_settings(url, sandbox), clock=FrozenClock(T0), engine=engine)
    runner = web.AppRunner(make_webhook_app(app, path=PATH, secret=SECRET))
    async with running(app, polling=False):
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        try:
            yield f"http://127.0.0.1:{runner.addresses[0][1]}{PATH}"
        finally:
            await runner.cleanup()


async def test_concurrent_webhook_copies_are_handled_once(db_url: str) -> None:
    engine = create_engine(db_url)
    await create_schema(engine)
    await engine.dispose()
    sandbox = SandboxServer()
    await sandbox.start()
    try:
        admin = SandboxClient(sandbox).user(ADMIN_ID, first_name="Admin", language_code="en")
        await admin.send("/me")  # the sandbox knows the chat; nobody pulls (webhook mode)
        body = fund_update(7001, ADMIN_ID, FUND)
        headers = {"Content-Type": "application/json", SECRET_HEADER: SECRET}
        async with (
            webhook_replica(db_url, sandbox) as first,
            webhook_replica(db_url, sandbox) as second,
            aiohttp.ClientSession() as http,
        ):

            async def post(url: str) -> int:
                async with http.post(url, data=body, headers=headers) as response:
                    return response.status

            statuses = await asyncio.gather(post(first), post(first), post(second))
            assert set(statuses) <= {200, 503}, statuses
            # Telegram retries what was answered 503 ("being handled"): now a duplicate.
            for url, status in zip((first, first, second), statuses, strict=True):
                if status == 503:
                    assert await post(url) == 200

        assert await count_rows(db_url, Fund) == 1
        assert await count_rows(db_url, ProcessedUpdate) == 1
        texts = [m.text for m in admin.bot_messages()]
        assert sum("Donasi Pak Budi" in t for t in texts) == 1, texts
        assert not any("went wrong" in t for t in texts), texts
    finally:
        await sandbox.stop()
