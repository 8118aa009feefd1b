"""Who may see a team event: its team, whoever was invited (an `event_invitation` row, not
the outbox's delivery records), whoever answered, and its organisers."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import NotFound
from bot.services.broadcasts.catalog import AUDIENCES, recipients
from bot.services.events import events, reading
from models import (
    EventInvitation,
    Membership,
    OutboxMessage,
    Role,
    RsvpStatus,
    Team,
)
from tests.conftest import T0
from tests.events.test_event_services import TIMING, new_event, person


async def _team(sm: async_sessionmaker[AsyncSession], name: str, *people: int) -> int:
    async with sm.begin() as session:
        team = Team(name=name, name_key=name.lower())
        session.add(team)
        await session.flush()
        for person_id in people:
            session.add(Membership(person_id=person_id, team_id=team.id, is_lead=False))
        return team.id


async def test_an_invitation_is_a_record_of_its_own(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    coord = await person(sessionmaker, 1, Role.COORDINATOR)
    ani, citra = await person(sessionmaker, 2), await person(sessionmaker, 3)
    jaksel = await _team(sessionmaker, "Jaksel", ani.person_id)
    event_id = await new_event(sessionmaker, coord, team_id=jaksel)
    # Citra is in no team of the event: she cannot see it, nor answer a forged button.
    with pytest.raises(NotFound):
        await reading.get_event(sessionmaker, citra, event_id)
    assert await reading.upcoming_events(sessionmaker, citra, now=T0) == []

    first = await events.invite_audience(sessionmaker, coord, event_id, "all", now=T0)
    assert first.queued == 3
    async with sessionmaker.begin() as session:
        invited = set(
            await session.scalars(
                select(EventInvitation.person_id).where(EventInvitation.event_id == event_id)
            )
        )
        assert invited == {coord.person_id, ani.person_id, citra.person_id}
        # The delivery records may be purged: the invitation does not hang on them.
        await session.execute(delete(OutboxMessage))
    assert (await reading.get_event(sessionmaker, citra, event_id)).id == event_id
    assert [v.id for v in await reading.upcoming_events(sessionmaker, citra, now=T0)] == [
        event_id
    ]
    going = await events.rsvp(
        sessionmaker, citra, event_id, RsvpStatus.GOING, timing=TIMING, now=T0
    )
    assert going.changed
    # A second invitation keeps one record per person and queues nobody who answered.
    again = await events.invite_audience(sessionmaker, coord, event_id, "all", now=T0)
    assert again.queued == 2
    async with sessionmaker() as session:
        count = len((await session.scalars(select(EventInvitation))).all())
    assert count == 3


async def test_event_audiences_are_registered(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    import bot.features  # noqa: F401  (the bot as it runs: every feature imported)

    assert {"event", "event_unconfirmed"} <= set(AUDIENCES)
    coord = await person(sessionmaker, 1, Role.COORDINATOR)
    ani = await person(sessionmaker, 2)
    event_id = await new_event(sessionmaker, coord)
    await events.rsvp(sessionmaker, ani, event_id, RsvpStatus.GOING, timing=TIMING, now=T0)
    async with sessionmaker() as session:
        going = (await session.execute(await recipients(session, f"event:{event_id}"))).all()
        silent = (
            await session.execute(await recipients(session, f"event_unconfirmed:{event_id}"))
        ).all()
    assert [tuple(r) for r in going] == [(ani.person_id, 2)]
    assert [tuple(r) for r in silent] == [(ani.person_id, 2)]
