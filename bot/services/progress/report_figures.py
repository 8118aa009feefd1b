"""The figures of /report pdf: a period's and each team's numbers, the events, what changed.

The numbers are `/report`'s (`bot.services.progress.report.report_in`: volunteers, hours,
attendance, tasks, outcomes, goals, budget) plus what a written evaluation needs
beside them, computed with the same definitions (`bot.services.people.reliability`,
`report.active_window`): fill rate, shift attendance, reliability, retention,
per-team figures, feedback scores.  Everything is an aggregate (COUNT/SUM with
CASE, grouped by team or bucket), so 100,000 volunteers cost the same memory as
100; the only row list is the events of the period (capped).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.budget.lines import COUNTED
from bot.services.progress import feedback_scores
from bot.services.progress.goals import VOLUNTEER_ROLES, hours_expr
from bot.services.progress.report import (
    ReportData,
    active_window,
    campaign_start,
    report_in,
)
from models import (
    AuditEntry,
    Event,
    EventRsvp,
    EventStatus,
    Expense,
    Membership,
    Person,
    RsvpStatus,
    Shift,
    ShiftSignup,
    ShiftStatus,
    Task,
    TaskClaim,
    TaskClaimStatus,
    Team,
)

AUDIT_ACTION = "report.pdf"
MAX_EVENT_ROWS = 300  # events listed one per row; the rest are counted ("and 12 more")
MAX_TEAM_ROWS = 200


# ---- results ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Attendance:
    came: int
    missed: int

    @property
    def rate(self) -> float | None:
        total = self.came + self.missed
        return self.came / total if total else None


@dataclass(frozen=True, slots=True)
class TeamFigures:
    team_id: int | None
    name: str
    members: int
    active: int
    places: int  # shift places offered (shifts that started in the period)
    filled: int
    shifts: Attendance
    events: Attendance
    hours: float
    tasks_done: int
    scores: feedback_scores.Scores

    @property
    def fill_rate(self) -> float | None:
        return self.filled / self.places if self.places else None

    @property
    def attendance(self) -> Attendance:
        return Attendance(
            self.shifts.came + self.events.came, self.shifts.missed + self.events.missed
        )


@dataclass(frozen=True, slots=True)
class EventRow:
    title: str
    team: str | None
    starts_at: datetime
    capacity: int | None
    going: int
    came: int
    missed: int
    scores: feedback_scores.Scores


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    """One period's numbers: `/report`'s plus the evaluation's."""

    data: ReportData
    recruited: int
    retained: int  # registered before the period and still active at its end
    before: int  # volunteers registered before the period (retention's base)
    places: int
    filled: int
    shift_came: tuple[int, ...]  # per bucket, like data.checked_in for events
    shift_missed: tuple[int, ...]
    scores: feedback_scores.Scores

    @property
    def fill_rate(self) -> float | None:
        return self.filled / self.places if self.places else None

    @property
    def events(self) -> Attendance:
        return Attendance(sum(self.data.checked_in), sum(self.data.no_show))

    @property
    def shifts(self) -> Attendance:
        return Attendance(sum(self.shift_came), sum(self.shift_missed))

    @property
    def reliability(self) -> Attendance:
        return Attendance(
            self.events.came + self.shifts.came, self.events.missed + self.shifts.missed
        )

    @property
    def retention(self) -> float | None:
        return self.retained / self.before if self.before else None

    @property
    def tasks_done(self) -> int:
        return self.data.tasks_on_time + self.data.tasks_late

    @property
    def is_empty(self) -> bool:
        return self.data.is_empty and not self.places and not self.scores.asked


@dataclass(frozen=True, slots=True)
class Change:
    key: str  # catalog key under report_pdf.change_*
    params: dict[str, Any]


# ---- the numbers --------------------------------------------------------------------------
def _sum_if(condition: Any, value: Any = 1) -> Any:
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def _between(column: Any, a: datetime, b: datetime) -> Any:
    return (column >= a) & (column < b)


async def period_figures(
    session: AsyncSession, start: datetime, end: datetime, *, now: datetime, tz: str
) -> PeriodFigures:
    data = await report_in(session, start, end, now=now, tz=tz)
    pairs = list(pairwise(data.edges))
    active_since = active_window(start, end, now)
    before, retained = (
        await session.execute(
            select(
                _sum_if(Person.joined_at < start),
                _sum_if((Person.joined_at < start) & (Person.last_seen_at >= active_since)),
            ).where(Person.role.in_(VOLUNTEER_ROLES))
        )
    ).one()
    in_period = (Shift.status == ShiftStatus.OPEN) & _between(Shift.starts_at, start, end)
    places, filled = (
        await session.execute(
            select(
                func.coalesce(func.sum(Shift.capacity), 0), func.coalesce(func.sum(Shift.taken), 0)
            ).where(in_period)
        )
    ).one()
    # Shift attendance per bucket: signups are counted in one pass over the period's shifts.
    came = ShiftSignup.checked_in_at.is_not(None)
    missed = ShiftSignup.no_show.is_(True)
    row = (
        await session.execute(
            select(
                *(_sum_if(_between(Shift.starts_at, a, b) & came) for a, b in pairs),
                *(_sum_if(_between(Shift.starts_at, a, b) & missed) for a, b in pairs),
            )
            .select_from(ShiftSignup)
            .join(Shift, Shift.id == ShiftSignup.shift_id)
            .where(in_period)
        )
    ).one()
    n = len(pairs)
    return PeriodFigures(
        data=data,
        recruited=sum(data.new),
        retained=int(retained or 0),
        before=int(before or 0),
        places=int(places or 0),
        filled=int(filled or 0),
        shift_came=tuple(int(v) for v in row[:n]),
        shift_missed=tuple(int(v) for v in row[n:]),
        scores=await feedback_scores.scores_in(session, None, start, end),
    )


