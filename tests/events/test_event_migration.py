"""Migration 0006 on a database holding data: the invitations a deployed outbox already
holds become `event_invitation` rows, and the pending answer rows move to their answer's
cause (and back on downgrade).  Its own module: the database must start empty."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import MetaData, Table, insert, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot import migrate
from models import Event, OutboxMessage, Person

AT = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)


def _old_rows() -> list[tuple[Any, dict[str, Any]]]:
    """An invited person and a pending reminder as revision 0005 wrote them."""
    outbox = OutboxMessage.__table__
    common = {"chat_id": 9002, "person_id": 2, "status": "pending", "priority": 5,
              "urgent": False, "attempts": 0, "created_at": AT, "updated_at": AT,
              "due_at": AT + timedelta(days=1), "cause": "event:1"}
    return [
        (Person.__table__, {"id": 1, "telegram_id": 9001, "first_name": "Sari", "language": "id",
                            "role": "coordinator", "reachable": True, "joined_at": AT,
                            "last_seen_at": AT}),
        (Person.__table__, {"id": 2, "telegram_id": 9002, "first_name": "Citra", "language": "id",
                            "role": "volunteer", "reachable": True, "joined_at": AT,
                            "last_seen_at": AT}),
        (Event.__table__, {"id": 1, "title": "Nobar", "checkin_radius_m": 200,
                           "starts_at": AT + timedelta(days=5),
                           "ends_at": AT + timedelta(days=5, hours=2), "going_count": 0,
                           "checkin_token": "tok", "status": "scheduled", "created_at": AT,
                           "updated_at": AT}),
        (outbox, {**common, "id": 1, "kind": "event.invite", "dedup_key": "ev.inv:1:2",
                  "params": {"event_id": 1}, "status": "sent"}),
        (outbox, {**common, "id": 2, "kind": "event.reminder", "dedup_key": "ev.rem:7:24:1",
                  "params": {"event_id": 1, "rsvp_id": 7, "hours": 24}}),
        (outbox, {**common, "id": 3, "kind": "event.escalation", "dedup_key": "ev.esc:1:1:1",
                  "params": {"event_id": 1}, "person_id": 1}),
    ]


async def _write(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for model_table, values in _old_rows():
                old = Table(model_table.name, MetaData(),
                            *(c._copy() for c in model_table.c if c.name in values))
                await conn.execute(insert(old).values(**values))
    finally:
        await engine.dispose()


async def _read(url: str) -> tuple[list[tuple[int, int]], dict[int, str]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            invitations = (
                await conn.execute(text("SELECT event_id, person_id FROM event_invitation"))
            ).all()
            causes = (await conn.execute(text("SELECT id, cause FROM outbox"))).all()
            return [tuple(r) for r in invitations], {int(i): str(c) for i, c in causes}
    finally:
        await engine.dispose()


def test_migration_0006_keeps_the_invitations_sent_before(db_url: str) -> None:
    migrate.upgrade(db_url, "0005")
    asyncio.run(_write(db_url))
    migrate.upgrade(db_url)
    invitations, causes = asyncio.run(_read(db_url))
    assert invitations == [(1, 2)]
    assert causes == {1: "event:1", 2: "rsvp:7", 3: "event_plan:1"}
    migrate.downgrade(db_url, "0005")
    _, causes = asyncio.run(_read_causes_only(db_url))
    assert causes == {1: "event:1", 2: "event:1", 3: "event:1"}


async def _read_causes_only(url: str) -> tuple[None, dict[int, str]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT id, cause FROM outbox"))).all()
            return None, {int(i): str(c) for i, c in rows}
    finally:
        await engine.dispose()



