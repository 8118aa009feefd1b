"""Digests survive restarts and charts render safely in threads (issue #17)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bot.clock import FrozenClock
from bot.config import Settings
from bot.features import schedule
from bot.services.progress import digests
from bot.services.progress.report import BudgetRow, ReportData, TeamRow
from handlers.progress.summary import (
    DAILY_JOB,
    DIGEST_GRACE,
    FEATURE,
    WEEKLY_JOB,
    catch_up_digests,
    missed_digests,
)
from models import Membership, OutboxMessage, Person, Role, Team
from tests.support.harness import start_harness

# Thursday 26 Nov 2026, 18:00:30 in Jakarta: a restart just after the daily digest minute.
JUST_AFTER_DAILY = datetime(2026, 11, 26, 11, 0, 30, tzinfo=UTC)


def settings() -> Settings:
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_which_digests_a_start_catches_up_on() -> None:
    s = settings()  # daily 18:00, weekly Monday 08:00, Asia/Jakarta
    assert missed_digests(JUST_AFTER_DAILY, s) == (True, False)
    assert missed_digests(datetime(2026, 11, 26, 10, 59, tzinfo=UTC), s) == (False, False)
    assert missed_digests(JUST_AFTER_DAILY + DIGEST_GRACE, s) == (False, False)
    monday_0805 = datetime(2026, 11, 30, 1, 5, tzinfo=UTC)
    assert missed_digests(monday_0805, s) == (False, True)


async def test_a_restart_at_the_digest_minute_still_sends_the_days_digest(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'digest.sqlite3'}"
    clock = FrozenClock(datetime(2026, 11, 26, 3, tzinfo=UTC))  # 10:00: nothing to catch up
    async with start_harness(url, clock=clock) as bot:
        async with bot.db.begin() as session:
            team = Team(name="Jaksel", name_key="jaksel")
            lead = Person(telegram_id=2, first_name="Lia", role=Role.LEAD, language="id")
            session.add_all([team, lead])
            await session.flush()
            session.add(Membership(person_id=lead.id, team_id=team.id, is_lead=True))
            lead_id = lead.id
        # The bot comes back 30 s after 18:00 (the harness's database is fresh per start, so
        # the start-up hook itself is run again, as a restart runs it): the in-memory job
        # alone would next fire tomorrow.
        clock.set(JUST_AFTER_DAILY)

        async def restart() -> None:  # what a start runs for progress: its jobs, the catch-up
            schedule(bot.app.job_queue, FEATURE.jobs, bot.settings)
            await catch_up_digests(bot.app.bot_data)

        await restart()
        await restart()  # and a second restart sends nothing twice
        async with bot.db() as session:
            kinds = (await session.scalars(
                select(OutboxMessage.kind).where(OutboxMessage.person_id == lead_id)
            )).all()
        jobs = {name: bot.app.job_queue.get_jobs_by_name(name)  # type: ignore[union-attr]
                for name in (DAILY_JOB, WEEKLY_JOB)}
    assert kinds == [digests.DAILY_KIND]  # one digest, though the hook ran twice
    for found in jobs.values():
        assert found and all(
            j.job.misfire_grace_time == DIGEST_GRACE.total_seconds() and j.job.coalesce
            for j in found if not j.removed
        )


def test_charts_render_in_threads_without_touching_matplotlib_globals() -> None:
    """Four reports at once in worker threads give the same PNGs as one alone, and leave
    matplotlib's process-wide settings as they were."""
    script = r"""
import sys
from datetime import UTC, datetime
import bot.app  # the whole bot, as it starts
assert not any(m.startswith("matplotlib") for m in sys.modules), "matplotlib loaded at start"
from concurrent.futures import ThreadPoolExecutor
from bot.views.i18n import I18n
from bot.views.render import Reader
from bot.views import charts
from tests.surfaces.test_scheduling import sample_report
import matplotlib
before = dict(matplotlib.rcParams)
reader = Reader(I18n("en"), "en", "Asia/Jakarta", "IDR", datetime(2026, 11, 26, tzinfo=UTC))
data = sample_report()
alone = [c.png for c in charts.report_charts(reader, data)]
with ThreadPoolExecutor(4) as pool:
    draw = lambda _: [c.png for c in charts.report_charts(reader, data)]
    results = list(pool.map(draw, range(4)))
assert alone and all(r == alone for r in results)
assert dict(matplotlib.rcParams) == before
print("ok", len(alone))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("ok")


def sample_report() -> ReportData:
    """A week of a small campaign: every chart has something to draw."""
    edges = tuple(datetime(2026, 11, d, 17, tzinfo=UTC) for d in range(18, 26))
    return ReportData(
        start=edges[0], end=edges[-1], now=edges[-1], bucket="day", edges=edges,
        volunteers_before=10, cumulative=(11, 13, 13, 16, 20, 21, 25), total_volunteers=25,
        active=14, hours=(3.0, 6.0, 0.0, 9.0, 12.0, 3.0, 6.0), shifts_done=12, going=20,
        checked_in=(1, 2, 0, 3, 4, 1, 2), no_show=(0, 1, 0, 0, 1, 0, 0), tasks_on_time=5,
        tasks_late=1, tasks_overdue=2, outcomes=(("doors", 120), ("flyers", 400)), goals=(),
        currency="IDR", budget=(BudgetRow("RT 05 & RW 03", 500_000_000, 200_000_000),),
        teams=(TeamRow("Jaksel & co", 12, 8, 30.0, 4), TeamRow("Jaktim", 13, 6, 9.0, 2)),
    )
