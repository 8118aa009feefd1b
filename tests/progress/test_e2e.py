"""Progress through the real bot and the sandbox: /summary, drill-down, goals, /report, refusals."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

from sqlalchemy import select

from benchmarks.seed import SeedSize, seed_campaign
from bot.clock import FrozenClock
from bot.services.progress import digests
from models import OutboxMessage, Person, Role, Task, TaskClaim
from tests.conftest import T0
from tests.support.harness import BotHarness, start_harness

SEEDED = SeedSize(volunteers=120, shifts=30, signups=300, tasks=40, events=4, rsvps=80)


async def test_coordinator_reads_summary_drills_down_and_gets_the_report(bot: BotHarness) -> None:
    await seed_campaign(bot.engine, SEEDED, now=bot.clock.now(), teams=3)
    admin = bot.admin
    shown = await admin.send_and_wait("/summary")
    assert "Summary: all teams" in shown.text and "Volunteers: 120" in shown.text
    assert "Goals" in shown.text and "Budget" in shown.text
    assert "Jakarta Selatan" in " ".join(shown.button_texts)

    team = await admin.press(shown, next(t for t in shown.button_texts if "Jakarta Selatan" in t))
    assert team.edited and team.message is not None
    assert "Summary: Jakarta Selatan" in team.message.text and "Volunteers: 40" in team.message.text
    back = await admin.press(team.message, "⬅️ All teams")
    assert back.message is not None and "Volunteers: 120" in back.message.text
    forged = await admin.press(back.message, data="sdt1:999999", expect="answer")
    assert forged.answer.text

    done = await admin.send_and_wait("/report")
    assert "Preparing the report" in done.text
    photos = [await admin.next_message() for _ in range(4)]
    assert all(p.photo for p in photos), [p.text for p in photos]
    assert "120 volunteers" in photos[0].text
    bundle_message = await admin.next_message()
    assert bundle_message.document is not None
    stored = bot.sandbox.world.files.get(bundle_message.document["file_id"])
    assert stored is not None
    with zipfile.ZipFile(io.BytesIO(stored.content)) as archive:
        people = list(csv.DictReader(io.StringIO(archive.read("people.csv").decode())))
        tasks = list(csv.DictReader(io.StringIO(archive.read("tasks.csv").decode())))
        assert "budget.csv" in archive.namelist()
    assert len(people) == 121 and {"id", "role", "joined_at"} <= set(people[0])
    assert tasks and "on_time" in tasks[0]

    bad = await admin.send_and_wait("/report around the time of the moon")
    assert "can't read the period" in bad.text


async def test_goal_advances_when_a_volunteer_reports_an_outcome(bot: BotHarness) -> None:
    admin, budi = bot.admin, bot.user(5, "Budi", "en")
    await budi.send_and_wait("/start")
    usage = await admin.send_and_wait("/goal")
    assert "/goal doors 10000" in usage.text
    past = await admin.send_and_wait("/goal doors 100 2020-01-01")
    assert "already past" in past.text
    negative = await admin.send_and_wait("/goal doors -5")
    assert "whole number above zero" in negative.text
    unknown = await admin.send_and_wait("/goal unicorns 5")
    assert "don't know what to count" in unknown.text

    created = await admin.send_and_wait("/goal doors 1000 2026-12-31")
    assert "Goal set" in created.text and "0/1,000" in created.text and "/day" in created.text

    now = bot.clock.now()
    async with bot.db.begin() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == 5))
        assert person is not None
        task = Task(title="Door to door", deadline=now + timedelta(days=2), capacity=1, taken=1)
        session.add(task)
        await session.flush()
        session.add(TaskClaim(task_id=task.id, person_id=person.id, claimed_at=now))
    reported = await budi.send_and_wait("/done 40 doors")
    assert "40" in reported.text

    listed = await admin.send_and_wait("/goals")
    assert "doors" in listed.text and "40/1,000" in listed.text and "4%" in listed.text
    me = await budi.send_and_wait("/me")
    assert "40 doors" in me.text


async def test_volunteer_is_refused_and_empty_campaign_has_a_friendly_report(
    bot: BotHarness,
) -> None:
    empty = await bot.admin.send_and_wait("/report")  # nobody but the admin yet
    assert "Nothing to report yet" in empty.text
    assert not any(m.photo for m in bot.admin.bot_messages())
    volunteer = bot.user(7, "Dewi", "en")
    for command in ("/summary", "/report", "/goal doors 5", "/goals"):
        refused = await volunteer.send_and_wait(command)
        assert "doesn't allow" in refused.text, (command, refused.text)
    none = await bot.admin.send_and_wait("/goals")
    assert "No goals yet" in none.text


async def test_weekly_digest_is_enqueued_with_a_moved_clock_and_rendered(sqlite_url: str) -> None:
    clock = FrozenClock(T0)
    async with start_harness(sqlite_url, clock=clock) as bot:
        jobs = {job.name for job in bot.app.job_queue.jobs()}  # type: ignore[union-attr]
        assert {"progress.digest.daily", "progress.digest.weekly"} <= jobs
        await seed_campaign(bot.engine, SEEDED, now=T0, teams=3, goals=False)
        await bot.admin.send_and_wait("/start")
        clock.advance(days=4)  # Monday 30 Nov, the configured weekly digest day
        assert await digests.enqueue_weekly_digests(bot.db, now=clock.now(),
                                                    tz="Asia/Jakarta") == 1
        assert await digests.enqueue_weekly_digests(bot.db, now=clock.now(),
                                                    tz="Asia/Jakarta") == 0
        async with bot.db() as session:
            row = await session.scalar(select(OutboxMessage).where(
                OutboxMessage.kind == digests.WEEKLY_KIND))
            assert row is not None and row.dedup_key.endswith("2026-W49")
            admin = await session.get(Person, row.person_id)
        # The admin never chose a language: the digest follows Telegram's (en), like replies.
        message = await bot.admin.next_message(
            predicate=lambda m: "The week in the campaign" in m.text
        )
        assert "Mon, 30 Nov 2026" in message.text and "/summary" in message.text
        assert "not full within 48 h" in message.text
        assert admin is not None and admin.role == Role.ADMIN
