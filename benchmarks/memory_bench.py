"""The bot's resident memory with a campaign's worth of people: idle, after a broadcast, peak.

Run: `.venv/bin/python -m benchmarks.memory_bench [--people 100000] [--recipients 10000]
[--sample 1000]`.  Issue #13's goal: RSS after 100k people known and a 10k broadcast
≤ 150 MiB (and idle ≤ 80 MiB).

The bot runs as production starts it, `python -m bot run` (the schema check, the
migrations' auto-upgrade, the Mini App feature, the menus; long polling), in its own
process against the sandbox (`python -m bot sandbox --limits`), with the overall limit
raised to 1000/s for the sandbox and the bot alike (the per-chat 1/s stays).  This process
builds the database the way a deployment has it (Alembic to head, then `--people` people
in bulk INSERTs like `benchmarks/seed.py`, in ten teams; the first `--recipients` of them
make up the team the broadcast goes to), and has every recipient write to the bot once
before it starts (so their chats exist; those updates are dropped, as after a restart).

Then: the admin's `/help` until the bot answers (warm-up), `--sample` recipients send
`/help` and `/me` (each waits for its reply), two seconds of rest: **idle**; a broadcast
to the recipients' team is confirmed (the bot's outbox dispatcher sends it) and run to
completion, with the bot's RSS sampled every 0.2 s: **during** (the highest sample),
**after** (two seconds after the last delivery) and **peak** (VmHWM, the kernel's high-water
mark of the process's whole life).  VmRSS and VmHWM come from /proc/<pid>/status.
"""

# Popen returns at once (the driver never waits on its children): ASYNC220 does not apply.
# ruff: noqa: ASYNC220

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import func, insert, select

from benchmarks.broadcast_bench import ADMIN_ID, TEXT, TOKEN, _free_port
from bot.db import create_engine, create_sessionmaker
from bot.services import broadcasts
from bot.services.people.members import actor_from
from models import Membership, OutboxMessage, Person, Role, Team
from sandbox import HttpSandboxClient

FIRST_ID = 10_000
TEAMS = 10
BATCH = 5000
RAISED_RATE = 1000


def status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of a live process, in MiB."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            figures[key] = int(value.split()[0]) / 1024
    return figures


async def seed(db_url: str, people: int, recipients: int) -> int:
    """The people, their teams and the admin; returns the recipients' team id."""
    from bot import migrate

    await asyncio.to_thread(migrate.upgrade, db_url)  # the schema a deployment has
    now = datetime.now(UTC)
    engine = create_engine(db_url)
    async with engine.begin() as conn:
        await conn.execute(insert(Team), [
            {"id": t + 1, "name": f"Team {t}", "name_key": f"team {t}", "created_at": now}
            for t in range(TEAMS)
        ])
        for start in range(0, people, BATCH):
            ids = range(start, min(start + BATCH, people))
            await conn.execute(insert(Person), [
                {"id": i + 2, "telegram_id": FIRST_ID + i, "first_name": f"V{i}",
                 "language": "id" if i % 2 else "en", "role": Role.VOLUNTEER,
                 "joined_at": now, "last_seen_at": now}
                for i in ids
            ])
            # The first `recipients` people are team 1 (the broadcast's); the rest spread.
            await conn.execute(insert(Membership), [
                {"person_id": i + 2, "team_id": 1 if i < recipients else 2 + i % (TEAMS - 1),
                 "joined_at": now}
                for i in ids
            ])
        await conn.execute(insert(Person), [{
            "id": 1, "telegram_id": ADMIN_ID, "first_name": "Admin", "language": "en",
            "role": Role.ADMIN, "joined_at": now, "last_seen_at": now,
        }])
    await engine.dispose()
    return 1


async def broadcast(db_url: str, team_id: int) -> int:
    """Confirms a broadcast to the team, as the admin; returns its outbox rows."""
    engine = create_engine(db_url)
    db = create_sessionmaker(engine)
    async with db() as session:
        admin = await session.scalar(select(Person).where(Person.telegram_id == ADMIN_ID))
        assert admin is not None
        actor = actor_from(admin, "en")
    now = datetime.now(UTC)
    draft = await broadcasts.create_draft(
        db, actor, text=TEXT, visible_length=len(TEXT), media_file_id=None, media_type=None,
        now=now,
    )
    await broadcasts.choose_audience(db, actor, draft.id, f"team:{team_id}")
    confirmed = await broadcasts.confirm(
        db, actor, draft.id, now=now, progress_chat_id=ADMIN_ID, progress_message_id=None
    )
    await engine.dispose()
    return confirmed.total


