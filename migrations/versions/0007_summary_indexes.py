"""Indexes for /summary and the Mini App's dashboard at campaign scale (issue #14)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 13:55:00

At 100,000 volunteers and 500,000 signups the dashboard's statements walked the tables:
- `ix_shift_signup_shift_checked_in` (shift_id, checked_in_at): hours and shifts worked
  count each ended shift's checked-in signups from the index, without reading the rows;
- `ix_person_role_joined`, `ix_person_role_seen`, `ix_person_reachable_role`: the
  volunteer counts (new, active, unreachable) are each one range of an index instead of
  one pass over every person;
- `ix_task_claim_task_status` (task_id, status): claimed/done per open task;
- `ix_event_rsvp_checked_in` (checked_in_at): who was checked in at an event lately.
Additive: a deployed database upgrades in place.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("shift_signup", "ix_shift_signup_shift_checked_in", ["shift_id", "checked_in_at"]),
    ("person", "ix_person_role_joined", ["role", "joined_at"]),
    ("person", "ix_person_role_seen", ["role", "last_seen_at"]),
    ("person", "ix_person_reachable_role", ["reachable", "role"]),
    ("task_claim", "ix_task_claim_task_status", ["task_id", "status"]),
    ("event_rsvp", "ix_event_rsvp_checked_in", ["checked_in_at"]),
)


def upgrade() -> None:
    for table, name, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    for table, name, _ in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
