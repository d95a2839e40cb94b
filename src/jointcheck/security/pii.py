"""Encryption of personal fields at rest and the keyed look-up hash of ID numbers (R6).

Each personal field (name, ID number, phone, address, date of birth, sex) is sealed with
AES-256-GCM under the deployment's ``pii_key``: a fresh 96-bit random nonce per value
(NIST SP 800-38D, 8.2.2) and associated data binding the ciphertext to its table, column and
row id, so that a value copied into another row or column fails to open instead of being
read as someone else's data.

Sealed layout: ``version (1 byte) || nonce (12 bytes) || ciphertext || tag (16 bytes)``.

The look-up hash is HMAC-SHA256 of the normalised document number under ``lookup_key``;
for a resident ID card it equals the subject hash our credentials carry
(``credentials.subject.subject_hash``), so a scanned health code finds its person without the
server ever keeping the number in clear.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jointcheck.config import refuse_weak_secret
from jointcheck.credentials.subject import normalise_id_number, subject_hash
from jointcheck.errors import ConfigError, StoreError

KEY_BYTES = 32
NONCE_BYTES = 12
FORMAT_VERSION = 1
RESIDENT_ID_CARD = "resident_id_card"


class KeySettings(Protocol):
    """The part of ``Settings`` this module reads (keys are passed in, never read here)."""

    @property
    def pii_key(self) -> str: ...

    @property
    def lookup_key(self) -> str: ...


def decode_key(name: str, value: str) -> bytes:
    """A base64 key of exactly 32 bytes, or ConfigError naming the setting."""
    refuse_weak_secret(name, value)
    try:
        key = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConfigError(f"{name} is not base64", code="CONFIG_KEY_INVALID") from exc
    if len(key) != KEY_BYTES:
        raise ConfigError(
            f"{name} must decode to {KEY_BYTES} bytes, not {len(key)}", code="CONFIG_KEY_INVALID"
        )
    return key


def new_key_text() -> str:
    """A fresh random key in the form settings expect (base64 of 32 bytes)."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def _aad(table: str, column: str, row_id: str) -> bytes:
    return f"jointcheck/{table}/{column}/{row_id}".encode()


@dataclass(frozen=True, slots=True)
class FieldCipher:
    """Seals and opens personal fields; computes look-up hashes. Holds the keys, not the data."""

    pii_key: bytes
    lookup_key: bytes

    @classmethod
    def from_settings(cls, settings: KeySettings) -> FieldCipher:
        pii = decode_key("pii_key", settings.pii_key)
        lookup = decode_key("lookup_key", settings.lookup_key)
        if hmac.compare_digest(pii, lookup):
            raise ConfigError("pii_key and lookup_key must differ", code="CONFIG_KEY_REUSED")
        return cls(pii_key=pii, lookup_key=lookup)

    def seal(self, plaintext: str, *, table: str, column: str, row_id: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        body = AESGCM(self.pii_key).encrypt(
            nonce, plaintext.encode("utf-8"), _aad(table, column, row_id)
        )
        return bytes([FORMAT_VERSION]) + nonce + body

    def open(self, sealed: bytes, *, table: str, column: str, row_id: str) -> str:
        """The plaintext, or StoreError when the value was altered, moved or keyed otherwise."""
        if len(sealed) < 1 + NONCE_BYTES or sealed[0] != FORMAT_VERSION:
            raise StoreError(f"{table}.{column} of {row_id}: unknown sealed format")
        nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
        try:
            plain = AESGCM(self.pii_key).decrypt(nonce, body, _aad(table, column, row_id))
        except InvalidTag as exc:
            raise StoreError(
                f"{table}.{column} of {row_id} does not open with this key",
                code="PII_UNREADABLE",
            ) from exc
        return plain.decode("utf-8")

    def lookup_hash(self, document_type: str, number: str) -> bytes:
        """The keyed hash a person is found by; never reversible without ``lookup_key``."""
        if document_type == RESIDENT_ID_CARD:
            return subject_hash(self.lookup_key, number)
        text = f"{document_type}:{normalise_id_number(number)}"
        return hmac.new(self.lookup_key, text.encode("utf-8"), hashlib.sha256).digest()
