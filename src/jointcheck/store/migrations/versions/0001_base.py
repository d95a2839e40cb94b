"""Base schema: administrative tree, accounts, places and entrances, persons and their
vaccination, contraindication and health-code records, the audit log.

Revision ID: 0001_base
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_base"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CODE = sa.String(length=15)
INSTANT = sa.DateTime(timezone=True)


def _person_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["admin_code", "person_id"],
        ["persons.admin_code", "persons.id"],
        name=f"fk_{table}_admin_code_persons",
        onupdate="CASCADE",
        ondelete="CASCADE",
    )


def _tree_and_accounts() -> None:
    op.create_table(
        "admin_units",
        sa.Column("code", CODE, nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("parent_code", CODE, nullable=True),
        sa.Column("name_zh", sa.String(100), nullable=False),
        sa.Column("name_en", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_code"], ["admin_units.code"], name="fk_admin_units_parent_code_admin_units"
        ),
        sa.PrimaryKeyConstraint("code", name="pk_admin_units"),
    )
    op.create_index("ix_admin_units_parent_code", "admin_units", ["parent_code"])
    op.create_table(
        "persons",
        sa.Column("admin_code", CODE, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("document_type", sa.String(24), nullable=False),
        sa.Column("id_lookup", sa.LargeBinary(32), nullable=False),
        sa.Column("birth_year", sa.SmallInteger(), nullable=True),
        sa.Column("document_number_enc", sa.LargeBinary(), nullable=False),
        sa.Column("name_enc", sa.LargeBinary(), nullable=False),
        sa.Column("phone_enc", sa.LargeBinary(), nullable=True),
        sa.Column("address_enc", sa.LargeBinary(), nullable=True),
        sa.Column("birth_date_enc", sa.LargeBinary(), nullable=True),
        sa.Column("sex_enc", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["admin_code"], ["admin_units.code"], name="fk_persons_admin_code_admin_units"
        ),
        sa.PrimaryKeyConstraint("admin_code", "id", name="pk_persons"),
        sa.UniqueConstraint("id", name="uq_persons_id"),
        sa.UniqueConstraint("id_lookup", name="uq_persons_id_lookup"),
    )
    # accounts.place_id gets its foreign key once places exists (the two refer to each other).
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("scope_code", CODE, nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_accounts_person_id_persons"
        ),
        sa.ForeignKeyConstraint(
            ["scope_code"], ["admin_units.code"], name="fk_accounts_scope_code_admin_units"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.UniqueConstraint("username", name="uq_accounts_username"),
    )
    op.create_index("ix_accounts_scope_code", "accounts", ["scope_code"])


def _places() -> None:
    op.create_table(
        "places",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("admin_code", CODE, nullable=False),
        sa.Column("category", sa.String(48), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("responsible_account_id", sa.Integer(), nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["admin_code"], ["admin_units.code"], name="fk_places_admin_code_admin_units"
        ),
        sa.ForeignKeyConstraint(
            ["responsible_account_id"],
            ["accounts.id"],
            name="fk_places_responsible_account_id_accounts",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_places"),
        sa.UniqueConstraint("admin_code", "name", name="uq_places_admin_code_name"),
    )
    op.create_index("ix_places_category", "places", ["category"])
    op.create_table(
        "entrances",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(
            ["place_id"], ["places.id"], name="fk_entrances_place_id_places", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_entrances"),
        sa.UniqueConstraint("place_id", "name", name="uq_entrances_place_id_name"),
    )
    with op.batch_alter_table("accounts") as batch:
        batch.create_foreign_key("fk_accounts_place_id_places", "places", ["place_id"], ["id"])


def _person_records() -> None:
    op.create_table(
        "vaccination_records",
        sa.Column("admin_code", CODE, nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("dose_number", sa.SmallInteger(), nullable=False),
        sa.Column("series_doses", sa.SmallInteger(), nullable=False),
        sa.Column("product", sa.String(40), nullable=False),
        sa.Column("vaccinated_on", sa.Date(), nullable=False),
        sa.Column("site", sa.String(200), nullable=False),
        _person_fk("vaccination_records"),
        sa.PrimaryKeyConstraint(
            "admin_code", "person_id", "dose_number", name="pk_vaccination_records"
        ),
    )
    op.create_table(
        "contraindications",
        sa.Column("admin_code", CODE, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(48), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("institution", sa.String(200), nullable=False),
        sa.Column("institution_grade", sa.SmallInteger(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        _person_fk("contraindications"),
        sa.PrimaryKeyConstraint("admin_code", "id", name="pk_contraindications"),
    )
    op.create_index(
        "ix_contraindications_admin_code_person_id",
        "contraindications",
        ["admin_code", "person_id"],
    )
    op.create_table(
        "health_code_status",
        sa.Column("admin_code", CODE, nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("colour", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("since", INSTANT, nullable=False),
        sa.Column("until", INSTANT, nullable=True),
        sa.Column("changed_by", sa.Integer(), nullable=True),
        _person_fk("health_code_status"),
        sa.ForeignKeyConstraint(
            ["changed_by"], ["accounts.id"], name="fk_health_code_status_changed_by_accounts"
        ),
        sa.PrimaryKeyConstraint("admin_code", "person_id", name="pk_health_code_status"),
    )


def _audit() -> None:
    op.create_table(
        "audit_log",
        sa.Column("admin_code", CODE, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("actor_account_id", sa.Integer(), nullable=True),
        sa.Column("actor_username", sa.String(64), nullable=False),
        sa.Column("actor_role", sa.String(32), nullable=False),
        sa.Column("action", sa.String(48), nullable=False),
        sa.Column("subject_kind", sa.String(32), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("admin_code", "id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_admin_code_at", "audit_log", ["admin_code", "at"])


def upgrade() -> None:
    _tree_and_accounts()
    _places()
    _person_records()
    _audit()


def downgrade() -> None:
    for table in ("audit_log", "health_code_status", "contraindications", "vaccination_records"):
        op.drop_table(table)
    with op.batch_alter_table("accounts") as batch:
        batch.drop_constraint("fk_accounts_place_id_places", type_="foreignkey")
    for table in ("entrances", "places", "accounts", "persons", "admin_units"):
        op.drop_table(table)
