"""A device's working state from its bundle: trust list, revocations and the compiled pack,
and the ports of the scan flow bound to them (``credentials.verify``, ``policy.evaluate``).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import ec

from jointcheck.checkpoint.bundle import Bundle
from jointcheck.checkpoint.model import Outcome, Station
from jointcheck.checkpoint.ports import LedgerPort, PolicyResult, Presented
from jointcheck.checkpoint.scan import Checkpoint, new_id
from jointcheck.credentials.keys import NoRevocations, Revocations
from jointcheck.credentials.model import CodeColour, Verification
from jointcheck.credentials.reasons import Reason
from jointcheck.credentials.revocation import open_revocation_list
from jointcheck.credentials.trust import TrustList, open_trust_list
from jointcheck.credentials.verify import VerifierContext, verify
from jointcheck.policy import CompiledPack, Evidence, compile_pack, evaluate, load_pack
from jointcheck.policy.reasons import PolicyReason, message, outcome_message


@dataclass(frozen=True, slots=True)
class Runtime:
    bundle: Bundle
    trust_list: TrustList
    revocations: Revocations
    pack: CompiledPack
    clock_skew: timedelta

    def verify(self, text: str, at: datetime) -> Verification:
        ctx = VerifierContext(
            at=at, keys=self.trust_list, revocations=self.revocations, clock_skew=self.clock_skew
        )
        return verify(text, ctx)

    @property
    def retention_days(self) -> int:
        return self.pack.pack.parameters.retention_days


def open_runtime(bundle: Bundle, root: ec.EllipticCurvePublicKey, clock_skew: timedelta) -> Runtime:
    """Open the documents inside an accepted bundle; each is signed by the same root key."""
    trust_list = open_trust_list(bundle.trust_list.encode(), root)
    revocations: Revocations = NoRevocations()
    if bundle.revocations:
        revocations = open_revocation_list(base64.b64decode(bundle.revocations), root)
    pack = compile_pack(load_pack(bundle.pack))
    return Runtime(bundle, trust_list, revocations, pack, clock_skew)


@dataclass(frozen=True, slots=True)
class PolicyDecider:
    """``DecidePort`` over ``policy.evaluate`` for one venue category."""

    pack: CompiledPack
    venue: str

    def __call__(self, presented: Presented, at: datetime) -> PolicyResult:
        credentials = [
            v.credential for v in presented.verifications if v.valid and v.credential is not None
        ]
        failed = [v.reason for v in presented.verifications if not v.valid]
        evidence = Evidence.of(credentials, id_card=presented.id_document, failed=failed)
        decision = evaluate(evidence, self.venue, self.pack, at)
        outcome = Outcome(decision.outcome.value)
        codes: tuple[PolicyReason | Reason, ...] = (*decision.reasons, *decision.failures)
        zh = [outcome_message(decision.outcome, "zh_CN"), *(message(c, "zh_CN") for c in codes)]
        en = [outcome_message(decision.outcome, "en"), *(message(c, "en") for c in codes)]
        return PolicyResult(
            outcome=outcome,
            reasons=tuple(str(c.value) for c in codes),
            summary=decision.summary,
            masked_name=decision.person.name,
            message_zh="；".join(zh),
            message_en="; ".join(en),
        )


def checkpoint_for(
    runtime: Runtime,
    station: Station,
    ledger: LedgerPort,
    make_id: Callable[[], str] = new_id,
    current_colour: Callable[[str], CodeColour | None] | None = None,
) -> Checkpoint:
    return Checkpoint(
        station=station,
        bundle_version=runtime.bundle.version,
        verify=runtime.verify,
        decide=PolicyDecider(runtime.pack, station.category),
        ledger=ledger,
        is_stale=runtime.bundle.is_stale,
        make_id=make_id,
        current_colour=current_colour,
    )
