"""Venue policy packs and the joint-check decision (R1-R4, R13). Pure: no clock, no env.

load_pack(path | text) -> Pack          validated against pack.schema.json, or PolicyPackError
load_shipped(id) / resolve_pack(id|path) the packs in policy/packs/, or a pack file
compile_pack(pack) -> CompiledPack       CertLogic compiled once
evaluate(evidence, venue, pack, at)      -> Decision (ADMIT, ADMIT_REGISTERED, PERSUADE, DENY)
"""

from __future__ import annotations

from jointcheck.policy.compiled import CompiledPack, compile_pack
from jointcheck.policy.decision import Decision, FiredRule, MaskedIdentity
from jointcheck.policy.evaluate import evaluate
from jointcheck.policy.evidence import Evidence, EvidenceSummary, IdCardLookup
from jointcheck.policy.loader import (
    DEFAULT_PACK,
    SHIPPED_PACKS,
    load_pack,
    load_shipped,
    resolve_pack,
    shipped_pack_text,
)
from jointcheck.policy.pack import Mode, Pack, VenueCategory
from jointcheck.policy.reasons import Action, Outcome, PolicyReason

__all__ = [
    "DEFAULT_PACK",
    "SHIPPED_PACKS",
    "Action",
    "CompiledPack",
    "Decision",
    "Evidence",
    "EvidenceSummary",
    "FiredRule",
    "IdCardLookup",
    "MaskedIdentity",
    "Mode",
    "Outcome",
    "Pack",
    "PolicyReason",
    "VenueCategory",
    "compile_pack",
    "evaluate",
    "load_pack",
    "load_shipped",
    "resolve_pack",
    "shipped_pack_text",
]
