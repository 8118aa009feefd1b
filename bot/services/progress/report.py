"""/report: the campaign's evaluation for a period, as numbers for charts and a CSV bundle.

Why time buckets are CASE columns and not GROUP BY on a date expression: the
buckets are local calendar days/weeks/months (Asia/Jakarta), which SQLite and
PostgreSQL truncate differently; edges computed here in Python and compared in
SQL are portable and exact.  Signups are first counted per shift (one indexed
pass over 500,000 rows), then the ~10,000 shifts are bucketed, so the cost
grows with the data, once.  The CSV bundle is `bot.services.progress.report_export`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import InvalidInput
from bot.services.authz import Permission, require
from bot.services.budget.lines import status_in
from bot.services.people.members import Actor
from bot.services.progress.goals import VOLUNTEER_ROLES, GoalProgress, goals_in, hours_expr
from bot.timeparse import WhenParseError, parse_period
from models import (
    Event,
    EventRsvp,
    EventStatus,
    Membership,
    Person,
    RsvpStatus,
    Shift,
    ShiftSignup,
    ShiftStatus,
    Task,
    TaskClaim,
    TaskClaimStatus,
    TaskOutcome,
    Team,
)

MAX_TEAMS = 8
ACTIVE_DAYS = 14
MAX_UNITS = 6
EXPORT_BATCH = 5000


@dataclass(frozen=True, slots=True)
class TeamRow:
    name: str
    members: int
    active: int
    hours: float
    tasks_done: int


@dataclass(frozen=True, slots=True)
class BudgetRow:
    category: str
    planned: int
    spent: int


@dataclass(frozen=True, slots=True)
class ReportData:
    start: datetime
    end: datetime
    now: datetime
    bucket: str  # "day" | "week" | "month"
    edges: tuple[datetime, ...]  # len(buckets) + 1
    volunteers_before: int
    cumulative: tuple[int, ...]  # volunteers registered by the end of each bucket
    total_volunteers: int
    active: int  # used the bot or was checked in during the period
    hours: tuple[float, ...]  # volunteer hours of shifts ended in each bucket
    shifts_done: int
    going: int
    checked_in: tuple[int, ...]
    no_show: tuple[int, ...]
    tasks_on_time: int
    tasks_late: int
    tasks_overdue: int
    outcomes: tuple[tuple[str, int], ...]
    goals: tuple[GoalProgress, ...]
    currency: str | None
    budget: tuple[BudgetRow, ...]
    teams: tuple[TeamRow, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def new(self) -> tuple[int, ...]:
        previous = (self.volunteers_before, *self.cumulative[:-1])
        return tuple(c - p for c, p in zip(self.cumulative, previous, strict=True))

    @property
    def total_hours(self) -> float:
        return sum(self.hours)

    @property
    def attendance_base(self) -> int:
        return sum(self.checked_in) + sum(self.no_show)

    @property
    def is_empty(self) -> bool:
        return not (
            self.total_volunteers
            or self.total_hours
            or self.attendance_base
            or self.tasks_on_time + self.tasks_late + self.tasks_overdue
            or self.outcomes
            or self.budget
        )


# ---- the period ------------------------------------------------------------------------------
async def campaign_start(session: AsyncSession, now: datetime) -> datetime:
    first = await session.scalar(select(func.min(Person.joined_at)))
    return first or now


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def bucket_edges(start: datetime, end: datetime, tz: str) -> tuple[str, tuple[datetime, ...]]:
    """Local calendar buckets covering [start, end): days up to a month, then weeks, months."""
    zone = ZoneInfo(tz)
    first, last = (
        start.astimezone(zone).date(),
        (end - timedelta(microseconds=1)).astimezone(zone).date(),
    )
    days = (last - first).days + 1
    if days <= 31:
        kind, starts = "day", [first + timedelta(days=i) for i in range(days + 1)]
    elif days <= 26 * 7:
        kind, starts = "week", [first - timedelta(days=first.weekday())]
        while starts[-1] <= last:
            starts.append(starts[-1] + timedelta(days=7))
    else:
        kind, starts = "month", [date(first.year, first.month, 1)]
        while starts[-1] <= last:
            m = starts[-1]
            starts.append(date(m.year + m.month // 12, m.month % 12 + 1, 1))
    edges = [_local_midnight(d, zone) for d in starts]
    # Clamp the outer edges to the period so nothing outside it is counted.
    edges[0], edges[-1] = max(edges[0], start), min(edges[-1], end)
    return kind, tuple(e.astimezone(ZoneInfo("UTC")) for e in edges)


def resolve_period(
    text: str | None, *, now: datetime, tz: str, first: datetime
) -> tuple[datetime, datetime]:
    if not text:
        zone = ZoneInfo(tz)
        start = _local_midnight(first.astimezone(zone).date(), zone)
        end = _local_midnight(now.astimezone(zone).date() + timedelta(days=1), zone)
        return start, end
    try:
        return parse_period(text, now=now, tz=tz)
    except WhenParseError as exc:
        raise InvalidInput("progress.report_bad_period", period=text) from exc


def bundle_filename(start: datetime, end: datetime, tz: str) -> str:
    """`gotong-report-2026-11-01-2026-11-30.zip`: the period's first and last day as the
    campaign's calendar reads them (the bounds are local midnights, stored in UTC)."""
    zone = ZoneInfo(tz)
    first = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    return f"gotong-report-{first.isoformat()}-{last.isoformat()}.zip"


