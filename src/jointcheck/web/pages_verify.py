"""The verify page ``/verify`` (issue 2): paste a code or upload a QR image, see the result.

The form posts to ``/verify`` (multipart, CSRF-checked); ``verify.js`` sends the same form
with fetch and ``?fragment=1`` and puts the returned result in the page. Without JavaScript the
whole page is rendered again with the result. Personal fields are masked (``verify_view``).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse

from jointcheck.api.deps import CsrfChecked, NowDep, ServicesDep
from jointcheck.api.errors import error_message
from jointcheck.api.qr_image import decode_qr_image
from jointcheck.api.routes_verify import MAX_TEXT
from jointcheck.errors import InputError
from jointcheck.web.render import render
from jointcheck.web.verify_view import VerificationView, view

router = APIRouter(tags=["pages"])


def _page_context(services: ServicesDep) -> dict[str, Any]:
    paths = services.trust.paths
    return {
        "trust_ready": services.trust.state().ready,
        "trust_path": str(paths.trust_list),
        "root_path": str(paths.root_key),
        "max_image_kib": services.settings.max_upload_bytes // 1024,
        "text": "",
        "result": None,
        "problem": None,
    }


def _problem(code: str) -> dict[str, Any]:
    return {"code": code, "message": error_message(code)}


@router.get("/verify", response_class=HTMLResponse)
def verify_page(request: Request, services: ServicesDep) -> HTMLResponse:
    return render(request, "verify.html", _page_context(services))


async def _read_code(text: str, image: UploadFile | None) -> str:
    """The code to verify: the uploaded image's QR code if an image was sent, else the text."""
    if image is not None and image.filename:
        data = await image.read()
        return await run_in_threadpool(decode_qr_image, data)
    text = text.strip()
    if not text:
        raise InputError("paste a code or choose an image", code="NOTHING_TO_VERIFY")
    if len(text) > MAX_TEXT:
        raise InputError("the pasted text is far longer than a QR code", code="TEXT_TOO_LONG")
    return text


@router.post("/verify", response_class=HTMLResponse)
async def verify_submit(
    request: Request,
    services: ServicesDep,
    now: NowDep,
    _csrf: CsrfChecked,
    text: Annotated[str, Form()] = "",
    image: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    context = _page_context(services)
    context["text"] = text[:MAX_TEXT]
    status = HTTPStatus.OK
    result: VerificationView | None = None
    try:
        code = await _read_code(text, image)
        verification = await run_in_threadpool(services.trust.verify, code, now)
        if verification is None:
            context["problem"], status = (
                _problem("TRUST_LIST_MISSING"),
                HTTPStatus.SERVICE_UNAVAILABLE,
            )
        else:
            result = view(verification)
    except InputError as exc:
        context["problem"], status = _problem(exc.code), HTTPStatus.BAD_REQUEST
    context["result"] = result
    if request.query_params.get("fragment"):
        return render(request, "partials/verify_fragment.html", context, status_code=status)
    return render(request, "verify.html", context, status_code=status)
