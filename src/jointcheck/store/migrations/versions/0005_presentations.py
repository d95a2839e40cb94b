"""The duplicate-presentation ledger shared by the server's processes (issue 4).

Keyed first by the street code, like every table a checkpoint writes (data-model.md): a
dynamic health code shown at a place (a hash of its credential id and nonce), kept until the
code expires.

Revision ID: 0005_presentations
Revises: 0004_family_links
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_presentations"
down_revision: str | Sequence[str] | None = "0004_family_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CODE = sa.String(length=15)
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "checkpoint_presentations",
        sa.Column("street_code", CODE, nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("nonce_hash", sa.LargeBinary(16), nullable=False),
        sa.Column("expires_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint(
            "street_code", "place_id", "nonce_hash", name="pk_checkpoint_presentations"
        ),
    )
    op.create_index(
        "ix_checkpoint_presentations_expires_at", "checkpoint_presentations", ["expires_at"]
    )


def downgrade() -> None:
    op.drop_table("checkpoint_presentations")
