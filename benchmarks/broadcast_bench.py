"""Broadcast delivery against the sandbox with Telegram's limits on, in three processes.

Run: `.venv/bin/python -m benchmarks.broadcast_bench [--recipients N] [--paid]
[--interactive] [--faults] [--kill]`.  The sandbox (`python -m bot sandbox --limits`) and the
bot (`--run-bot`, the real Application with its startup hooks and the outbox-dispatch
job) each run in their own process, so the bot has a core of its own; this process seeds
the database, drives users over the sandbox's HTTP user API and reads the referee's record.

Printed figures:
- rate: deliveries / (last - first delivery) and rate ÷ limit (goal ≥ 0.97 at 30/s);
- lost (recipients with no delivery), duplicates (same chat and text twice), 429s answered;
- --interactive: p50/p95 of `/help` round-trips while the broadcast runs (goal p95 < 250 ms);
- --faults: 5 % 5xx + 5 % timeouts injected, everything must still arrive;
- --kill: SIGKILL the bot mid-broadcast, restart it; duplicates must be ≤ rows in flight.
"""

# Popen returns at once (the driver never waits on its children): ASYNC220 does not apply.
# ruff: noqa: ASYNC220

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select

from bot.db import create_engine, create_sessionmaker
from bot.delivery import broadcasts
from bot.delivery.audiences import AUDIENCES
from bot.sandbox import HttpSandboxClient, SandboxTimeout
from bot.services.people import actor_from
from models import Base, OutboxMessage, Person, Role

TOKEN = "1000000001:BENCHbenchBENCHbenchBENCHbench12345"
ADMIN_ID = 1
TEXT = "Rapat koordinasi besok pukul 09.00 di posko. Mohon hadir tepat waktu."


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bot_env(url: str, db_url: str, args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        BOT_TOKEN=TOKEN,
        DATABASE_URL=db_url,
        TELEGRAM_API_BASE_URL=f"{url}/bot",
        TELEGRAM_FILE_BASE_URL=f"{url}/file/bot",
        ADMIN_IDS=str(ADMIN_ID),
        AUTO_MIGRATE="false",
        QUIET_HOURS_START="00:00",  # start == end: quiet hours off, the bench runs any time
        QUIET_HOURS_END="00:00",
        PAID_BROADCAST="true" if args.paid else "false",
        OUTBOX_LEASE_SECONDS="10",
        LOG_LEVEL="WARNING",
    )
    return env


def run_bot() -> None:
    """Child process: the real bot, polling the sandbox, until killed."""
    from bot.app import build_application
    from bot.config import load_settings
    from bot.logs import setup_logging

    settings = load_settings()
    setup_logging(settings.log_level)
    app = build_application(settings, set_menus=False)
    app.run_polling(drop_pending_updates=True, allowed_updates=["message", "callback_query"])


async def _seed(db_url: str, client: HttpSandboxClient, n: int) -> int:
    """Returns how many outbox rows the broadcast has (the recipients plus the admin)."""
    """n recipients (their chats exist: each wrote to the bot once) and a confirmed broadcast."""
    sem = asyncio.Semaphore(64)

    async def hello(uid: int) -> None:
        async with sem:
            await client.user(uid, f"V{uid}").send("hi")

    await asyncio.gather(*(hello(10_000 + i) for i in range(n)), hello(ADMIN_ID))
    engine = create_engine(db_url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    db = create_sessionmaker(engine)
    async with db.begin() as session:
        await session.execute(
            insert(Person),
            [{"telegram_id": 10_000 + i, "first_name": f"V{i}", "language": "id"}
             for i in range(n)],
        )
        admin = Person(telegram_id=ADMIN_ID, first_name="Admin", role=Role.ADMIN,
                       language="en", memberships=[])
        session.add(admin)
        await session.flush()
        actor = actor_from(admin, "en")
    assert "all" in AUDIENCES
    now = datetime.now(UTC)
    draft = await broadcasts.create_draft(
        db, actor, text=TEXT, visible_length=len(TEXT), media_file_id=None, media_type=None,
        now=now,
    )
    await broadcasts.choose_audience(db, actor, draft.id, "all")
    started = time.perf_counter()
    confirmed = await broadcasts.confirm(
        db, actor, draft.id, now=now, progress_chat_id=ADMIN_ID, progress_message_id=None
    )
    print(f"enqueue: {confirmed.total} outbox rows in {time.perf_counter() - started:.2f} s")
    await engine.dispose()
    return confirmed.total


async def _counts(db_url: str) -> dict[str, int]:
    engine = create_engine(db_url)
    try:
        async with create_sessionmaker(engine)() as session:
            rows = await session.execute(
                select(OutboxMessage.status, func.count())
                .where(OutboxMessage.broadcast_id.is_not(None))
                .group_by(OutboxMessage.status)
            )
            return {str(s): int(c) for s, c in rows.all()}
    finally:
        await engine.dispose()


async def _interactive(client: HttpSandboxClient, stop: asyncio.Event) -> list[float]:
    """`/help` round-trips from five people in turn: one person typing faster than one reply
    per second would measure Telegram's per-chat limit (1/s), not the bot."""
    users = [client.user(900 + i, f"Probe{i}", language_code="en") for i in range(5)]
    latencies: list[float] = []
    # Wait until the bot polls (updates sent before its start are dropped), then measure.
    for _ in range(60):
        await users[0].send("/help")
        try:
            await users[0].next_message(predicate=lambda m: "What you can do" in m.text, timeout=2)
            break
        except SandboxTimeout:
            continue
    turn = 0
    while not stop.is_set():
        user = users[turn % len(users)]
        turn += 1
        started = time.perf_counter()
        await user.send("/help")
        await user.next_message(predicate=lambda m: "What you can do" in m.text, timeout=30)
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.5)
    return latencies


