"""``POST /api/verify`` and ``POST /api/verify/image``: verify one code against the server's
trust list and answer the outcome with every personal field masked (issue 2, house rule 4).

Like ``jointcheck verify --json``: ``valid``, ``reason`` (with its zh-CN and en message),
``type`` and ``steps``, plus the masked ``credential`` sections. A code that fails is an
outcome (200 with ``valid: false``), not an error; errors are for requests the server cannot
answer (no trust list yet: 503 TRUST_LIST_MISSING; a bad body: 422; an unreadable image: 400).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from jointcheck.api.deps import NowDep, ServicesDep
from jointcheck.api.errors import ApiError
from jointcheck.api.qr_image import decode_qr_image
from jointcheck.credentials.pipeline import MAX_NUMERIC_DIGITS
from jointcheck.web.verify_view import as_json, view

router = APIRouter(prefix="/api", tags=["verify"])

# A little over the longest QR payload, so that an over-long code is answered by the
# pipeline's own INPUT_TOO_LONG outcome, and anything far longer is refused here.
MAX_TEXT = 2 * MAX_NUMERIC_DIGITS


class VerifyRequest(BaseModel):
    """One code's text as scanned: ``HC1:...``, our health code, ``shc:/...``."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_TEXT)


def _trust_missing() -> ApiError:
    return ApiError(HTTPStatus.SERVICE_UNAVAILABLE, "TRUST_LIST_MISSING")


def verified_json(services: ServicesDep, text: str, now: NowDep) -> dict[str, Any]:
    verification = services.trust.verify(text.strip(), now)
    if verification is None:
        raise _trust_missing()
    return as_json(view(verification))


@router.post("/verify")
def verify_text(body: VerifyRequest, services: ServicesDep, now: NowDep) -> dict[str, Any]:
    """Verify a code's text."""
    return verified_json(services, body.text, now)


@router.post("/verify/image")
async def verify_image(
    image: Annotated[UploadFile, File(description="PNG or JPEG with one QR code")],
    services: ServicesDep,
    now: NowDep,
) -> dict[str, Any]:
    """Verify the QR code in an uploaded PNG or JPEG image (decoded with zxing-cpp)."""
    data = await image.read()
    text = await run_in_threadpool(decode_qr_image, data)
    return await run_in_threadpool(verified_json, services, text, now)
