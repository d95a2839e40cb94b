"""The family page (R14, issue 4): the grid administrator, on a phone, links a family member
without a phone to a resident of their community, and removes a link.

For the linking roles (``registry.family.LINKERS``: the community (grid) administrator within
their community, the district administrator):

- ``GET /family``: the search form; with ``?resident=<id>`` the resident (masked) and their
  links, each with its relation in the page's language and a removal that asks for a reason
  and a confirmation, and the form that adds a link;
- ``POST /family``: find a resident by ID document, then redirect to ``?resident=<id>``;
- ``POST /family/links``: add a link (the member's ID document, a relation of the list, a
  reason), then redirect to ``?resident=<id>&linked=<link id>``;
- ``POST /family/unlink``: remove a link, then redirect to ``?resident=<id>&removed=<link id>``.

Every change goes through ``FamilyService`` as the API's does (``POST /api/family/links``,
``DELETE /api/family/links/{id}``): the same scoping, reason codes and audit entries. The page
never echoes a document number: after the search, its forms carry the resident's id, and the
URL holds ids alone (POST-redirect-GET, so a reload changes nothing). A resident out of scope
answers as unknown (``FAMILY_PERSON_UNKNOWN``, 404), as does another scope's link.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any, get_args
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Form, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from jointcheck.api.deps import CsrfChecked, RegistryDep, require_role
from jointcheck.api.errors import error_message
from jointcheck.api.routes_family import DocumentType
from jointcheck.bootstrap import Registry
from jointcheck.errors import InputError
from jointcheck.registry.family import (
    LINKERS,
    MAX_RELATION,
    PersonDocument,
    Relation,
    ResidentLinks,
)
from jointcheck.security.roles import Principal
from jointcheck.web.render import render

router = APIRouter(tags=["pages"])
LinkerDep = Annotated[Principal, Depends(require_role(*LINKERS))]

DOCUMENT_TYPES: tuple[str, ...] = get_args(DocumentType)
MAX_NUMBER = 30
MAX_REASON = 200
MAX_ID = 40
NO_STORE = {"cache-control": "no-store"}


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


def _resident(text: str) -> UUID:
    """The resident's id from a URL or a form; anything else is an unknown resident."""
    wanted = _uuid(text)
    if wanted is None:
        raise InputError("not a resident's id", code="FAMILY_PERSON_UNKNOWN")
    return wanted


def _problem(code: str) -> dict[str, Any]:
    return {"code": code, "message": error_message(code)}


def _page(
    request: Request,
    found: ResidentLinks | None = None,
    *,
    problem: str | None = None,
    form: dict[str, str] | None = None,
    notice: dict[str, Any] | None = None,
    status: int = HTTPStatus.OK,
) -> HTMLResponse:
    context = {
        "found": found,
        "problem": _problem(problem) if problem else None,
        "form": {"document_type": "resident_id_card", "relation": "", "reason": "", **(form or {})},
        "notice": notice,
        "document_types": DOCUMENT_TYPES,
        "relations": [r.value for r in Relation],
        "max_relation": MAX_RELATION,
    }
    response = render(request, "family.html", context, status_code=status)
    response.headers.update(NO_STORE)
    return response


def _to(resident: UUID, **more: str) -> RedirectResponse:
    query = urlencode({"resident": str(resident), **more})
    return RedirectResponse(f"/family?{query}", status_code=HTTPStatus.SEE_OTHER)


async def _links(registry: Registry, principal: Principal, resident: UUID) -> ResidentLinks:
    return await run_in_threadpool(registry.family.resident_links, principal, resident)


@router.get("/family", response_class=HTMLResponse)
async def family_page(
    request: Request,
    principal: LinkerDep,
    registry: RegistryDep,
    resident: Annotated[str, Query(max_length=MAX_ID)] = "",
    linked: Annotated[str, Query(max_length=MAX_ID)] = "",
    again: Annotated[str, Query(max_length=1)] = "",
    removed: Annotated[str, Query(max_length=MAX_ID)] = "",
) -> HTMLResponse:
    if not resident:
        return _page(request)
    try:
        found = await _links(registry, principal, _resident(resident))
    except InputError as exc:
        return _page(request, problem=exc.code, status=HTTPStatus.NOT_FOUND)
    notice: dict[str, Any] | None = None
    shown = next((s for s in found.links if str(s.id) == linked), None)
    if shown is not None:
        notice = {"kind": "linked", "member": shown.member, "again": again == "1"}
    elif removed and all(str(s.id) != removed for s in found.links):
        notice = {"kind": "removed"}
    return _page(request, found, notice=notice)