async def team_figures(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    only: list[int] | None = None,
) -> tuple[TeamFigures, ...]:
    """Each team's figures for the period: one grouped query per area, never a row per person."""

    def scoped(column: Any) -> list[Any]:
        return [column.in_(only)] if only is not None else [column.is_not(None)]

    figures: dict[int, dict[str, Any]] = {}

    def slot(tid: int | None) -> dict[str, Any]:  # never None: the queries exclude it
        return figures.setdefault(
            int(tid or 0),
            {
                "members": 0,
                "active": 0,
                "places": 0,
                "filled": 0,
                "s_came": 0,
                "s_missed": 0,
                "e_came": 0,
                "e_missed": 0,
                "hours": 0.0,
                "tasks": 0,
            },
        )

    for tid, members, active in await session.execute(
        select(
            Membership.team_id,
            func.count(Membership.person_id),
            _sum_if(Person.last_seen_at >= active_window(start, end, now)),
        )
        .join(Person, Person.id == Membership.person_id)
        .where(
            Person.joined_at < end, Person.role.in_(VOLUNTEER_ROLES), *scoped(Membership.team_id)
        )
        .group_by(Membership.team_id)
    ):
        s = slot(tid)
        s["members"], s["active"] = int(members), int(active)
    in_period = (Shift.status == ShiftStatus.OPEN) & _between(Shift.starts_at, start, end)
    for tid, places, filled in await session.execute(
        select(Shift.team_id, func.sum(Shift.capacity), func.sum(Shift.taken))
        .where(in_period, *scoped(Shift.team_id))
        .group_by(Shift.team_id)
    ):
        s = slot(tid)
        s["places"], s["filled"] = int(places or 0), int(filled or 0)
    done = ShiftSignup.checked_in_at.is_not(None) & (Shift.ends_at <= now)
    for tid, s_came, s_missed, hours in await session.execute(
        select(
            Shift.team_id,
            _sum_if(ShiftSignup.checked_in_at.is_not(None)),
            _sum_if(ShiftSignup.no_show.is_(True)),
            _sum_if(done, hours_expr(session, Shift.starts_at, Shift.ends_at)),
        )
        .join(Shift, Shift.id == ShiftSignup.shift_id)
        .where(in_period, *scoped(Shift.team_id))
        .group_by(Shift.team_id)
    ):
        s = slot(tid)
        s["s_came"], s["s_missed"], s["hours"] = int(s_came), int(s_missed), float(hours or 0)
    for tid, e_came, e_missed in await session.execute(
        select(
            Event.team_id,
            _sum_if(EventRsvp.checked_in_at.is_not(None)),
            _sum_if(EventRsvp.no_show.is_(True)),
        )
        .join(Event, Event.id == EventRsvp.event_id)
        .where(
            Event.status == EventStatus.SCHEDULED,
            _between(Event.starts_at, start, end),
            *scoped(Event.team_id),
        )
        .group_by(Event.team_id)
    ):
        s = slot(tid)
        s["e_came"], s["e_missed"] = int(e_came), int(e_missed)
    for tid, tasks in await session.execute(
        select(Task.team_id, func.count(TaskClaim.id))
        .join(Task, Task.id == TaskClaim.task_id)
        .where(
            TaskClaim.status == TaskClaimStatus.DONE,
            _between(TaskClaim.done_at, start, end),
            *scoped(Task.team_id),
        )
        .group_by(Task.team_id)
    ):
        slot(tid)["tasks"] = int(tasks)
    scores = await feedback_scores.scores_by_team(session, start, end)
    wanted = list(figures) if only is None else only
    names = dict(
        (tid, name)
        for tid, name in await session.execute(
            select(Team.id, Team.name).where(Team.id.in_(wanted))
        )
    )
    rows = []
    for tid in wanted:
        s = figures.get(tid) or slot(tid)
        rows.append(
            TeamFigures(
                tid,
                names.get(tid, "?"),
                s["members"],
                s["active"],
                s["places"],
                s["filled"],
                Attendance(s["s_came"], s["s_missed"]),
                Attendance(s["e_came"], s["e_missed"]),
                s["hours"],
                s["tasks"],
                scores.get(tid, feedback_scores.EMPTY_SCORES),
            )
        )
    if only is None:
        rows.sort(key=lambda t: (-t.members, t.name))
    return tuple(rows[:MAX_TEAM_ROWS])


