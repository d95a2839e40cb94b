"""A check records that its device was refusing its server's bundle when it decided (issue 4).

``check_events.bundle_refused``: the refusal's code (BUNDLE_UNTRUSTED, BUNDLE_FORGED,
BUNDLE_OUTDATED), NULL for a check decided on a bundle the device had no quarrel with (every
check stored before). A column like ``stale``, not an evidence field: it is about the device,
not the person, and a query of the checks made during a refusal reads it directly.

Revision ID: 0008_check_bundle_refused
Revises: 0007_web_notices
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_check_bundle_refused"
down_revision: str | Sequence[str] | None = "0007_web_notices"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: PostgreSQL adds it without rewriting the table.
    op.add_column("check_events", sa.Column("bundle_refused", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("check_events") as batch:
        batch.drop_column("bundle_refused")
