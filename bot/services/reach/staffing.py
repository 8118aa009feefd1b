"""Who the staffing autopilot asks for a shift: candidates, ranked, within their limits.

The planning half of `bot.services.reach.autopilot` (nothing written here).  For each
due shift, up to `free places x AUTOPILOT_WAVE_FACTOR` people who fit best:

* members of the shift's team with the skill it needs, reachable, not partners/media,
  not its leads (they get the report);
* not already on it, not on another shift at that time, not over
  `AUTOPILOT_WEEKLY_HOURS_LIMIT` hours in the shift's week (campaign timezone) with it;
* never asked for this shift before (`autopilot_ask` is unique per shift and person);
* at most one invitation per person per wave, so nobody gets ten at once;
* highest reliability first (someone not yet judged counts as 0.5: proven people first,
  newcomers before those who often did not come), then person id (deterministic).

A handful of set-based queries for all shifts of the run (members, skills, signups in the
weeks concerned, reliability, previous asks) and a pass in Python over each team's
candidates sorted once: 1,000 shifts over 100,000 volunteers plan in seconds.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.services.shifts.common import OUTSIDERS
from models import (
    AutopilotAsk,
    AutopilotShift,
    AutopilotTeam,
    EventRsvp,
    Membership,
    Person,
    PersonSkill,
    Shift,
    ShiftSignup,
    ShiftStatus,
)

MAX_SHIFTS_PER_RUN = 2000
UNJUDGED_SCORE = 0.5
CHUNK = 500


@dataclass(frozen=True, slots=True)
class ShiftPlan:
    shift_id: int
    team_id: int
    wave: int
    asked: tuple[tuple[int, int], ...]  # (person id, telegram id)
    closed: bool  # nobody left to ask



def week_start(moment: datetime, tz: str) -> datetime:
    """Monday 00:00 of the moment's week in the campaign's timezone, as UTC."""
    from zoneinfo import ZoneInfo

    local = moment.astimezone(ZoneInfo(tz))
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0)
    return monday.astimezone(moment.tzinfo)


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
