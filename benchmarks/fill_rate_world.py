"""The campaign and the volunteers of `benchmarks.fill_rate_bench`: who exists, and how they act.

Seeded in bulk on the bot's database before the simulated day starts (the day itself goes
only through the sandbox): teams with a lead each, volunteers with a true reliability
(their past check-ins and no-shows are drawn from it, so the bot's estimate follows it),
a skill a third of them have, signups this week (the weekly-hours and clash checks), and
the understaffed shifts of tomorrow.  `Model` is the volunteers' behaviour, explicit and
seeded, so both scenarios face the same people with the same dice.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import create_sessionmaker
from models import (
    AutopilotTeam,
    Membership,
    Person,
    PersonSkill,
    Role,
    Shift,
    ShiftSignup,
    ShiftStatus,
    Skill,
    Team,
)
from sandbox import SandboxServer, UserSpec

ADMIN_TID = 1
LEAD_BASE = 5_000
VOLUNTEER_BASE = 10_000
PAST_SHIFTS_PER_TEAM = 10
BUSY_HOURS = 5  # a shift of this week the volunteer is already on
SHIFT_HOURS = 3  # tomorrow's understaffed shifts
# Busy signups per volunteer this week (0..4 shifts of 5 h: 4 of them and one more 3 h shift
# is over the autopilot's 20 h a week).
BUSY_WEIGHTS = (0.4, 0.25, 0.15, 0.1, 0.1)
BATCH = 5_000


@dataclass(frozen=True)
class Model:
    """How a simulated volunteer acts on what the bot sends (seeded: same dice per seed)."""

    p_personal: float  # taps Claim on a personal invitation (at mean reliability)
    p_broadcast: float  # reads a broadcast, opens /shifts and claims one (at mean reliability)
    delay_mean_min: float  # mean of the exponential delay between receiving and acting
    reliability_a: float = 4.0  # true reliability ~ Beta(a, b)
    reliability_b: float = 1.5

    @property
    def mean_reliability(self) -> float:
        return self.reliability_a / (self.reliability_a + self.reliability_b)

    def chance(self, base: float, reliability: float) -> float:
        """Reliable people answer more: base x reliability / mean reliability, at most 1."""
        return min(1.0, base * reliability / self.mean_reliability)

    def describe(self) -> str:
        return (
            f"volunteer model: true reliability r ~ Beta({self.reliability_a:g}, "
            f"{self.reliability_b:g}) (mean {self.mean_reliability:.2f}); past check-ins drawn "
            f"from r (0-6 judged shifts, none = unjudged)\n"
            f"  personal invitation with a Claim button: taps it with p = {self.p_personal:g} "
            f"x r / mean r, after an exponential delay (mean {self.delay_mean_min:g} min)\n"
            f"  broadcast to everyone: with p = {self.p_broadcast:g} x r / mean r, after the "
            f"same delay, sends /shifts and taps a random shift the list offers to take "
            f"(not full, no clash); nothing there: gives up\n"
            f"  each decision once per message; a tap after the day's end is not made"
        )


@dataclass(frozen=True)
class Volunteer:
    telegram_id: int
    person_id: int
    team: int  # index
    reliability: float
    language: str


@dataclass
class World:
    volunteers: dict[int, Volunteer]  # by telegram id
    leads: set[int]  # telegram ids
    targets: list[int]  # the understaffed shifts' ids
    places_open: int  # free places on them at the start
    taken_at_start: dict[int, int]
    lines: list[str] = field(default_factory=list)  # the broadcast's per-team list


async def _bulk(engine: AsyncEngine, model: type, rows: Sequence[Mapping[str, object]]) -> None:
    db = create_sessionmaker(engine)
    for start in range(0, len(rows), BATCH):
        async with db.begin() as session:
            await session.execute(insert(model), list(rows[start : start + BATCH]))


async def _people(engine: AsyncEngine, sandbox: SandboxServer, rng: random.Random,
                  teams: int, volunteers: int) -> tuple[list[int], list[dict[str, object]]]:
    """Teams, the admin, a lead per team and the volunteers (each with a private chat)."""
    db = create_sessionmaker(engine)
    async with db.begin() as session:
        session.add_all([Team(name=f"Tim {i + 1}", name_key=f"tim {i + 1}") for i in range(teams)])
        session.add(Skill(name="driver", name_key="driver"))
    async with db() as session:
        team_ids = list(await session.scalars(select(Team.id).order_by(Team.id)))
    people: list[dict[str, object]] = [
        {"telegram_id": ADMIN_TID, "first_name": "Admin", "role": Role.ADMIN, "language": "en"}]
    people += [{"telegram_id": LEAD_BASE + t, "first_name": f"Lead{t + 1}", "role": Role.LEAD,
                "language": "id"} for t in range(teams)]
    people += [{"telegram_id": VOLUNTEER_BASE + i, "first_name": f"V{i}", "role": Role.VOLUNTEER,
                "language": "id" if rng.random() < 0.7 else "en"} for i in range(volunteers)]
    await _bulk(engine, Person, people)
    for row in people:
        tid, name = int(str(row["telegram_id"])), str(row["first_name"])
        sandbox.world.private_chat(UserSpec(tid, name, language_code=str(row["language"])))
    return team_ids, people


async def seed(engine: AsyncEngine, sandbox: SandboxServer, rng: random.Random, *, teams: int,
               volunteers: int, shifts: int, start: datetime, model: Model,
               autopilot_on: bool) -> World:
    """The campaign at `start` (a Thursday 08:00 in Jakarta); tomorrow's shifts understaffed."""
    team_ids, people = await _people(engine, sandbox, rng, teams, volunteers)
    db = create_sessionmaker(engine)
    async with db() as session:
        ids = dict((await session.execute(select(Person.telegram_id, Person.id))).tuples().all())
        skill_id = await session.scalar(select(Skill.id))
    world = World({}, {LEAD_BASE + t for t in range(teams)}, [], 0, {})
    members: list[list[int]] = [[] for _ in team_ids]
    for i, row in enumerate(people[1 + teams :]):
        tid = int(str(row["telegram_id"]))
        r = rng.betavariate(model.reliability_a, model.reliability_b)
        world.volunteers[tid] = Volunteer(tid, ids[tid], i % teams, r, str(row["language"]))
        members[i % teams].append(ids[tid])
    await _bulk(engine, Membership, [
        {"person_id": ids[LEAD_BASE + t], "team_id": team_ids[t], "is_lead": True}
        for t in range(teams)] + [
        {"person_id": v.person_id, "team_id": team_ids[v.team], "is_lead": False}
        for v in world.volunteers.values()])
    await _bulk(engine, PersonSkill, [
        {"person_id": v.person_id, "skill_id": skill_id}
        for v in world.volunteers.values() if rng.random() < 1 / 3])
    if autopilot_on:
        await _bulk(engine, AutopilotTeam, [
            {"team_id": t, "enabled": True, "changed_at": start} for t in team_ids])
    await _history(engine, rng, world, team_ids, members, start)
    await _targets(engine, rng, world, team_ids, members, shifts, start, skill_id)
    return world


