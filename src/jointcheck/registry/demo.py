"""The synthetic demo district a newcomer gets with ``make run`` (issue 4).

Deterministic (a seeded RNG, no clock in the generation), synthetic (see demo_data.py: no
real person), idempotent (seeding twice adds nothing: every row has a natural key that is
checked before insert) and fast (bulk inserts: thousands of residents in a few seconds).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from jointcheck.credentials.model import CodeColour
from jointcheck.registry import demo_data as data
from jointcheck.registry.categories import pack_categories
from jointcheck.registry.family import Relation
from jointcheck.registry.health import NewContraindication, NewDose
from jointcheck.registry.model import AdminLevel, AdminUnit, ContraindicationLevel, Entrance, Place
from jointcheck.registry.persons import Enrollment
from jointcheck.security.idcard import DocumentType, make_resident_id
from jointcheck.security.roles import Role

SEED = 2021
# Ages and doses are those of the campaign the seed document speaks of (August 2021).
CAMPAIGN_DAY = date(2021, 9, 1)
FIRST_DOSES_FROM = date(2021, 3, 1)
COMMUNITIES_PER_STREET = 4
GRIDS_PER_COMMUNITY = 3

# Shares of the synthetic population (rough figures of the time, not data).
COMPOUND_SURNAME_SHARE = 0.02
ELIGIBLE_AGE_2021 = 12
ELDERLY_AGE = 60
ELDERLY_MIX = (0.62, 0.18)  # complete, first dose only
ADULT_MIX = (0.86, 0.08)
GREEN_SHARE = 0.94
YELLOW_UP_TO = 0.985
CONTRAINDICATED_SHARE = 0.006  # "a few" contraindication certificates
PHONE_FROM_AGE = 10
FAMILY_SHARE = 0.06  # of working-age residents, linked to an elderly relative or a child
FAMILY_ELDERLY_FROM = 65
ADULT_FROM = 18
GENERATION_YEARS = 45  # more than this apart: grandparent and grandchild

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class DemoPerson:
    id: UUID
    form: Enrollment
    doses: tuple[NewDose, ...]
    colour: CodeColour
    code_age_hours: int
    contraindication: NewContraindication | None = None


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    password: str  # demo only: printed by `jointcheck demo up`, never used outside the demo
    role: Role
    scope_code: str
    display_name: str
    place: tuple[str, str] | None = None  # (community code, place name)
    person_index: int | None = None
    responsible: bool = False  # the place's responsible operator or manager (R1)


@dataclass(frozen=True, slots=True)
class DemoFamily:
    """A resident and a family member without a phone whose paper codes they print (R14)."""

    holder_index: int
    member_index: int
    relation: Relation


@dataclass(frozen=True, slots=True)
class DemoDistrict:
    units: tuple[AdminUnit, ...]
    places: tuple[Place, ...]
    persons: tuple[DemoPerson, ...]
    accounts: tuple[DemoAccount, ...] = field(default=())
    families: tuple[DemoFamily, ...] = field(default=())

    @property
    def district_code(self) -> str:
        return self.units[0].code


def _tree() -> tuple[AdminUnit, ...]:
    code, zh, en = data.DISTRICT
    units = [AdminUnit(code, AdminLevel.DISTRICT, zh, en)]
    words = iter(data.COMMUNITY_WORDS)
    for s, (street_zh, street_en) in enumerate(data.STREETS, start=1):
        street = f"{code}{s:03d}"
        units.append(AdminUnit(street, AdminLevel.STREET, street_zh, street_en, code))
        for c in range(1, COMMUNITIES_PER_STREET + 1):
            word_zh, word_en = next(words)
            village = c == COMMUNITIES_PER_STREET and s > len(data.STREETS) // 2
            level = AdminLevel.VILLAGE if village else AdminLevel.COMMUNITY
            suffix = ("村", "Village") if village else ("社区", "Community")
            community = f"{street}{c:03d}"
            units.append(
                AdminUnit(community, level, word_zh + suffix[0], f"{word_en} {suffix[1]}", street)
            )
            units.extend(
                AdminUnit(
                    f"{community}{g:03d}", AdminLevel.GRID, f"第{g}网格", f"Grid {g}", community
                )
                for g in range(1, GRIDS_PER_COMMUNITY + 1)
            )
    return tuple(units)


def _places(rng: random.Random, units: Sequence[AdminUnit], count: int) -> tuple[Place, ...]:
    communities = [u for u in units if u.level in {AdminLevel.COMMUNITY, AdminLevel.VILLAGE}]
    categories = sorted(pack_categories())
    places: list[Place] = []
    for i in range(count):
        category = categories[i % len(categories)]  # every category, then round again
        community = communities[(i * 7) % len(communities)]
        label = data.PLACE_LABELS[category][0]
        name = f"{community.name_zh.removesuffix('社区').removesuffix('村')}{label}"
        if any(p.name == name and p.admin_code == community.code for p in places):
            name = f"{name}{i}号"
        entrances = data.ENTRANCES[: rng.randint(1, len(data.ENTRANCES))]
        places.append(
            Place(
                id=None,
                admin_code=community.code,
                category=category,
                name=name,
                address=f"{community.name_zh}{rng.randint(1, 300)}号",
                entrances=tuple(Entrance(name=e) for e in entrances),
            )
        )
    return tuple(places)


def _name(rng: random.Random) -> str:
    compound = rng.random() < COMPOUND_SURNAME_SHARE
    surname = rng.choice(data.COMPOUND_SURNAMES if compound else data.SURNAMES)
    given = "".join(rng.choice(data.GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return surname + given


def _doses(rng: random.Random, age: int) -> tuple[NewDose, ...]:
    # A realistic mix by age in September 2021: adults mostly complete, the elderly less so,
    # children under 12 not yet eligible (3-11 opened in late October 2021).
    if age < ELIGIBLE_AGE_2021:
        return ()
    roll = rng.random()
    complete, first = ELDERLY_MIX if age >= ELDERLY_AGE else ADULT_MIX
    if roll >= complete + first:
        return ()
    product, series = _product(rng)
    doses = 1 if roll >= complete else series
    day = FIRST_DOSES_FROM + timedelta(days=rng.randint(0, 120))
    site = rng.choice(("坊子区人民医院接种点", "社区卫生服务中心接种点", "坊子区疾控中心接种点"))
    out = []
    for n in range(1, doses + 1):
        out.append(NewDose(n, series, product, day, site))
        day += timedelta(days=rng.randint(21, 56))
    return tuple(out)


def _product(rng: random.Random) -> tuple[str, int]:
    products = data.PRODUCTS
    name, series, _ = rng.choices(products, weights=[w for _, _, w in products])[0]
    return name, series


def _colour(rng: random.Random) -> CodeColour:
    roll = rng.random()
    if roll < GREEN_SHARE:
        return CodeColour.GREEN
    return CodeColour.YELLOW if roll < YELLOW_UP_TO else CodeColour.RED


def _contraindication(rng: random.Random) -> NewContraindication:
    category, level = rng.choice(data.CONTRAINDICATIONS)
    institution, grade = rng.choice(data.INSTITUTIONS)
    start = FIRST_DOSES_FROM + timedelta(days=rng.randint(0, 150))
    temporary = level == ContraindicationLevel.TEMPORARY.value
    return NewContraindication(
        category=category,
        level=ContraindicationLevel(level),
        institution=institution,
        institution_grade=grade,
        valid_from=start,
        valid_to=start + timedelta(days=rng.randint(60, 240)) if temporary else None,
    )


def _person(
    rng: random.Random, grid: AdminUnit, units: dict[str, AdminUnit], seen: set[str]
) -> DemoPerson:
    born = CAMPAIGN_DAY - timedelta(days=rng.randint(365, 95 * 365))
    number = make_resident_id(data.DISTRICT[0], born, rng.randint(0, 999))
    while number in seen:
        number = make_resident_id(data.DISTRICT[0], born, rng.randint(0, 999))
    seen.add(number)
    community = units[grid.parent_code or ""]
    age = (CAMPAIGN_DAY - born).days // 365
    contraindicated = rng.random() < CONTRAINDICATED_SHARE
    form = Enrollment(
        grid_code=grid.code,
        document_type=DocumentType.RESIDENT_ID_CARD.value,
        document_number=number,
        name=_name(rng),
        phone=f"1{rng.choice('35789')}{rng.randint(0, 999_999_999):09d}"
        if age >= PHONE_FROM_AGE
        else "",
        address=f"{community.name_zh}{rng.randint(1, 30)}号楼{rng.randint(1, 6)}单元{rng.randint(1, 18)}0{rng.randint(1, 4)}室",
    )
    return DemoPerson(
        id=UUID(int=rng.getrandbits(128), version=4),
        form=form,
        doses=() if contraindicated else _doses(rng, age),
        colour=_colour(rng),
        code_age_hours=rng.randint(1, 72),
        contraindication=_contraindication(rng) if contraindicated else None,
    )


def _first(places: Sequence[Place], category: str) -> tuple[str, str]:
    place = next(p for p in places if p.category == category)
    return place.admin_code, place.name


def _accounts(
    units: Sequence[AdminUnit], places: Sequence[Place], persons: Sequence[DemoPerson]
) -> tuple[DemoAccount, ...]:
    district = units[0].code
    streets = [u for u in units if u.level is AdminLevel.STREET]
    first_street = streets[0]
    community = next(u for u in units if u.parent_code == first_street.code)
    shop = next(p for p in places if p.category == "malls_and_supermarkets")
    specs = [
        ("admin", Role.DISTRICT_ADMIN, district, "区级管理员", None, None),
        ("health", Role.HEALTH_AUTHORITY, district, "区卫健局", None, None),
        (
            "street1",
            Role.STREET_STAFF,
            first_street.code,
            f"{first_street.name_zh}工作人员",
            None,
            None,
        ),
        (
            "street2",
            Role.STREET_STAFF,
            streets[1].code,
            f"{streets[1].name_zh}工作人员",
            None,
            None,
        ),
        ("grid1", Role.COMMUNITY_ADMIN, community.code, f"{community.name_zh}网格员", None, None),
        (
            "operator",
            Role.PLACE_OPERATOR,
            shop.admin_code,
            f"{shop.name}经营者",
            (shop.admin_code, shop.name),
            None,
        ),
        (
            "device",
            Role.CHECKPOINT_DEVICE,
            shop.admin_code,
            f"{shop.name}查验终端",
            (shop.admin_code, shop.name),
            None,
        ),
        ("school", Role.SCHOOL_ADMIN, "", "学校管理员", _first(places, "primary_schools"), None),
        ("employer", Role.EMPLOYER_ADMIN, "", "单位管理员", _first(places, "offices"), None),
        ("resident", Role.RESIDENT, persons[0].form.grid_code, "居民", None, 0),
    ]
    return tuple(
        DemoAccount(
            username=name,
            password=f"demo-{name}-2021",
            role=role,
            scope_code=scope or (place[0] if place else district),
            display_name=display,
            place=place,
            person_index=person,
            responsible=role in {Role.PLACE_OPERATOR, Role.SCHOOL_ADMIN, Role.EMPLOYER_ADMIN},
        )
        for name, role, scope, display, place, person in specs
    )


def _age(person: DemoPerson) -> int:
    number = person.form.document_number
    born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    return (CAMPAIGN_DAY - born).days // 365


def _families(persons: Sequence[DemoPerson], seed: int) -> tuple[DemoFamily, ...]:
    """Households with an elderly member or a child who has no account: the demo resident
    (person 0) gets one of each, and a share of other working-age residents one member of
    their own grid. An RNG of its own: the persons are the same with or without families."""
    rng = random.Random(seed + 1)
    ages = [_age(p) for p in persons]
    elderly = [i for i, a in enumerate(ages) if a >= FAMILY_ELDERLY_FROM and i]
    children = [i for i, a in enumerate(ages) if a < PHONE_FROM_AGE and i]
    taken: set[int] = set()
    families: list[DemoFamily] = []

    def nearest(pool: list[int], grid: str) -> int | None:
        free = [i for i in pool if i not in taken]
        same = [i for i in free if persons[i].form.grid_code == grid]
        community = [i for i in free if persons[i].form.grid_code[:12] == grid[:12]]
        choice = same or community or free
        return choice[0] if choice else None

    resident_grid = persons[0].form.grid_code if persons else ""

    def relation(holder: int, member: int) -> Relation:
        gap = ages[member] - ages[holder]
        if gap > 0:
            return Relation.GRANDPARENT if gap > GENERATION_YEARS else Relation.PARENT
        return Relation.GRANDCHILD if -gap > GENERATION_YEARS else Relation.CHILD

    for pool in (elderly, children):
        member = nearest(pool, resident_grid) if persons else None
        if member is not None:
            taken.add(member)
            families.append(DemoFamily(0, member, relation(0, member)))
    for i, person in enumerate(persons[1:], start=1):
        if not (ADULT_FROM <= ages[i] < FAMILY_ELDERLY_FROM) or i in taken or not person.form.phone:
            continue
        if rng.random() >= FAMILY_SHARE:
            continue
        elder = rng.random() < 0.5  # noqa: PLR2004 - as many elderly relatives as children
        pool = elderly if elder else children
        member = next(
            (
                m
                for m in pool
                if m not in taken and persons[m].form.grid_code == person.form.grid_code
            ),
            None,
        )
        if member is not None:
            taken.update((i, member))
            families.append(DemoFamily(i, member, relation(i, member)))
    return tuple(families)


def build_demo(*, residents: int = 5000, places: int = 200, seed: int = SEED) -> DemoDistrict:
    """The demo district, the same on every run for the same arguments."""
    rng = random.Random(seed)
    units = _tree()
    by_code = {u.code: u for u in units}
    grids = [u for u in units if u.level is AdminLevel.GRID]
    made_places = _places(rng, units, places)
    seen: set[str] = set()
    persons = tuple(_person(rng, rng.choice(grids), by_code, seen) for _ in range(residents))
    return DemoDistrict(
        units,
        made_places,
        persons,
        _accounts(units, made_places, persons),
        _families(persons, seed),
    )