def active_window(start: datetime, end: datetime, now: datetime) -> datetime:
    """Active = seen in the period's last 14 days (the whole period when it is shorter).

    Only the latest visit is stored, so "active at some point since the start" would be
    everyone; the last two weeks of the period is what the summary's "active" means too.
    """
    return max(start, min(end, now) - timedelta(days=ACTIVE_DAYS))


def in_bucket(column: Any, a: datetime, b: datetime) -> Any:
    return (column >= a) & (column < b)


def _sum_case(condition: Any, value: Any = 1) -> Any:
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


# ---- the numbers -----------------------------------------------------------------------------
def _volunteers(edges: Sequence[datetime]) -> Select[Any]:
    return select(
        _sum_case(Person.joined_at < edges[0]),
        *(_sum_case(Person.joined_at < e) for e in edges[1:]),
    ).where(Person.role.in_(VOLUNTEER_ROLES))


def _signups_per_shift() -> Any:
    """Checked-in signups per shift: volunteer hours count the people who came
    (`bot.services.people.reliability`); the callers add "ended and not cancelled"."""
    return (
        select(ShiftSignup.shift_id, func.count().label("n"))
        .where(ShiftSignup.checked_in_at.is_not(None))
        .group_by(ShiftSignup.shift_id)
        .subquery()
    )


async def report_in(
    session: AsyncSession, start: datetime, end: datetime, *, now: datetime, tz: str
) -> ReportData:
    kind, edges = bucket_edges(start, end, tz)
    pairs = list(pairwise(edges))
    until = min(end, now)  # facts in the future (shifts not yet over) do not count yet
    active_since = active_window(start, end, now)

    vol_row = (await session.execute(_volunteers(edges))).one()
    before, cumulative = int(vol_row[0]), tuple(int(v) for v in vol_row[1:])
    active = int(
        await session.scalar(
            select(func.count(Person.id)).where(
                Person.role.in_(VOLUNTEER_ROLES),
                Person.joined_at < end,
                (Person.last_seen_at >= active_since)
                | Person.id.in_(
                    select(EventRsvp.person_id).where(
                        in_bucket(EventRsvp.checked_in_at, active_since, end)
                    )
                ),
            )
        )
        or 0
    )

    per_shift = _signups_per_shift()
    shift_hours = hours_expr(session, Shift.starts_at, Shift.ends_at) * per_shift.c.n
    ended = (Shift.status == ShiftStatus.OPEN) & (Shift.ends_at <= now)
    hours_row = (
        await session.execute(
            select(
                *(_sum_case(ended & in_bucket(Shift.ends_at, a, b), shift_hours) for a, b in pairs),
                _sum_case(ended & in_bucket(Shift.ends_at, start, until), per_shift.c.n),
            )
            .select_from(Shift)
            .join(per_shift, per_shift.c.shift_id == Shift.id)
            .where(Shift.ends_at >= start, Shift.ends_at < end)
        )
    ).one()
    hours = tuple(float(h) for h in hours_row[:-1])
    shifts_done = int(hours_row[-1])

    going_row = (
        await session.execute(
            select(
                _sum_case(EventRsvp.status == RsvpStatus.GOING),
                *(
                    _sum_case(
                        in_bucket(Event.starts_at, a, b) & EventRsvp.checked_in_at.is_not(None)
                    )
                    for a, b in pairs
                ),
                *(
                    _sum_case(in_bucket(Event.starts_at, a, b) & EventRsvp.no_show.is_(True))
                    for a, b in pairs
                ),
            )
            .select_from(EventRsvp)
            .join(Event, Event.id == EventRsvp.event_id)
            .where(
                Event.status == EventStatus.SCHEDULED,
                Event.starts_at >= start,
                Event.starts_at < end,
            )
        )
    ).one()
    n = len(pairs)
    going = int(going_row[0])
    checked_in = tuple(int(v) for v in going_row[1 : 1 + n])
    no_show = tuple(int(v) for v in going_row[1 + n :])

    done = TaskClaim.status == TaskClaimStatus.DONE
    on_time, late, overdue = (
        await session.execute(
            select(
                _sum_case(
                    done
                    & in_bucket(TaskClaim.done_at, start, end)
                    & (TaskClaim.done_at <= Task.deadline)
                ),
                _sum_case(
                    done
                    & in_bucket(TaskClaim.done_at, start, end)
                    & (TaskClaim.done_at > Task.deadline)
                ),
                _sum_case(
                    (TaskClaim.status == TaskClaimStatus.CLAIMED)
                    & in_bucket(Task.deadline, start, until)
                ),
            )
            .select_from(TaskClaim)
            .join(Task, Task.id == TaskClaim.task_id)
            .where(Task.status == ShiftStatus.OPEN)
        )
    ).one()

    outcomes = tuple(
        (unit, int(total))
        for unit, total in (
            await session.execute(
                select(TaskOutcome.unit, func.sum(TaskOutcome.quantity))
                .where(in_bucket(TaskOutcome.recorded_at, start, end))
                .group_by(TaskOutcome.unit)
                .order_by(func.sum(TaskOutcome.quantity).desc())
                .limit(MAX_UNITS)
            )
        )
    )

    currency: str | None = None
    budget: tuple[BudgetRow, ...] = ()
    status = await status_in(session)
    if status.lines:
        currency = status.currency
        budget = tuple(BudgetRow(ln.category, ln.planned, ln.spent) for ln in status.lines)

    return ReportData(
        start=start,
        end=end,
        now=now,
        bucket=kind,
        edges=edges,
        volunteers_before=before,
        cumulative=cumulative,
        total_volunteers=cumulative[-1],
        active=active,
        hours=hours,
        shifts_done=shifts_done,
        going=going,
        checked_in=checked_in,
        no_show=no_show,
        tasks_on_time=int(on_time),
        tasks_late=int(late),
        tasks_overdue=int(overdue),
        outcomes=outcomes,
        goals=tuple(await goals_in(session, None, min(end, now))),
        currency=currency,
        budget=budget,
        teams=await _team_rows(session, start, end, now),
    )