def _shift(title: str, team_id: int, starts: datetime, hours: float, capacity: int, taken: int,
           skill_id: int | None = None) -> dict[str, object]:
    return {"title": title, "team_id": team_id, "place": "Posko", "notes": "",
            "starts_at": starts, "ends_at": starts + timedelta(hours=hours),
            "capacity": capacity, "taken": taken, "status": ShiftStatus.OPEN,
            "skill_id": skill_id}


async def _shift_ids(engine: AsyncEngine, prefix: str) -> list[int]:
    async with create_sessionmaker(engine)() as session:
        return list(await session.scalars(
            select(Shift.id).where(Shift.title.like(f"{prefix}%")).order_by(Shift.id)))


async def _history(engine: AsyncEngine, rng: random.Random, world: World, team_ids: list[int],
                   members: list[list[int]], start: datetime) -> None:
    """Judged past signups (reliability) and full shifts this week (hours and clashes)."""
    week = start - timedelta(days=start.weekday())  # Monday, same hour
    past: list[dict[str, object]] = []
    busy: list[dict[str, object]] = []
    for t, team_id in enumerate(team_ids):
        past += [_shift(f"Past {t}.{j}", team_id, start - timedelta(days=2 + 3 * j), 3, 200, 0)
                 for j in range(PAST_SHIFTS_PER_TEAM)]
        busy += [_shift(f"Busy {t}.{d}.{h}", team_id, week + timedelta(days=d, hours=h),
                        BUSY_HOURS, 1, 0) for d in range(7) for h in (1, 7)]
    await _bulk(engine, Shift, past + busy)
    past_ids, busy_ids = await _shift_ids(engine, "Past "), await _shift_ids(engine, "Busy ")
    signups: list[dict[str, object]] = []
    for v in world.volunteers.values():
        for shift_id in rng.sample(past_ids[v.team * PAST_SHIFTS_PER_TEAM :]
                                   [:PAST_SHIFTS_PER_TEAM], rng.randint(0, 6)):
            came = rng.random() < v.reliability
            signups.append({"shift_id": shift_id, "person_id": v.person_id,
                            "checked_in_at": start - timedelta(days=1) if came else None,
                            "no_show": not came})
    counts: dict[int, int] = {}
    per_team = len(busy_ids) // len(team_ids)
    for v in world.volunteers.values():
        k = rng.choices(range(len(BUSY_WEIGHTS)), BUSY_WEIGHTS)[0]
        for shift_id in rng.sample(busy_ids[v.team * per_team : (v.team + 1) * per_team], k):
            signups.append({"shift_id": shift_id, "person_id": v.person_id})
            counts[shift_id] = counts.get(shift_id, 0) + 1
    for t, people in enumerate(members):  # no busy shift left empty: each is full
        for shift_id in busy_ids[t * per_team : (t + 1) * per_team]:
            if shift_id not in counts and people:
                signups.append({"shift_id": shift_id, "person_id": rng.choice(people)})
                counts[shift_id] = 1
    await _bulk(engine, ShiftSignup, signups)
    await _set_counts(engine, counts, full=True)


