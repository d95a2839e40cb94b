"""What a checkpoint stores: devices, bundles, check events, registrations, overrides, and
daily counts per place (issue 4).

Revision ID: 0002_checkpoint
Revises: 0001_base
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_checkpoint"
down_revision: str | Sequence[str] | None = "0001_base"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CODE = sa.String(length=15)
UUID_TEXT = sa.String(length=36)
INSTANT = sa.DateTime(timezone=True)


def _event_key(table: str) -> list[sa.Column[object] | sa.PrimaryKeyConstraint]:
    return [
        sa.Column("street_code", CODE, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("id", UUID_TEXT, nullable=False),
        sa.PrimaryKeyConstraint("street_code", "day", "id", name=f"pk_{table}"),
    ]


def _devices_and_bundles() -> None:
    op.create_table(
        "checkpoint_devices",
        sa.Column("id", UUID_TEXT, nullable=False),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("entrance_id", sa.Integer(), nullable=True),
        sa.Column("street_code", CODE, nullable=False),
        sa.Column("admin_code", CODE, nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("root_kid", sa.String(16), nullable=False),
        sa.Column("enrolled_at", INSTANT, nullable=False),
        sa.Column("enrolled_by", sa.Integer(), nullable=True),
        sa.Column("revoked_at", INSTANT, nullable=True),
        sa.Column("last_seen_at", INSTANT, nullable=True),
        sa.Column("last_skew_ms", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["place_id"], ["places.id"], name="fk_checkpoint_devices_place_id_places"
        ),
        sa.ForeignKeyConstraint(
            ["entrance_id"], ["entrances.id"], name="fk_checkpoint_devices_entrance_id_entrances"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_checkpoint_devices"),
        sa.UniqueConstraint("token_hash", name="uq_checkpoint_devices_token_hash"),
    )
    op.create_index("ix_checkpoint_devices_place_id", "checkpoint_devices", ["place_id"])
    op.create_table(
        "checkpoint_bundles",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("issued_at", INSTANT, nullable=False),
        sa.Column("pack_id", sa.String(64), nullable=False),
        sa.Column("pack_version", sa.String(32), nullable=False),
        sa.Column("retention_days", sa.SmallInteger(), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("version", name="pk_checkpoint_bundles"),
    )


def _events() -> None:
    op.create_table(
        "check_events",
        *_event_key("check_events"),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("entrance_id", sa.String(40), nullable=False),
        sa.Column("device_id", UUID_TEXT, nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("received_at", INSTANT, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("reasons", sa.String(400), nullable=False),
        sa.Column("credential_types", sa.String(160), nullable=False),
        sa.Column("code_colour", sa.String(8), nullable=True),
        sa.Column("doses", sa.SmallInteger(), nullable=False),
        sa.Column("series", sa.SmallInteger(), nullable=True),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("contraindication_level", sa.SmallInteger(), nullable=True),
        sa.Column("age_band", sa.String(8), nullable=False),
        sa.Column("pack_id", sa.String(64), nullable=False),
        sa.Column("pack_version", sa.String(32), nullable=False),
        sa.Column("subject_hash", sa.String(64), nullable=True),
        sa.Column("bundle_version", sa.Integer(), nullable=False),
        sa.Column("stale", sa.Boolean(), nullable=False),
        sa.Column("via", sa.String(12), nullable=False),
        sa.Column("group_id", UUID_TEXT, nullable=True),
        sa.Column("follows", UUID_TEXT, nullable=True),
    )
    op.create_index("ix_check_events_place_id_day", "check_events", ["place_id", "day"])
    op.create_table(
        "checkpoint_registrations",
        *_event_key("checkpoint_registrations"),
        sa.Column("check_id", UUID_TEXT, nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("received_at", INSTANT, nullable=False),
        sa.Column("id_lookup", sa.LargeBinary(32), nullable=False),
        sa.Column("name_enc", sa.LargeBinary(), nullable=False),
        sa.Column("id_number_enc", sa.LargeBinary(), nullable=False),
        sa.Column("phone_enc", sa.LargeBinary(), nullable=False),
        sa.Column("purpose_enc", sa.LargeBinary(), nullable=False),
        sa.Column("purge_after", sa.Date(), nullable=False),
    )
    op.create_index(
        "ix_checkpoint_registrations_place_id", "checkpoint_registrations", ["place_id"]
    )
    op.create_index(
        "ix_checkpoint_registrations_purge_after", "checkpoint_registrations", ["purge_after"]
    )
    op.create_table(
        "checkpoint_overrides",
        *_event_key("checkpoint_overrides"),
        sa.Column("check_id", UUID_TEXT, nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("device_id", UUID_TEXT, nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("received_at", INSTANT, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("staff", sa.String(50), nullable=False),
    )
    op.create_index("ix_checkpoint_overrides_place_id", "checkpoint_overrides", ["place_id"])


def _counts() -> None:
    op.create_table(
        "checkpoint_daily_counts",
        sa.Column("street_code", CODE, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in (
                "checks",
                "admitted",
                "registered",
                "persuaded",
                "denied",
                "overrides",
                "registrations",
                "stale",
            )
        ),
        sa.PrimaryKeyConstraint(
            "street_code", "day", "place_id", name="pk_checkpoint_daily_counts"
        ),
    )


def upgrade() -> None:
    _devices_and_bundles()
    _events()
    _counts()


def downgrade() -> None:
    for table in (
        "checkpoint_daily_counts",
        "checkpoint_overrides",
        "checkpoint_registrations",
        "check_events",
        "checkpoint_bundles",
        "checkpoint_devices",
    ):
        op.drop_table(table)
