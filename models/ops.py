"""Tables that let several replicas of the bot share one database safely.

`processed_update` makes webhook delivery (at least once) into handling once: a row per
update_id, inserted in a transaction held open while the update is handled, so a replica
that dies mid-update leaves no row and the redelivery is handled elsewhere.
`replica` is each process's heartbeat (who is alive, who leads); `ops_state` keeps small
cluster-wide facts such as the fingerprint of the registered webhook.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class ProcessedUpdate(Base):
    __tablename__ = "processed_update"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # Indexed: the leader prunes rows older than the retention window.
    handled_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    handled_by: Mapped[str] = mapped_column(String(80), default="")
    # Set once the handling finished (its reply sent): a committed row without it means the
    # replica died between the commit and the reply (bot/ops/dedup.py).
    answered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Replica(Base):
    __tablename__ = "replica"

    replica_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    host: Mapped[str] = mapped_column(String(120), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    leader: Mapped[bool] = mapped_column(Boolean, default=False)


class OpsState(Base):
    __tablename__ = "ops_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
