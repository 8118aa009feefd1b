"""Claims per second end to end, beside a bare PTB echo bot, in three processes.

Run: `.venv/bin/python -m benchmarks.claim_bench [sqlite|postgres|both]`.  Goal (issue #4):
claims/s ≥ 0.5 × the echo bot's taps/s, and the p95 claim latency at 100 claims/s.

Set-up (the same for both bots, as in `broadcast_bench`): the sandbox runs in its own
process with Telegram's limits on (`python -m bot sandbox --limits`), the bot in another
(`--run-bot gotong`: the real Application with its pacer; or `benchmarks.echo_bot`), and this
process seeds the database and drives people over the sandbox's HTTP user API
(`HttpSandboxClient`).  The figures therefore include the HTTP hops a real deployment has.

What is measured:
- A claim is a tap on the first "✋" button under the person's /shifts list: sandbox HTTP →
  PTB long polling → guard (loads the person) → claim service (one transaction: signup,
  reminders into the outbox, audit, conditional UPDATE of the place count) →
  answerCallbackQuery + editMessageText (the list turns into "✅ you're on this shift").
  A tap ends when the person sees both the toast and the edited message.
- The echo bot answers the same tap the same way (answerCallbackQuery + editMessageText),
  with no database: the ratio is what Gotong's own work costs on top of the Telegram calls.
- Throughput: closed loop, `--concurrency` people tapping at once, each once.
- Latency: open loop at `--rate` taps/s (100); p50/p95 of press → reply.  If the bot can't
  keep up with that rate (achieved < 95 % of offered, or the backlog makes p95 grow with
  the run), it is run again at 80 % of the closed-loop rate: the highest sustainable rate.
- Each list is opened once beforehand (not measured), paced under Telegram's 30 msg/s.
- CPU seconds of each process during the measured phases (from /proc) show who is busy.
- The echo bot runs before and after each Gotong run; the ratio is against their mean.
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
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import insert, select

from bot.db import create_engine, create_sessionmaker
from models import Base, Membership, Person, Role, Shift, ShiftStatus, Team
from sandbox import SandboxClient, SandboxMessage, SandboxUser
from sandbox.backends import HttpBackend

TOKEN = "1000000001:BENCHbenchBENCHbenchBENCHbench12345"
FIRST_ID = 10_000
PREP_RATE = 25.0  # lists opened per second beforehand: under Telegram's 30 msg/s
LATENCY_SECONDS = 3.0  # length of each open-loop run
SUSTAINED = 0.95  # achieved/offered at or above this: the bot kept up
RAISED_RATE = 1000  # overall messages/s allowed to both bots (the paid-broadcast ceiling)


# ---- the bots (child processes) ------------------------------------------------------------
def run_gotong() -> None:
    """Child process: the real bot, polling the sandbox, until killed."""
    from bot.app import build_application
    from bot.config import load_settings
    from bot.logs import setup_logging

    settings = load_settings()
    setup_logging(settings.log_level)
    app = build_application(settings, set_menus=False)
    app.run_polling(drop_pending_updates=True, allowed_updates=["message", "callback_query"])


# ---- processes -----------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Backend(HttpBackend):
    """HttpBackend whose asynchronous calls (presses, sends, the long polls for replies) go
    over aiohttp, with room for hundreds of simultaneous long polls.

    The driver stands in for Telegram's users and shares this machine's two cores with
    both bots: httpx's pool walks every open connection on each request (is it idle,
    expired, readable?), so the driver cost more per tap the longer replies took, stealing
    the most CPU from the slower bot.  aiohttp's connector does not, at a fraction of the
    CPU per request.  The synchronous reads stay on httpx (a few per run)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self._session = aiohttp.ClientSession(
            base_url=self.url, connector=aiohttp.TCPConnector(limit=0)
        )

    async def _post(self, name: str, body: dict[str, Any], wait: float = 0.0) -> Any:
        timeout = aiohttp.ClientTimeout(total=30.0 + wait)
        async with self._session.post(f"/sandbox/{name}", json=body, timeout=timeout) as response:
            return self.result_of(response.status, await response.json())

    async def aclose(self) -> None:
        await self._session.close()
        await super().aclose()


