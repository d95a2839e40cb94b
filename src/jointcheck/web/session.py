"""Signed cookies: the login session and the CSRF token (R6: who is signed in, unforgeably).

A cookie value is ``base64url(JSON payload) "." base64url(HMAC-SHA256)``, keyed by the
deployment's ``session_secret`` with a per-purpose derivation, so that a CSRF token cannot be
replayed as a session. The session cookie is HttpOnly and SameSite=Lax; its payload holds the
account id, the role at sign-in, a random session id and an expiry, never personal data. The
session id is also kept at the server (``AccountService.open_session``) until sign-out or
expiry: a signed cookie whose session is gone is nobody, so a copy of a signed-out cookie
does not work.

Form posts carry the CSRF token twice (double submit): in the ``jc_csrf`` cookie and in the
form's ``csrf_token`` field (or the ``X-CSRF-Token`` header for fetch). Both must be the same
signed token. A cross-site page can make the browser send the cookie but can neither read it
nor forge a token signed with the deployment's secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

SESSION_COOKIE: Final = "jc_session"
CSRF_COOKIE: Final = "jc_csrf"
CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "x-csrf-token"
SESSION_TTL: Final = timedelta(hours=8)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """HMAC signing of small JSON payloads for one purpose (``session``, ``csrf``)."""

    def __init__(self, secret: str, purpose: str) -> None:
        self._key = hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest())

    def sign(self, payload: dict[str, Any]) -> str:
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        return f"{body}.{self._mac(body)}"

    def unsign(self, token: str | None) -> dict[str, Any] | None:
        """The payload of a token signed by this signer, or None (forged, damaged, absent)."""
        if not token or token.count(".") != 1:
            return None
        body, mac = token.split(".")
        if not hmac.compare_digest(mac, self._mac(body)):
            return None
        try:
            payload = json.loads(_unb64(body))
        except (ValueError, UnicodeDecodeError):
            return None
        return payload if isinstance(payload, dict) else None


@dataclass(frozen=True, slots=True)
class Session:
    """Who is signed in: the account, its role at sign-in, the session id, and until when."""

    account_id: int
    username: str
    role: str
    session_id: str
    expires_at: datetime

    def to_payload(self) -> dict[str, Any]:
        return {
            "aid": self.account_id,
            "usr": self.username,
            "rol": self.role,
            "sid": self.session_id,
            "exp": int(self.expires_at.timestamp()),
        }


def session_from_payload(payload: dict[str, Any] | None, now: datetime) -> Session | None:
    """The session in a verified payload, unless it is malformed or expired."""
    if payload is None:
        return None
    aid, usr, rol, sid, exp = (payload.get(k) for k in ("aid", "usr", "rol", "sid", "exp"))
    if not (isinstance(aid, int) and isinstance(usr, str) and isinstance(rol, str)):
        return None
    if not isinstance(sid, str) or not sid:
        return None
    if not isinstance(exp, int):
        return None
    expires_at = datetime.fromtimestamp(exp, tz=now.tzinfo)
    if expires_at <= now:
        return None
    return Session(aid, usr, rol, sid, expires_at)


class Cookies:
    """The deployment's signers for sessions and CSRF tokens."""

    def __init__(self, secret: str) -> None:
        self.session = Signer(secret, "jointcheck.session")
        self.csrf = Signer(secret, "jointcheck.csrf")

    def new_csrf(self) -> str:
        return self.csrf.sign({"n": secrets.token_urlsafe(18)})

    def csrf_valid(self, cookie: str | None, submitted: str | None) -> bool:
        """Double submit: the cookie and the submitted token are one token we signed."""
        if not cookie or not submitted or self.csrf.unsign(cookie) is None:
            return False
        return hmac.compare_digest(cookie, submitted)

    def read_session(self, cookie: str | None, now: datetime) -> Session | None:
        return session_from_payload(self.session.unsign(cookie), now)

    def new_session(
        self, account_id: int, username: str, role: str, session_id: str, expires_at: datetime
    ) -> tuple[Session, str]:
        """The signed cookie of a session the server opened (``AccountService.open_session``)."""
        session = Session(account_id, username, role, session_id, expires_at)
        return session, self.session.sign(session.to_payload())
