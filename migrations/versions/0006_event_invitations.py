"""event_invitation: who was invited to an event, as a record of its own; outbox (cause, status)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 06:15:59

Until now "was this person invited?" was read from the outbox's dedup keys
(`ev.inv:<event>:<person>`).  The invitations already sent are copied from those rows,
so a database upgraded in place keeps every invited person's right to see the event.

The pending rows an answer planned (reminders, the confirmation, its nudges) move from
the event's cause to their answer's (`rsvp:<id>`), the escalation to the event's plan
(`event_plan:<id>`), as `bot.delivery.kinds` now plans them: stepping back or moving the
event withdraws the rows planned before the upgrade too.  Keys are untouched.

`ix_outbox_cause_status`: withdrawing or re-planning one cause's pending rows (a moved
event re-plans each answer's cause) finds them by cause, instead of walking every
pending row through `ix_outbox_status_due` as SQLite's planner chose.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "event_invitation",
        sa.Column("event_id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("invited_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("invited_by_id", ID, nullable=True),
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"],
            name=op.f("fk_event_invitation_event_id_event"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"], ["person.id"],
            name=op.f("fk_event_invitation_invited_by_id_person"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"],
            name=op.f("fk_event_invitation_person_id_person"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_invitation")),
        sa.UniqueConstraint(
            "event_id", "person_id", name=op.f("uq_event_invitation_event_id_person_id")
        ),
    )
    with op.batch_alter_table("event_invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_invitation_event_id"), ["event_id"])
        batch_op.create_index("ix_event_invitation_person", ["person_id"])
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_cause_status", ["cause", "status"])
    _copy_sent_invitations()
    _move_pending_causes(upgrade=True)


def _copy_sent_invitations() -> None:
    """One row per (event, person) of the existing `event.invite` outbox rows."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT o.dedup_key, o.person_id, o.created_at FROM outbox o"
            " WHERE o.kind = 'event.invite' AND o.person_id IS NOT NULL"
        )
    ).all()
    events = {int(r[0]) for r in bind.execute(sa.text("SELECT id FROM event")).all()}
    people = {int(r[0]) for r in bind.execute(sa.text("SELECT id FROM person")).all()}
    seen: set[tuple[int, int]] = set()
    values = []
    for dedup_key, person_id, created_at in rows:
        parts = str(dedup_key).split(":")
        if len(parts) != 3 or parts[0] != "ev.inv" or not parts[1].isdigit():
            continue
        pair = (int(parts[1]), int(person_id))
        if pair in seen or pair[0] not in events or pair[1] not in people:
            continue
        seen.add(pair)
        values.append({"event_id": pair[0], "person_id": pair[1], "invited_at": created_at})
    if values:
        table = sa.table(
            "event_invitation",
            sa.column("event_id", ID),
            sa.column("person_id", ID),
            sa.column("invited_at"),  # as the outbox stored it (SQLite: its text)
        )
        op.bulk_insert(table, values)


# dedup-key prefix -> the new cause's prefix (the key's first field is its id)
_RECAUSED = {
    "ev.rem": "rsvp", "ev.cf": "rsvp", "ev.nudge": "rsvp", "ev.renudge": "rsvp",
    "ev.esc": "event_plan",
}


def _move_pending_causes(*, upgrade: bool) -> None:
    """Pending answer rows to `rsvp:<id>` and escalations to `event_plan:<id>` (upgrade),
    or back to `event:<event id>` (downgrade)."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, dedup_key, cause, params FROM outbox WHERE status = 'pending'"
                " AND kind LIKE 'event.%'")
    ).all()
    for row_id, dedup_key, cause, params in rows:
        prefix, _, rest = str(dedup_key).partition(":")
        target = _RECAUSED.get(prefix)
        first = rest.split(":", 1)[0]
        if target is None or not first.isdigit():
            continue
        if upgrade:
            new = f"{target}:{first}"
        else:
            event_id = _event_id_of(params)
            if event_id is None:
                continue
            new = f"event:{event_id}"
        if new != cause:
            bind.execute(sa.text("UPDATE outbox SET cause = :cause WHERE id = :id"),
                         {"cause": new, "id": row_id})


def _event_id_of(params: object) -> int | None:
    import json

    data = json.loads(params) if isinstance(params, str) else params
    value = data.get("event_id") if isinstance(data, dict) else None
    return int(value) if value is not None else None


def downgrade() -> None:
    _move_pending_causes(upgrade=False)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_cause_status")
    with op.batch_alter_table("event_invitation", schema=None) as batch_op:
        batch_op.drop_index("ix_event_invitation_person")
        batch_op.drop_index(batch_op.f("ix_event_invitation_event_id"))
    op.drop_table("event_invitation")
