"""A volunteer tapping fast: 5 buttons in 2 s on a message the bot just sent, limits on.

Run: `.venv/bin/python -m benchmarks.taps_bench [--rounds 10]`.  The real Application on
SQLite, polling an in-process sandbox that referees like Telegram (edits count like sends:
1 per second in a private chat).  Each round a volunteer opens `/lang` and taps its buttons
5 times within 2 s; every tap is a callback answer plus an edit of the same message, so the
edits must wait their turn instead of drawing 429s or "something went wrong".

Printed: taps answered / taps, error replies, 429s the referee answered, callback-answer
latency p50/p95/max, and how long the last edit of a round took to land (the per-chat
pace: ~1 s per edit after the first).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.clock import FrozenClock
from sandbox import Limits, SandboxMessage, SandboxServer, SandboxUser
from tests.support.harness import start_harness

TAPS = 5
SPREAD_SECONDS = 2.0
ERROR_MARKERS = ("went wrong", "ada masalah")


async def _tap(user: SandboxUser, menu: SandboxMessage, data: str, i: int) -> float:
    """The i-th tap of a round, spread over SPREAD_SECONDS; returns its answer's latency."""
    await asyncio.sleep(i * SPREAD_SECONDS / TAPS)
    started = time.perf_counter()
    await user.press(menu, data=data, expect="answer", timeout=30)
    return (time.perf_counter() - started) * 1000


async def main(rounds: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="gotong-taps-"))
    sandbox = SandboxServer(limits=Limits(enabled=True))
    await sandbox.start()
    answered = 0
    answer_ms: list[float] = []
    settle_s: list[float] = []
    try:
        async with start_harness(
            f"sqlite+aiosqlite:///{workdir / 'taps.sqlite3'}",
            sandbox=sandbox,
            clock=FrozenClock(datetime(2026, 11, 26, 3, 0, tzinfo=UTC)),
        ) as bot:
            for round_no in range(rounds):
                user = bot.user(100 + round_no, f"V{round_no}", "id")
                menu = await user.send_and_wait("/start")
                menu = await user.send_and_wait("/lang")
                # Taps that arrive before the first edit lands carry the old buttons' data.
                datas = [b["callback_data"] for row in menu.buttons for b in row]
                started = time.perf_counter()
                results = await asyncio.gather(
                    *(_tap(user, menu, datas[i % len(datas)], i) for i in range(TAPS))
                )
                answered += len(results)
                answer_ms += results
                # The edits land one per second; wait for the ones the taps caused (a tap
                # that changes nothing is answered without an edit).
                while time.perf_counter() - started < 30:
                    edits = [e for e in bot.sandbox.stats.edits if e.chat_id == user.chat_id]
                    if len(edits) >= TAPS - 1:
                        break
                    await asyncio.sleep(0.05)  # watching the other tasks' progress
                settle_s.append(time.perf_counter() - started)
            errors = sum(
                any(marker in m.text for marker in ERROR_MARKERS)
                for chat in bot.sandbox.world.chats.values()
                for m in bot.sandbox.world.messages(chat.chat_id)
                if m.from_bot
            )
            stats = bot.sandbox.stats
    finally:
        await sandbox.stop()
    ms = sorted(answer_ms)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    print(f"rounds: {rounds}  taps: {rounds * TAPS}  answered: {answered}  "
          f"error replies: {errors}  429s: {stats.answered_429} (edits {stats.edits_429})")
    print(f"callback answer: p50 {statistics.median(ms):.0f} ms  p95 {p95:.0f} ms  "
          f"max {ms[-1]:.0f} ms")
    print(f"round settled (last edit landed): median {statistics.median(settle_s):.1f} s  "
          f"max {max(settle_s):.1f} s  edits counted by the referee: {len(stats.edits)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--rounds", type=int, default=10)
    asyncio.run(main(parser.parse_args().rounds))