@dataclass
class Stack:
    """A sandbox process and a bot process; `client` drives people over HTTP."""

    sandbox: subprocess.Popen[bytes]
    bot: subprocess.Popen[bytes]
    client: SandboxClient
    pids: dict[str, int] = field(default_factory=dict)

    def cpu(self) -> dict[str, float]:
        return {name: _cpu_seconds(pid) for name, pid in self.pids.items()}

    async def close(self) -> None:
        for proc in (self.bot, self.sandbox):  # the bot first: it polls the sandbox
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        await self.client.aclose()


async def start_stack(which_bot: str, db_url: str | None) -> Stack:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--limits", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    client = SandboxClient(backend=_Backend(url))
    for _ in range(100):
        try:
            client.backend.stats()
            break
        except Exception:
            await asyncio.sleep(0.1)
    # Edits count against the limits like sends (as on Telegram): at the free 30/s both bots
    # would measure Telegram's ceiling, not their own cost.  The overall limit is raised
    # for both (the per-chat 1/s stays; `prepare` leaves each chat a second of rest).
    await client.set_limits(global_per_second=RAISED_RATE)
    env = dict(os.environ)
    env.update(
        SEND_RATE_PER_SECOND=str(RAISED_RATE),
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=f"{url}/bot",
        TELEGRAM_FILE_BASE_URL=f"{url}/file/bot",
        DATABASE_URL=db_url or "",
        ADMIN_IDS="1",
        AUTO_MIGRATE="false",
        QUIET_HOURS_START="00:00",  # start == end: quiet hours off, the bench runs any time
        QUIET_HOURS_END="00:00",
        LOG_LEVEL="WARNING",
    )
    # The echo bot is its own small module: its memory is PTB's, not Gotong's imports.
    command = (
        ["-m", "benchmarks.echo_bot"]
        if which_bot == "echo"
        else ["-m", "benchmarks.claim_bench", "--run-bot", which_bot]
    )
    bot = subprocess.Popen([sys.executable, *command], env=env)
    stack = Stack(sandbox, bot, client, {"sandbox": sandbox.pid, "bot": bot.pid})
    stack.pids["load"] = os.getpid()
    return stack


# ---- people and taps -----------------------------------------------------------------------
async def prepare(
    client: SandboxClient, ids: range, command: str
) -> list[tuple[SandboxUser, SandboxMessage]]:
    """Each person opens the list once (paced, not measured): a button waits under it."""
    users = [client.user(i, f"V{i}", language_code="en") for i in ids]
    ready: list[tuple[SandboxUser, SandboxMessage]] = []
    # The bot drops updates sent before it polls: retry the first person until it answers.
    for _ in range(100):
        try:
            ready.append((users[0], await users[0].send_and_wait(command, timeout=1)))
            break
        except Exception:
            continue
    started = time.perf_counter()

    async def one(index: int, user: SandboxUser) -> None:
        await asyncio.sleep(max(0.0, started + index / PREP_RATE - time.perf_counter()))
        reply = await user.send_and_wait(command, timeout=120)
        assert reply.buttons, reply.text
        ready.append((user, reply))

    await asyncio.gather(*(one(i, u) for i, u in enumerate(users[1:])))
    # The tap's edit is the chat's next metered call: Telegram's 1/s per chat must have
    # passed since the list arrived, or the yardstick (bare PTB, no pacer) meets a 429.
    await asyncio.sleep(1.1)
    return ready


async def tap(client: SandboxClient, user: SandboxUser, message: SandboxMessage) -> float:
    """Press the first button; seconds until the toast and the reply are both in.

    The reply is the edited message (or, for a bot that answers with a new message, that
    message: the same bench then measures older versions of the claim handler).
    """
    backend = client.backend
    started = time.perf_counter()
    query_id = await backend.press(
        user.spec, message.chat_id, message.message_id, data=None, text=None, index=0
    )
    await asyncio.gather(
        backend.wait_for_callback_answer(query_id, 60),
        backend.wait_for_change(
            message.chat_id, message.message_id, message.version, message.message_id, 60
        ),
    )
    return time.perf_counter() - started


