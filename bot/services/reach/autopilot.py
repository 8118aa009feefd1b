"""The staffing autopilot: fills understaffed shifts by inviting the best-fitting people, in waves.

For each open shift of a team that switched the autopilot on, still short of people
`AUTOPILOT_HOURS_BEFORE` hours before it starts, one wave invites up to
`free places x AUTOPILOT_WAVE_FACTOR` people who fit best:

* members of the shift's team with the skill it needs, reachable, not partners/media,
  not its leads (they get the report);
* not already on it, not on another shift at that time, not over
  `AUTOPILOT_WEEKLY_HOURS_LIMIT` hours in the shift's week (campaign timezone) with it;
* never asked for this shift before (`autopilot_ask` is unique per shift and person);
* at most one invitation per person per wave, so nobody gets ten at once;
* highest reliability first (someone not yet judged counts as 0.5: proven people first,
  newcomers before those who often did not come), then person id (deterministic).

The next wave comes `AUTOPILOT_WAVE_MINUTES` later if places are still free; when nobody is
left to ask, the shift is closed for the autopilot and the lead is told.  Each run tells the
leads what it did and what is still open.  Everything goes through the outbox: invitations
(`autopilot.invite`, not urgent: quiet hours hold them) carry the cause `autopilot:<shift>`
and are withdrawn when the shift fills or is cancelled; a renderer also skips an invitation
whose shift is full, cancelled or started by the time it would go out.

Planning is a handful of set-based queries for all shifts of the run (members, skills,
signups in the weeks concerned, reliability, previous asks) and a pass in Python over each
team's candidates sorted once: 1,000 shifts over 100,000 volunteers plan in seconds.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import String, and_, case, func, literal, or_, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery.outbox import PRIORITY_REMINDER, NewMessage, enqueue
from bot.delivery.renderers import param, renderer
from bot.errors import NotAllowed
from bot.services import audit
from bot.services.authz import Permission, is_team_scoped, require
from bot.services.people.members import Actor
from bot.services.people.teams import find_team
from bot.services.progress.goals import Scope
from bot.services.shifts.common import OUTSIDERS, lead_targets, shift_view
from bot.views.render import Button, Outgoing, Reader
from models import (
    AutopilotAsk,
    AutopilotShift,
    AutopilotTeam,
    EventRsvp,
    Membership,
    OutboxMessage,
    OutboxStatus,
    Person,
    PersonSkill,
    Shift,
    ShiftSignup,
    ShiftStatus,
    Team,
)

KIND_INVITE = "autopilot.invite"
KIND_REPORT = "autopilot.report"
MAX_SHIFTS_PER_RUN = 2000
UNJUDGED_SCORE = 0.5
FORECAST_FILL_RATIO = 0.8  # "likely understaffed": below 80 % filled with a place free
REPORT_LINES = 15
CHUNK = 500


def cause_of(shift_id: int) -> str:
    return f"autopilot:{shift_id}"


@dataclass(frozen=True, slots=True)
class TeamSetting:
    team_id: int
    name: str
    enabled: bool


@dataclass(frozen=True, slots=True)
class ShiftPlan:
    shift_id: int
    team_id: int
    wave: int
    asked: tuple[tuple[int, int], ...]  # (person id, telegram id)
    closed: bool  # nobody left to ask


@dataclass(frozen=True, slots=True)
class RunReport:
    shifts: int  # shifts looked at
    asked: int  # invitations enqueued
    closed: int
    reports: int  # lead reports enqueued
    withdrawn: int  # invitations withdrawn because their shift filled or was cancelled


# ---- settings per team ------------------------------------------------------------------
def _require_coordinator(actor: Actor) -> None:
    require(actor, Permission.MANAGE_ROLES)
    if is_team_scoped(actor):
        raise NotAllowed(permission="autopilot")


async def set_enabled(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, team_ref: str, enabled: bool,
    *, now: datetime,
) -> TeamSetting:
    """Coordinators turn the autopilot on or off for one team."""
    _require_coordinator(actor)
    async with sessionmaker.begin() as session:
        team = await find_team(session, team_ref)
        row = await session.get(AutopilotTeam, team.id)
        if row is None:
            row = AutopilotTeam(team_id=team.id)
            session.add(row)
        row.enabled, row.changed_by_id, row.changed_at = enabled, actor.person_id, now
        if not enabled:
            # Waiting invitations of this team's shifts are withdrawn with it.
            await _withdraw(session, select(Shift.id).where(Shift.team_id == team.id))
        audit.record(session, action="autopilot.set", actor_id=actor.person_id,
                     target_type="team", target_id=team.id, enabled=enabled)
        return TeamSetting(team.id, team.name, enabled)


async def team_settings(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor
) -> list[TeamSetting]:
    _require_coordinator(actor)
    async with sessionmaker() as session:
        rows = await session.execute(
            select(Team.id, Team.name, func.coalesce(AutopilotTeam.enabled, False))
            .outerjoin(AutopilotTeam, AutopilotTeam.team_id == Team.id)
            .order_by(Team.name_key)
        )
        return [TeamSetting(i, n, bool(e)) for i, n, e in rows.all()]


# ---- the sweep --------------------------------------------------------------------------
async def _withdraw(session: AsyncSession, shift_ids: Any) -> int:
    causes = select(literal("autopilot:") + sql_cast(shift_ids.subquery().c[0], String))
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.kind == KIND_INVITE, OutboxMessage.status == OutboxStatus.PENDING,
               OutboxMessage.cause.in_(causes))
        .values(status=OutboxStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def week_start(moment: datetime, tz: str) -> datetime:
    """Monday 00:00 of the moment's week in the campaign's timezone, as UTC."""
    from zoneinfo import ZoneInfo

    local = moment.astimezone(ZoneInfo(tz))
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0)
    return monday.astimezone(moment.tzinfo)


async def sweep(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, *, now: datetime
) -> RunReport:
    """One run: withdraws invitations of filled shifts, plans and enqueues the due waves,
    tells the leads.  Idempotent: a repeated run finds nothing due until the next wave."""
    async with sessionmaker.begin() as session:
        settled = select(AutopilotShift.shift_id).join(Shift, Shift.id == AutopilotShift.shift_id)
        withdrawn = await _withdraw(session, settled.where(
            or_(Shift.taken >= Shift.capacity, Shift.status != ShiftStatus.OPEN)))
        await session.execute(
            update(AutopilotShift)
            .where(AutopilotShift.closed_at.is_(None), AutopilotShift.shift_id.in_(
                select(Shift.id).where(or_(Shift.status != ShiftStatus.OPEN,
                                           Shift.starts_at <= now))))
            .values(closed_at=now)
            .execution_options(synchronize_session=False)
        )
        filled = await _newly_filled(session, now)
        plans = await plan_wave(session, settings, now=now)
        asked = await _write(session, plans, now)
        entries = [(p.team_id, [p.shift_id, len(p.asked), p.wave, int(p.closed)]) for p in plans]
        reports = await _report(session, filled + entries, now)
    return RunReport(len(plans), asked, sum(p.closed for p in plans), reports, withdrawn)


async def _newly_filled(session: AsyncSession, now: datetime) -> list[tuple[int, list[int]]]:
    """Shifts the autopilot worked on that are full since the last run (the lead hears it
    once); a shift that has a free place again is watched again."""
    await session.execute(
        update(AutopilotShift)
        .where(AutopilotShift.filled_at.is_not(None), AutopilotShift.shift_id.in_(
            select(Shift.id).where(Shift.taken < Shift.capacity)))
        .values(filled_at=None)
        .execution_options(synchronize_session=False)
    )
    rows = (await session.execute(
        select(AutopilotShift.shift_id, Shift.team_id, AutopilotShift.asked, AutopilotShift.waves)
        .join(Shift, Shift.id == AutopilotShift.shift_id)
        .where(AutopilotShift.filled_at.is_(None), AutopilotShift.closed_at.is_(None),
               Shift.status == ShiftStatus.OPEN, Shift.taken >= Shift.capacity,
               Shift.team_id.is_not(None))
    )).all()
    if rows:
        await session.execute(
            update(AutopilotShift)
            .where(AutopilotShift.shift_id.in_([r[0] for r in rows]))
            .values(filled_at=now)
            .execution_options(synchronize_session=False)
        )
    return [(int(team_id or 0), [shift_id, asked, waves, 0])
            for shift_id, team_id, asked, waves in rows]


async def due_shifts(session: AsyncSession, settings: Settings, now: datetime) -> list[Shift]:
    """Open, understaffed shifts of autopilot teams inside the window whose next wave is due."""
    next_wave = now - timedelta(minutes=settings.autopilot_wave_minutes)
    query = (
        select(Shift)
        .join(AutopilotTeam, and_(AutopilotTeam.team_id == Shift.team_id,
                                  AutopilotTeam.enabled.is_(True)))
        .outerjoin(AutopilotShift, AutopilotShift.shift_id == Shift.id)
        .where(
            Shift.status == ShiftStatus.OPEN,
            Shift.starts_at > now,
            Shift.starts_at <= now + timedelta(hours=settings.autopilot_hours_before),
            Shift.taken < Shift.capacity,
            or_(AutopilotShift.shift_id.is_(None),
                and_(AutopilotShift.closed_at.is_(None), AutopilotShift.last_wave_at <= next_wave)),
        )
        .order_by(Shift.starts_at, Shift.id)
        .limit(MAX_SHIFTS_PER_RUN)
    )
    return list(await session.scalars(query))


async def plan_wave(session: AsyncSession, settings: Settings, *, now: datetime) -> list[ShiftPlan]:
    """Who to invite for each due shift (nothing written)."""
    shifts = await due_shifts(session, settings, now)
    if not shifts:
        return []
    team_ids = sorted({s.team_id for s in shifts if s.team_id is not None})
    members_q = (
        select(Membership.person_id).join(Person, Person.id == Membership.person_id)
        .where(Membership.team_id.in_(team_ids), Person.reachable.is_(True),
               Person.role.not_in(OUTSIDERS))
    )
    by_team: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for team_id, person_id, telegram_id in await session.execute(
        select(Membership.team_id, Person.id, Person.telegram_id)
        .join(Person, Person.id == Membership.person_id)
        # The team's leads get the report, not the invitations.
        .where(Membership.team_id.in_(team_ids), Membership.is_lead.is_(False),
               Person.reachable.is_(True), Person.role.not_in(OUTSIDERS))
    ):
        by_team[team_id].append((person_id, telegram_id))
    skill_ids = sorted({s.skill_id for s in shifts if s.skill_id is not None})
    skilled: set[tuple[int, int]] = set()
    if skill_ids:
        skilled = {(p, k) for p, k in await session.execute(
            select(PersonSkill.person_id, PersonSkill.skill_id)
            .where(PersonSkill.skill_id.in_(skill_ids),
                   PersonSkill.person_id.in_(members_q)))}
    scores = await _scores(session)
    tz = settings.timezone
    weeks = sorted({week_start(s.starts_at, tz) for s in shifts})
    busy = await _busy(session, weeks[0], weeks[-1] + timedelta(days=8))
    asked = await _asked(session, [s.id for s in shifts])
    ranked = {
        team: sorted(people, key=lambda p: (-scores.get(p[0], UNJUDGED_SCORE), p[0]))
        for team, people in by_team.items()
    }
    limit_hours = float(settings.autopilot_weekly_hours_limit)
    in_wave: set[int] = set()
    previous = {row.shift_id: row for row in await session.scalars(
        select(AutopilotShift).where(AutopilotShift.shift_id.in_([s.id for s in shifts])))}
    plans: list[ShiftPlan] = []
    for shift in shifts:
        assert shift.team_id is not None
        want = (shift.capacity - shift.taken) * settings.autopilot_wave_factor
        length = (shift.ends_at - shift.starts_at).total_seconds() / 3600
        ws = week_start(shift.starts_at, tz)
        we = ws + timedelta(days=7)
        done_before = asked.get(shift.id, set())
        chosen: list[tuple[int, int]] = []
        left = False
        for person_id, telegram_id in ranked.get(shift.team_id, []):
            if person_id in done_before or person_id in in_wave:
                continue
            if shift.skill_id is not None and (person_id, shift.skill_id) not in skilled:
                continue
            spans = busy.get(person_id)
            if spans and not _free(spans, shift.id, shift.starts_at, shift.ends_at, ws, we,
                                   length, limit_hours):
                continue
            if len(chosen) >= want:
                left = True
                break
            chosen.append((person_id, telegram_id))
        for person_id, _ in chosen:
            in_wave.add(person_id)
        before = previous.get(shift.id)
        wave = (before.waves if before else 0) + 1
        # Closed when this wave took the last people who could be asked (or found none).
        plans.append(ShiftPlan(shift.id, shift.team_id, wave, tuple(chosen), not left))
    return plans


Span = tuple[datetime, datetime, int]  # (starts, ends, shift id), sorted by start


def _free(spans: Sequence[Span], shift_id: int, starts: datetime, ends: datetime,
          ws: datetime, we: datetime, length: float, limit_hours: float) -> bool:
    """Not on this shift, not on one overlapping it, and within the weekly hours with it."""
    hours = length
    index = bisect.bisect_left(spans, (ws,))
    for s_start, s_end, s_id in spans[index:]:
        if s_start >= we:
            break
        if s_id == shift_id or (s_start < ends and s_end > starts):
            return False
        hours += (s_end - s_start).total_seconds() / 3600
    for s_start, s_end, s_id in spans[:index]:  # started the week before, overlapping
        if s_id == shift_id or (s_start < ends and s_end > starts):
            return False
    return hours <= limit_hours


async def _busy(session: AsyncSession, start: datetime, end: datetime) -> dict[int, list[Span]]:
    """Everyone's open signups in the weeks concerned (narrowed by time, not by person)."""
    spans: dict[int, list[Span]] = defaultdict(list)
    for person_id, s_start, s_end, s_id in await session.execute(
        select(ShiftSignup.person_id, Shift.starts_at, Shift.ends_at, Shift.id)
        .join(Shift, Shift.id == ShiftSignup.shift_id)
        .where(Shift.status == ShiftStatus.OPEN, Shift.ends_at > start - timedelta(days=1),
               Shift.starts_at < end)
    ):
        spans[person_id].append((s_start, s_end, s_id))
    for value in spans.values():
        value.sort()
    return spans


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def _scores(session: AsyncSession) -> dict[int, float]:
    """Reliability (`bot.services.people.reliability`'s definition), in two grouped scans.

    Not narrowed to the teams' members: SQLite ran `person_id IN (members)` as an index probe
    per signup row (15 s at 300,000 signups against 0.3 s for the plain scan); the few
    people outside the teams cost less than that."""
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    judged = or_(EventRsvp.checked_in_at.is_not(None), EventRsvp.no_show.is_(True))
    events = select(EventRsvp.person_id, _count_if(EventRsvp.checked_in_at.is_not(None)),
                    _count_if(EventRsvp.no_show.is_(True))).where(judged).group_by(
        EventRsvp.person_id)
    shifts = select(ShiftSignup.person_id, _count_if(ShiftSignup.checked_in_at.is_not(None)),
                    _count_if(ShiftSignup.no_show.is_(True))).join(
        Shift, Shift.id == ShiftSignup.shift_id).where(
        or_(ShiftSignup.checked_in_at.is_not(None), ShiftSignup.no_show.is_(True)),
        Shift.status == ShiftStatus.OPEN).group_by(ShiftSignup.person_id)
    for query in (events, shifts):
        for person_id, attended, no_shows in await session.execute(query):
            counts[int(person_id)][0] += int(attended or 0)
            counts[int(person_id)][1] += int(no_shows or 0)
    return {p: a / (a + n) for p, (a, n) in counts.items() if a + n}