async def _set_counts(engine: AsyncEngine, counts: Mapping[int, int], *, full: bool) -> None:
    from sqlalchemy import update

    async with create_sessionmaker(engine).begin() as session:
        for shift_id, n in counts.items():
            values = {"taken": n, "capacity": n} if full else {"taken": n}
            await session.execute(update(Shift).where(Shift.id == shift_id).values(**values))


async def _targets(engine: AsyncEngine, rng: random.Random, world: World, team_ids: list[int],
                   members: list[list[int]], shifts: int, start: datetime,
                   skill_id: int | None) -> None:
    """Tomorrow's understaffed shifts (09:00-19:00 starts, 3 h, 2+ places free each), dealt
    to the teams in turn; every fifth of a team's shifts needs the skill."""
    tomorrow = start + timedelta(days=1, hours=1)  # Friday 09:00 WIB
    rows, taken = [], []
    for i in range(shifts):
        capacity = rng.randint(3, 6)
        taken.append(rng.randint(0, capacity - 2))
        starts = tomorrow + timedelta(minutes=30 * rng.randint(0, 20))
        rows.append(_shift(f"Door-knocking {i + 1}", team_ids[i % len(team_ids)], starts,
                           SHIFT_HOURS, capacity, 0,
                           skill_id if (i // len(team_ids)) % 5 == 4 else None))
    await _bulk(engine, Shift, rows)
    world.targets = await _shift_ids(engine, "Door-knocking ")
    signups, counts = [], {}
    for i, shift_id in enumerate(world.targets):
        for person_id in rng.sample(members[i % len(team_ids)], taken[i]):
            signups.append({"shift_id": shift_id, "person_id": person_id})
        counts[shift_id] = taken[i]
        world.places_open += int(str(rows[i]["capacity"])) - taken[i]
    await _bulk(engine, ShiftSignup, signups)
    await _set_counts(engine, counts, full=False)
    world.taken_at_start = counts
    for t in range(len(team_ids)):
        mine = [(r, n) for i, (r, n) in enumerate(zip(rows, taken, strict=True))
                if i % len(team_ids) == t]
        free = sum(int(str(r["capacity"])) - n for r, n in mine)
        world.lines.append(f"Tim {t + 1}: {len(mine)} shifts, {free} places")
