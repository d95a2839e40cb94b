"""One-time answers kept for a signed-in browser session (issue 4): the devices page's
enrollment answer, with the terminal's token, is stored here between the form's POST and the
page it redirects to, shown once and deleted, so that reloading the page enrolls nothing.

The answer is sealed with a key derived from the session id, which only the browser's cookie
holds (the table of sessions keeps its hash): the rows alone reveal no token. A row goes with
its session (sign-out) and is deleted when shown or expired.

Revision ID: 0007_web_notices
Revises: 0006_family_link_ids
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_web_notices"
down_revision: str | Sequence[str] | None = "0006_family_link_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "web_notices",
        sa.Column("session_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["session_hash"],
            ["web_sessions.id_hash"],
            name="fk_web_notices_session_hash_web_sessions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_hash", "name", name="pk_web_notices"),
    )
    op.create_index("ix_web_notices_expires_at", "web_notices", ["expires_at"])


def downgrade() -> None:
    op.drop_table("web_notices")
