"""An event's shifts share its fate: cancelling the event cancels them and tells their people."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.services.events import events
from bot.services.shifts.claims import claim_shift
from models import OutboxMessage, OutboxStatus, Role, Shift, ShiftStatus
from tests.conftest import T0
from tests.events.test_event_services import START, new_event, person


async def test_cancelling_an_event_cancels_its_shifts(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    coord = await person(sessionmaker, 1, Role.COORDINATOR)
    ani = await person(sessionmaker, 2)
    event_id = await new_event(sessionmaker, coord)
    async with sessionmaker.begin() as session:
        shift = Shift(
            title="Registration desk",
            event_id=event_id,
            place="Pasar Minggu",
            starts_at=START,
            ends_at=START + timedelta(hours=2),
            capacity=3,
        )
        other = Shift(
            title="Unrelated",
            place="Tebet",
            starts_at=START,
            ends_at=START + timedelta(hours=1),
            capacity=3,
        )
        session.add_all([shift, other])
    await claim_shift(sessionmaker, ani, shift.id, Settings(_env_file=None), now=T0)  # type: ignore[call-arg]

    await events.cancel_event(sessionmaker, coord, event_id, now=T0 + timedelta(hours=1))

    async with sessionmaker() as session:
        statuses = dict((await session.execute(select(Shift.title, Shift.status))).all())
        assert statuses == {
            "Registration desk": ShiftStatus.CANCELLED,
            "Unrelated": ShiftStatus.OPEN,
        }
        outbox = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.person_id == ani.person_id)
            )
        )
    reminders = [r for r in outbox if r.kind == "shift.reminder"]
    assert reminders and all(r.status == OutboxStatus.CANCELLED for r in reminders)
    told = [r for r in outbox if r.kind == "shift.cancelled"]
    assert len(told) == 1 and told[0].status == OutboxStatus.PENDING
