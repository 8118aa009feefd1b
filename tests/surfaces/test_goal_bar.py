"""/goals at 0 % shows an empty bar (issue #17), in both languages: the bar agrees with the
percentage printed next to it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.views.formatting import progress_bar
from models import Person, Task, TaskClaim
from tests.conftest import T0
from tests.support.harness import start_harness

EMPTY, ONE_BLOCK = "░" * 10, "▓" + "░" * 9


def goal_line(text: str) -> str:
    return next(line for line in text.split("\n") if "%" in line)


@pytest.mark.parametrize("lang", ["en", "id"])
async def test_goal_bar_is_empty_while_the_goal_reads_zero_percent(
    tmp_path: Path, lang: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'goals.sqlite3'}"
    async with start_harness(url, clock=FrozenClock(T0)) as bot:
        admin, budi = bot.user(1, "Admin", lang), bot.user(5, "Budi", lang)
        await budi.send_and_wait("/start")
        await admin.send_and_wait("/goal doors 10000 2026-12-31")
        fresh = goal_line((await admin.send_and_wait("/goals")).text)
        async with bot.db.begin() as session:
            person = await session.scalar(select(Person).where(Person.telegram_id == 5))
            assert person is not None
            task = Task(title="Door to door", deadline=T0 + timedelta(days=2), capacity=1, taken=1)
            session.add(task)
            await session.flush()
            session.add(TaskClaim(task_id=task.id, person_id=person.id, claimed_at=T0))
        await budi.send_and_wait("/done 3 doors")
        barely = goal_line((await admin.send_and_wait("/goals")).text)
    assert f"{EMPTY} 0%" in fresh
    assert f"{EMPTY} 0%" in barely  # 3 of 10,000: the bar said "started", the text "0%"


def test_bar_rule_at_the_edges() -> None:
    assert progress_bar(0.0049) == EMPTY
    assert progress_bar(0.005) == ONE_BLOCK
    assert progress_bar(0.999) == "▓" * 9 + "░"