async def event_rows(
    session: AsyncSession, start: datetime, end: datetime
) -> tuple[tuple[EventRow, ...], int]:
    """The period's events with attendance and rating (at most MAX_EVENT_ROWS) and how many more."""
    period = (Event.status == EventStatus.SCHEDULED) & _between(Event.starts_at, start, end)
    total = int(await session.scalar(select(func.count(Event.id)).where(period)) or 0)
    counts = (
        select(
            EventRsvp.event_id.label("event_id"),
            _sum_if(EventRsvp.status == RsvpStatus.GOING).label("going"),
            _sum_if(EventRsvp.checked_in_at.is_not(None)).label("came"),
            _sum_if(EventRsvp.no_show.is_(True)).label("missed"),
        )
        .group_by(EventRsvp.event_id)
        .subquery()
    )
    rows = list(
        await session.execute(
            select(
                Event.id,
                Event.title,
                Team.name,
                Event.starts_at,
                Event.capacity,
                counts.c.going,
                counts.c.came,
                counts.c.missed,
            )
            .outerjoin(Team, Team.id == Event.team_id)
            .outerjoin(counts, counts.c.event_id == Event.id)
            .where(period)
            .order_by(Event.starts_at, Event.id)
            .limit(MAX_EVENT_ROWS)
        )
    )
    by_event: dict[int, feedback_scores.Scores] = {}
    if rows:
        from models import FeedbackResponse, FeedbackRound

        for event_id, *values in await session.execute(
            select(FeedbackRound.event_id, *feedback_scores.score_columns())
            .select_from(FeedbackResponse)
            .join(FeedbackRound, FeedbackRound.id == FeedbackResponse.round_id)
            .where(FeedbackRound.event_id.in_([r[0] for r in rows]))
            .group_by(FeedbackRound.event_id)
        ):
            by_event[int(event_id)] = feedback_scores.scores_from(values)
    return (
        tuple(
            EventRow(
                title,
                team,
                starts,
                cap,
                int(going or 0),
                int(came or 0),
                int(missed or 0),
                by_event.get(int(eid), feedback_scores.EMPTY_SCORES),
            )
            for eid, title, team, starts, cap, going, came, missed in rows
        ),
        max(total - len(rows), 0),
    )


async def last_report_at(session: AsyncSession, now: datetime) -> datetime | None:
    return await session.scalar(
        select(func.max(AuditEntry.at)).where(
            AuditEntry.action == AUDIT_ACTION, AuditEntry.at <= now
        )
    )


async def changes_since(
    session: AsyncSession, main: PeriodFigures, since: datetime | None, *, now: datetime, tz: str
) -> tuple[Change, ...]:
    """What changed since the last report (or, for a first report, vs the period before)."""
    changes: list[Change] = []
    until = min(main.data.end, now)
    if since is not None and since < until:
        recent = await period_figures(session, since, until, now=now, tz=tz)
        spent = int(
            await session.scalar(
                select(func.coalesce(func.sum(Expense.amount_minor), 0)).where(
                    Expense.status.in_(COUNTED), Expense.created_at >= since
                )
            )
            or 0
        )
        changes += [
            Change("new_volunteers", {"n": recent.recruited}),
            Change("hours", {"n": round(recent.data.total_hours, 1)}),
            Change(
                "attended", {"came": recent.reliability.came, "missed": recent.reliability.missed}
            ),
            Change("tasks", {"n": recent.tasks_done}),
            Change("ratings", {"n": recent.scores.ratings}),
        ]
        changes += [Change("outcome", {"unit": u, "n": q}) for u, q in recent.data.outcomes]
        if spent:
            changes.append(Change("spent", {"minor": spent}))
    # Rates against the period just before, as long: the direction of travel.
    length = main.data.end - main.data.start
    prev_start = main.data.start - length
    first = await campaign_start(session, now)
    if main.data.start > first:
        prev = await period_figures(
            session, max(prev_start, first - timedelta(days=1)), main.data.start, now=now, tz=tz
        )
        for key, a, b in (
            ("rate_attendance", main.reliability.rate, prev.reliability.rate),
            ("rate_fill", main.fill_rate, prev.fill_rate),
            (
                "rate_active",
                _ratio(main.data.active, main.data.total_volunteers),
                _ratio(prev.data.active, prev.data.total_volunteers),
            ),
        ):
            if a is not None and b is not None:
                changes.append(Change(key, {"now": a, "before": b}))
        a_avg, b_avg = main.scores.average, prev.scores.average
        if a_avg is not None and b_avg is not None:
            changes.append(Change("rate_feedback", {"now": a_avg, "before": b_avg}))
        changes.append(Change("new_vs_before", {"now": main.recruited, "before": prev.recruited}))
    return tuple(changes)


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None
