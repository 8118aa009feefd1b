"""The staffing autopilot: fills understaffed shifts by inviting the best-fitting people, in waves.

For each open shift of a team that switched the autopilot on, still short of people
`AUTOPILOT_HOURS_BEFORE` hours before it starts, one wave invites the people who fit best
(`bot.services.reach.staffing` says who).  The next wave comes `AUTOPILOT_WAVE_MINUTES`
later if places are still free; when nobody is left to ask, the shift is closed for the
autopilot and the lead is told.  Each run tells the leads what it did and what is still
open.  Everything goes through the outbox: invitations (`autopilot.invite`, not urgent:
quiet hours hold them) carry the cause `autopilot:<shift>` and are withdrawn when the shift
fills or is cancelled; `invite_to_send` also says None for an invitation whose shift is
full, cancelled or started by the time it would go out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import cast

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery.kinds import AUTOPILOT_INVITE, AUTOPILOT_REPORT, autopilot_cause
from bot.delivery.outbox import enqueue, withdraw
from bot.delivery.renderers import param
from bot.errors import NotAllowed
from bot.services import audit
from bot.services.authz import Permission, is_team_scoped, require
from bot.services.people.members import Actor
from bot.services.people.teams import find_team
from bot.services.progress.goals import Scope
from bot.services.reach.staffing import ShiftPlan, plan_wave, week_start
from bot.services.shifts.common import ShiftView, lead_targets, shift_view
from models import (
    AutopilotAsk,
    AutopilotShift,
    AutopilotTeam,
    OutboxMessage,
    Person,
    Shift,
    ShiftSignup,
    ShiftStatus,
    Team,
)

FORECAST_FILL_RATIO = 0.8  # "likely understaffed": below 80 % filled with a place free
REPORT_LINES = 15
# Invitations wait at most a night of quiet hours: older shifts have none left to withdraw.
WITHDRAW_HORIZON = timedelta(days=1)

__all__ = ["ShiftPlan", "plan_wave", "week_start"]  # the planning half, for the benchmarks


@dataclass(frozen=True, slots=True)
class TeamSetting:
    team_id: int
    name: str
    enabled: bool


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
            await _withdraw(session, _worked_on(now).where(Shift.team_id == team.id))
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
def _worked_on(now: datetime) -> Select[int]:
    """Shifts the autopilot invited people for that have not long started: only these can
    still have invitations waiting (a started shift's are skipped when they come due)."""
    return (select(AutopilotShift.shift_id).join(Shift, Shift.id == AutopilotShift.shift_id)
            .where(Shift.starts_at > now - WITHDRAW_HORIZON))


async def _withdraw(session: AsyncSession, shift_ids: Select[int]) -> int:
    """Withdraws the waiting invitations of these shifts (their cause `autopilot:<shift>`)."""
    withdrawn = 0
    for shift_id in list(await session.scalars(shift_ids)):
        withdrawn += await withdraw(session, autopilot_cause(shift_id))
    return withdrawn


async def sweep(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, *, now: datetime
) -> RunReport:
    """One run: withdraws invitations of filled shifts, plans and enqueues the due waves,
    tells the leads.  Idempotent: a repeated run finds nothing due until the next wave."""
    async with sessionmaker.begin() as session:
        withdrawn = await _withdraw(session, _worked_on(now).where(
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
    return await enqueue(session, (  # not urgent: quiet hours hold them till morning
        AUTOPILOT_INVITE.message(chat_id=telegram_id, person_id=person_id, due_at=now,
                                 params={"shift_id": p.shift_id}, shift_id=p.shift_id)
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
    return await enqueue(session, [
        AUTOPILOT_REPORT.message(
            chat_id=telegram_id, person_id=person_id, due_at=now, stamp=now,
            params={"shifts": rows[:REPORT_LINES], "more": max(len(rows) - REPORT_LINES, 0)},
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


# ---- what the outbox renderers show ----------------------------------------------------
@dataclass(frozen=True, slots=True)
class Invitation:
    """An autopilot invitation as it goes out: whom it greets and the shift, as it is now."""

    name: str
    shift: ShiftView


async def invite_to_send(
    session: AsyncSession, row: OutboxMessage, person: Person | None, now: datetime
) -> Invitation | None:
    """None when the shift filled, was cancelled or started meanwhile, or the person is on
    it already: nothing to ask any more."""
    shift = await session.get(Shift, int(param(row, "shift_id", 0)))
    if (shift is None or person is None or shift.status != ShiftStatus.OPEN
            or shift.starts_at <= now or shift.taken >= shift.capacity):
        return None
    mine = await session.scalar(select(ShiftSignup.id).where(
        ShiftSignup.shift_id == shift.id, ShiftSignup.person_id == person.id))
    if mine is not None:
        return None
    return Invitation(person.first_name or person.display_name, await shift_view(session, shift))


class ShiftOutcome(StrEnum):
    CANCELLED = "cancelled"
    FULL = "full"
    NOBODY_LEFT = "nobody_left"  # places free, nobody left to ask
    OPEN = "open"  # places free, the next wave will ask more


@dataclass(frozen=True, slots=True)
class ReportLine:
    title: str
    starts_at: datetime
    ends_at: datetime
    asked: int
    wave: int
    outcome: ShiftOutcome
    free: int


@dataclass(frozen=True, slots=True)
class LeadReport:
    """What one run did for a lead's shifts, with each shift's state when it goes out."""

    lines: tuple[ReportLine, ...]
    more: int  # lines left out

    @property
    def open_places(self) -> int:
        return sum(line.free for line in self.lines
                   if line.outcome in (ShiftOutcome.OPEN, ShiftOutcome.NOBODY_LEFT))


async def report_to_send(session: AsyncSession, row: OutboxMessage) -> LeadReport:
    lines: list[ReportLine] = []
    for shift_id, asked, wave, closed in cast(list[list[int]], param(row, "shifts", [])):
        shift = await session.get(Shift, shift_id)
        if shift is None:
            continue
        free = max(shift.capacity - shift.taken, 0)
        if shift.status != ShiftStatus.OPEN:
            outcome = ShiftOutcome.CANCELLED
        elif free == 0:
            outcome = ShiftOutcome.FULL
        else:
            outcome = ShiftOutcome.NOBODY_LEFT if closed else ShiftOutcome.OPEN
        lines.append(ReportLine(shift.title, shift.starts_at, shift.ends_at, asked, wave,
                                outcome, free))
    return LeadReport(tuple(lines), int(param(row, "more", 0)))
