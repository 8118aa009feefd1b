"""A campaign's worth of generated data, written fast: multi-row INSERTs with explicit ids.

Why explicit ids: every foreign key (signup → shift, claim → task) is known up
front, so the whole campaign is written in a handful of batched statements
without reading anything back.  Proportions follow the issue's benchmark: per
volunteer 0.1 shift, 5 signups, 0.5 task; plus events with RSVPs and a budget.

    .venv/bin/python -m benchmarks.seed sqlite+aiosqlite:///demo.sqlite3 2000
"""

from __future__ import annotations

import asyncio
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from models import (
    BudgetLine,
    Event,
    EventRsvp,
    Expense,
    Goal,
    Membership,
    Person,
    Shift,
    ShiftSignup,
    Task,
    TaskClaim,
    TaskOutcome,
    Team,
)

BATCH = 2000
TEAM_NAMES = [
    "Jakarta Selatan", "Jakarta Timur", "Jakarta Barat", "Jakarta Utara", "Jakarta Pusat",
    "Bekasi", "Depok", "Bogor", "Tangerang", "Bandung", "Surabaya", "Medan",
]  # fmt: skip
UNITS = ["doors", "flyers", "calls"]


@dataclass(frozen=True, slots=True)
class SeedSize:
    volunteers: int
    shifts: int
    signups: int
    tasks: int
    events: int
    rsvps: int

    @classmethod
    def for_volunteers(cls, n: int) -> SeedSize:
        return cls(n, max(n // 10, 1), n * 5, max(n // 2, 1), max(n // 500, 2), n // 2)


async def _insert(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        await conn.execute(insert(table), list(rows[start : start + BATCH]))


def _t(model: Any) -> Table:
    return model.__table__


async def seed_campaign(
    engine: AsyncEngine,
    size: SeedSize,
    *,
    now: datetime,
    days: int = 120,
    teams: int = 8,
    rng_seed: int = 42,
    goals: bool = True,
) -> None:
    """Fills an empty schema with a campaign that started `days` ago and runs 2 weeks ahead."""
    rng = random.Random(rng_seed)
    start = now - timedelta(days=days)
    span = (now - start).total_seconds()
    team_count = min(teams, len(TEAM_NAMES))
    n = size.volunteers

    def moment(lo: datetime, hi: datetime) -> datetime:
        return lo + timedelta(seconds=rng.random() * max((hi - lo).total_seconds(), 1))

    async with engine.begin() as conn:
        await _insert(conn, _t(Team), [
            {"id": i + 1, "name": TEAM_NAMES[i], "name_key": TEAM_NAMES[i].casefold(),
             "created_at": start}
            for i in range(team_count)
        ])
        people, members = [], []
        for i in range(1, n + 1):
            # Growth speeds up over the campaign: more people join later (sqrt curve).
            joined = start + timedelta(seconds=span * rng.random() ** 0.6)
            seen = moment(joined, now) if rng.random() < 0.8 else joined
            unreachable = rng.random() < 0.03
            people.append({
                "id": i, "telegram_id": 10_000_000 + i, "first_name": f"Relawan {i}",
                "last_name": None, "username": f"r{i}", "language": "id" if i % 4 else "en",
                "timezone": None, "role": "lead" if i <= team_count else "volunteer",
                "reachable": not unreachable,
                "unreachable_reason": "blocked" if unreachable else None,
                "unreachable_since": moment(seen, now) if unreachable else None,
                "joined_at": joined, "last_seen_at": seen,
            })
            members.append({"id": i, "person_id": i, "team_id": (i - 1) % team_count + 1,
                            "is_lead": i <= team_count, "joined_at": joined})
        await _insert(conn, _t(Person), people)
        await _insert(conn, _t(Membership), members)

        shifts, signups = [], []
        per_shift = max(size.signups // size.shifts, 1)
        signup_id = 0
        for s in range(1, size.shifts + 1):
            begins = start + timedelta(days=days + 14) * (s / size.shifts)
            begins = begins.replace(minute=0, second=0, microsecond=0)
            wanted = max(1, min(per_shift + rng.randint(-per_shift // 3, per_shift // 3), n))
            capacity = wanted + rng.randint(0, max(per_shift // 5, 1))
            if begins > now:  # future shifts are still filling up
                wanted = rng.randint(0, wanted)
            shifts.append({
                "id": s, "title": f"Shift {s}", "team_id": (s - 1) % team_count + 1,
                "event_id": None, "place": "Posko", "starts_at": begins,
                "ends_at": begins + timedelta(hours=rng.choice((2, 3, 4))),
                "capacity": capacity, "taken": wanted, "skill_id": None, "notes": "",
                "status": "open", "created_by_id": 1, "created_at": start, "updated_at": start,
            })
            first = rng.randrange(n)
            ended = begins + timedelta(hours=4) < now
            for k in range(wanted):
                signup_id += 1
                # Past shifts: about 85 % came (checked in, so they count as hours), the rest
                # are no-shows, as the shifts sweep would have marked them.
                came = ended and rng.random() < 0.85
                signups.append({"id": signup_id, "shift_id": s,
                                "person_id": (first + k) % n + 1,
                                "created_at": min(begins, now) - timedelta(days=1),
                                "checked_in_at": begins if came else None,
                                "checked_in_by_id": None,
                                "no_show": ended and not came})
        await _insert(conn, _t(Shift), shifts)
        await _insert(conn, _t(ShiftSignup), signups)

        tasks, claims, outcomes = [], [], []
        for t in range(1, size.tasks + 1):
            deadline = start + timedelta(days=days + 14) * (t / size.tasks)
            team = (t - 1) % team_count + 1
            claimed = rng.random() < 0.75
            tasks.append({
                "id": t, "title": f"Tugas {t}", "description": "", "team_id": team,
                "skill_id": None, "deadline": deadline, "capacity": 1, "taken": int(claimed),
                "status": "open", "created_by_id": 1, "created_at": deadline - timedelta(days=5),
            })
            if not claimed:
                continue
            person = rng.randrange(n) + 1
            claimed_at = deadline - timedelta(days=3)
            done = claimed_at < now and rng.random() < 0.8
            done_at = claimed_at + timedelta(days=rng.uniform(0.2, 4.0)) if done else None
            if done_at and done_at > now:
                done_at = now
            claims.append({
                "id": t, "task_id": t, "person_id": person, "status": "done" if done else "claimed",
                "claimed_at": min(claimed_at, now), "done_at": done_at, "note": "",
                "photo_file_id": None, "escalated_at": None,
            })
            if done:
                outcomes.append({
                    "id": t, "task_id": t, "claim_id": t, "person_id": person, "team_id": team,
                    "quantity": rng.randint(5, 60), "unit": UNITS[t % len(UNITS)],
                    "recorded_at": done_at,
                })
        await _insert(conn, _t(Task), tasks)
        await _insert(conn, _t(TaskClaim), claims)
        await _insert(conn, _t(TaskOutcome), outcomes)

        events, rsvps = [], []
        per_event = max(size.rsvps // size.events, 1)
        rsvp_id = 0
        for e in range(1, size.events + 1):
            begins = (start + timedelta(days=days + 7) * (e / size.events)).replace(
                hour=10, minute=0, second=0, microsecond=0)
            past = begins + timedelta(hours=3) < now
            events.append({
                "id": e, "title": f"Acara {e}", "description": None, "place": "Lapangan",
                "latitude": None, "longitude": None, "checkin_radius_m": 300,
                "starts_at": begins, "ends_at": begins + timedelta(hours=3),
                "team_id": (e - 1) % team_count + 1 if e % 3 else None,
                "capacity": None, "going_count": per_event, "status": "scheduled",
                "checkin_token": f"tok{e:08d}", "created_by_id": 1,
                "created_at": start, "updated_at": start, "cancelled_at": None,
                "no_shows_marked_at": begins + timedelta(hours=4) if past else None,
            })
            first = rng.randrange(n)
            for k in range(min(per_event, n)):
                rsvp_id += 1
                came = past and rng.random() < 0.78
                rsvps.append({
                    "id": rsvp_id, "event_id": e, "person_id": (first + k) % n + 1,
                    "status": "going", "responded_at": begins - timedelta(days=3),
                    "confirmed_at": begins - timedelta(days=1) if rng.random() < 0.7 else None,
                    "checked_in_at": begins + timedelta(minutes=10) if came else None,
                    "checkin_method": "qr" if came else None, "checked_in_by_id": None,
                    "no_show": past and not came,
                })
        await _insert(conn, _t(Event), events)
        await _insert(conn, _t(EventRsvp), rsvps)

        lines = [("Konsumsi", 60_000_000), ("Cetak", 40_000_000), ("Transport", 25_000_000)]
        await _insert(conn, _t(BudgetLine), [
            {"id": i + 1, "category": c, "category_key": c.casefold(), "planned_minor": p,
             "currency": "IDR", "team_id": None, "event_id": None, "created_by_id": 1,
             "created_at": start, "updated_at": start}
            for i, (c, p) in enumerate(lines)
        ])
        await _insert(conn, _t(Expense), [
            {"id": i + 1, "amount_minor": rng.randint(1, 20) * 250_000, "currency": "IDR",
             "budget_line_id": i % len(lines) + 1, "note": "", "team_id": None,
             "event_id": None, "spent_by_id": rng.randrange(n) + 1,
             "status": "approved" if i % 5 else "pending", "created_at": moment(start, now)}
            for i in range(min(40, n))
        ])
        if goals:
            deadline = now + timedelta(days=40)
            await _insert(conn, _t(Goal), [
                {"id": 1, "metric": "volunteers", "target": int(n * 1.3), "deadline": deadline,
                 "team_id": None, "created_by_id": 1, "created_at": start, "updated_at": start},
                {"id": 2, "metric": "doors", "target": size.tasks * 12, "deadline": deadline,
                 "team_id": None, "created_by_id": 1, "created_at": start, "updated_at": start},
                {"id": 3, "metric": "hours", "target": size.signups * 3, "deadline": deadline,
                 "team_id": None, "created_by_id": 1, "created_at": start, "updated_at": start},
            ])
        if engine.dialect.name == "postgresql":
            # Explicit ids leave the sequences behind; move them past the data.
            for table in ("person", "team", "membership", "shift", "shift_signup", "task",
                          "task_claim", "task_outcome", "event", "event_rsvp", "budget_line",
                          "budget_expense", "goal"):
                await conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )


async def _main(url: str, volunteers: int) -> None:
    from bot.db import create_engine
    from models import Base

    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    await seed_campaign(engine, SeedSize.for_volunteers(volunteers), now=datetime.now(UTC))
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1000))
