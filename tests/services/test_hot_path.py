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
from sqlalchemy import event, select, update

from bot.services.people.members import LAST_SEEN_GRANULARITY
from bot.views.i18n import I18n
from models import FlowState, Person, Role
from tests.conftest import T0
from tests.support.harness import BotHarness, start_harness

Statements = list[str]


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
