"""What `/healthz` and `/metrics` report, read from the database at request time.

Outbox lag is the age of the oldest *due* pending row: how far the dispatchers are behind.
It is the number to alert on (a broadcast of 10,000 rows is not lag; rows due long ago are).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.ops.metrics import METRICS, Gauge
from models import OutboxMessage, OutboxStatus

# A health probe must answer quickly even when the database does not.
DB_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class Health:
    database_ok: bool
    role: str  # "leader" | "follower"
    replica_id: str
    live_replicas: int
    outbox_lag_seconds: float
    outbox_counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "ok": self.database_ok,
            "database": "ok" if self.database_ok else f"unreachable: {self.error}",
            "role": self.role,
            "replica": self.replica_id,
            "live_replicas": self.live_replicas,
            "outbox_lag_seconds": round(self.outbox_lag_seconds, 3),
            "outbox": self.outbox_counts,
        }


async def outbox_snapshot(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime
) -> tuple[float, dict[str, int]]:
    async with sessionmaker() as session:
        oldest_due = await session.scalar(
            select(func.min(OutboxMessage.due_at)).where(
                OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.due_at <= now
            )
        )
        rows = await session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        counts = {str(getattr(s, "value", s)): int(n) for s, n in rows.all()}
    lag = (now - oldest_due).total_seconds() if oldest_due is not None else 0.0
    return max(lag, 0.0), counts


async def check_health(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    leader: bool,
    replica_id: str,
    live_replicas: int,
    now: datetime,
) -> Health:
    role = "leader" if leader else "follower"
    try:
        lag, counts = await asyncio.wait_for(
            outbox_snapshot(sessionmaker, now), DB_TIMEOUT_SECONDS
        )
    except Exception as exc:  # any failure means "not healthy"; the probe says why
        return Health(False, role, replica_id, live_replicas, 0.0, {}, type(exc).__name__)
    return Health(True, role, replica_id, live_replicas, lag, counts)


def health_gauges(health: Health) -> list[Gauge]:
    statuses = sorted({*(s.value for s in OutboxStatus), *health.outbox_counts})
    return [
        Gauge("gotong_up", "1 when the database answers.", (({}, float(health.database_ok)),)),
        Gauge(
            "gotong_is_leader",
            "1 on the replica that runs the periodic jobs.",
            (({}, float(health.role == "leader")),),
        ),
        Gauge(
            "gotong_live_replicas", "Replicas with a fresh heartbeat.",
            (({}, float(health.live_replicas)),),
        ),
        Gauge(
            "gotong_outbox_messages",
            "Outbox rows by status (pending, sent, failed, ...).",
            tuple(({"status": s}, float(health.outbox_counts.get(s, 0))) for s in statuses),
        ),
        Gauge(
            "gotong_outbox_lag_seconds",
            "Dispatcher lag: age of the oldest due pending outbox row.",
            (({}, health.outbox_lag_seconds),),
        ),
    ]


def render_metrics(health: Health, *, telegram_429s: int = 0) -> str:
    too_many = Gauge(
        "gotong_telegram_429_total",
        "Bot API calls answered 429 Too Many Requests (counted by the shared pacer).",
        (({}, float(telegram_429s)),),
        kind="counter",
    )
    return METRICS.render([*health_gauges(health), too_many])
