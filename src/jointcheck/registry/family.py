"""Family links (R14, issue 4 "Holder page"): a resident signs in and prints paper codes for
family members without a phone, the elderly and children who have no account.

A link says that one person (the resident, who holds an account) may print the paper codes of
another (the member). Links are made by the community (grid) administrator of the resident's
community, or by the district administrator; both persons must lie in their scope. The
relation is one of ``Relation`` (what the member is to the resident), so that every page can
name it in zh-CN and en; it is sealed like a personal field, bound to the link's row. Links
stored before the list hold free text (母亲, 孙子...), which is shown as it is.

A resident sees their own links only, masked, and reads a member's record in clear only to
issue that member's codes; every read is audited with its reason (R6). A member who is not
linked to the resident is refused with ``FAMILY_NOT_LINKED``, whether or not they exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from jointcheck.credentials.masking import mask_name
from jointcheck.errors import InputError
from jointcheck.registry.model import (
    FamilyMember,
    PersonDetails,
    PersonHealth,
    SealedFamilyLink,
    SealedPerson,
)
from jointcheck.registry.persons import document_kind, health_of, open_person
from jointcheck.registry.ports import RegistryUnitOfWork
from jointcheck.security.audit import Auditor, require_reason, utc_now
from jointcheck.security.pii import FieldCipher
from jointcheck.security.ports import AuditAction
from jointcheck.security.roles import AccessDenied, PersonRef, Principal, Role, can_access

TABLE = "family_links"
MAX_MEMBERS = 10  # the entrance checks at most ten people of one family at once
MAX_RELATION = 20
LINKERS = frozenset({Role.COMMUNITY_ADMIN, Role.DISTRICT_ADMIN})
LIST_REASON = "holder page: the resident's linked family members (R14)"
PRINT_REASON = "holder page: paper code of a linked family member (R14)"
STAFF_LIST_REASON = "family page: a resident's linked family members (R14)"


class Relation(StrEnum):
    """What the member is to the resident who prints their codes (R14): the people who check
    on behalf of someone without a phone are their family, and for an elderly person living
    alone a neighbour or a carer. Labels: ``relation.<value>`` in web/catalog/holder.yaml."""

    PARENT = "parent"
    CHILD = "child"
    SPOUSE = "spouse"
    GRANDPARENT = "grandparent"
    GRANDCHILD = "grandchild"
    SIBLING = "sibling"
    OTHER_RELATIVE = "other_relative"
    NEIGHBOUR = "neighbour"  # an elderly neighbour the resident looks after
    IN_CARE = "in_care"  # someone in the resident's care (the resident is their carer)


class FamilyNotLinked(AccessDenied):
    """The resident asked for a person who is not linked to them (403)."""

    code = "FAMILY_NOT_LINKED"


@dataclass(frozen=True, slots=True)
class PersonDocument:
    document_type: str
    number: str


@dataclass(frozen=True, slots=True)
class LinkShown:
    """One link of a resident as the family page lists it: its id (to remove it) and the
    member masked."""

    id: UUID
    member: FamilyMember


@dataclass(frozen=True, slots=True)
class ResidentLinks:
    """A resident found by the grid administrator, masked, with their links."""

    holder: FamilyMember
    links: tuple[LinkShown, ...]


# A resident named by their ID document (typed at the family page or sent to the API), or by
# their id once found (the page's later forms carry the id, never the document: R6).
ResidentRef = PersonDocument | UUID


@dataclass(frozen=True, slots=True)
class Linked:
    """The outcome of a link: both persons masked, and whether the link is new."""

    holder: FamilyMember
    member: FamilyMember
    created: bool
    link_id: UUID


def seal_relation(cipher: FieldCipher, link: SealedFamilyLink, relation: str) -> bytes:
    return cipher.seal(relation, table=TABLE, column="relation", row_id=_row(link))


def _row(link: SealedFamilyLink) -> str:
    return f"{link.holder_id}:{link.member_id}"


def check_relation(relation: str) -> Relation:
    try:
        return Relation(relation.strip())
    except ValueError:
        known = ", ".join(r.value for r in Relation)
        raise InputError(f"a relation is one of {known}", code="FAMILY_RELATION_UNKNOWN") from None


class FamilyService:
    def __init__(
        self,
        uow: Callable[[], RegistryUnitOfWork],
        cipher: FieldCipher,
        auditor: Auditor,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._uow = uow
        self._cipher = cipher
        self._auditor = auditor
        self._clock = clock

    # Staff ---------------------------------------------------------------------------------
    def _find(
        self, uow: RegistryUnitOfWork, principal: Principal, document: ResidentRef
    ) -> SealedPerson:
        if isinstance(document, UUID):
            sealed = uow.persons.get(document)
        else:
            kind = document_kind(document.document_type)
            sealed = uow.persons.find_by_lookup(self._cipher.lookup_hash(kind, document.number))
        if sealed is None or not can_access(principal, PersonRef(sealed.id, sealed.admin_code)):
            # Out of scope answers as unknown: no one can probe for another community's people.
            raise InputError("no such person in your scope", code="FAMILY_PERSON_UNKNOWN")
        return sealed

    def link(
        self,
        principal: Principal,
        holder: ResidentRef,
        member: PersonDocument,
        relation: Relation | str,
        *,
        reason: str,
    ) -> Linked:
        """Link a member to a resident; both in the principal's scope. Linking again is a
        no-op that answers ``created=False`` (a form sent twice)."""
        if principal.role not in LINKERS:
            raise AccessDenied("family members are linked by the grid or district administrator")
        reason = require_reason(reason)
        wanted = check_relation(relation)
        with self._uow() as uow:
            resident = self._find(uow, principal, holder)
            person = self._find(uow, principal, member)
            if resident.id == person.id:
                raise InputError("a person is not their own family member", code="FAMILY_SELF")
            stored = uow.persons.family_link(resident.id, person.id)
            created = stored is None
            if stored is None:
                stored = self._add_link(uow, principal, resident, person, wanted, reason)
            # Linked already (a form sent twice, or with another relation): the answer is the
            # link as stored, not what this request asked for.
            shown = self._relation(stored)
            masked = [
                self._masked(uow, principal, p, shown if p is person else "", reason)
                for p in (resident, person)
            ]
            uow.commit()
        return Linked(masked[0], masked[1], created, stored.id)

    def _add_link(
        self,
        uow: RegistryUnitOfWork,
        principal: Principal,
        resident: SealedPerson,
        person: SealedPerson,
        relation: Relation,
        reason: str,
    ) -> SealedFamilyLink:
        """The new link, sealed and stored, and its audit entry (``family.link``)."""
        if len(uow.persons.family_links(resident.id)) >= MAX_MEMBERS:
            raise InputError(f"at most {MAX_MEMBERS} family members", code="FAMILY_TOO_MANY")
        link = SealedFamilyLink(
            resident.admin_code, resident.id, person.id, b"", principal.account_id or None
        )
        stored = replace(link, relation=seal_relation(self._cipher, link, relation.value))
        uow.persons.add_family_links([stored])
        uow.audit.add(
            self._auditor.entry(
                principal,
                AuditAction.FAMILY_LINK,
                admin_code=resident.admin_code,
                subject_kind="person",
                subject_id=str(resident.id),
                reason=reason,
                detail={"member": str(person.id), "link": str(stored.id)},
            )
        )
        return stored

    def resident_links(self, principal: Principal, resident: ResidentRef) -> ResidentLinks:
        """A resident of the principal's scope and their links, masked (the family page):
        each name opened is an audited masked read. Out of scope answers as unknown."""
        if principal.role not in LINKERS:
            raise AccessDenied("family members are linked by the grid or district administrator")
        with self._uow() as uow:
            holder = self._find(uow, principal, resident)
            shown = self._masked(uow, principal, holder, "", STAFF_LIST_REASON)
            links = []
            for link in uow.persons.family_links(holder.id):
                sealed = uow.persons.get(link.member_id)
                if sealed is not None:
                    relation = self._relation(link)
                    member = self._masked(uow, principal, sealed, relation, STAFF_LIST_REASON)
                    links.append(LinkShown(link.id, member))
            uow.commit()
        return ResidentLinks(shown, tuple(links))

    def unlink(
        self, principal: Principal, holder_id: UUID, member_id: UUID, *, reason: str
    ) -> bool:
        """Remove a link of a resident in the principal's scope; False when there is none."""
        return self._unlink(
            principal, reason, lambda u: u.persons.family_link(holder_id, member_id)
        )

    def unlink_by_id(self, principal: Principal, link_id: UUID, *, reason: str) -> bool:
        """Remove the link LINK_ID if its resident is in the principal's scope (the link is
        kept in the resident's grid); False when there is none there, as for an unknown id."""
        return self._unlink(principal, reason, lambda u: u.persons.family_link_by_id(link_id))

    def _unlink(
        self,
        principal: Principal,
        reason: str,
        find: Callable[[RegistryUnitOfWork], SealedFamilyLink | None],
    ) -> bool:
        if principal.role not in LINKERS:
            raise AccessDenied("family members are linked by the grid or district administrator")
        reason = require_reason(reason)
        with self._uow() as uow:
            link = find(uow)
            if link is None or not can_access(
                principal, PersonRef(link.holder_id, link.admin_code)
            ):
                return False
            uow.persons.remove_family_link(link.holder_id, link.member_id)
            uow.audit.add(
                self._auditor.entry(
                    principal,
                    AuditAction.FAMILY_UNLINK,
                    admin_code=link.admin_code,
                    subject_kind="person",
                    subject_id=str(link.holder_id),
                    reason=reason,
                    detail={"member": str(link.member_id), "link": str(link.id)},
                )
            )
            uow.commit()
        return True

    # The resident ------------------------------------------------------------------------
    def members(self, principal: Principal) -> list[FamilyMember]:
        """The signed-in resident's linked members, masked; each name opened is audited."""
        if principal.role is not Role.RESIDENT or principal.person_id is None:
            return []
        with self._uow() as uow:
            out = []
            for link in uow.persons.family_links(principal.person_id):
                sealed = uow.persons.get(link.member_id)
                if sealed is None:
                    continue
                relation = self._relation(link)
                out.append(self._masked(uow, principal, sealed, relation, LIST_REASON))
            uow.commit()
        return out

    def read_member(
        self, principal: Principal, member_id: UUID
    ) -> tuple[PersonDetails, PersonHealth]:
        """A linked member's record in clear, to issue their codes (audited, R6)."""
        holder_id = principal.person_id
        if principal.role is not Role.RESIDENT or holder_id is None:
            raise FamilyNotLinked("only a resident prints a family member's codes")
        with self._uow() as uow:
            link = uow.persons.family_link(holder_id, member_id)
            sealed = uow.persons.get(member_id) if link is not None else None
            if sealed is None:
                raise FamilyNotLinked("this person is not linked to the resident")
            ref = PersonRef(sealed.id, sealed.admin_code)
            fields = ("name", "document_number", "birth_date")
            self._auditor.personal_data_read(
                uow.audit, principal, ref, fields=fields, reason=PRINT_REASON
            )
            details = open_person(self._cipher, sealed)
            health = health_of(uow, sealed)
            uow.commit()
        return details, health

    def _relation(self, link: SealedFamilyLink) -> str:
        return self._cipher.open(link.relation, table=TABLE, column="relation", row_id=_row(link))

    def _masked(
        self,
        uow: RegistryUnitOfWork,
        principal: Principal,
        sealed: SealedPerson,
        relation: str,
        reason: str,
    ) -> FamilyMember:
        ref = PersonRef(sealed.id, sealed.admin_code)
        self._auditor.personal_data_read(
            uow.audit, principal, ref, fields=("name",), reason=reason, masked=True
        )
        name = self._cipher.open(sealed.name, table="persons", column="name", row_id=str(sealed.id))
        return FamilyMember(sealed.id, mask_name(name), sealed.birth_year, relation)
