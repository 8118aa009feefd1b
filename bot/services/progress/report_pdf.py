"""/report pdf: the campaign's evaluation as a document leadership, partners and donors can read.

The numbers are `/report`'s (`bot.services.progress.report.report_in`: volunteers, hours,
attendance, tasks, outcomes, goals, budget) plus what a written evaluation needs
beside them, computed with the same definitions (`bot.services.people.reliability`,
`report.active_window`): fill rate, shift attendance, reliability, retention,
per-team figures, feedback scores.  Everything is an aggregate (COUNT/SUM with
CASE, grouped by team or bucket), so 100,000 volunteers cost the same memory as
100; the only row lists are the events of the period (capped) and a few comments.
The figures are `bot.services.progress.report_figures`; the layout (fpdf2, CPU work
in a worker thread) is `bot.views.report_pdf`.

Syntax (words in en and id): `/report pdf [period]`, `/report pdf <period> vs <period>`
(`... vs last`: the period just before, as long), `/report pdf <team> vs <team> [period]`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import InvalidInput
from bot.services.authz import Permission, require
from bot.services.budget.lines import BudgetStatus, status_in
from bot.services.people.members import Actor
from bot.services.progress import feedback_scores
from bot.services.progress.report import (
    campaign_start,
    resolve_period,
)
from bot.services.progress.report_figures import (
    AUDIT_ACTION,
    Change,
    EventRow,
    PeriodFigures,
    TeamFigures,
    changes_since,
    event_rows,
    last_report_at,
    period_figures,
    team_figures,
)
from bot.timeparse import WhenParseError, parse_period
from models import (
    AuditEntry,
    Team,
)

_VS = re.compile(r"\s+(?:vs\.?|versus|lawan|dibanding(?:kan)?|banding)\s+", re.IGNORECASE)
_PREVIOUS_WORDS = {"last", "previous", "before", "lalu", "sebelumnya", "kemarin"}


@dataclass(frozen=True, slots=True)
class PdfReport:
    campaign: str
    now: datetime
    main: PeriodFigures
    teams: tuple[TeamFigures, ...]
    events: tuple[EventRow, ...]
    more_events: int
    comments: tuple[feedback_scores.Comment, ...]
    budget: BudgetStatus | None
    since: datetime | None  # the last report's moment (None: the previous period is the base)
    changes: tuple[Change, ...]
    tz: str = "Asia/Jakarta"
    # Comparisons: two teams over the period, or two periods (left is `main`).
    compare_teams: tuple[TeamFigures, TeamFigures] | None = None
    compare_periods: tuple[PeriodFigures, PeriodFigures] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def start(self) -> datetime:
        return self.main.data.start

    @property
    def end(self) -> datetime:
        return self.main.data.end


@dataclass(frozen=True, slots=True)
class ReportRequest:
    periods: tuple[str | None, ...]  # one period, or two to compare
    teams: tuple[str, str] | None = None  # two team names to compare (over periods[0])
    previous: bool = False  # "this week vs last": the second period is the one before


# ---- parsing ------------------------------------------------------------------------------
def split_request(text: str | None) -> ReportRequest:
    """`minggu ini vs minggu lalu`, `Jaksel vs Jaktim bulan ini`, `30d` → what to compute.

    Team names are recognised by the caller (they live in the database); here a side is
    just text.  `X vs last` compares X with the period just before it.
    """
    text = " ".join((text or "").split())
    parts = _VS.split(text, maxsplit=1) if text else []
    if len(parts) != 2:
        return ReportRequest((text or None,))
    left, right = parts[0].strip(), parts[1].strip()
    if not left or not right:
        raise InvalidInput("report_pdf.compare_usage")
    if right.casefold() in _PREVIOUS_WORDS:
        return ReportRequest((left,), previous=True)
    return ReportRequest((left, right))


async def _team_named(session: AsyncSession, text: str) -> Team | None:
    key = " ".join(text.split()).casefold()
    if key.isdigit() and len(key) <= 18:
        found = await session.get(Team, int(key))
        if found is not None:
            return found
    return await session.scalar(select(Team).where(Team.name_key == key))


async def _team_and_period(session: AsyncSession, text: str) -> tuple[Team | None, str | None]:
    """`Jakarta Timur bulan ini` → (team, "bulan ini"): the longest leading run naming a team."""
    words = text.split()
    for cut in range(len(words), 0, -1):
        team = await _team_named(session, " ".join(words[:cut]))
        if team is not None:
            return team, " ".join(words[cut:]) or None
    return None, None


def period_of(
    text: str | None, *, now: datetime, tz: str, first: datetime
) -> tuple[datetime, datetime]:
    """A period, with clear refusals: unreadable, reversed, or not begun yet."""
    if text:
        try:
            parse_period(text, now=now, tz=tz)
        except WhenParseError as exc:
            if exc.reason == "end_before_start":
                raise InvalidInput("report_pdf.reversed", period=text) from exc
            raise InvalidInput("progress.report_bad_period", period=text) from exc
    start, end = resolve_period(text, now=now, tz=tz, first=first)
    if start >= now:
        raise InvalidInput("report_pdf.future", period=text or "")
    return start, end


# ---- the use case --------------------------------------------------------------------------
async def gather(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    text: str | None,
    *,
    now: datetime,
    tz: str,
    campaign: str,
) -> PdfReport:
    """Every number of the PDF, in one read-only session; records that a report was made."""
    require(actor, Permission.VIEW_REPORT)
    request = split_request(text)
    async with sessionmaker() as session:
        first = await campaign_start(session, now)
        compare_teams: tuple[TeamFigures, TeamFigures] | None = None
        compare_periods: tuple[PeriodFigures, PeriodFigures] | None = None
        team_pair: tuple[Team, Team] | None = None
        period_text = request.periods[0]
        if len(request.periods) == 2:
            left_text, right_text = request.periods[0] or "", request.periods[1] or ""
            team_a = await _team_named(session, left_text)
            if team_a is not None:
                team_b, rest = await _team_and_period(session, right_text)
                if team_b is None:
                    raise InvalidInput("report_pdf.compare_mixed", left=left_text, right=right_text)
                team_pair, period_text = (team_a, team_b), rest
        start, end = period_of(period_text, now=now, tz=tz, first=first)
        main = await period_figures(session, start, end, now=now, tz=tz)
        if team_pair is not None:
            a, b = await team_figures(
                session, start, end, now=now, only=[team_pair[0].id, team_pair[1].id]
            )
            compare_teams = (a, b)
        elif request.previous or len(request.periods) == 2:
            if request.previous:
                b_start, b_end = start - (end - start), start
            else:
                b_start, b_end = period_of(request.periods[1], now=now, tz=tz, first=first)
            other = await period_figures(session, b_start, b_end, now=now, tz=tz)
            compare_periods = (main, other)
        teams = await team_figures(session, start, end, now=now)
        events, more = await event_rows(session, start, end)
        comments = await feedback_scores.selected_comments(session, None, start, end)
        status = await status_in(session)
        since = await last_report_at(session, now)
        changes = await changes_since(session, main, since, now=now, tz=tz)
    async with sessionmaker.begin() as session:
        # At the report's own moment (the clock's), so "since the last report" is exact.
        session.add(
            AuditEntry(
                at=now,
                actor_id=actor.person_id,
                action=AUDIT_ACTION,
                details={
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "compare": bool(compare_teams or compare_periods),
                },
            )
        )
    return PdfReport(
        campaign=campaign,
        now=now,
        main=main,
        teams=teams,
        events=events,
        more_events=more,
        comments=comments,
        budget=status if status.lines or status.received else None,
        since=since,
        changes=changes,
        tz=tz,
        compare_teams=compare_teams,
        compare_periods=compare_periods,
    )


def file_name(report: PdfReport) -> str:
    """Named by the local first and last day of the period (what the reader asked for)."""
    zone = ZoneInfo(report.tz)
    first = report.start.astimezone(zone).date()
    last = (report.end - timedelta(microseconds=1)).astimezone(zone).date()
    return f"gotong-report-{first.isoformat()}-{last.isoformat()}.pdf"


# ---- comparisons (the PDF's page and /summary A vs B share these rows) ---------------------
@dataclass(frozen=True, slots=True)
class CompareRow:
    key: str  # report_pdf.<key>: the measure's name
    kind: str  # "count" | "rate" | "score"
    a: float | None
    b: float | None


def compare_rows(
    left: PeriodFigures | TeamFigures, right: PeriodFigures | TeamFigures
) -> tuple[CompareRow, ...]:
    """The measures of two sides, by the same definitions as the report's sections."""
    if isinstance(left, TeamFigures) and isinstance(right, TeamFigures):
        a, b = left, right
        return (
            CompareRow("col_members", "count", a.members, b.members),
            CompareRow("col_active", "count", a.active, b.active),
            CompareRow("col_fill", "rate", a.fill_rate, b.fill_rate),
            CompareRow("col_came", "count", a.attendance.came, b.attendance.came),
            CompareRow("col_missed", "count", a.attendance.missed, b.attendance.missed),
            CompareRow("col_attendance", "rate", a.attendance.rate, b.attendance.rate),
            CompareRow("col_hours", "count", round(a.hours, 1), round(b.hours, 1)),
            CompareRow("col_tasks", "count", a.tasks_done, b.tasks_done),
            CompareRow("col_rating", "score", a.scores.average, b.scores.average),
        )
    assert isinstance(left, PeriodFigures) and isinstance(right, PeriodFigures)
    p, q = left, right
    return (
        CompareRow("kpi_recruited_short", "count", p.recruited, q.recruited),
        CompareRow("kpi_active", "count", p.data.active, q.data.active),
        CompareRow(
            "kpi_hours", "count", round(p.data.total_hours, 1), round(q.data.total_hours, 1)
        ),
        CompareRow("col_fill", "rate", p.fill_rate, q.fill_rate),
        CompareRow("col_came", "count", p.reliability.came, q.reliability.came),
        CompareRow("col_missed", "count", p.reliability.missed, q.reliability.missed),
        CompareRow("col_attendance", "rate", p.reliability.rate, q.reliability.rate),
        CompareRow("col_tasks", "count", p.tasks_done, q.tasks_done),
        CompareRow("col_rating", "score", p.scores.average, q.scores.average),
    )


