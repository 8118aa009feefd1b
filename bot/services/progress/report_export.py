"""/report's CSV bundle: the period's raw rows (people, shifts, signups, attendance, tasks,
outcomes, budget) as a .zip of formula-safe CSVs, streamed from the database in batches.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Numeric, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import snapshot
from bot.services.authz import Permission, require
from bot.services.csv_export import csv_text
from bot.services.people.members import Actor
from bot.services.progress.goals import hours_expr
from bot.services.progress.report import in_bucket
from models import (
    BudgetLine,
    Event,
    EventRsvp,
    Expense,
    Membership,
    Person,
    Shift,
    ShiftSignup,
    Task,
    TaskClaim,
    TaskOutcome,
    Team,
)

EXPORT_BATCH = 5000


# ---- the CSV bundle --------------------------------------------------------------------------
def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


async def _write_csv(
    session: AsyncSession,
    bundle: dict[str, str],
    name: str,
    header: Sequence[str],
    query: Any,
) -> int:
    rows: list[Sequence[Any]] = []
    result = await session.stream(query.execution_options(yield_per=EXPORT_BATCH))
    async for partition in result.partitions(EXPORT_BATCH):
        rows.extend([_iso(v) for v in row] for row in partition)
    # The shared writer: formula-safe cells, formatted in a worker thread.
    bundle[name] = await csv_text(header, rows)
    return len(rows)


async def export_bundle(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    start: datetime,
    end: datetime,
) -> bytes:
    """A .zip of people, shifts, signups, attendance, tasks, outcomes (and budget) CSVs.

    Rows are those of the period: people registered by its end, shifts and events that
    started in it, tasks due in it, outcomes recorded in it; the whole budget ledger.
    """
    require(actor, Permission.VIEW_REPORT)
    bundle: dict[str, str] = {}
    async with snapshot(sessionmaker) as session:  # streamed, and the files agree
        team_names = (
            select(func.min(Team.name))
            .join(Membership, Membership.team_id == Team.id)
            .where(Membership.person_id == Person.id)
            .scalar_subquery()
        )
        await _write_csv(
            session,
            bundle,
            "people.csv",
            [
                "id",
                "first_name",
                "last_name",
                "username",
                "role",
                "team",
                "joined_at",
                "last_seen_at",
                "reachable",
            ],
            select(
                Person.id,
                Person.first_name,
                Person.last_name,
                Person.username,
                Person.role,
                team_names,
                Person.joined_at,
                Person.last_seen_at,
                Person.reachable,
            )
            .where(Person.joined_at < end)
            .order_by(Person.id),
        )
        in_period = in_bucket(Shift.starts_at, start, end)
        await _write_csv(
            session,
            bundle,
            "shifts.csv",
            [
                "id",
                "title",
                "team_id",
                "event_id",
                "starts_at",
                "ends_at",
                "capacity",
                "taken",
                "status",
            ],
            select(
                Shift.id,
                Shift.title,
                Shift.team_id,
                Shift.event_id,
                Shift.starts_at,
                Shift.ends_at,
                Shift.capacity,
                Shift.taken,
                Shift.status,
            )
            .where(in_period)
            .order_by(Shift.starts_at, Shift.id),
        )
        await _write_csv(
            session,
            bundle,
            "signups.csv",
            # hours: the shift's length; it counts as volunteer hours only when checked_in_at
            # is set (and the shift has ended).
            [
                "id",
                "shift_id",
                "person_id",
                "created_at",
                "shift_starts_at",
                "hours",
                "checked_in_at",
                "checked_in_by_id",
                "no_show",
            ],
            select(
                ShiftSignup.id,
                ShiftSignup.shift_id,
                ShiftSignup.person_id,
                ShiftSignup.created_at,
                Shift.starts_at,
                func.round(cast(hours_expr(session, Shift.starts_at, Shift.ends_at), Numeric), 2),
                ShiftSignup.checked_in_at,
                ShiftSignup.checked_in_by_id,
                ShiftSignup.no_show,
            )
            .join(Shift, Shift.id == ShiftSignup.shift_id)
            .where(in_period)
            .order_by(ShiftSignup.shift_id, ShiftSignup.id),
        )
        await _write_csv(
            session,
            bundle,
            "attendance.csv",
            [
                "event_id",
                "event",
                "starts_at",
                "person_id",
                "rsvp",
                "confirmed_at",
                "checked_in_at",
                "checkin_method",
                "no_show",
            ],
            select(
                Event.id,
                Event.title,
                Event.starts_at,
                EventRsvp.person_id,
                EventRsvp.status,
                EventRsvp.confirmed_at,
                EventRsvp.checked_in_at,
                EventRsvp.checkin_method,
                EventRsvp.no_show,
            )
            .join(Event, Event.id == EventRsvp.event_id)
            .where(in_bucket(Event.starts_at, start, end))
            .order_by(Event.starts_at, EventRsvp.id),
        )
        await _write_csv(
            session,
            bundle,
            "tasks.csv",
            [
                "task_id",
                "title",
                "team_id",
                "deadline",
                "person_id",
                "status",
                "claimed_at",
                "done_at",
                "on_time",
            ],
            select(
                Task.id,
                Task.title,
                Task.team_id,
                Task.deadline,
                TaskClaim.person_id,
                TaskClaim.status,
                TaskClaim.claimed_at,
                TaskClaim.done_at,
                case(
                    (TaskClaim.done_at.is_(None), None),
                    (TaskClaim.done_at <= Task.deadline, 1),
                    else_=0,
                ),
            )
            .outerjoin(TaskClaim, TaskClaim.task_id == Task.id)
            .where(in_bucket(Task.deadline, start, end))
            .order_by(Task.deadline, Task.id),
        )
        await _write_csv(
            session,
            bundle,
            "outcomes.csv",
            ["id", "task_id", "person_id", "team_id", "quantity", "unit", "recorded_at"],
            select(
                TaskOutcome.id,
                TaskOutcome.task_id,
                TaskOutcome.person_id,
                TaskOutcome.team_id,
                TaskOutcome.quantity,
                TaskOutcome.unit,
                TaskOutcome.recorded_at,
            )
            .where(in_bucket(TaskOutcome.recorded_at, start, end))
            .order_by(TaskOutcome.recorded_at, TaskOutcome.id),
        )
        await _write_csv(
            session,
            bundle,
            "budget.csv",
            [
                "line_id",
                "category",
                "planned_minor",
                "currency",
                "expense_id",
                "amount_minor",
                "status",
                "created_at",
            ],
            select(
                BudgetLine.id,
                BudgetLine.category,
                BudgetLine.planned_minor,
                BudgetLine.currency,
                Expense.id,
                Expense.amount_minor,
                Expense.status,
                Expense.created_at,
            )
            .outerjoin(Expense, Expense.budget_line_id == BudgetLine.id)
            .order_by(BudgetLine.category_key, Expense.id),
        )
    # Deflating megabytes is CPU work: a worker thread keeps the bot answering meanwhile.
    return await asyncio.to_thread(_zip, bundle)


def _zip(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()
