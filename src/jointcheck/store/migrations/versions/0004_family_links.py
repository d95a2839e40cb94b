"""Family links: a resident and the family members they may print paper codes for (R14).

Keyed first by the resident's grid code, like every large table of persons (data-model.md);
the relation is sealed as personal fields are (AES-GCM, bound to table, column and row).

Revision ID: 0004_family_links
Revises: 0003_web_sessions
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_family_links"
down_revision: str | Sequence[str] | None = "0003_web_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CODE = sa.String(length=15)
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "family_links",
        sa.Column("admin_code", CODE, nullable=False),
        sa.Column("holder_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("relation_enc", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["admin_code", "holder_id"],
            ["persons.admin_code", "persons.id"],
            name="fk_family_links_admin_code_persons",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["persons.id"],
            name="fk_family_links_member_id_persons",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["accounts.id"], name="fk_family_links_created_by_accounts"
        ),
        sa.PrimaryKeyConstraint("admin_code", "holder_id", "member_id", name="pk_family_links"),
    )
    op.create_index("ix_family_links_member_id", "family_links", ["member_id"])


def downgrade() -> None:
    op.drop_table("family_links")
