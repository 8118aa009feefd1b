"""Who-is-this costs one query per update (bot.services.people.members.load_visitor).

The person, their memberships and teams and their open flow come back in one joined
SELECT; nothing is written when nothing changed (last_seen_at moves at most every
LAST_SEEN_GRANULARITY, in one UPDATE); nothing is cached across updates, so a role
changed between two messages shows on the next one.  Statements are counted on the
engine (`before_cursor_execute`), only those the update's own task runs (the outbox and
the jobs run beside it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import Conflict
from bot.services.people.members import LAST_SEEN_GRANULARITY
from bot.services.shifts.claims import claim_shift
from bot.views.i18n import I18n
from models import (
    FlowState,
    OutboxMessage,
    Person,
    Role,
    Shift,
    ShiftSignup,
    ShiftStatus,
    Team,
)
from tests.conftest import T0
from tests.shifts.factories import make_people, make_shift, make_team, settings
from tests.support.harness import BotHarness, start_harness, team_of_volunteers

Statements = list[str]
SETTINGS = settings()
# A claim tap: who-is-this, the update's dedup row, then the claim's own five (the shift
# with its checks, the guarded signup insert, its reminders, the audit, the place count).
CLAIM_STATEMENTS = 7


@contextmanager
def update_statements(bot: BotHarness) -> Iterator[Statements]:
    """The SQL the bot runs while handling updates (BEGIN/COMMIT left out)."""
    seen: Statements = []

    def hook(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        task = asyncio.current_task()
        if task is not None and ":process_" in task.get_name():
            word = statement.lstrip().split(None, 1)[0].upper()
            if word not in ("BEGIN", "COMMIT", "ROLLBACK"):
                seen.append(" ".join(statement.split()))

    sync_engine = bot.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", hook)
    try:
        yield seen
    finally:
        event.remove(sync_engine, "before_cursor_execute", hook)


def writes(statements: Statements) -> Statements:
    return [s for s in statements if not s.upper().startswith("SELECT")]


@pytest.mark.parametrize("lang", ["en", "id"])
async def test_help_is_one_select_and_writes_nothing(db_url: str, lang: str) -> None:
    async with start_harness(db_url) as bot:
        ani = bot.user(2, "Ani", lang)
        await ani.send_and_wait("/help")  # first contact registers her
        async with bot.db() as session:
            seen_before = await session.scalar(
                select(Person.last_seen_at).where(Person.telegram_id == 2)
            )
        with update_statements(bot) as statements:
            reply = await ani.send_and_wait("/help")
        title = I18n().t(lang, "help.title", role="").split("(")[0]
        assert reply.text.startswith(title.replace("<b>", "").replace("</b>", ""))
        assert "/me" in reply.text and "/invite" not in reply.text
        assert len(statements) == 1, statements
        assert statements[0].startswith("SELECT person.") and "flow_state" in statements[0]
        async with bot.db() as session:
            seen_after = await session.scalar(
                select(Person.last_seen_at).where(Person.telegram_id == 2)
            )
        assert seen_after == seen_before


@pytest.mark.parametrize("lang", ["en", "id"])
async def test_free_text_reads_person_and_flow_in_one_query(db_url: str, lang: str) -> None:
    async with start_harness(db_url) as bot:
        budi = bot.user(3, "Budi", lang)
        await budi.send_and_wait("/help")
        with update_statements(bot) as statements:
            hint = await budi.send_and_wait("hello")
        assert hint.text == I18n().t(lang, "flow.no_flow_hint")
        assert len(statements) == 1, statements
        assert not writes(statements)
        async with bot.db() as session:
            assert await session.get(FlowState, 3) is None


async def test_last_seen_moves_in_one_update_at_most_every_granularity(
    db_url: str,
) -> None:
    async with start_harness(db_url) as bot:
        citra = bot.user(4, "Citra", "en")
        await citra.send_and_wait("/help")
        later = T0 + LAST_SEEN_GRANULARITY + timedelta(seconds=1)
        bot.clock.set(later)
        with update_statements(bot) as statements:
            await citra.send_and_wait("/help")
        assert len(statements) == 2, statements
        assert writes(statements) == [writes(statements)[0]]
        assert writes(statements)[0].upper().startswith("UPDATE PERSON SET LAST_SEEN_AT")
        with update_statements(bot) as statements:
            await citra.send_and_wait("/help")
        assert len(statements) == 1 and not writes(statements)
        async with bot.db() as session:
            seen = await session.scalar(select(Person.last_seen_at).where(Person.telegram_id == 4))
        assert seen == later


@pytest.mark.parametrize("lang", ["en", "id"])
async def test_a_role_changed_mid_conversation_shows_on_the_next_update(
    db_url: str, lang: str
) -> None:
    async with start_harness(db_url) as bot:
        dewi = bot.user(5, "Dewi", lang)
        before = await dewi.send_and_wait("/help")
        assert "/newshift" not in before.text
        async with bot.db.begin() as session:
            await session.execute(
                update(Person).where(Person.telegram_id == 5).values(role=Role.COORDINATOR)
            )
        after = await dewi.send_and_wait("/help")
        assert "/newshift" in after.text and "/invite" in after.text


@pytest.mark.parametrize("lang", ["en", "id"])
async def test_a_claim_tap_is_few_statements_and_the_reply_is_right(
    db_url: str, lang: str
) -> None:
    """The rally's hot path: who-is-this, then the claim in one transaction."""
    async with team_of_volunteers(db_url, lang, {2: "Ani", 3: "Budi"}) as bot:
        async with bot.db.begin() as session:
            team_id = await session.scalar(select(Team.id))
            session.add(Shift(
                title="Door-knocking Tebet", team_id=team_id, place="Pasar Tebet",
                starts_at=T0 + timedelta(days=2), ends_at=T0 + timedelta(days=2, hours=3),
                capacity=1, taken=0, status=ShiftStatus.OPEN,
            ))
        ani, budi = bot.user(2, "Ani", lang), bot.user(3, "Budi", lang)
        listing = await ani.send_and_wait("/shifts")
        late_listing = await budi.send_and_wait("/shifts")
        with update_statements(bot) as statements:
            claimed = await ani.press(listing, 0, expect="edit")
        i18n = I18n()
        assert claimed.answer.text == i18n.t(lang, "shifts.claimed_toast")
        assert claimed.message is not None and "Door-knocking Tebet" in claimed.message.text
        assert len(statements) == CLAIM_STATEMENTS, statements
        claim = statements[2:]
        assert claim[0].startswith("SELECT shift.id") and "person_skill" in claim[0]
        assert claim[1].startswith("INSERT INTO shift_signup") and "NOT (EXISTS" in claim[1]
        assert [s.split("(")[0].strip() for s in claim[2:]] == [
            "INSERT INTO outbox", "INSERT INTO audit_log", "UPDATE shift SET taken="]
        assert all("RETURNING" not in s for s in claim if s.startswith("INSERT INTO audit"))
        with update_statements(bot) as statements:
            full = await budi.press(late_listing, 0, expect="edit")
        assert full.message is not None and "Door-knocking Tebet" in full.message.text
        assert i18n.t(lang, "shifts.btn_waitlist") in full.message.button_texts
        assert not [s for s in writes(statements) if "shift_signup" in s or "outbox" in s]
        async with bot.db() as session:
            assert await session.scalar(select(Shift.taken)) == 1
            signups = (await session.scalars(select(ShiftSignup.person_id))).all()
            ani_id = await session.scalar(select(Person.id).where(Person.telegram_id == 2))
            reminders = await session.scalar(
                select(func.count()).select_from(OutboxMessage)
                .where(OutboxMessage.kind == "shift.reminder"))
        assert signups == [ani_id] and reminders == 2


