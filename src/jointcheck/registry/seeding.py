"""Writes the demo district through the ports, in bulk, inserting only what is missing.

Every row has a natural key (unit code, place name in its community, the person's look-up
hash, the username), so a second run, or a run after an interrupted one, adds only what is
missing and never duplicates (issue 4: idempotent seeding).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from jointcheck.registry.demo import DemoAccount, DemoDistrict, DemoFamily, DemoPerson, Progress
from jointcheck.registry.demo_data import HEALTH_REASONS
from jointcheck.registry.family import seal_relation
from jointcheck.registry.health import vaccine_products
from jointcheck.registry.model import (
    ContraindicationRecord,
    HealthCodeStatus,
    SealedFamilyLink,
    SealedPerson,
    VaccinationRecord,
)
from jointcheck.registry.persons import seal_person
from jointcheck.registry.ports import RegistryUnitOfWork
from jointcheck.security.audit import utc_now
from jointcheck.security.idcard import check_document
from jointcheck.security.passwords import hash_password
from jointcheck.security.pii import FieldCipher
from jointcheck.security.ports import AccountRecord

BATCH = 1000
YELLOW_RED_DAYS = 14


@dataclass(frozen=True, slots=True)
class SeedReport:
    units: int
    places: int
    persons: int
    accounts: int
    families: int = 0

    @property
    def added_anything(self) -> bool:
        return any((self.units, self.places, self.persons, self.accounts, self.families))


def _silent(_stage: str, _done: int, _total: int) -> None:
    return None


class DemoSeeder:
    def __init__(
        self,
        uow: Callable[[], RegistryUnitOfWork],
        cipher: FieldCipher,
        *,
        clock: Callable[[], datetime] = utc_now,
        password_hasher: Callable[[str], str] = hash_password,
    ) -> None:
        self._uow = uow
        self._cipher = cipher
        self._clock = clock
        self._hash = password_hasher

    def seed(self, district: DemoDistrict, progress: Progress = _silent) -> SeedReport:
        with self._uow() as uow:
            missing_units = [
                u
                for u in district.units
                if u.code not in uow.units.existing(u.code for u in district.units)
            ]
            uow.units.add_many(missing_units)
            progress("units", len(district.units), len(district.units))
            known = uow.places.existing_names(scope_code=district.district_code)
            new_places = [p for p in district.places if (p.admin_code, p.name) not in known]
            uow.places.add_many(new_places)
            progress("places", len(district.places), len(district.places))
            uow.commit()
        persons = self._persons(district.persons, progress)
        accounts = self._accounts(district, progress)
        families = self._families(district, district.families, progress)
        return SeedReport(len(missing_units), len(new_places), persons, accounts, families)

    def _families(
        self, district: DemoDistrict, families: Sequence[DemoFamily], progress: Progress
    ) -> int:
        """Family links whose two persons are in the store and not linked yet."""
        people = district.persons
        with self._uow() as uow:
            linked = uow.persons.existing_family_links(people[f.holder_index].id for f in families)
            fresh: list[SealedFamilyLink] = []
            for family in families:
                holder, member = people[family.holder_index], people[family.member_index]
                if (holder.id, member.id) in linked:
                    continue
                stored = uow.persons.get(holder.id)
                if stored is None or uow.persons.get(member.id) is None:
                    continue  # a person of another demo with the same ID number is kept
                link = SealedFamilyLink(stored.admin_code, holder.id, member.id, b"")
                relation = seal_relation(self._cipher, link, family.relation.value)
                fresh.append(SealedFamilyLink(link.admin_code, holder.id, member.id, relation))
            uow.persons.add_family_links(fresh)
            uow.commit()
        progress("families", len(families), len(families))
        return len(fresh)

    def _persons(self, people: Sequence[DemoPerson], progress: Progress) -> int:
        added = 0
        for start in range(0, len(people), BATCH):
            batch = people[start : start + BATCH]
            sealed = [self._seal(p) for p in batch]
            with self._uow() as uow:
                exists = uow.persons.existing_lookups(s.id_lookup for s in sealed)
                fresh = [
                    (p, s) for p, s in zip(batch, sealed, strict=True) if s.id_lookup not in exists
                ]
                uow.persons.add_many(s for _, s in fresh)
                self._records(uow, [p for p, _ in fresh], [s for _, s in fresh])
                uow.commit()
            added += len(fresh)
            progress("residents", start + len(batch), len(people))
        return added

    def _seal(self, person: DemoPerson) -> SealedPerson:
        check = check_document(
            person.form.document_type, person.form.document_number, self._clock().date()
        )
        return seal_person(self._cipher, person.id, person.form, check)

    def _records(
        self, uow: RegistryUnitOfWork, people: Sequence[DemoPerson], sealed: Sequence[SealedPerson]
    ) -> None:
        products = vaccine_products()
        now = self._clock()
        doses: list[VaccinationRecord] = []
        contras: list[ContraindicationRecord] = []
        codes: list[HealthCodeStatus] = []
        for person, row in zip(people, sealed, strict=True):
            doses.extend(
                VaccinationRecord(
                    row.id,
                    row.admin_code,
                    d.dose_number,
                    d.series_doses,
                    d.product,
                    d.vaccinated_on,
                    d.site,
                )
                for d in person.doses
                if d.product in products
            )
            if person.contraindication is not None:
                c = person.contraindication
                contras.append(
                    ContraindicationRecord(
                        person.id,
                        row.id,
                        row.admin_code,
                        c.category,
                        c.level,
                        c.institution,
                        c.institution_grade,
                        c.valid_from,
                        c.valid_to,
                    )
                )
            since = now - timedelta(hours=person.code_age_hours)
            until = (
                None if person.colour.value == "green" else since + timedelta(days=YELLOW_RED_DAYS)
            )
            codes.append(
                HealthCodeStatus(
                    row.id,
                    row.admin_code,
                    person.colour,
                    HEALTH_REASONS[person.colour.value],
                    since,
                    until,
                )
            )
        uow.persons.add_vaccinations(doses)
        uow.persons.add_contraindications(contras)
        uow.persons.set_health_codes(codes)

    def _accounts(self, district: DemoDistrict, progress: Progress) -> int:
        with self._uow() as uow:
            taken = uow.accounts.usernames()
            wanted = [a for a in district.accounts if a.username not in taken]
            # argon2 is slow by design and releases the GIL: hash the passwords side by side.
            with ThreadPoolExecutor() as pool:
                hashes = list(pool.map(self._hash, (a.password for a in wanted)))
            for account, password_hash in zip(wanted, hashes, strict=True):
                self._add_account(uow, district, account, password_hash)
            uow.commit()
        progress("accounts", len(district.accounts), len(district.accounts))
        return len(wanted)

    def _add_account(
        self,
        uow: RegistryUnitOfWork,
        district: DemoDistrict,
        account: DemoAccount,
        password_hash: str,
    ) -> None:
        place_id = None
        if account.place is not None:
            code, name = account.place
            place_id = next(
                p.id for p in uow.places.list(scope_code=code, limit=1000) if p.name == name
            )
        person_id = None
        if account.person_index is not None:
            person_id = district.persons[account.person_index].id
        account_id = uow.accounts.add(
            AccountRecord(
                id=None,
                username=account.username,
                password_hash=password_hash,
                role=account.role,
                scope_code=account.scope_code,
                display_name=account.display_name,
                place_id=place_id,
                person_id=person_id,
            )
        )
        if place_id is not None and account.responsible:
            uow.places.set_responsible(place_id, account_id)  # R1: the operator answers for it