async def main(args: argparse.Namespace) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="gotong-bench-"))
    db_url = f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--limits", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    bot_proc: subprocess.Popen[bytes] | None = None
    client = HttpSandboxClient(url)
    try:
        for _ in range(100):
            try:
                client.backend.stats()
                break
            except Exception:
                await asyncio.sleep(0.1)
        n = args.recipients
        total = await _seed(db_url, client, n)
        if args.faults:
            await client.set_faults(error_5xx_rate=0.05, timeout_rate=0.05, timeout_seconds=6)
        await client.reset_stats()
        env = _bot_env(url, db_url, args)
        cmd = [sys.executable, "-m", "benchmarks.broadcast_bench", "--run-bot"]
        bot_proc = subprocess.Popen(cmd, env=env)
        started = time.perf_counter()
        stop = asyncio.Event()
        probe = asyncio.create_task(_interactive(client, stop)) if args.interactive else None
        killed_in_flight: int | None = None
        while True:
            await asyncio.sleep(1.0)
            counts = await _counts(db_url)
            done = counts.get("sent", 0) + counts.get("failed", 0)
            if args.kill and killed_in_flight is None and done >= total // 3:
                bot_proc.send_signal(signal.SIGKILL)
                bot_proc.wait()
                killed_in_flight = (await _counts(db_url)).get("sending", 0)
                print(f"kill -9 at {done} done; rows in flight (sending): {killed_in_flight}")
                bot_proc = subprocess.Popen(cmd, env=env)
            if done >= total:
                break
            if time.perf_counter() - started > args.timeout:
                print(f"TIMEOUT with {counts}")
                break
        stop.set()
        latencies = await probe if probe else []
        stats = client.backend.stats()
        texts = [d for d in stats.deliveries if d.text == TEXT]
        chats = {d.chat_id for d in texts}
        duration = (texts[-1].time - texts[0].time) if len(texts) > 1 else 0.0
        limit = 1000.0 if args.paid else 30.0
        rate = (len(texts) - 1) / duration if duration else 0.0
        print(f"recipients: {total}  mode: {'paid' if args.paid else 'free'}  "
              f"faults: {args.faults}  kill: {args.kill}")
        print(f"delivered: {len(texts)}  lost: {total - len(chats)}  "
              f"duplicates: {len(texts) - len(chats)}  429s: {stats.answered_429}  "
              f"5xx: {stats.answered_5xx}  timeouts: {stats.timeouts}")
        print(f"rate: {rate:.2f} msg/s over {duration:.1f} s  rate/limit: {rate / limit:.3f}")
        print(f"max in any 1 s window: {stats.max_in_window(1.0)}")
        if killed_in_flight is not None:
            print(f"duplicates ≤ in flight: {len(texts) - len(chats)} ≤ {killed_in_flight}")
        if latencies:
            ms = sorted(x * 1000 for x in latencies)
            p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
            print(f"interactive /help: n={len(ms)} p50={statistics.median(ms):.0f} ms "
                  f"p95={p95:.0f} ms max={ms[-1]:.0f} ms")
        print(f"final outbox: {await _counts(db_url)}")
    finally:
        if bot_proc is not None:
            bot_proc.send_signal(signal.SIGTERM)
            try:
                bot_proc.wait(10)
            except subprocess.TimeoutExpired:
                bot_proc.kill()
        await client.aclose()
        sandbox.terminate()
        sandbox.wait(10)


def _args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--paid", action="store_true")
    parser.add_argument("--interactive", action="store_true")
    parser.add_argument("--faults", action="store_true")
    parser.add_argument("--kill", action="store_true")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--run-bot", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    options = _args()
    if options.run_bot:
        run_bot()
    else:
        asyncio.run(main(options))