async def _asked(session: AsyncSession, shift_ids: list[int]) -> dict[int, set[int]]:
    asked: dict[int, set[int]] = defaultdict(set)
    for start in range(0, len(shift_ids), CHUNK):
        for shift_id, person_id in await session.execute(
            select(AutopilotAsk.shift_id, AutopilotAsk.person_id)
            .where(AutopilotAsk.shift_id.in_(shift_ids[start : start + CHUNK]))
        ):
            asked[shift_id].add(person_id)
    return asked


async def _write(session: AsyncSession, plans: list[ShiftPlan], now: datetime) -> int:
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    asks = [{"shift_id": p.shift_id, "person_id": person_id, "wave": p.wave, "asked_at": now}
            for p in plans for person_id, _ in p.asked]
    for start in range(0, len(asks), 1000):
        await session.execute(
            insert(AutopilotAsk).on_conflict_do_nothing(index_elements=["shift_id", "person_id"]),
            asks[start : start + 1000],
        )
    states = [{"shift_id": p.shift_id, "waves": p.wave, "asked": len(p.asked),
               "last_wave_at": now, "closed_at": now if p.closed else None} for p in plans]
    if states:
        stmt = insert(AutopilotShift)
        stmt = stmt.on_conflict_do_update(
            index_elements=["shift_id"],
            set_={"waves": stmt.excluded.waves,
                  "asked": AutopilotShift.asked + stmt.excluded.asked,
                  "last_wave_at": stmt.excluded.last_wave_at,
                  "closed_at": stmt.excluded.closed_at},
        )
        for start in range(0, len(states), 1000):
            await session.execute(stmt, states[start : start + 1000])
    return await enqueue(session, (
        NewMessage(
            kind=KIND_INVITE, chat_id=telegram_id, person_id=person_id,
            dedup_key=f"ap-ask:{p.shift_id}:{person_id}", due_at=now,
            params={"shift_id": p.shift_id}, cause=cause_of(p.shift_id),
            priority=PRIORITY_REMINDER,  # not urgent: quiet hours hold it till morning
        )
        for p in plans for person_id, telegram_id in p.asked
    ))


