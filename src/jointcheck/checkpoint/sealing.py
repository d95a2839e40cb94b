"""Sealing registrations on the device (R6): AES-256-GCM under the device's own key.

A registration sits in the agent's outbox until the server has it; on a lost or stolen
terminal the outbox file alone reveals no name, ID number or phone. The key lives in a 0600
file beside the outbox (the agent creates it); the server re-seals with the district's PII key.
"""

from __future__ import annotations

import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jointcheck.checkpoint.model import Registration
from jointcheck.errors import KeyMaterialError

KEY_BYTES = 32
NONCE_BYTES = 12
_AAD = b"jointcheck/outbox/registration/1"


class DeviceSealer:
    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise KeyMaterialError("device key must be 32 bytes", code="DEVICE_KEY_INVALID")
        self._aead = AESGCM(key)

    @staticmethod
    def new_key() -> bytes:
        return os.urandom(KEY_BYTES)

    def seal(self, registration: Registration) -> bytes:
        plain = json.dumps(
            {
                "name": registration.name,
                "id_number": registration.id_number,
                "phone": registration.phone,
                "purpose": registration.purpose,
            },
            ensure_ascii=False,
        ).encode()
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plain, _AAD)

    def open(self, sealed: bytes) -> Registration:
        try:
            plain = self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _AAD)
        except InvalidTag as exc:
            raise KeyMaterialError(
                "registration does not open under this device key", code="DEVICE_KEY_MISMATCH"
            ) from exc
        data = json.loads(plain)
        return Registration(
            name=data["name"],
            id_number=data["id_number"],
            phone=data["phone"],
            purpose=data["purpose"],
        )
