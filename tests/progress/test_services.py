"""Progress services on SQLite and PostgreSQL: summary numbers, goals, report data, digests."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import InvalidInput, NotAllowed
from bot.features import outbox_renderers
from bot.services.people.members import TeamRef
from bot.services.progress import digests, goals, report, report_export, summary
from bot.views import progress as progress_views
from bot.views import progress_digests  # noqa: F401  (the digests' renderers)
from bot.views.i18n import I18n
from bot.views.render import Reader
from models import OutboxMessage, Person, Role
from tests.conftest import T0
from tests.progress.factories import Campaign, actor, build_campaign

TZ = "Asia/Jakarta"


def reader(lang: str = "en", now: datetime = T0) -> Reader:
    return Reader(I18n(), lang, TZ, "IDR", now)


@pytest.fixture
async def campaign(sessionmaker: async_sessionmaker[AsyncSession]) -> Campaign:
    return await build_campaign(sessionmaker, T0)


async def test_coordinator_summary_counts_the_whole_campaign(
    sessionmaker: async_sessionmaker[AsyncSession], campaign: Campaign
) -> None:
    coordinator = actor(campaign.admin, Role.ADMIN)
    s = await summary.campaign_summary(sessionmaker, coordinator, now=T0)
    assert s.volunteers == summary.VolunteerStats(total=9, new=1, active=6, unreachable=1)
    assert s.shifts == summary.ShiftStats(shifts=2, places=6, filled=3, urgent_shifts=1,
                                          urgent_places=3)
    assert s.tasks == summary.TaskStats(open=1, claimed=1, done=1, overdue=1)
    assert (s.events.events, s.events.going, s.events.confirmed) == (2, 5, 1)
    assert (s.events.checked_in, s.events.no_show, s.events.no_show_rate) == (1, 1, 0.5)
    assert [name for _, name in s.teams] == ["Bekasi", "Jaksel"]
    assert [title for _, title, _ in s.upcoming] == ["Rapat akbar"]
    lines = progress_views.summary_lines(reader(), s)
    assert len(lines) <= 25 and sum(len(line) for line in lines) < 4096
    text = "\n".join(lines)
    assert "Volunteers: <b>9</b> · +1 in 7 days" in text
    assert "not full within 48 h: <b>1</b> shift, free places: 3" in text
    assert "overdue <b>1</b>" in text and "no-show 50%" in text


async def test_lead_sees_only_their_team_and_drill_down_is_rechecked(
    sessionmaker: async_sessionmaker[AsyncSession], campaign: Campaign
) -> None:
    lead = actor(campaign.lead, Role.LEAD, (TeamRef(campaign.jaksel.id, "Jaksel", True),))
    s = await summary.campaign_summary(sessionmaker, lead, now=T0)
    assert s.title == "Jaksel" and s.teams == ()
    assert s.volunteers.total == 7 and s.shifts.places == 4 and s.shifts.filled == 1
    team = await summary.team_summary(sessionmaker, lead, campaign.jaksel.id, now=T0)
    assert team.volunteers == s.volunteers
    with pytest.raises(NotAllowed):
        await summary.team_summary(sessionmaker, lead, campaign.bekasi.id, now=T0)
    detail = await summary.event_detail(sessionmaker, lead, campaign.event.id)
    assert (detail.going, detail.confirmed, detail.checked_in) == (3, 1, 0)
    volunteer = actor(campaign.people[0], Role.VOLUNTEER)
    with pytest.raises(NotAllowed):
        await summary.campaign_summary(sessionmaker, volunteer, now=T0)


async def test_goal_progress_counts_outcomes_and_facts_with_pace(
    sessionmaker: async_sessionmaker[AsyncSession], campaign: Campaign
) -> None:
    coordinator = actor(campaign.admin, Role.ADMIN)
    doors = await goals.set_goal(sessionmaker, coordinator, ["doors", "1000", "2026-12-25"],
                                 now=T0, tz=TZ)
    assert doors.created and doors.progress.metric == "doors"
    assert doors.progress.current == 40  # "pintu" counts toward doors
    # 960 left over 29 days and a bit (deadline is the end of 25 Dec in Jakarta) → 33/day.
    assert goals.rounded_up(doors.progress.per_day_needed or 0) == 33
    hours = await goals.set_goal(sessionmaker, coordinator, ["jam", "6"], now=T0, tz=TZ)
    assert hours.progress.metric == "hours" and hours.progress.current == pytest.approx(6.0)
    assert hours.progress.done
    team = await goals.set_goal(sessionmaker, coordinator, ["relawan", "10", "Bekasi"],
                                now=T0, tz=TZ)
    assert team.progress.team_name == "Bekasi" and team.progress.current == 2
    again = await goals.set_goal(sessionmaker, coordinator, ["pintu", "2.000", "2026-12-25"],
                                 now=T0, tz=TZ)
    assert not again.created and again.progress.target == 2000
    listed = await goals.list_goals(sessionmaker, coordinator, now=T0)
    assert [g.metric for g in listed] == ["doors", "hours", "volunteers"]
    line = progress_views.goal_line(reader("id"), listed[0])
    assert "pintu" in line and "40/2.000" in line and "2%" in line and "/hari" in line


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["doors", "-5"], "progress.goal_bad_target"),
        (["doors", "0"], "progress.goal_bad_target"),
        (["doors", "lots"], "progress.goal_bad_target"),
        (["doors", "100", "2026-01-01"], "progress.goal_past_deadline"),
        (["unicorns", "100"], "progress.goal_unknown_metric"),
        (["doors"], "progress.goal_usage"),
    ],
)
async def test_bad_goals_are_refused_and_nothing_is_saved(
    sessionmaker: async_sessionmaker[AsyncSession], campaign: Campaign, args: list[str], key: str
) -> None:
    coordinator = actor(campaign.admin, Role.ADMIN)
    with pytest.raises(InvalidInput) as refused:
        await goals.set_goal(sessionmaker, coordinator, args, now=T0, tz=TZ)
    assert refused.value.key == key
    assert await goals.list_goals(sessionmaker, coordinator, now=T0) == []
    lead = actor(campaign.lead, Role.LEAD, (TeamRef(campaign.jaksel.id, "Jaksel", True),))
    with pytest.raises(NotAllowed):
        await goals.set_goal(sessionmaker, lead, ["doors", "100"], now=T0, tz=TZ)


async def test_report_numbers_period_and_csv_bundle(
    sessionmaker: async_sessionmaker[AsyncSession], campaign: Campaign
) -> None:
    coordinator = actor(campaign.admin, Role.ADMIN)
    data = await report.campaign_report(sessionmaker, coordinator, None, now=T0, tz=TZ)
    assert data.total_volunteers == 9 and data.cumulative[-1] == 9
    assert sum(data.new) + data.volunteers_before == 9
    assert data.total_hours == pytest.approx(6.0) and data.shifts_done == 2
    assert (sum(data.checked_in), sum(data.no_show)) == (1, 1)
    assert (data.tasks_on_time, data.tasks_late, data.tasks_overdue) == (1, 0, 1)
    assert data.outcomes == (("pintu", 40),)
    assert {t.name for t in data.teams} == {"Jaksel", "Bekasi"}
    week = await report.campaign_report(sessionmaker, coordinator, "7d", now=T0, tz=TZ)
    assert week.bucket == "day" and len(week.edges) == 8 and week.total_hours == pytest.approx(6)
    with pytest.raises(InvalidInput) as bad:
        await report.campaign_report(sessionmaker, coordinator, "sometime soonish", now=T0, tz=TZ)
    assert bad.value.key == "progress.report_bad_period"
    with pytest.raises(NotAllowed):
        await report.campaign_report(sessionmaker, actor(campaign.lead, Role.LEAD), None,
                                     now=T0, tz=TZ)

    bundle = await report_export.export_bundle(sessionmaker, coordinator, data.start, data.end)
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        names = set(archive.namelist())
        assert {"people.csv", "shifts.csv", "signups.csv", "attendance.csv", "tasks.csv",
                "outcomes.csv"} <= names
        people = list(csv.DictReader(io.StringIO(archive.read("people.csv").decode())))
        outcomes = list(csv.DictReader(io.StringIO(archive.read("outcomes.csv").decode())))
        signups = list(csv.DictReader(io.StringIO(archive.read("signups.csv").decode())))
    assert len(people) == 10  # everyone registered, staff included, for the record
    assert outcomes[0]["unit"] == "pintu" and outcomes[0]["quantity"] == "40"
    assert len(signups) == 2  # shifts that started in the period (the rest are ahead)


async def test_empty_campaign_report_is_empty(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker.begin() as session:
        admin = Person(telegram_id=1, first_name="Admin", role=Role.ADMIN, joined_at=T0,
                       last_seen_at=T0)
        session.add(admin)
    data = await report.campaign_report(sessionmaker, actor(admin, Role.ADMIN), None,
                                        now=T0 + timedelta(hours=1), tz=TZ)
    assert data.is_empty


async def test_digests_are_enqueued_once_and_rendered_at_send_time(
    sessionmaker: async_sessionmaker[AsyncSession], campaign: Campaign,
) -> None:
    coordinator = actor(campaign.admin, Role.ADMIN)
    await goals.set_goal(sessionmaker, coordinator, ["doors", "100000", "2026-12-25", "Jaksel"],
                         now=T0 - timedelta(days=20), tz=TZ)
    assert await digests.enqueue_daily_digests(sessionmaker, now=T0, tz=TZ) == 1
    assert await digests.enqueue_daily_digests(sessionmaker, now=T0 + timedelta(hours=2),
                                               tz=TZ) == 0
    assert await digests.enqueue_weekly_digests(sessionmaker, now=T0, tz=TZ) == 1
    async with sessionmaker() as session:
        rows = {r.kind: r for r in await session.scalars(select(OutboxMessage))}
        lead = await session.get(Person, campaign.lead.id)
        admin = await session.get(Person, campaign.admin.id)
        daily = await outbox_renderers()[digests.DAILY_KIND](
            session, rows[digests.DAILY_KIND], lead, reader("id", T0 + timedelta(hours=1)))
        weekly = await outbox_renderers()[digests.WEEKLY_KIND](
            session, rows[digests.WEEKLY_KIND], admin, reader("en", T0 + timedelta(hours=1)))
    assert rows[digests.DAILY_KIND].chat_id == 2
    assert daily is not None and weekly is not None
    assert "Posko pagi" in daily.text and "3 tempat kosong" in daily.text
    assert "Rapat akbar" in daily.text and "2 belum konfirmasi" in daily.text
    assert "Pasang spanduk" in daily.text and "Vol5" in daily.text
    assert "Target yang tertinggal" in daily.text
    assert "New volunteers this week: <b>1</b>" in weekly.text and "/report" in weekly.text
    # Next day: a new key, so a new digest.
    assert await digests.enqueue_daily_digests(sessionmaker, now=T0 + timedelta(days=1),
                                               tz=TZ) == 1


async def test_milestone_thanks_are_sent_once(
    sessionmaker: async_sessionmaker[AsyncSession], campaign: Campaign
) -> None:
    from models import Shift, ShiftSignup

    person = campaign.people[7]
    async with sessionmaker.begin() as session:
        for day in range(10):
            shift = Shift(title=f"S{day}", starts_at=T0 - timedelta(days=day + 1),
                          ends_at=T0 - timedelta(days=day + 1) + timedelta(hours=2),
                          capacity=1, taken=1)
            session.add(shift)
            await session.flush()
            session.add(ShiftSignup(shift_id=shift.id, person_id=person.id,
                                    checked_in_at=shift.starts_at))
    assert await digests.enqueue_milestones(sessionmaker, now=T0) == 2  # 10 shifts, 10+ hours
    assert await digests.enqueue_milestones(sessionmaker, now=T0 + timedelta(days=1)) == 0
    async with sessionmaker() as session:
        row = await session.scalar(select(OutboxMessage).where(
            OutboxMessage.kind == digests.MILESTONE_KIND,
            OutboxMessage.dedup_key.like("%shifts%")))
        assert row is not None
        target = await session.get(Person, person.id)
        thanks = await outbox_renderers()[digests.MILESTONE_KIND](session, row, target, reader())
    assert thanks is not None and "10 shifts" in thanks.text


async def test_me_section_shows_hours_reliability_and_outcomes(
    sessionmaker: async_sessionmaker[AsyncSession], campaign: Campaign
) -> None:
    async with sessionmaker() as session:
        me = progress_views.me_section
        busy = await me(session, actor(campaign.people[1], Role.VOLUNTEER), reader(), T0)
        reliable = await me(session, actor(campaign.people[4], Role.VOLUNTEER), reader(), T0)
        fresh = await me(session, actor(campaign.people[6], Role.VOLUNTEER), reader(), T0)
    assert any("Shifts done: <b>1</b> · 3 hours" in line for line in busy)
    assert any("40 pintu" in line for line in busy)
    assert any("100%" in line and "1 of 1" in line for line in reliable)
    assert fresh == []  # the Bekasi shift is still ahead
