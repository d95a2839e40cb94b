"""The registry's domain: the administrative tree, places, persons and their health records.

Personal fields travel in two shapes: ``SealedPerson`` (what the store keeps: AES-GCM sealed
bytes and a keyed look-up hash, R6) and ``PersonDetails`` (decrypted, only ever produced by an
audited read). ``PersonSummary`` is the masked view screens show (house rule 4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID, uuid4

from jointcheck.credentials.model import CodeColour


class AdminLevel(StrEnum):
    DISTRICT = "district"  # 区
    STREET = "street"  # 街道
    TOWN = "town"  # 镇 (same level as a street)
    COMMUNITY = "community"  # 社区
    VILLAGE = "village"  # 村 (same level as a community)
    GRID = "grid"  # 网格


# GB/T 2260 district codes have 6 digits; streets and towns add 3, communities and villages
# 3 more, grids 3 more: every code is a prefix of the codes below it (least privilege by
# prefix, R6; sharding by street, DESIGN.md).
CODE_LENGTH = {
    AdminLevel.DISTRICT: 6,
    AdminLevel.STREET: 9,
    AdminLevel.TOWN: 9,
    AdminLevel.COMMUNITY: 12,
    AdminLevel.VILLAGE: 12,
    AdminLevel.GRID: 15,
}
PARENT_LEVELS = {
    AdminLevel.DISTRICT: frozenset[AdminLevel](),
    AdminLevel.STREET: frozenset({AdminLevel.DISTRICT}),
    AdminLevel.TOWN: frozenset({AdminLevel.DISTRICT}),
    AdminLevel.COMMUNITY: frozenset({AdminLevel.STREET, AdminLevel.TOWN}),
    AdminLevel.VILLAGE: frozenset({AdminLevel.STREET, AdminLevel.TOWN}),
    AdminLevel.GRID: frozenset({AdminLevel.COMMUNITY, AdminLevel.VILLAGE}),
}
STREET_CODE_LENGTH = 9
COMMUNITY_CODE_LENGTH = 12
GRID_CODE_LENGTH = 15


class ContraindicationLevel(StrEnum):
    TEMPORARY = "temporary"  # e.g. acute illness, pregnancy: valid until a date
    PERMANENT = "permanent"  # e.g. severe allergy to a vaccine component


@dataclass(frozen=True, slots=True)
class AdminUnit:
    code: str
    level: AdminLevel
    name_zh: str
    name_en: str
    parent_code: str | None = None


@dataclass(frozen=True, slots=True)
class Entrance:
    name: str
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Place:
    """A venue or residential quarter under a community; the operator answers for it (R1)."""

    id: int | None
    admin_code: str  # the community's code
    category: str  # a venue category id of the policy pack
    name: str
    address: str
    entrances: tuple[Entrance, ...] = ()
    responsible_account_id: int | None = None


@dataclass(frozen=True, slots=True)
class SealedPerson:
    """A person as stored: personal fields sealed with AES-GCM, bound to (table, column, id)."""

    id: UUID
    admin_code: str  # the grid's code
    document_type: str
    id_lookup: bytes
    birth_year: int | None
    document_number: bytes
    name: bytes
    phone: bytes | None
    address: bytes | None
    birth_date: bytes | None
    sex: bytes | None


@dataclass(frozen=True, slots=True)
class PersonDetails:
    """Decrypted personal data: produced only by an audited read with a reason (R6)."""

    id: UUID
    admin_code: str
    document_type: str
    document_number: str
    name: str
    phone: str
    address: str
    birth_date: date | None
    sex: str


@dataclass(frozen=True, slots=True)
class PersonSummary:
    """The masked view: 张*三, 3707**********1234, 138****5678 (house rule 4)."""

    id: UUID
    admin_code: str
    document_type: str
    masked_number: str
    masked_name: str
    masked_phone: str
    birth_year: int | None


@dataclass(frozen=True, slots=True)
class VaccinationRecord:
    """One dose; ``product`` is an EU value set id (vaccines-covid-19-names), e.g. CoronaVac."""

    person_id: UUID
    admin_code: str
    dose_number: int
    series_doses: int
    product: str
    vaccinated_on: date
    site: str  # where it was given: the vaccination site's name


@dataclass(frozen=True, slots=True)
class ContraindicationRecord:
    """A contraindication certificate from a level-2-or-higher medical institution (R3)."""

    id: UUID
    person_id: UUID
    admin_code: str
    category: str
    level: ContraindicationLevel
    institution: str
    institution_grade: int  # 2 or 3 (二级及以上)
    valid_from: date
    valid_to: date | None = None


@dataclass(frozen=True, slots=True)
class HealthCodeStatus:
    person_id: UUID
    admin_code: str
    colour: CodeColour
    reason: str
    since: datetime
    until: datetime | None = None
    changed_by: int | None = None


@dataclass(frozen=True, slots=True)
class PersonHealth:
    """What the checkpoint and the follow-up need to know of one person, without identifiers."""

    person_id: UUID
    admin_code: str
    birth_year: int | None
    code: HealthCodeStatus | None
    vaccinations: tuple[VaccinationRecord, ...] = field(default=())
    contraindications: tuple[ContraindicationRecord, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class SealedFamilyLink:
    """A resident and a family member whose paper codes they print (R14); relation sealed."""

    admin_code: str  # the resident's grid
    holder_id: UUID
    member_id: UUID
    relation: bytes
    created_by: int | None = None
    id: UUID = field(default_factory=uuid4)  # the link's own, for its removal


@dataclass(frozen=True, slots=True)
class FamilyMember:
    """A linked family member as the holder page lists them: masked (house rule 4)."""

    id: UUID
    masked_name: str
    birth_year: int | None
    relation: str


@dataclass(frozen=True, slots=True)
class DocumentHolder:
    """The person behind an ID document shown at an entrance (R14): their health, and their
    name as ICAO 9303 transliterates it (张三 -> ZHANG / SAN), so that codes shown with the
    document (a foreign DCC, a SMART Health Card) can be bound to it by name and birth date.
    The name itself is never returned."""

    health: PersonHealth
    fnt: str
    gnt: str
