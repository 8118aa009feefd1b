"""Tasks: create, claim, release, mark done with a note, photo and outcome numbers.

Claims use the same conditional `UPDATE ... WHERE taken < capacity` as shifts.
A claim writes its deadline nudges (24 h before and at the deadline) in the
same transaction; finishing or releasing withdraws them.  Outcomes ("40
doors") go to `task_outcome` as plain (quantity, unit) rows for the reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.kinds import TASK_NUDGE, task_claim_cause
from bot.delivery.outbox import NewMessage, enqueue, withdraw
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.services import audit
from bot.services.authz import Permission, require
from bot.services.flows import FlowKey, close_flow
from bot.services.people.members import Actor
from bot.services.people.skills import find_skill, person_skill_ids
from bot.services.shifts.common import eligibility_filter
from bot.services.shifts.parsing import TaskDraft, check_capacity
from bot.services.shifts.plan import PAGE_SIZE, resolve_team_for
from models import (
    ShiftStatus,
    Skill,
    Task,
    TaskClaim,
    TaskClaimStatus,
    TaskOutcome,
    Team,
)

NUDGE_HOURS = (24, 0)
MAX_QUANTITY = 1_000_000
MAX_NOTE = 1000
_OUTCOME_RE = re.compile(
    r"^(?P<q>\d{1,9})(?:\s+(?P<unit>[^\s\d][^\s]{0,39}))?(?:\s+(?P<note>.*))?$", re.S
)


@dataclass(frozen=True, slots=True)
class TaskView:
    id: int
    title: str
    description: str
    team_name: str | None
    skill_name: str | None
    deadline: datetime
    capacity: int
    taken: int
    cancelled: bool

    @property
    def free(self) -> int:
        return max(self.capacity - self.taken, 0)


@dataclass(frozen=True, slots=True)
class TaskPage:
    tasks: tuple[TaskView, ...]
    page: int
    pages: int


@dataclass(frozen=True, slots=True)
class MyTask:
    claim_id: int
    task: TaskView


@dataclass(frozen=True, slots=True)
class Outcome:
    quantity: int | None = None
    unit: str = ""
    note: str = ""


def parse_outcome(text: str) -> Outcome:
    """"40 doors great street" → (40, "doors", "great street"); text without a number is a note."""
    cleaned = " ".join(text.split()) if "\n" not in text else text.strip()
    if not cleaned or cleaned in ("-",):
        return Outcome()
    match = _OUTCOME_RE.match(cleaned)
    if match is None:
        return Outcome(note=cleaned[:MAX_NOTE])
    quantity = int(match["q"])
    if quantity > MAX_QUANTITY:
        raise InvalidInput("tasks.bad_quantity", max=MAX_QUANTITY)
    return Outcome(quantity, (match["unit"] or "").casefold(), (match["note"] or "")[:MAX_NOTE])


async def task_view(session: AsyncSession, task: Task) -> TaskView:
    team = await session.get(Team, task.team_id) if task.team_id else None
    skill = await session.get(Skill, task.skill_id) if task.skill_id else None
    return TaskView(
        task.id, task.title, task.description, team.name if team else None,
        skill.name if skill else None, task.deadline, task.capacity, task.taken,
        task.status == ShiftStatus.CANCELLED,
    )


async def create_task(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, draft: TaskDraft,
    *, now: datetime, flow: FlowKey | None = None,
) -> TaskView:
    """Writes the task; `flow`: the guided /newtask this ends, in the same transaction (a
    second tap on its last button finds it gone and writes nothing)."""
    require(actor, Permission.MANAGE_SHIFTS)
    if draft.deadline <= now:
        raise InvalidInput("shifts.in_past", text=draft.deadline.isoformat())
    check_capacity(draft.capacity)
    async with sessionmaker.begin() as session:
        if flow is not None:
            await close_flow(session, flow)
        team_id = await resolve_team_for(session, actor, draft.team_ref)
        skill_id = (await find_skill(session, draft.skill_ref)).id if draft.skill_ref else None
        task = Task(
            title=draft.title, description=draft.description, team_id=team_id, skill_id=skill_id,
            deadline=draft.deadline, capacity=draft.capacity, taken=0, status=ShiftStatus.OPEN,
            created_by_id=actor.person_id, created_at=now,
        )
        session.add(task)
        await session.flush()
        audit.record(
            session, action="task.create", actor_id=actor.person_id, target_type="task",
            target_id=task.id, title=draft.title,
        )
        return await task_view(session, task)


async def open_tasks(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, *, now: datetime, page: int = 0
) -> TaskPage:
    async with sessionmaker() as session:
        skills = await person_skill_ids(session, actor.person_id)
        mine = select(TaskClaim.task_id).where(TaskClaim.person_id == actor.person_id)
        where = (
            Task.status == ShiftStatus.OPEN,
            Task.deadline > now,
            Task.taken < Task.capacity,
            eligibility_filter(actor.team_ids, skills, Task.team_id, Task.skill_id),
            Task.id.not_in(mine),
        )
        total = await session.scalar(select(func.count()).select_from(Task).where(*where)) or 0
        pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        page = min(max(page, 0), pages - 1)
        rows = await session.scalars(
            select(Task).where(*where).order_by(Task.deadline, Task.id)
            .offset(page * PAGE_SIZE).limit(PAGE_SIZE)
        )
        return TaskPage(tuple([await task_view(session, t) for t in rows]), page, pages)


def nudge_messages(claim_id: int, task: Task, person_id: int, telegram_id: int,
                   now: datetime) -> list[NewMessage]:
    messages = []
    for hours in NUDGE_HOURS:
        due = task.deadline - timedelta(hours=hours)
        if due <= now:
            continue
        messages.append(
            TASK_NUDGE.message(
                chat_id=telegram_id, person_id=person_id, due_at=due,
                params={"task_id": task.id, "claim_id": claim_id, "hours": hours},
                claim_id=claim_id, hours=hours,
            )
        )
    return messages


async def claim_task(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, task_id: int, *, now: datetime
) -> tuple[TaskView, int]:
    try:
        async with sessionmaker.begin() as session:
            task = await session.get(Task, task_id)
            if task is None:
                raise NotFound("tasks.not_found")
            if task.status == ShiftStatus.CANCELLED:
                raise Conflict("tasks.cancelled")
            if task.deadline <= now:
                raise Conflict("tasks.past")
            if task.team_id is not None and task.team_id not in actor.team_ids:
                raise Conflict("shifts.not_your_team")
            if task.skill_id is not None and task.skill_id not in await person_skill_ids(
                session, actor.person_id
            ):
                raise Conflict("shifts.needs_skill")
            result = await session.execute(
                update(Task)
                .where(Task.id == task_id, Task.taken < Task.capacity)
                .values(taken=Task.taken + 1)
                .execution_options(synchronize_session=False)
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                raise Conflict("tasks.full")
            claim = TaskClaim(task_id=task_id, person_id=actor.person_id, claimed_at=now)
            session.add(claim)
            await session.flush()
            await enqueue(
                session, nudge_messages(claim.id, task, actor.person_id, actor.telegram_id, now)
            )
            audit.record(
                session, action="task.claim", actor_id=actor.person_id, target_type="task",
                target_id=task_id,
            )
            await session.refresh(task)
            return await task_view(session, task), claim.id
    except IntegrityError:
        raise Conflict("tasks.already_yours") from None


async def _own_claim(session: AsyncSession, actor: Actor, claim_id: int) -> TaskClaim:
    claim = await session.get(TaskClaim, claim_id)
    if claim is None:
        raise NotFound("tasks.claim_gone")
    if claim.person_id != actor.person_id:
        raise NotAllowed("shifts.not_yours", permission="task_other")
    return claim


async def release_task(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, claim_id: int
) -> TaskView:
    async with sessionmaker.begin() as session:
        claim = await _own_claim(session, actor, claim_id)
        if claim.status == TaskClaimStatus.DONE:
            raise Conflict("tasks.already_done")
        await withdraw(session, task_claim_cause(claim_id))
        await session.execute(delete(TaskClaim).where(TaskClaim.id == claim_id))
        await session.execute(
            update(Task).where(Task.id == claim.task_id, Task.taken > 0)
            .values(taken=Task.taken - 1).execution_options(synchronize_session=False)
        )
        task = await session.get(Task, claim.task_id)
        assert task is not None
        await session.refresh(task)
        audit.record(
            session, action="task.release", actor_id=actor.person_id, target_type="task",
            target_id=task.id,
        )
        return await task_view(session, task)


async def complete_task(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    claim_id: int,
    outcome: Outcome,
    *,
    now: datetime,
    photo_file_id: str | None = None,
) -> TaskView:
    """Marks the claim done (once) and keeps the note, photo and outcome numbers."""
    async with sessionmaker.begin() as session:
        claim = await _own_claim(session, actor, claim_id)
        won = await session.execute(
            update(TaskClaim)
            .where(TaskClaim.id == claim_id, TaskClaim.status == TaskClaimStatus.CLAIMED)
            .values(status=TaskClaimStatus.DONE, done_at=now, note=outcome.note,
                    photo_file_id=photo_file_id)
            .execution_options(synchronize_session=False)
        )
        if not won.rowcount:  # type: ignore[attr-defined]
            raise Conflict("tasks.already_done")
        await withdraw(session, task_claim_cause(claim_id))
        task = await session.get(Task, claim.task_id)
        assert task is not None
        if outcome.quantity is not None:
            session.add(
                TaskOutcome(
                    task_id=task.id, claim_id=claim_id, person_id=actor.person_id,
                    team_id=task.team_id, quantity=outcome.quantity,
                    unit=outcome.unit or "-", recorded_at=now,
                )
            )
        audit.record(
            session, action="task.done", actor_id=actor.person_id, target_type="task",
            target_id=task.id, quantity=outcome.quantity, unit=outcome.unit,
        )
        return await task_view(session, task)


async def add_outcome(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor, claim_id: int,
    outcome: Outcome, *, now: datetime, photo_file_id: str | None = None,
) -> None:
    """After "done" by button: the numbers, note or photo sent in the follow-up message."""
    async with sessionmaker.begin() as session:
        claim = await _own_claim(session, actor, claim_id)
        if claim.status != TaskClaimStatus.DONE:
            raise Conflict("tasks.not_done")
        if outcome.note:
            claim.note = outcome.note
        if photo_file_id:
            claim.photo_file_id = photo_file_id
        if outcome.quantity is not None:
            task = await session.get(Task, claim.task_id)
            session.add(
                TaskOutcome(
                    task_id=claim.task_id, claim_id=claim_id, person_id=actor.person_id,
                    team_id=task.team_id if task else None, quantity=outcome.quantity,
                    unit=outcome.unit or "-", recorded_at=now,
                )
            )


async def my_tasks(
    sessionmaker: async_sessionmaker[AsyncSession], actor: Actor
) -> list[MyTask]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(TaskClaim.id, Task)
            .join(Task, Task.id == TaskClaim.task_id)
            .where(
                TaskClaim.person_id == actor.person_id,
                TaskClaim.status == TaskClaimStatus.CLAIMED,
                Task.status == ShiftStatus.OPEN,
            )
            .order_by(Task.deadline)
            .limit(50)
        )
        return [MyTask(cid, await task_view(session, t)) for cid, t in rows.all()]