async def _report(
    session: AsyncSession, lines: list[tuple[int, list[int]]], now: datetime
) -> int:
    """One message per lead per run: what was done for their team's shifts, what filled.
    A line is (team id, [shift id, people asked, wave, nobody left to ask])."""
    by_team: dict[int, list[list[int]]] = defaultdict(list)
    for team_id, line in lines:
        by_team[team_id].append(line)
    entries: dict[tuple[int, int], list[list[int]]] = defaultdict(list)
    for team_id, team_lines in by_team.items():
        for person_id, telegram_id in await lead_targets(session, team_id):
            entries[(person_id, telegram_id)] += team_lines
    stamp = int(now.timestamp())
    return await enqueue(session, [
        NewMessage(
            kind=KIND_REPORT, chat_id=telegram_id, person_id=person_id,
            dedup_key=f"ap-rep:{person_id}:{stamp}", due_at=now,
            params={"shifts": rows[:REPORT_LINES], "more": max(len(rows) - REPORT_LINES, 0)},
            priority=PRIORITY_REMINDER,
        )
        for (person_id, telegram_id), rows in entries.items()
    ])


# ---- forecast (/summary) ---------------------------------------------------------------
async def understaffed_soon(
    session: AsyncSession, teams: Scope, now: datetime
) -> tuple[datetime, ...]:
    """Starts of the open shifts of the next 48 hours filled below 80 % with a place free;
    /summary counts those that fall on tomorrow in the reader's timezone."""
    query = select(Shift.starts_at).where(
        Shift.status == ShiftStatus.OPEN, Shift.starts_at > now,
        Shift.starts_at <= now + timedelta(hours=48), Shift.taken < Shift.capacity,
        Shift.taken < Shift.capacity * FORECAST_FILL_RATIO,
    )
    if teams is not None:
        query = query.where(Shift.team_id.in_(teams))
    return tuple(await session.scalars(query.order_by(Shift.starts_at)))


