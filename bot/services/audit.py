"""Writing the audit log: inside a use case's transaction, or on its own for refusals."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import AuditEntry


def record(
    session: AsyncSession,
    *,
    action: str,
    actor_id: int | None,
    actor_telegram_id: int | None = None,
    target_type: str | None = None,
    target_id: int | None = None,
    outcome: str = "ok",
    **details: Any,
) -> None:
    session.add(
        AuditEntry(
            action=action,
            actor_id=actor_id,
            actor_telegram_id=actor_telegram_id,
            target_type=target_type,
            target_id=target_id,
            outcome=outcome,
            details=details,
        )
    )


async def record_refusal(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    action: str,
    actor_id: int | None,
    actor_telegram_id: int | None,
    **details: Any,
) -> None:
    """A refused attempt, in its own transaction (the refused one wrote nothing)."""
    async with sessionmaker.begin() as session:
        record(
            session,
            action=action,
            actor_id=actor_id,
            actor_telegram_id=actor_telegram_id,
            outcome="refused",
            **details,
        )