async def done_rows(db_url: str) -> int:
    engine = create_engine(db_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return int(await session.scalar(
                select(func.count()).select_from(OutboxMessage)
                .where(OutboxMessage.broadcast_id.is_not(None),
                       OutboxMessage.status.in_(("sent", "failed", "skipped")))
            ) or 0)
    finally:
        await engine.dispose()


async def say_hello(client: HttpSandboxClient, url: str, ids: list[int]) -> None:
    """Every recipient writes once (their chat exists), then the updates are dropped."""
    gate = asyncio.Semaphore(64)

    async def hello(uid: int) -> None:
        async with gate:
            await client.user(uid, f"V{uid}", language_code="en").send("hi")

    await asyncio.gather(*(hello(uid) for uid in ids))
    async with httpx.AsyncClient() as http:
        await http.post(f"{url}/bot{TOKEN}/deleteWebhook", json={"drop_pending_updates": True})


async def warm_up(client: HttpSandboxClient, sample: list[int]) -> None:
    admin = client.user(ADMIN_ID, "Admin", language_code="en")
    for _ in range(300):  # start-up (the schema check, menus) takes a few seconds
        try:
            await admin.send_and_wait("/help", timeout=1)
            break
        except Exception:
            continue
    gate = asyncio.Semaphore(200)

    async def talk(uid: int) -> None:
        user = client.user(uid)
        async with gate:
            await user.send_and_wait("/help", timeout=120)
            await asyncio.sleep(1.05)  # Telegram's one message per second per chat
            await user.send_and_wait("/me", timeout=120)

    await asyncio.gather(*(talk(uid) for uid in sample))


async def run(args: argparse.Namespace, workdir: Path) -> dict[str, float]:
    db_url = f"sqlite+aiosqlite:///{workdir / 'memory.sqlite3'}"
    started = time.perf_counter()
    team_id = await seed(db_url, args.people, args.recipients)
    print(f"seeded {args.people} people in {time.perf_counter() - started:.1f} s")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--limits", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    client = HttpSandboxClient(url)
    bot: subprocess.Popen[bytes] | None = None
    try:
        for _ in range(100):
            try:
                client.backend.stats()
                break
            except Exception:
                await asyncio.sleep(0.1)
        await client.set_limits(global_per_second=RAISED_RATE)
        ids = [FIRST_ID + i for i in range(args.recipients)]
        await say_hello(client, url, ids)
        env = dict(os.environ)
        env.update(
            BOT_TOKEN=TOKEN, DATABASE_URL=db_url, ADMIN_IDS=str(ADMIN_ID),
            TELEGRAM_API_BASE_URL=f"{url}/bot", TELEGRAM_FILE_BASE_URL=f"{url}/file/bot",
            SEND_RATE_PER_SECOND=str(RAISED_RATE), LOG_LEVEL="WARNING",
            QUIET_HOURS_START="00:00", QUIET_HOURS_END="00:00",
        )
        bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env)
        await warm_up(client, ids[: args.sample])
        await asyncio.sleep(2)
        idle = status(bot.pid)
        total = await broadcast(db_url, team_id)
        during = 0.0
        while (await done_rows(db_url)) < total:
            during = max(during, status(bot.pid)["VmRSS"])
            await asyncio.sleep(0.2)
        await asyncio.sleep(2)
        after = status(bot.pid)
        return {"idle": idle["VmRSS"], "idle_hwm": idle["VmHWM"], "during": during,
                "after": after["VmRSS"], "peak": after["VmHWM"], "rows": total}
    finally:
        if bot is not None:
            bot.send_signal(signal.SIGTERM)
            try:
                bot.wait(30)
            except subprocess.TimeoutExpired:
                bot.kill()
        await client.aclose()
        sandbox.terminate()
        sandbox.wait(10)


def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="gotong-memory-") as tmp:
        f = asyncio.run(run(args, Path(tmp)))
    print(f"{args.people} people known, {args.sample} of them talked (/help, /me), "
          f"broadcast to {int(f['rows'])} outbox rows, overall limit {RAISED_RATE}/s")
    print(f"bot RSS: idle {f['idle']:.1f} MiB (VmHWM {f['idle_hwm']:.1f})  "
          f"during broadcast max {f['during']:.1f} MiB  after {f['after']:.1f} MiB  "
          f"peak VmHWM {f['peak']:.1f} MiB  (goals: idle ≤ 80, after ≤ 150)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=1000)
    main(parser.parse_args())