Pair = tuple[SandboxUser, SandboxMessage]


async def closed_loop(client: SandboxClient, people: list[Pair], concurrency: int) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def one(pair: Pair) -> None:
        async with gate:
            await tap(client, *pair)

    started = time.perf_counter()
    await asyncio.gather(*(one(p) for p in people))
    return len(people) / (time.perf_counter() - started)


@dataclass(frozen=True)
class OpenLoop:
    offered: float
    achieved: float  # taps completed per second over the run
    p50: float
    p95: float

    @property
    def sustained(self) -> bool:
        return self.achieved >= SUSTAINED * self.offered


async def open_loop(client: SandboxClient, people: list[Pair], rate: float) -> OpenLoop:
    latencies: list[float] = []
    finished: list[float] = []
    started = time.perf_counter()

    async def one(index: int, pair: Pair) -> None:
        await asyncio.sleep(max(0.0, started + index / rate - time.perf_counter()))
        latencies.append(await tap(client, *pair))
        finished.append(time.perf_counter())

    await asyncio.gather(*(one(i, p) for i, p in enumerate(people)))
    # Completions per second: tracks the offered rate while the bot keeps up, falls behind
    # it when a backlog builds.
    achieved = (len(finished) - 1) / (max(finished) - min(finished))
    cuts = statistics.quantiles(latencies, n=20)
    return OpenLoop(rate, achieved, statistics.median(latencies), cuts[-1])


@dataclass
class Figures:
    closed_rate: float = 0.0
    runs: list[OpenLoop] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)


async def measure(stack: Stack, people: list[Pair], args: argparse.Namespace) -> Figures:
    figures = Figures()
    cpu0 = stack.cpu()
    n = args.people
    figures.closed_rate = await closed_loop(stack.client, people[:n], args.concurrency)
    at_rate = int(args.rate * LATENCY_SECONDS)
    figures.runs.append(await open_loop(stack.client, people[n:n + at_rate], args.rate))
    if not figures.runs[0].sustained:
        lower = round(0.8 * min(figures.closed_rate, args.rate))
        rest = people[n + at_rate:n + at_rate + int(lower * LATENCY_SECONDS)]
        figures.runs.append(await open_loop(stack.client, rest, lower))
    cpu1 = stack.cpu()
    figures.cpu = {name: cpu1[name] - cpu0[name] for name in cpu0}
    return figures


def people_needed(args: argparse.Namespace) -> int:
    return args.people + int(args.rate * LATENCY_SECONDS) + int(0.8 * args.rate * LATENCY_SECONDS)


# ---- the two benches -----------------------------------------------------------------------
async def bench_echo(args: argparse.Namespace) -> Figures:
    stack = await start_stack("echo", None)
    try:
        total = people_needed(args)
        people = await prepare(stack.client, range(FIRST_ID, FIRST_ID + total), "/start")
        return await measure(stack, people, args)
    finally:
        await stack.close()


async def seed(db_url: str, total: int) -> None:
    """`total` volunteers in one team and one big shift three days ahead (real time)."""
    engine = create_engine(db_url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    now = datetime.now(UTC)
    async with create_sessionmaker(engine).begin() as session:
        team = Team(name="Jaksel", name_key="jaksel")
        session.add(team)
        await session.flush()
        await session.execute(insert(Person), [
            {"telegram_id": FIRST_ID + i, "first_name": f"V{i}", "role": Role.VOLUNTEER,
             "language": "en", "telegram_language": "en", "joined_at": now, "last_seen_at": now}
            for i in range(total)
        ])
        ids = (await session.scalars(select(Person.id))).all()
        await session.execute(insert(Membership), [
            {"person_id": pid, "team_id": team.id} for pid in ids
        ])
        session.add(Shift(
            title="Door-knocking Tebet", team_id=team.id, place="Pasar Tebet",
            starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=3, hours=3),
            capacity=10_000, taken=0, status=ShiftStatus.OPEN,
        ))
    await engine.dispose()