@dataclass(frozen=True, slots=True)
class Comparison:
    teams: tuple[str, str] | None  # team names, or None for two periods
    periods: tuple[tuple[datetime, datetime], tuple[datetime, datetime]]
    rows: tuple[CompareRow, ...]


async def compare(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    text: str,
    *,
    now: datetime,
    tz: str,
) -> Comparison:
    """`/summary Jaksel vs Jaktim [period]` or `/summary this week vs last week`.

    Teams: a lead may compare the teams they lead; two periods (the whole campaign)
    need the report permission, like /report.
    """
    require(actor, Permission.VIEW_SUMMARY)
    request = split_request(text)
    if len(request.periods) == 1 and not request.previous:
        raise InvalidInput("report_pdf.compare_usage")
    async with sessionmaker() as session:
        first = await campaign_start(session, now)
        if len(request.periods) == 2:
            left_text, right_text = request.periods[0] or "", request.periods[1] or ""
            team_a = await _team_named(session, left_text)
            if team_a is not None:
                team_b, rest = await _team_and_period(session, right_text)
                if team_b is None:
                    raise InvalidInput("report_pdf.compare_mixed", left=left_text, right=right_text)
                require(actor, Permission.VIEW_SUMMARY, team_a.id)
                require(actor, Permission.VIEW_SUMMARY, team_b.id)
                start, end = period_of(rest, now=now, tz=tz, first=first)
                a, b = await team_figures(session, start, end, now=now, only=[team_a.id, team_b.id])
                return Comparison(
                    (a.name, b.name), ((start, end), (start, end)), compare_rows(a, b)
                )
        require(actor, Permission.VIEW_REPORT)
        start, end = period_of(request.periods[0], now=now, tz=tz, first=first)
        if request.previous:
            b_start, b_end = start - (end - start), start
        else:
            b_start, b_end = period_of(request.periods[1], now=now, tz=tz, first=first)
        pa = await period_figures(session, start, end, now=now, tz=tz)
        pb = await period_figures(session, b_start, b_end, now=now, tz=tz)
        return Comparison(None, ((start, end), (b_start, b_end)), compare_rows(pa, pb))
