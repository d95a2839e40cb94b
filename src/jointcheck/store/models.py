"""The registry's tables: administrative tree, places, persons and their records, accounts,
audit log. The tables of what a checkpoint stores live in ``checkpoint_models.py``.

Keys of the large tables (persons, their records, the audit log) are led by the
administrative code, so that a deployment can partition or shard them by street (DESIGN.md).
Personal fields are stored sealed (``*_enc``, AES-GCM, see security/pii.py, R6).
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from jointcheck.store.types import UtcDateTime

# Stable constraint names: Alembic (and SQLite batch migrations) need them.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

CODE = 15  # the longest administrative code (a grid)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class AdminUnitRow(Base):
    __tablename__ = "admin_units"

    code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("admin_units.code"), index=True, default=None
    )
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))


class AccountRow(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    scope_code: Mapped[str] = mapped_column(ForeignKey("admin_units.code"), index=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    place_id: Mapped[int | None] = mapped_column(
        ForeignKey("places.id", use_alter=True), default=None
    )
    person_id: Mapped[UUID | None] = mapped_column(ForeignKey("persons.id"), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WebSessionRow(Base):
    """A signed-in browser session; deleted at sign-out, so a copied cookie stops working."""

    __tablename__ = "web_sessions"

    # SHA-256 of the session id the cookie carries: the table alone gives no usable session.
    id_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class WebNoticeRow(Base):
    """A one-time answer for one browser session (the enrollment's token, issue 4), sealed
    with a key derived from the session id, deleted when shown or expired."""

    __tablename__ = "web_notices"

    session_hash: Mapped[bytes] = mapped_column(
        ForeignKey("web_sessions.id_hash", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class PlaceRow(Base):
    __tablename__ = "places"
    __table_args__ = (UniqueConstraint("admin_code", "name"), Index(None, "category"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    admin_code: Mapped[str] = mapped_column(ForeignKey("admin_units.code"))
    category: Mapped[str] = mapped_column(String(48))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    responsible_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class EntranceRow(Base):
    __tablename__ = "entrances"
    __table_args__ = (UniqueConstraint("place_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))


class PersonRow(Base):
    __tablename__ = "persons"

    admin_code: Mapped[str] = mapped_column(ForeignKey("admin_units.code"), primary_key=True)
    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True, unique=True)
    document_type: Mapped[str] = mapped_column(String(24))
    # HMAC-SHA256 of the document number (security/pii.py): how a person is found.
    id_lookup: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    # Year only, in clear: enough for eligible-age counts by street (R7), not an identifier.
    birth_year: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    document_number_enc: Mapped[bytes] = mapped_column(LargeBinary)
    name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    address_enc: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    birth_date_enc: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    sex_enc: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


def _person_fk() -> ForeignKeyConstraint:
    # Records follow their person when the person moves grid (ON UPDATE CASCADE).
    return ForeignKeyConstraint(
        ["admin_code", "person_id"],
        ["persons.admin_code", "persons.id"],
        onupdate="CASCADE",
        ondelete="CASCADE",
    )


class VaccinationRow(Base):
    __tablename__ = "vaccination_records"
    __table_args__ = (_person_fk(),)

    admin_code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    person_id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    dose_number: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    series_doses: Mapped[int] = mapped_column(SmallInteger)
    product: Mapped[str] = mapped_column(String(40))
    vaccinated_on: Mapped[date] = mapped_column(Date)
    site: Mapped[str] = mapped_column(String(200))


class ContraindicationRow(Base):
    __tablename__ = "contraindications"
    __table_args__ = (_person_fk(), Index(None, "admin_code", "person_id"))

    admin_code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    person_id: Mapped[UUID] = mapped_column(Uuid)
    category: Mapped[str] = mapped_column(String(48))
    level: Mapped[str] = mapped_column(String(16))
    institution: Mapped[str] = mapped_column(String(200))
    institution_grade: Mapped[int] = mapped_column(SmallInteger)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, default=None)


class HealthCodeRow(Base):
    __tablename__ = "health_code_status"
    __table_args__ = (_person_fk(),)

    admin_code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    person_id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    colour: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(200))
    since: Mapped[datetime] = mapped_column(UtcDateTime)
    until: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), default=None)


class FamilyLinkRow(Base):
    """A resident (``holder_id``, who has an account) and a family member without a phone
    whose paper codes they may print (R14). Keyed by the resident's grid like their records;
    the relation (母亲, 孙子...) is sealed like a personal field."""

    __tablename__ = "family_links"
    __table_args__ = (
        ForeignKeyConstraint(
            ["admin_code", "holder_id"],
            ["persons.admin_code", "persons.id"],
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        Index(None, "member_id"),
        Index(None, "id", unique=True),
    )

    admin_code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    holder_id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    member_id: Mapped[UUID] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    # The link's own id: what DELETE /api/family/links/{id} names (R14).
    id: Mapped[UUID] = mapped_column(Uuid)
    relation_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), default=None)


class AuditRow(Base):
    """Append-only. No foreign keys: the trail outlives the rows it speaks of (R6)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "admin_code", "at"),)

    admin_code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_account_id: Mapped[int | None] = mapped_column(Integer, default=None)
    actor_username: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(48))
    subject_kind: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500))
    detail: Mapped[str] = mapped_column(Text, default="")
