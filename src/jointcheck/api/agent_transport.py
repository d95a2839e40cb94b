"""The agent's HTTP client to the district server (httpx), as the core's ``AgentTransport``.

Network failures and server errors (5xx) are ``Unreachable``: the agent keeps its outbox and
tries again. A 401 means the token was revoked (a lost terminal): also reported, never retried
faster: ``Revoked``, which the entrance page shows as such (call the district office, enroll
the terminal again), not as a network that is down.

A batch is encoded here, and one whose body passes the events route's limit is not sent:
``TooLarge``, as for a 413 answer, and the upload splits it (checkpoint/sync.py).
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from typing import Any

import httpx

from jointcheck.api.checkpoint_schemas import EVENTS_BODY_LIMIT
from jointcheck.checkpoint.sync import BatchAnswer, Revoked, TooLarge, Unreachable
from jointcheck.credentials.model import CodeColour
from jointcheck.errors import InputError

PREFIX = "/api/checkpoint"
SERVER_ERROR = 500
# A paper code's current colour is asked while the person waits at the entrance: a dead link
# costs at most this long for each step of the request (connect, send, read), then the printed
# colour stands (issue 4).
PAPER_COLOUR_TIMEOUT = 0.3


class HttpTransport:
    def __init__(
        self,
        server: str,
        token: str,
        timeout: float = 5.0,
        client: httpx.Client | None = None,
        max_body: int = EVENTS_BODY_LIMIT,
        colour_timeout: float = PAPER_COLOUR_TIMEOUT,
    ) -> None:
        self._client = client or httpx.Client(base_url=server.rstrip("/"), timeout=timeout)
        self._max_body = max_body
        self._colour_timeout = colour_timeout
        self._client.headers["authorization"] = f"Bearer {token}"

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:  # noqa: ANN401
        try:
            response = self._client.request(method, PREFIX + path, **kwargs)
        except httpx.HTTPError as exc:
            raise Unreachable(type(exc).__name__) from exc
        if response.status_code >= SERVER_ERROR:
            raise Unreachable(f"server answered {response.status_code}")
        if response.status_code == httpx.codes.UNAUTHORIZED:
            raise Revoked("DEVICE_UNKNOWN: the server refused the token (revoked)")
        return response

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code != httpx.codes.OK:
            code = "SERVER_REFUSED"
            with contextlib.suppress(ValueError, KeyError, TypeError):
                code = str(response.json()["error"]["code"])
            raise InputError(f"the server refused: {code}", code=code)
        data = response.json()
        if not isinstance(data, dict):
            raise Unreachable("unexpected answer")
        return data

    def server_time(self) -> datetime:
        return datetime.fromisoformat(self._json(self._call("GET", "/time"))["now"])

    def post_batch(self, events: list[dict[str, Any]], skew_ms: int | None) -> BatchAnswer:
        content = json.dumps(
            {"events": events, "skew_ms": skew_ms}, ensure_ascii=False, separators=(",", ":")
        ).encode()
        if len(content) > self._max_body:
            raise TooLarge(f"{len(content)} bytes, over {self._max_body}")
        response = self._call(
            "POST", "/events", content=content, headers={"content-type": "application/json"}
        )
        if response.status_code == httpx.codes.REQUEST_ENTITY_TOO_LARGE:
            raise TooLarge(f"server answered {response.status_code}")
        body = self._json(response)
        refused = {str(r["id"]): str(r["code"]) for r in body.get("refused", [])}
        return BatchAnswer(tuple(str(i) for i in body.get("accepted", [])), refused)

    def fetch_bundle(self) -> bytes:
        response = self._call("GET", "/bundle")
        if response.status_code != httpx.codes.OK:
            raise Unreachable(f"bundle: {response.status_code}")
        return response.content

    def device(self) -> dict[str, Any]:
        return self._json(self._call("GET", "/device"))

    def id_document(self, document_type: str, number: str) -> dict[str, Any]:
        body = {"document_type": document_type, "number": number, "store": False}
        return self._json(self._call("POST", "/id-document", json=body))

    def paper_colour(self, subject_hash: str) -> CodeColour | None:
        """The health authority's current colour for SUBJECT_HASH; None for no such person in
        the district (404 SUBJECT_UNKNOWN). Raises Unreachable when the server does not
        answer within the short timeout, InputError when it refuses the question."""
        # The request's own timeout as httpx's "timeout" extension, which a client passes on
        # to its transport (the in-process test client too, where a timeout= argument warns).
        timeout = httpx.Timeout(self._colour_timeout).as_dict()
        response = self._call(
            "POST",
            "/paper-colour",
            json={"subject_hash": subject_hash},
            extensions={"timeout": timeout},
        )
        if response.status_code == httpx.codes.NOT_FOUND:
            return None
        try:
            return CodeColour(self._json(response)["colour"])
        except (KeyError, ValueError) as exc:
            raise Unreachable("unexpected answer") from exc
