"""Interactive updates beside a bare PTB echo bot, in one run: CPU per update, throughput,
latency and memory.

Run: `.venv/bin/python -m benchmarks.interactive_bench [--people 400] [--messages 5]`.
The same set-up as `claim_bench` (the sandbox and each bot in their own processes, people
driven over the sandbox's HTTP user API, the overall limit raised so both bots are
CPU-bound; the per-chat 1/s stays, so each person waits for their reply and a second
before typing again, as Telegram requires).  Gotong answers `/help` (the guard loads the
person, the registry lists what their role may do, the reply is paced); the echo bot
answers `/help` with a fixed text of the same size.

Printed per bot: updates/s in the closed loop, p50/p95 reply latency, CPU ms per update of
the bot process (from /proc, start-up excluded), RSS at idle (after warm-up) and at the
end; and Gotong ÷ echo for each.  The issue's goals (#13): CPU per update ≤ 1.5× echo's,
updates/s ≥ 0.7× echo's, idle RSS ≤ 80 MiB.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.claim_bench import FIRST_ID, Stack, seed, start_stack
from sandbox import SandboxUser

PER_CHAT_REST = 1.05  # Telegram's one message per second per chat, with a margin


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Figures:
    rate: float
    p50: float
    p95: float
    cpu_ms: float
    idle_rss: float
    end_rss: float


async def _converse(user: SandboxUser, messages: int, latencies: list[float]) -> None:
    for _ in range(messages):
        started = time.perf_counter()
        await user.send_and_wait("/help", timeout=60)
        latencies.append(time.perf_counter() - started)
        # The next reply may come a second after this one at the earliest (per chat).
        await asyncio.sleep(PER_CHAT_REST)


async def measure(stack: Stack, people: int, messages: int) -> Figures:
    users = [stack.client.user(FIRST_ID + i, f"V{i}", language_code="en") for i in range(people)]
    # Warm-up (not measured): the bot polls, and everyone has written once (on Gotong that
    # registers nobody new: the people are seeded).
    for _ in range(100):
        try:
            await users[0].send_and_wait("/help", timeout=1)
            break
        except Exception:
            continue
    await asyncio.gather(*(u.send_and_wait("/help", timeout=60) for u in users[1:]))
    await asyncio.sleep(PER_CHAT_REST)
    idle_rss = _rss_mib(stack.pids["bot"])
    cpu0 = stack.cpu()["bot"]
    latencies: list[float] = []
    started = time.perf_counter()
    await asyncio.gather(*(_converse(u, messages, latencies) for u in users))
    wall = time.perf_counter() - started
    cpu = stack.cpu()["bot"] - cpu0
    cuts = statistics.quantiles(latencies, n=20)
    return Figures(
        len(latencies) / wall, statistics.median(latencies) * 1000, cuts[-1] * 1000,
        cpu * 1000 / len(latencies), idle_rss, _rss_mib(stack.pids["bot"]),
    )


async def run(which: str, people: int, messages: int) -> Figures:
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite+aiosqlite:///{Path(tmp) / 'i.sqlite3'}"
        if which == "gotong":
            await seed(db_url, people)
        stack = await start_stack(which, db_url if which == "gotong" else None)
        try:
            return await measure(stack, people, messages)
        finally:
            await stack.close()


def main(args: argparse.Namespace) -> None:
    echo = asyncio.run(run("echo", args.people, args.messages))
    gotong = asyncio.run(run("gotong", args.people, args.messages))
    print(f"{args.people} people × {args.messages} /help, closed loop, overall limit raised")
    for name, f in (("echo bot (bare PTB)", echo), ("Gotong, SQLite", gotong)):
        print(f"{name:<20} {f.rate:6.1f} updates/s  p50 {f.p50:5.0f} ms  p95 {f.p95:5.0f} ms  "
              f"CPU {f.cpu_ms:5.2f} ms/update  RSS idle {f.idle_rss:5.1f} MiB, "
              f"end {f.end_rss:5.1f} MiB")
    print(f"Gotong ÷ echo: CPU per update {gotong.cpu_ms / echo.cpu_ms:.2f}× (goal ≤ 1.5)  "
          f"updates/s {gotong.rate / echo.rate:.2f} (goal ≥ 0.7)  "
          f"idle RSS {gotong.idle_rss:.0f} MiB (goal ≤ 80)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--people", type=int, default=400)
    parser.add_argument("--messages", type=int, default=5)
    main(parser.parse_args())
