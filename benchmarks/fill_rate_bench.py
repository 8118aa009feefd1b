"""Staffing autopilot vs one broadcast: the fill rate a simulated campaign day reaches (#15).

Run: `.venv/bin/python -m benchmarks.fill_rate_bench [--seeds 1 2 3] [--teams 20]
[--volunteers 2000] [--shifts 100] [--p-personal 0.25] [--p-broadcast 0.05]
[--delay-mean 60] [--step 5]` (the full figure: ~4 min for A and ~2 min for B a seed on the
shared machine; develop with `--volunteers 200 --shifts 10 --teams 2 --seeds 1`).

The real Application on SQLite polls an in-process sandbox with Telegram's limits on (30
messages/s, 1/s per chat, edits counted).  The bot's clock is a `FrozenClock` moved through
one day (Thursday 08:00 to Friday 08:00 in Jakarta) in `--step` minutes; at each step the
autopilot's own scheduled job (`autopilot.sweep`, every 5 minutes in production) runs at that
moment, the outbox delivers what is due (quiet hours hold invitations 21:00-07:00), and the
simulated volunteers act: every claim is a tap on a button through the sandbox's callback
query, answered by the bot's claim handler.  The other periodic jobs (free-place nudges,
digests, no-show sweeps) are held, so the two ways of asking are compared alone.

* A, autopilot on for every team: waves of personal invitations with a one-tap Claim.
* B, autopilot off: at 08:00 the coordinator broadcasts to everyone (the /broadcast flow)
  the understaffed shifts per team; a volunteer who acts on it sends /shifts and taps a
  random shift the list offers (not full, no clash).

Printed per seed and scenario: places filled / places open at the start, shifts fully
staffed, messages the bot sent (and edits), messages per filled place, over-staffing
(signups above capacity: must be 0), 429s, the fill rate at hours 2/6/12/24; then the
spread over the seeds.  The volunteers' model (`benchmarks.fill_rate_world.Model`) is
printed first.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import logging
import random
import shutil
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from benchmarks.fill_rate_world import ADMIN_TID, Model, World, seed
from bot.app import GotongApp
from bot.clock import FrozenClock
from bot.views.shift_buttons import ClaimShift
from models import OutboxMessage, OutboxStatus, Shift, ShiftSignup
from sandbox import Limits, SandboxMessage, SandboxServer
from tests.support.harness import BotHarness, deliver, start_harness

START = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # Thursday 08:00 in Jakarta
DAY_MINUTES = 24 * 60
TIMELINE_HOURS = (2, 6, 12, 24)
AUTOPILOT_JOB = "autopilot.sweep"
DISPATCH_JOB = "outbox-dispatch"
BROADCAST_MARK = "still need people"
REMINDER_KIND = "shift.reminder"
TAP_TIMEOUT = 300.0
CONCURRENT_TAPS = 60
BLOCKED_MARKS = ("⚠️", "⏳")  # /shifts labels of clashing and full shifts


@dataclass
class Outcome:
    scenario: str
    seed: int
    places_open: int = 0
    filled: int = 0
    full_shifts: int = 0
    shifts: int = 0
    over: int = 0
    sent: Counter[str] = field(default_factory=Counter)  # outbox kinds sent
    messages: int = 0  # every new message the bot sent during the day
    edits: int = 0
    r429: int = 0
    taps: int = 0
    gave_up: int = 0  # broadcast readers whose /shifts offered nothing to take
    errors: int = 0
    timeline: dict[int, float] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def fill(self) -> float:
        return self.filled / self.places_open if self.places_open else 0.0

    @property
    def asking(self) -> int:
        """The messages sent to get places filled: all but the reminders the claims planned
        (the same per claim in both scenarios)."""
        return self.messages - self.sent[REMINDER_KIND]

    @property
    def per_place(self) -> float:
        return self.asking / self.filled if self.filled else float("inf")


# ---- the scheduler at the fake clock --------------------------------------------------
def hold_periodic_jobs(app: GotongApp) -> None:
    """The JobQueue's own timers run on the wall clock: the day's jobs are run by `run_job`
    at the simulated moment instead (the outbox tick stays: it sends at the clock's now)."""
    assert app.job_queue is not None
    for job in app.job_queue.jobs():
        if job.name != DISPATCH_JOB:
            job.enabled = False


async def run_job(app: GotongApp, name: str) -> None:
    """One run of a scheduled job, now, as the scheduler would call it (its gated callback
    and a context made from the job, like `tests/shifts/test_surfaces.py`'s sweep)."""
    assert app.job_queue is not None
    (job,) = app.job_queue.get_jobs_by_name(name)
    await job.callback(app.context_types.context.from_job(job, app))


# ---- the volunteers ---------------------------------------------------------------------
@dataclass(order=True)
class Tap:
    minute: int
    seq: int
    telegram_id: int = field(compare=False)
    message_id: int | None = field(compare=False)  # the invitation; None: via /shifts


class Day:
    """One simulated day of one scenario: the clock, the jobs, the volunteers' taps."""

    def __init__(self, bot: BotHarness, world: World, model: Model, rng: random.Random,
                 outcome: Outcome, step: int) -> None:
        self.bot, self.world, self.model, self.rng = bot, world, model, rng
        self.outcome, self.step = outcome, step
        self.queue: list[Tap] = []
        self.seen = len(bot.sandbox.stats.deliveries)
        self.first = self.seen
        self.seq = 0
        self.limit = asyncio.Semaphore(CONCURRENT_TAPS)

    def _delay(self) -> int:
        minutes = self.rng.expovariate(1 / self.model.delay_mean_min)
        return max(self.step, self.step * -(-int(minutes) // self.step))

    def _react(self, minute: int, autopilot: bool) -> None:
        """Each new message a volunteer got is read once: act on it (later) or not."""
        stats = self.bot.sandbox.stats
        new, self.seen = stats.deliveries[self.seen :], len(stats.deliveries)
        for delivery in new:
            volunteer = self.world.volunteers.get(delivery.chat_id)
            if volunteer is None:
                continue
            message = self.bot.sandbox.world.message(delivery.chat_id, delivery.message_id)
            if autopilot:
                if not _claim_data(message):
                    continue
                base = self.model.p_personal
                message_id: int | None = message.message_id
            elif BROADCAST_MARK in message.text:
                base, message_id = self.model.p_broadcast, None
            else:
                continue
            if self.rng.random() < self.model.chance(base, volunteer.reliability):
                self.seq += 1
                heapq.heappush(self.queue, Tap(minute + self._delay(), self.seq,
                                               volunteer.telegram_id, message_id))

    async def _tap(self, tap: Tap) -> None:
        user = self.bot.user(tap.telegram_id)
        async with self.limit:
            try:
                if tap.message_id is not None:
                    message = self.bot.sandbox.world.message(tap.telegram_id, tap.message_id)
                    data = _claim_data(message)
                else:
                    message = await user.send_and_wait("/shifts", timeout=TAP_TIMEOUT)
                    offered = _offered(message)
                    data = [self.rng.choice(offered)] if offered else []
                    self.outcome.gave_up += not offered
                if data:
                    self.outcome.taps += 1
                    # The answer comes after the claim's commit; a refused claim (a clash
                    # with a shift taken since) is an answer without an edit.
                    await user.press(message, data=data[0], expect="answer", timeout=TAP_TIMEOUT)
            except Exception as error:  # counted and printed: the day goes on
                self.outcome.errors += 1
                print(f"    tap failed: {type(error).__name__}: {error}")

    async def run(self, autopilot: bool) -> None:
        clock = self.bot.clock
        for minute in range(0, DAY_MINUTES + 1, self.step):
            clock.set(START + timedelta(minutes=minute))
            if autopilot:
                await run_job(self.bot.app, AUTOPILOT_JOB)
            elif minute == 0:
                await broadcast(self.bot, self.world)
            await deliver(self.bot)
            self._react(minute, autopilot)
            due: list[Tap] = []
            while self.queue and self.queue[0].minute <= minute:
                due.append(heapq.heappop(self.queue))
            await asyncio.gather(*(self._tap(tap) for tap in due))
            if minute % 60 == 0:
                hour = minute // 60
                self.outcome.timeline[hour] = (await measure(self.bot, self.world)).fill
                if hour in TIMELINE_HOURS:
                    print(f"    hour {hour:2d}: fill {self.outcome.timeline[hour]:.1%}  "
                          f"({time.strftime('%H:%M:%S')})", flush=True)
        stats = self.bot.sandbox.stats
        self.outcome.messages = len(stats.deliveries) - self.first
        self.outcome.edits = len(stats.edits)
        self.outcome.r429 = stats.answered_429 + stats.edits_429


def _claim_data(message: SandboxMessage) -> list[str]:
    return [b["callback_data"] for row in message.buttons for b in row
            if ClaimShift.parse(b.get("callback_data")) is not None]


def _offered(message: SandboxMessage) -> list[str]:
    """The /shifts buttons that take a place (not the full or clashing ones, not paging)."""
    return [b["callback_data"] for row in message.buttons for b in row
            if ClaimShift.parse(b.get("callback_data")) is not None
            and not str(b["text"]).startswith(BLOCKED_MARKS)]


async def broadcast(bot: BotHarness, world: World) -> None:
    """The coordinator's morning broadcast to everyone, through the /broadcast flow."""
    admin = bot.admin
    await admin.send_and_wait("/broadcast", timeout=TAP_TIMEOUT)
    text = (f"Tomorrow's shifts {BROADCAST_MARK}:\n" + "\n".join(world.lines)
            + "\nOpen /shifts and claim one!")
    await admin.send_and_wait(text, timeout=TAP_TIMEOUT)
    await admin.press(button="Everyone", expect="edit", timeout=TAP_TIMEOUT)
    await admin.press(button="✅ Send now", expect="edit", timeout=TAP_TIMEOUT)


async def measure(bot: BotHarness, world: World) -> Outcome:
    """Places filled since the start, full shifts, signups above capacity (from the DB)."""
    out = Outcome("", 0, places_open=world.places_open, shifts=len(world.targets))
    async with bot.db() as session:
        signups: dict[int, int] = {shift_id: n for shift_id, n in await session.execute(
            select(ShiftSignup.shift_id, func.count()).where(
                ShiftSignup.shift_id.in_(world.targets)).group_by(ShiftSignup.shift_id))}
        for shift_id, capacity in await session.execute(
                select(Shift.id, Shift.capacity).where(Shift.id.in_(world.targets))):
            n = signups.get(shift_id, 0)
            out.filled += min(n, capacity) - world.taken_at_start[shift_id]
            out.full_shifts += n >= capacity
            out.over += max(n - capacity, 0)
    return out


async def one_day(args: argparse.Namespace, model: Model, seed_no: int,
                  autopilot: bool) -> Outcome:
    scenario = "A autopilot" if autopilot else "B broadcast"
    outcome = Outcome(scenario, seed_no)
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="gotong-fill-"))
    sandbox = SandboxServer(limits=Limits(enabled=True))
    await sandbox.start()
    try:
        async with start_harness(f"sqlite+aiosqlite:///{workdir / 'fill.sqlite3'}",
                                 sandbox=sandbox, clock=FrozenClock(START)) as bot:
            hold_periodic_jobs(bot.app)
            world = await seed(bot.engine, sandbox, random.Random(seed_no), teams=args.teams,
                               volunteers=args.volunteers, shifts=args.shifts, start=START,
                               model=model, autopilot_on=autopilot)
            print(f"  seed {seed_no}, {scenario}: {world.places_open} places open on "
                  f"{len(world.targets)} shifts", flush=True)
            # The volunteers' dice: the same stream in both scenarios.
            day = Day(bot, world, model, random.Random(seed_no * 7919), outcome, args.step)
            await day.run(autopilot)
            end = await measure(bot, world)
            async with bot.db() as session:
                outcome.sent = Counter({kind: n for kind, n in await session.execute(
                    select(OutboxMessage.kind, func.count())
                    .where(OutboxMessage.status == OutboxStatus.SENT,
                           OutboxMessage.chat_id != ADMIN_TID)
                    .group_by(OutboxMessage.kind))})
    finally:
        await sandbox.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    outcome.places_open, outcome.filled = end.places_open, end.filled
    outcome.full_shifts, outcome.shifts, outcome.over = end.full_shifts, end.shifts, end.over
    outcome.seconds = time.perf_counter() - started
    return outcome


def report(o: Outcome) -> None:
    line = "  ".join(f"h{h} {o.timeline.get(h, 0):.1%}" for h in TIMELINE_HOURS)
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(o.sent.items()))
    print(f"  seed {o.seed} {o.scenario}: filled {o.filled}/{o.places_open} = {o.fill:.1%}, "
          f"full shifts {o.full_shifts}/{o.shifts}, over-staffed {o.over}\n"
          f"    messages sent {o.messages} (outbox: {kinds or 'none'}; the rest replies), "
          f"edits {o.edits}; asking (all but the claims' reminders) {o.asking} = "
          f"{o.per_place:.1f} per filled place; 429s {o.r429}\n"
          f"    taps {o.taps}, broadcast readers with nothing to take {o.gave_up}, "
          f"tap errors {o.errors}; timeline {line}; {o.seconds:.0f} s real", flush=True)


