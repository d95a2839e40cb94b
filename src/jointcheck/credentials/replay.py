"""Noticing a health code shown twice at one place (issue 2: DUPLICATE_PRESENTATION).

A health code carries a nonce that is fresh at every rendering and lives for minutes. The same
code (credential id and nonce) shown again at the same place while it is still valid is most
likely a screenshot passed from one person to another, so the result carries the warning
DUPLICATE_PRESENTATION beside its verdict: a warning, not a refusal, since a person may simply
scan twice; the operator checks the person (R4). A paper health code (issue 4) is printed for
someone without a phone, who shows the same sheet going in and out: it is never recorded here.

The ledger is bounded: entries leave when their code expires, and when ``max_entries`` codes
are live the one that expires first is forgotten (it could only have produced a warning).
It implements the checkpoint's ``LedgerPort`` (``seen``) for one process (``jointcheck verify``'s
bulk audit). The server, which may run several processes, keeps its ledger in the database
instead (``store.presentations``: the same ``seen`` over a table, and a batch form that the scan
path asks in the transaction storing the checks); the agent keeps its own in memory.
"""

from __future__ import annotations

import dataclasses
import heapq
from datetime import datetime

from jointcheck.credentials.model import HealthCode, Verification
from jointcheck.credentials.reasons import Reason

DEFAULT_MAX_ENTRIES = 100_000


class PresentationLedger:
    """In-memory record of the health codes presented recently, per place."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError("a ledger holds at least one entry")
        self._max = max_entries
        self._until: dict[str, datetime] = {}
        self._expiry: list[tuple[datetime, str]] = []

    def __len__(self) -> int:
        return len(self._until)

    def _forget_expired(self, at: datetime) -> None:
        while self._expiry and self._expiry[0][0] < at:
            until, key = heapq.heappop(self._expiry)
            if self._until.get(key) == until:
                del self._until[key]

    def _forget_soonest(self) -> None:
        while self._expiry:
            until, key = heapq.heappop(self._expiry)
            if self._until.get(key) == until:
                del self._until[key]
                return

    def seen(self, key: str, at: datetime, until: datetime) -> bool:
        """Record KEY as presented at AT, remembered until UNTIL; True if it was already live."""
        self._forget_expired(at)
        known = key in self._until
        if known and self._until[key] >= until:
            return True
        if not known and len(self._until) >= self._max:
            self._forget_soonest()
        self._until[key] = until
        heapq.heappush(self._expiry, (until, key))
        return known

    def check(self, verification: Verification, place: str, at: datetime) -> Verification:
        """VERIFICATION with DUPLICATE_PRESENTATION added if this code was already shown here.

        Only valid dynamic health codes are recorded: a refused code never admits anyone, so
        its repetition says nothing, and a paper code is shown again and again by its holder.
        """
        code = verification.credential
        if not (verification.valid and isinstance(code, HealthCode)) or code.paper:
            return verification
        key = f"{place}\x1f{code.credential_id}\x1f{code.nonce}"
        if not self.seen(key, at, code.expires_at):
            return verification
        if Reason.DUPLICATE_PRESENTATION in verification.warnings:
            return verification
        warnings = (*verification.warnings, Reason.DUPLICATE_PRESENTATION)
        return dataclasses.replace(verification, warnings=warnings)
