"""Faults of jointcheck: things that should not happen, as opposed to expected outcomes.

A forged, expired or revoked credential is an *outcome* (a ``Verification`` or ``Decision``
with reason codes), never an exception. Exceptions are for faults: bad configuration, a
malformed policy pack or trust list file given by an operator, a broken database.

    JointcheckError
     +-- ConfigError            settings missing or unsafe (default secrets, bad paths)
     +-- KeyMaterialError       a private key file is missing, unreadable or too open
     +-- TrustListError         a trust list document cannot be read, is forged or older
     +-- PolicyPackError        a policy pack fails its schema (carries the field path)
     +-- StoreError             the database refused an operation
     +-- InputError             a user's input is invalid (carries a stable reason code)

Library errors are translated at the boundary with ``raise ... from exc``.
"""

from __future__ import annotations


class JointcheckError(Exception):
    """Base of every fault raised by jointcheck."""

    code = "INTERNAL_ERROR"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class ConfigError(JointcheckError):
    code = "CONFIG_INVALID"


class KeyMaterialError(JointcheckError):
    code = "KEY_MATERIAL_INVALID"


class TrustListError(JointcheckError):
    code = "TRUST_LIST_INVALID"


class PolicyPackError(JointcheckError):
    """A policy pack failed validation; ``path`` names the offending field (``a.b[2].c``)."""

    code = "POLICY_PACK_INVALID"

    def __init__(self, message: str, *, path: str = "", code: str | None = None) -> None:
        super().__init__(f"{path}: {message}" if path else message, code=code)
        self.path = path


class StoreError(JointcheckError):
    code = "STORE_ERROR"


class InputError(JointcheckError):
    code = "INPUT_INVALID"
