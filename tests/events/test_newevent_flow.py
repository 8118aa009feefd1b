"""/newevent's questions lose no answer: each answer is checked at its own step by the rule
the use case applies, a refused answer is asked again with every earlier one kept, and the
last answer creates the event and ends the questions in one transaction (exactly one event)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FrozenClock
from bot.errors import InvalidInput
from bot.services import flows
from bot.services.events import drafts, events
from bot.services.flows import FlowGone, FlowKey
from models import Event, FlowState, Role
from tests.conftest import T0
from tests.events.test_event_services import START, TIMING, person
from tests.support.harness import start_harness


async def test_every_answer_is_checked_at_its_step_and_kept(tmp_path: Path) -> None:
    clock = FrozenClock(T0)
    url = f"sqlite+aiosqlite:///{tmp_path / 'newevent.sqlite3'}"
    async with start_harness(url, clock=clock) as bot:
        admin = bot.admin
        ask = await admin.send_and_wait("/start")
        await admin.press(ask, 1, expect="edit")
        await admin.send_and_wait("/team create Jaksel")

        assert "title" in (await admin.send_and_wait("/newevent")).text
        assert "start" in (await admin.send_and_wait("Rally")).text
        assert "How long" in (await admin.send_and_wait("2026-11-29 10:00")).text
        # "999h" is a length the event may not have: refused now, not after the last answer.
        too_long = await admin.send_and_wait("999h")
        assert "at most 14 days" in too_long.text
        assert "Where is it" in (await admin.send_and_wait("3h")).text
        # A length typed at the place question is not taken as the place.
        not_a_place = await admin.send_and_wait("2h")
        assert "looks like a time or a length, not a place" in not_a_place.text
        assert "map location" in (await admin.send_and_wait("GOR Senayan")).text
        assert "Which team" in (await admin.send_and_wait("-")).text
        assert "How many people" in (await admin.send_and_wait("Jaksel")).text
        # A bad capacity at the last step keeps every earlier answer and asks again.
        bad = await admin.send_and_wait("lots")
        assert "whole number from 1 to" in bad.text
        async with bot.db() as session:
            assert (await session.scalars(select(Event))).all() == []
            state = await session.get(FlowState, admin.user_id)
            assert state is not None and state.step == "capacity"
            assert state.data["title"] == "Rally" and state.data["place"] == "GOR Senayan"
        card = await admin.send_and_wait("50")
        assert "Event created" in card.text and "Rally" in card.text
        assert "GOR Senayan" in card.text and "Jaksel" in card.text
        assert "0 of 50 places taken" in card.text
        # The same last answer again: the questions are over, nothing is created twice.
        again = await admin.send_and_wait("50")
        assert "Event created" not in again.text
        async with bot.db() as session:
            (event,) = (await session.scalars(select(Event))).all()
            assert (event.title, event.place, event.capacity) == ("Rally", "GOR Senayan", 50)
            assert event.ends_at - event.starts_at == timedelta(hours=3)
            assert await session.get(FlowState, admin.user_id) is None


def test_the_step_rules_are_the_use_cases_rules() -> None:
    tz, lang = "Asia/Jakarta", "en"
    with pytest.raises(InvalidInput) as long:
        drafts.parse_end("999h", START, tz=tz, language=lang)
    assert long.value.key == "events.too_long"
    assert drafts.parse_end("3h", START, tz=tz, language=lang) == START + timedelta(hours=3)
    for typed in ("2h", "90m", "1:30"):
        with pytest.raises(InvalidInput) as place:
            drafts.parse_place(typed)
        assert place.value.key == "events.place_is_time"
    assert drafts.parse_place("GOR @ -6.2,106.8") == ("GOR", (-6.2, 106.8))
    assert drafts.parse_place("-") == (None, None)
    with pytest.raises(InvalidInput) as capacity:
        drafts.parse_capacity("0")
    assert capacity.value.key == "events.bad_capacity"
    assert drafts.parse_capacity("-") is None
    draft = drafts.EventDraft("Rally", START, START + timedelta(hours=999))
    with pytest.raises(InvalidInput) as whole:
        drafts.validate_draft(draft, T0)
    assert whole.value.key == "events.too_long"


async def test_the_last_answer_ends_the_flow_in_the_events_transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    coord = await person(sessionmaker, 1, Role.COORDINATOR)
    key = FlowKey(coord.telegram_id, "newevent")
    draft = drafts.EventDraft("Rally", START, START + timedelta(hours=3), place="GOR")
    await flows.start_flow(sessionmaker, coord.telegram_id, "newevent", "capacity", now=T0)
    # A refused write keeps the flow (its answers) as it was.
    with pytest.raises(InvalidInput):
        await events.create_event(
            sessionmaker, coord, drafts.EventDraft("Rally", START, START), timing=TIMING,
            now=T0, flow=key,
        )
    assert await flows.current_flow(sessionmaker, coord.telegram_id, now=T0) is not None
    await events.create_event(sessionmaker, coord, draft, timing=TIMING, now=T0, flow=key)
    assert await flows.current_flow(sessionmaker, coord.telegram_id, now=T0) is None
    # A second "last answer" (a redelivered update, a double send) finds the flow gone.
    with pytest.raises(FlowGone):
        await events.create_event(sessionmaker, coord, draft, timing=TIMING, now=T0, flow=key)
    async with sessionmaker() as session:
        assert len((await session.scalars(select(Event))).all()) == 1
