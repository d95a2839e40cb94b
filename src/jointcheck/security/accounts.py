"""Accounts: sign-in with argon2 password hashes and creation within the creator's scope (R6)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jointcheck.errors import InputError
from jointcheck.security.audit import Auditor
from jointcheck.security.passwords import dummy_hash, hash_password, verify_password
from jointcheck.security.ports import AccountRecord, AuditAction, SecurityUnitOfWork
from jointcheck.security.roles import (
    PLACE_ROLES,
    SCOPE_LENGTHS,
    AccessDenied,
    Principal,
    Role,
    within,
)

MIN_PASSWORD = 10
MAX_USERNAME = 64
NOTICE_TTL = timedelta(minutes=5)  # the redirect after a form is followed within seconds
_NONCE_BYTES = 12


@dataclass(frozen=True, slots=True)
class NewAccount:
    username: str
    password: str
    role: Role
    scope_code: str
    display_name: str = ""
    place_id: int | None = None
    person_id: UUID | None = None


def principal_of(record: AccountRecord) -> Principal:
    if record.id is None:
        raise InputError("account has no id yet", code="ACCOUNT_UNSAVED")
    return Principal(
        account_id=record.id,
        username=record.username,
        role=record.role,
        scope_code=record.scope_code,
        place_id=record.place_id,
        person_id=record.person_id,
    )


def check_new_account(form: NewAccount) -> None:
    """Refuse an account whose scope does not fit its role (a street role needs a street code)."""
    name = form.username.strip()
    if not name or len(name) > MAX_USERNAME or not name.isprintable() or " " in name:
        raise InputError("username: 1-64 printable characters, no spaces", code="ACCOUNT_USERNAME")
    if len(form.password) < MIN_PASSWORD:
        raise InputError(f"password shorter than {MIN_PASSWORD}", code="ACCOUNT_PASSWORD_SHORT")
    lengths = SCOPE_LENGTHS.get(form.role)
    if lengths is not None and (
        len(form.scope_code) not in lengths or not form.scope_code.isdigit()
    ):
        raise InputError(
            f"{form.role} needs a scope code of {lengths} digits", code="ACCOUNT_SCOPE"
        )
    if form.role in PLACE_ROLES and form.place_id is None:
        raise InputError(f"{form.role} needs a place", code="ACCOUNT_PLACE")
    if form.role is Role.RESIDENT and form.person_id is None:
        raise InputError("a resident account needs a person", code="ACCOUNT_PERSON")


def _session_hash(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode()).digest()


def _notice_key(session_id: str) -> bytes:
    return hmac.new(session_id.encode(), b"jointcheck.web-notice", hashlib.sha256).digest()


class AccountService:
    def __init__(
        self,
        uow: Callable[[], SecurityUnitOfWork],
        auditor: Auditor,
        *,
        password_hasher: Callable[[str], str] = hash_password,
    ) -> None:
        self._uow = uow
        self._auditor = auditor
        self._hash = password_hasher

    def authenticate(self, username: str, password: str) -> Principal | None:
        """The signed-in principal, or None; unknown names cost as much time as wrong passwords."""
        with self._uow() as uow:
            record = uow.accounts.get_by_username(username.strip())
        if record is None or not record.active:
            verify_password(dummy_hash(), password)
            return None
        if not verify_password(record.password_hash, password):
            return None
        return principal_of(record)

    def principal(self, account_id: int) -> Principal | None:
        """The principal of an active account (a session carries only the account id)."""
        with self._uow() as uow:
            record = uow.accounts.get(account_id)
        return principal_of(record) if record is not None and record.active else None

    # Sessions: the cookie names a random session id; the store keeps its SHA-256 until
    # sign-out or expiry. A signed cookie alone is not enough to be signed in (R6).
    def open_session(self, principal: Principal, now: datetime, expires_at: datetime) -> str:
        """A new session id for a principal who just signed in; expired sessions are purged."""
        session_id = secrets.token_urlsafe(32)
        with self._uow() as uow:
            uow.accounts.delete_expired_sessions(now)
            uow.accounts.add_session(
                _session_hash(session_id), principal.account_id, now, expires_at
            )
            uow.commit()
        return session_id

    def session_principal(
        self, account_id: int, session_id: str, now: datetime
    ) -> Principal | None:
        """The principal of a live session of an active account; None once signed out."""
        with self._uow() as uow:
            owner = uow.accounts.session_account(_session_hash(session_id), now)
            record = uow.accounts.get(account_id) if owner == account_id else None
        return principal_of(record) if record is not None and record.active else None

    def session_alive(self, account_id: int, session_id: str, now: datetime) -> bool:
        """Whether the server still keeps this session of this account (not signed out)."""
        with self._uow() as uow:
            return uow.accounts.session_account(_session_hash(session_id), now) == account_id

    # One-time answers of a session (issue 4: the enrollment's token, shown once after the
    # form's redirect). Sealed with a key derived from the session id, which only the cookie
    # holds: the store alone cannot open them. Deleted when taken, or after NOTICE_TTL.
    def leave_notice(self, session_id: str, name: str, text: str, now: datetime) -> None:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = nonce + AESGCM(_notice_key(session_id)).encrypt(
            nonce, text.encode(), name.encode()
        )
        with self._uow() as uow:
            uow.accounts.put_notice(_session_hash(session_id), name, sealed, now + NOTICE_TTL)
            uow.commit()

    def take_notice(self, session_id: str, name: str, now: datetime) -> str | None:
        """The notice NAME of this session, once: None when taken already, expired or absent."""
        with self._uow() as uow:
            sealed = uow.accounts.take_notice(_session_hash(session_id), name, now)
            uow.commit()
        if sealed is None:
            return None
        nonce, body = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
        try:
            return AESGCM(_notice_key(session_id)).decrypt(nonce, body, name.encode()).decode()
        except InvalidTag:
            return None

    def close_session(self, session_id: str) -> None:
        """Sign-out: the session is deleted, and every copy of its cookie stops working."""
        with self._uow() as uow:
            uow.accounts.delete_session(_session_hash(session_id))
            uow.commit()

    def list(self, principal: Principal) -> list[Principal]:
        """The accounts of the district administrator's district (others see none)."""
        if principal.role is not Role.DISTRICT_ADMIN:
            return []
        with self._uow() as uow:
            records = uow.accounts.list(scope_code=principal.scope_code)
        return [principal_of(r) for r in records if r.active]

    def create(self, principal: Principal, form: NewAccount) -> Principal:
        """A district administrator creates accounts inside their district."""
        if principal.role is not Role.DISTRICT_ADMIN or not within(
            form.scope_code, principal.scope_code
        ):
            raise AccessDenied("only the district administrator creates accounts in the district")
        check_new_account(form)
        record = AccountRecord(
            id=None,
            username=form.username.strip(),
            password_hash=self._hash(form.password),
            role=form.role,
            scope_code=form.scope_code,
            display_name=form.display_name,
            place_id=form.place_id,
            person_id=form.person_id,
        )
        with self._uow() as uow:
            if uow.accounts.get_by_username(record.username) is not None:
                raise InputError("username taken", code="ACCOUNT_USERNAME_TAKEN")
            account_id = uow.accounts.add(record)
            uow.audit.add(
                self._auditor.entry(
                    principal,
                    AuditAction.ACCOUNT_CREATE,
                    admin_code=form.scope_code,
                    subject_kind="account",
                    subject_id=str(account_id),
                    reason="account created",
                    detail={"role": form.role.value, "username": record.username},
                )
            )
            uow.commit()
        return principal_of(replace(record, id=account_id))
