"""team_group.digest (the day's digest posted in the group), group_post.part_of (series posts)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 13:10:00

`team_group.digest`: a lead or coordinator turns the morning digest on in the group
(`/groupdigest on`); off for every group linked before.  `group_post.part_of`: a repeated
shift is posted once, as one series post listing its occurrences; each occurrence gets a
`group_post` row pointing at the series post, so its Claim button is checked like any
other post's.  Both additive: a deployed database upgrades in place.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("team_group", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("digest", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("group_post", schema=None) as batch_op:
        batch_op.add_column(sa.Column("part_of", sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f("ix_group_post_part_of"), ["part_of"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("group_post", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_post_part_of"))
        batch_op.drop_column("part_of")
    with op.batch_alter_table("team_group", schema=None) as batch_op:
        batch_op.drop_column("digest")