def spread(values: list[float], fmt: str) -> str:
    return (f"median {format(statistics.median(values), fmt)} "
            f"(min {format(min(values), fmt)}, max {format(max(values), fmt)})")


def summary(outcomes: list[Outcome]) -> None:
    print(f"\nspread over {len({o.seed for o in outcomes})} seeds:")
    for scenario in sorted({o.scenario for o in outcomes}):
        mine = [o for o in outcomes if o.scenario == scenario]
        print(f"  {scenario}: fill {spread([o.fill for o in mine], '.1%')}; "
              f"full shifts {spread([o.full_shifts for o in mine], '.0f')}; "
              f"messages {spread([o.messages for o in mine], '.0f')}, asking "
              f"{spread([o.asking for o in mine], '.0f')}; asking per filled place "
              f"{spread([o.per_place for o in mine], '.1f')}; "
              f"over-staffed {max(o.over for o in mine)}; 429s {max(o.r429 for o in mine)}")
        print("    timeline " + "  ".join(
            f"h{h} {spread([o.timeline.get(h, 0) for o in mine], '.1%')}"
            for h in TIMELINE_HOURS))


async def main(args: argparse.Namespace) -> None:
    # "skipped: maximum number of running instances" while a step's delivery runs: noise.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    model = Model(args.p_personal, args.p_broadcast, args.delay_mean)
    print(f"{args.teams} teams, {args.volunteers} volunteers, {args.shifts} understaffed "
          f"shifts tomorrow (Fri 09:00-19:00 starts, 3 h, a fifth need a skill a third "
          f"have); day Thu 08:00 -> Fri 08:00 WIB in {args.step}-minute steps; "
          f"Telegram's limits on\n{model.describe()}", flush=True)
    outcomes: list[Outcome] = []
    for seed_no in args.seeds:
        for autopilot in (True, False):
            outcomes.append(await one_day(args, model, seed_no, autopilot))
            report(outcomes[-1])
    summary(outcomes)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--volunteers", type=int, default=2000)
    parser.add_argument("--shifts", type=int, default=100)
    parser.add_argument("--p-personal", type=float, default=0.25)
    parser.add_argument("--p-broadcast", type=float, default=0.05)
    parser.add_argument("--delay-mean", type=float, default=60.0, help="minutes")
    parser.add_argument("--step", type=int, default=5, help="simulated minutes per step")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
