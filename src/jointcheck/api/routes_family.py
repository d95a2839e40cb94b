"""``POST /api/family/links``: link a family member without a phone to a resident (R14);
``DELETE /api/family/links/{id}``: remove the link.

The community (grid) administrator of the resident's community, or the district administrator,
names both persons by their documents; the answer shows them masked. Linking the same pair
again answers ``created: false`` and the link as stored (its relation, not the one asked).
Every name opened for the answer is an audited masked read, and the link itself is audited (``family.link``; its removal ``family.unlink``, with the
reason given). Documents are never echoed back.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from jointcheck.api.deps import RegistryDep, csrf_header_checked, require_role
from jointcheck.api.errors import ApiError
from jointcheck.registry.family import MAX_RELATION, PersonDocument
from jointcheck.registry.model import FamilyMember
from jointcheck.security.roles import Principal, Role
from jointcheck.web.i18n import LOCALES, Translator

router = APIRouter(prefix="/api/family", tags=["family"])
LinkerDep = Annotated[Principal, Depends(require_role(Role.COMMUNITY_ADMIN, Role.DISTRICT_ADMIN))]
DocumentType = Literal["resident_id_card", "passport", "hk_macao_permit", "taiwan_permit"]


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document_type: DocumentType = "resident_id_card"
    number: str = Field(min_length=1, max_length=30)


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    holder: DocumentIn  # the resident, who has an account
    member: DocumentIn  # the family member without a phone
    # One of registry.family.Relation, what the member is to the holder; another value is
    # refused with FAMILY_RELATION_UNKNOWN (400, zh-CN and en).
    relation: str = Field(min_length=1, max_length=MAX_RELATION)
    reason: str = Field(min_length=1, max_length=200)


def _person(person: FamilyMember) -> dict[str, Any]:
    return {
        "id": str(person.id),
        "masked_name": person.masked_name,
        "birth_year": person.birth_year,
    }


@router.post("/links", dependencies=[Depends(csrf_header_checked)])
async def link(body: LinkIn, principal: LinkerDep, registry: RegistryDep) -> dict[str, Any]:
    linked = await run_in_threadpool(
        registry.family.link,
        principal,
        PersonDocument(body.holder.document_type, body.holder.number),
        PersonDocument(body.member.document_type, body.member.number),
        body.relation,
        reason=body.reason,
    )
    relation = linked.member.relation
    return {
        "id": str(linked.link_id),
        "holder": _person(linked.holder),
        "member": {
            **_person(linked.member),
            "relation": relation,
            "relation_label": {loc: Translator(loc).label("relation", relation) for loc in LOCALES},
        },
        "created": linked.created,
    }


class UnlinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=200)


@router.delete("/links/{link_id}", dependencies=[Depends(csrf_header_checked)])
async def unlink(
    link_id: str, body: UnlinkIn, principal: LinkerDep, registry: RegistryDep
) -> dict[str, Any]:
    """Remove a link (the member moved away, or was linked by mistake): its id is in the
    answer of the POST that made it, or made it again. A link of a resident outside the
    caller's scope answers as an unknown id: 404 ``FAMILY_LINK_UNKNOWN``."""
    try:
        wanted = UUID(link_id)
    except ValueError:
        wanted = None
    removed = wanted is not None and await run_in_threadpool(
        registry.family.unlink_by_id, principal, wanted, reason=body.reason
    )
    if not removed:
        raise ApiError(HTTPStatus.NOT_FOUND, "FAMILY_LINK_UNKNOWN")
    return {"id": link_id, "removed": True}