def forecast_line(reader: Reader, starts: Sequence[datetime]) -> str | None:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(reader.tz)
    tomorrow = (reader.now.astimezone(zone) + timedelta(days=1)).date()
    count = sum(1 for s in starts if s.astimezone(zone).date() == tomorrow)
    if not count:
        return None
    return reader.t("autopilot.forecast", count=count, shown=reader.number(count))


# ---- renderers -------------------------------------------------------------------------
@renderer(KIND_INVITE)
async def render_invite(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    from bot.views.shifts import CB_SHIFT, shift_lines

    shift = await session.get(Shift, int(param(row, "shift_id", 0)))
    if (shift is None or person is None or shift.status != ShiftStatus.OPEN
            or shift.starts_at <= reader.now or shift.taken >= shift.capacity):
        return None  # filled, cancelled or started meanwhile: nothing to ask any more
    mine = await session.scalar(select(ShiftSignup.id).where(
        ShiftSignup.shift_id == shift.id, ShiftSignup.person_id == person.id))
    if mine is not None:
        return None
    view = await shift_view(session, shift)
    text = reader.t("autopilot.invite", name=person.first_name or person.display_name,
                    free=view.free) + "\n\n" + shift_lines(reader, view)
    return Outgoing(text, [[Button(reader.t("autopilot.btn_claim"), f"{CB_SHIFT}:c:{shift.id}")]])


@renderer(KIND_REPORT)
async def render_report(
    session: AsyncSession, row: OutboxMessage, person: Person | None, reader: Reader
) -> Outgoing | None:
    rows = cast(list[list[int]], param(row, "shifts", []))
    lines = [reader.t("autopilot.report_title")]
    open_places = 0
    for shift_id, asked, wave, closed in rows:
        shift = await session.get(Shift, shift_id)
        if shift is None:
            continue
        free = max(shift.capacity - shift.taken, 0)
        when = reader.time_range(shift.starts_at, shift.ends_at)
        if shift.status != ShiftStatus.OPEN:
            state = reader.t("autopilot.report_cancelled")
        elif free == 0:
            state = reader.t("autopilot.report_full")
        elif closed:
            open_places += free
            state = reader.t("autopilot.report_nobody_left", free=free)
        else:
            open_places += free
            state = reader.t("autopilot.report_open", free=free)
        lines.append(reader.t("autopilot.report_line", title=shift.title, when=when,
                              asked=asked, wave=wave, state=state))
    more = int(param(row, "more", 0))
    if more:
        lines.append(reader.t("autopilot.report_more", count=more))
    lines.append(reader.t("autopilot.report_open_total", count=open_places)
                 if open_places else reader.t("autopilot.report_all_full"))
    return Outgoing("\n".join(lines)[:4000])