async def _team_rows(
    session: AsyncSession, start: datetime, end: datetime, now: datetime
) -> tuple[TeamRow, ...]:
    members = await session.execute(
        select(
            Membership.team_id,
            func.count(Membership.person_id),
            _sum_case(Person.last_seen_at >= active_window(start, end, now)),
        )
        .join(Person, Person.id == Membership.person_id)
        .where(Person.joined_at < end)
        .group_by(Membership.team_id)
    )
    rows: dict[int, list[Any]] = {tid: [int(m), int(a), 0.0, 0] for tid, m, a in members}
    per_shift = _signups_per_shift()
    hours = await session.execute(
        select(
            Shift.team_id,
            func.sum(hours_expr(session, Shift.starts_at, Shift.ends_at) * per_shift.c.n),
        )
        .join(per_shift, per_shift.c.shift_id == Shift.id)
        .where(
            Shift.status == ShiftStatus.OPEN,
            Shift.ends_at >= start,
            Shift.ends_at < min(end, now),
            Shift.team_id.is_not(None),
        )
        .group_by(Shift.team_id)
    )
    for tid, h in hours:
        if tid is not None:
            rows.setdefault(tid, [0, 0, 0.0, 0])[2] = float(h or 0)
    tasks = await session.execute(
        select(Task.team_id, func.count(TaskClaim.id))
        .join(Task, Task.id == TaskClaim.task_id)
        .where(
            TaskClaim.status == TaskClaimStatus.DONE,
            in_bucket(TaskClaim.done_at, start, end),
            Task.team_id.is_not(None),
        )
        .group_by(Task.team_id)
    )
    for tid, done in tasks:
        if tid is not None:
            rows.setdefault(tid, [0, 0, 0.0, 0])[3] = int(done)
    if not rows:
        return ()
    found = await session.execute(select(Team.id, Team.name).where(Team.id.in_(list(rows))))
    names = {tid: name for tid, name in found}
    ordered = sorted(rows.items(), key=lambda kv: (-kv[1][0], -kv[1][2], names.get(kv[0], "")))
    return tuple(
        TeamRow(names.get(tid, "?"), m, a, h, t) for tid, (m, a, h, t) in ordered[:MAX_TEAMS]
    )


async def campaign_report(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    period: str | None,
    *,
    now: datetime,
    tz: str,
) -> ReportData:
    """The numbers behind /report for a period (default: since the campaign started)."""
    require(actor, Permission.VIEW_REPORT)
    async with sessionmaker() as session:
        first = await campaign_start(session, now)
        start, end = resolve_period(period, now=now, tz=tz, first=first)
        if start >= now:
            raise InvalidInput("progress.report_future_period", period=period or "")
        return await report_in(session, start, end, now=now, tz=tz)
