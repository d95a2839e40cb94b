"""What the scan-to-decision flow needs from outside, as protocols (passed in, never imported).

The edges bind them: ``credentials.verify`` with the bundle's key ring and revocations for
``VerifyPort``, ``policy.evaluate`` with the bundle's pack for ``DecidePort`` (see
``policy_port.py``), the replay ledger for ``LedgerPort``. Unit tests pass fakes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from jointcheck.checkpoint.model import Outcome, Registration
from jointcheck.credentials.model import Verification
from jointcheck.credentials.replay import PresentationLedger
from jointcheck.policy import EvidenceSummary, IdCardLookup


@dataclass(frozen=True, slots=True)
class Presented:
    """Everything one person showed: verified codes, or what the server found for an ID
    document (R14)."""

    verifications: tuple[Verification, ...] = ()
    id_document: IdCardLookup | None = None


@dataclass(frozen=True, slots=True)
class PolicyResult:
    """The policy's answer in the terms a check stores and a screen shows."""

    outcome: Outcome
    reasons: tuple[str, ...]
    summary: EvidenceSummary
    masked_name: str
    message_zh: str
    message_en: str


class VerifyPort(Protocol):
    def __call__(self, text: str, at: datetime) -> Verification: ...


class DecidePort(Protocol):
    def __call__(self, presented: Presented, at: datetime) -> PolicyResult: ...


class LedgerPort(Protocol):
    def seen(self, key: str, at: datetime, until: datetime) -> bool:
        """Record a presentation; True when KEY was already presented before UNTIL."""
        ...


class SealPort(Protocol):
    def seal(self, registration: Registration) -> bytes: ...

    def open(self, sealed: bytes) -> Registration: ...


class MemoryLedger(PresentationLedger):
    """A ledger for one process: the device's own, rebuilt empty after a restart.

    A health code is valid for minutes, so forgetting at restart loses only warnings. It is
    bounded like every in-memory ledger (``PresentationLedger``): an entry leaves when its code
    expires, and with ``max_entries`` codes live the one that expires first is forgotten (it
    could only have produced a warning), so a device that runs for weeks keeps a fixed size.
    """


def subjects_of(verifications: Sequence[Verification]) -> tuple[str | None, ...]:
    """The keyed subject hash of each verified credential (None for foreign ones)."""
    return tuple(
        v.credential.subject.id_hash if v.credential is not None and v.valid else None
        for v in verifications
    )