@router.post("/family", response_class=HTMLResponse)
async def find_resident(
    request: Request,
    principal: LinkerDep,
    registry: RegistryDep,
    _csrf: CsrfChecked,
    document_type: Annotated[str, Form(max_length=MAX_ID)] = "resident_id_card",
    number: Annotated[str, Form(max_length=MAX_NUMBER)] = "",
) -> Response:
    """Find a resident by ID document; the answer is a redirect to their id, so that the
    document number is in no URL and no page."""
    document = PersonDocument(document_type, number.strip())
    try:
        found = await run_in_threadpool(registry.family.resident_links, principal, document)
    except InputError as exc:
        form = {"document_type": document_type}
        return _page(request, problem=exc.code, form=form, status=HTTPStatus.BAD_REQUEST)
    return _to(found.holder.id)


@router.post("/family/links", response_class=HTMLResponse)
async def add_link(
    request: Request,
    principal: LinkerDep,
    registry: RegistryDep,
    _csrf: CsrfChecked,
    resident: Annotated[str, Form(max_length=MAX_ID)] = "",
    document_type: Annotated[str, Form(max_length=MAX_ID)] = "resident_id_card",
    number: Annotated[str, Form(max_length=MAX_NUMBER)] = "",
    relation: Annotated[str, Form(max_length=MAX_RELATION)] = "",
    reason: Annotated[str, Form(max_length=MAX_REASON)] = "",
) -> Response:
    """Link a member (R14) through the service the API calls: same checks, same audit."""
    holder = _uuid(resident)
    member = PersonDocument(document_type, number.strip())
    try:
        linked = await run_in_threadpool(
            registry.family.link, principal, _resident(resident), member, relation, reason=reason
        )
    except InputError as exc:
        return await _refused(request, principal, registry, holder, exc.code,
                              {"document_type": document_type, "relation": relation,
                               "reason": reason})  # fmt: skip
    return _to(linked.holder.id, linked=str(linked.link_id), again="0" if linked.created else "1")


@router.post("/family/unlink", response_class=HTMLResponse)
async def remove_link(
    request: Request,
    principal: LinkerDep,
    registry: RegistryDep,
    _csrf: CsrfChecked,
    resident: Annotated[str, Form(max_length=MAX_ID)] = "",
    link_id: Annotated[str, Form(max_length=MAX_ID)] = "",
    reason: Annotated[str, Form(max_length=MAX_REASON)] = "",
) -> Response:
    """Remove a link after the row's confirmation (with its reason); another scope's link,
    or one removed meanwhile, answers ``FAMILY_LINK_UNKNOWN`` like the API's DELETE."""
    holder, wanted = _uuid(resident), _uuid(link_id)
    try:
        removed = wanted is not None and await run_in_threadpool(
            registry.family.unlink_by_id, principal, wanted, reason=reason
        )
    except InputError as exc:
        return await _refused(request, principal, registry, holder, exc.code)
    if not removed or holder is None:
        return await _refused(
            request, principal, registry, holder, "FAMILY_LINK_UNKNOWN", status=HTTPStatus.NOT_FOUND
        )
    return _to(holder, removed=str(wanted))


async def _refused(
    request: Request,
    principal: Principal,
    registry: Registry,
    holder: UUID | None,
    code: str,
    form: dict[str, str] | None = None,
    *,
    status: int = HTTPStatus.BAD_REQUEST,
) -> HTMLResponse:
    """The resident's page again with the refusal's code and message, the form as sent
    (without the document number)."""
    found = None
    if holder is not None:
        try:
            found = await _links(registry, principal, holder)
        except InputError:
            found = None
    return _page(request, found, problem=code, form=form, status=status)
