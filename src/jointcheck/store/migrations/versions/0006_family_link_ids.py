"""Family links get an id of their own, so that an administrator removes one by it (R14,
``DELETE /api/family/links/{id}``) without naming the two persons in a URL.

Links made before get a random id each; the id is unique.

Revision ID: 0006_family_link_ids
Revises: 0005_presentations
Create Date: 2026-11-28
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_family_link_ids"
down_revision: str | Sequence[str] | None = "0005_presentations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LINKS = sa.table(
    "family_links",
    sa.column("holder_id", sa.Uuid()),
    sa.column("member_id", sa.Uuid()),
    sa.column("id", sa.Uuid()),
)


def upgrade() -> None:
    op.add_column("family_links", sa.Column("id", sa.Uuid(), nullable=True))
    connection = op.get_bind()
    pairs = connection.execute(sa.select(LINKS.c.holder_id, LINKS.c.member_id)).all()
    for holder_id, member_id in pairs:
        connection.execute(
            LINKS.update()
            .where(LINKS.c.holder_id == holder_id, LINKS.c.member_id == member_id)
            .values(id=uuid.uuid4())
        )
    with op.batch_alter_table("family_links") as batch:
        batch.alter_column("id", existing_type=sa.Uuid(), nullable=False)
    op.create_index("ix_family_links_id", "family_links", ["id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_family_links_id", table_name="family_links")
    with op.batch_alter_table("family_links") as batch:
        batch.drop_column("id")
