"""``verify(text, ctx)``: one entry point for every QR credential, dispatching on its prefix.

The context carries everything a verification depends on, so that the pure core never reads
a clock or a file (DESIGN.md, dependency rule): the instant ``at``, the trusted keys, the
revocation list and the allowed clock skew. ``verify`` never raises on any input: every
outcome, including garbage, is a ``Verification`` with a reason code (house rule 1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from jointcheck.credentials import hcert, native, shc
from jointcheck.credentials.keys import KeyRing, NoRevocations, Revocations
from jointcheck.credentials.model import Verification
from jointcheck.credentials.pipeline import MAX_NUMERIC_DIGITS, failure, new_steps
from jointcheck.credentials.reasons import Reason


@dataclass(frozen=True, slots=True)
class VerifierContext:
    at: datetime
    keys: KeyRing
    revocations: Revocations = field(default_factory=NoRevocations)
    clock_skew: timedelta = timedelta(seconds=30)


Verifier = Callable[[str, VerifierContext], Verification]

# One line per format: prefix -> verifier. Formats register here, nowhere else.
FORMATS: dict[str, Verifier] = {
    hcert.PREFIX: hcert.verify_hcert,
    native.HEALTH_CODE_PREFIX: native.verify_health_code,
    native.CONTRAINDICATION_PREFIX: native.verify_contraindication,
    "shc:/": shc.verify_shc,
}


def verify(text: str, ctx: VerifierContext) -> Verification:
    """Verify one QR credential's text at ``ctx.at``."""
    # The longest QR payload of any mode (7,089 digits): refuse before looking further.
    if len(text) > MAX_NUMERIC_DIGITS:
        return failure(Reason.INPUT_TOO_LONG, new_steps(), None)
    for prefix, verifier in FORMATS.items():
        if text.startswith(prefix):
            return verifier(text, ctx)
    return failure(Reason.UNKNOWN_PREFIX, new_steps(), "unprefix")