async def taken_places(db_url: str) -> int:
    engine = create_engine(db_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return int(await session.scalar(select(Shift.taken)) or 0)
    finally:
        await engine.dispose()


async def bench_gotong(db_url: str, args: argparse.Namespace) -> Figures:
    total = people_needed(args)
    await seed(db_url, total)
    stack = await start_stack("gotong", db_url)
    try:
        people = await prepare(stack.client, range(FIRST_ID, FIRST_ID + total), "/shifts")
        figures = await measure(stack, people, args)
        # Every measured tap must have been a real claim.
        taps = args.people + sum(int(r.offered * LATENCY_SECONDS) for r in figures.runs)
        taken = await taken_places(db_url)
        assert taken == taps, f"{taps} taps but the shift has {taken} places taken"
        chat = stack.client.backend.messages(people[0][1].chat_id)
        assert any("You're on this shift" in m.text for m in chat), [m.text for m in chat]
        return figures
    finally:
        await stack.close()


def run_gotong_on(which: str, args: argparse.Namespace) -> Figures:
    if which == "postgres":
        from tests.support.databases import (
            create_postgres_database,
            drop_postgres_database,
            postgres_admin_url,
        )

        admin = postgres_admin_url()
        url = create_postgres_database(admin)  # runs its own event loop: outside ours
        try:
            return asyncio.run(bench_gotong(url, args))
        finally:
            drop_postgres_database(admin, url)
    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(bench_gotong(f"sqlite+aiosqlite:///{Path(tmp) / 'b.sqlite3'}", args))

# Claims/s ÷ echo's, issue #13 (issue #4 asked 0.5).
CLAIM_GOAL = 0.8


def report(label: str, figures: Figures, concurrency: int, echo: float | None = None) -> None:
    """`echo`: the yardstick's closed-loop taps/s, the mean of its runs on either side."""
    line = f"{label:<28} closed loop ({concurrency} at once): {figures.closed_rate:6.1f} taps/s"
    if echo is not None:
        ratio = figures.closed_rate / echo
        line += (f"  ratio {ratio:.2f} (goal ≥ {CLAIM_GOAL:.2f}) "
                 f"{'OK' if ratio >= CLAIM_GOAL else 'BELOW GOAL'}")
    print(line)
    for run in figures.runs:
        kept = "sustained" if run.sustained else "NOT sustained"
        print(f"{'':<28} open loop {run.offered:5.0f}/s offered, {run.achieved:5.1f}/s done "
              f"({kept}): p50 {run.p50 * 1000:5.0f} ms  p95 {run.p95 * 1000:5.0f} ms")
    cpu = "  ".join(f"{k} {v:.1f}s" for k, v in figures.cpu.items())
    print(f"{'':<28} CPU during the measured phases: {cpu}")


def main(args: argparse.Namespace) -> None:
    """The echo bot runs before and after each Gotong run: on this shared machine the
    yardstick drifts by a third within minutes, so each ratio is taken against the mean of
    the two echo runs around it (both printed), not against one run minutes earlier."""
    targets = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    print(f"sandbox --limits, {args.people} people closed loop; open loop {args.rate:.0f}/s "
          f"for {LATENCY_SECONDS:.0f} s")
    before = asyncio.run(bench_echo(args))
    report("echo bot (bare PTB)", before, args.concurrency)
    for which in targets:
        gotong = run_gotong_on(which, args)
        after = asyncio.run(bench_echo(args))
        yardstick = (before.closed_rate + after.closed_rate) / 2
        report(f"Gotong claims, {which}", gotong, args.concurrency, yardstick)
        print(f"{'':<28} ratio to the echo runs before and after: {before.closed_rate:.1f} / "
              f"{after.closed_rate:.1f} taps/s, mean {yardstick:.1f}")
        report("echo bot (bare PTB)", after, args.concurrency)
        before = after


def _args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("database", nargs="?", default="sqlite",
                        choices=["sqlite", "postgres", "both"])
    parser.add_argument("--people", type=int, default=300, help="closed-loop taps")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=100.0, help="open-loop taps per second")
    parser.add_argument("--run-bot", choices=["gotong"], help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    options = _args()
    if options.run_bot == "gotong":
        run_gotong()
    else:
        main(options)