async def test_one_person_racing_claims_on_overlapping_shifts_gets_exactly_one(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """The overlap check lives inside the signup's INSERT: one person's simultaneous taps on
    eight overlapping shifts (and twice on each) still end with one place, the others
    refused as a clash or as already theirs."""
    team = await make_team(sessionmaker)
    (coord,) = await make_people(sessionmaker, 1, team_id=None, role=Role.COORDINATOR, first_id=1)
    (ani,) = await make_people(sessionmaker, 1, team_id=team)
    shift_ids = [
        await make_shift(sessionmaker, coord, now=T0, team_id=team, title=f"Shift {n}",
                         start_in=timedelta(days=2, minutes=10 * n))
        for n in range(8)
    ]

    async def claim(shift_id: int) -> str:
        try:
            await claim_shift(sessionmaker, ani, shift_id, SETTINGS, now=T0)
        except Conflict as refused:
            return refused.key
        return "ok"

    outcomes = await asyncio.gather(*(claim(s) for s in shift_ids + shift_ids))
    assert outcomes.count("ok") == 1, outcomes
    assert set(outcomes) <= {"ok", "shifts.overlap", "shifts.already_yours"}, outcomes
    async with sessionmaker() as session:
        signups = (await session.scalars(select(ShiftSignup.shift_id))).all()
        taken = (await session.scalars(select(Shift.taken).order_by(Shift.id))).all()
        reminders = await session.scalar(select(func.count()).select_from(OutboxMessage)
                                         .where(OutboxMessage.kind == "shift.reminder"))
    assert len(signups) == 1 and sorted(taken) == [0] * 7 + [1] and reminders == 2
