"""Scan to decision at one entrance (R1-R4, R14).

One person presents one to three codes (health code, vaccination certificate,
contraindication certificate) or, without a phone, an ID document that the server looked up.
Each code is verified against the device's bundle; a dynamic health code already shown here
within its validity carries DUPLICATE_PRESENTATION; a paper health code (issue 4) never does,
and its colour gives way to the authority's current one when the entrance is online
(``current_colour``, by the subject hash); the policy decides; the device records a
``CheckRecord`` (no personal data) and shows a ``ScreenResult`` (a masked name).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from jointcheck.checkpoint.model import (
    TONES,
    CheckRecord,
    Outcome,
    ScreenResult,
    Station,
)
from jointcheck.checkpoint.ports import (
    DecidePort,
    LedgerPort,
    PolicyResult,
    Presented,
    VerifyPort,
)
from jointcheck.checkpoint.reasons import CheckpointReason, checkpoint_message
from jointcheck.credentials.model import CodeColour, HealthCode, Verification
from jointcheck.credentials.reasons import Reason
from jointcheck.credentials.reasons import message as credential_message
from jointcheck.errors import InputError
from jointcheck.policy import IdCardLookup

MAX_CODES = 3
MAX_FAMILY = 10
MAX_CODE_LENGTH = 8192
DISTRICT_ZONE = ZoneInfo("Asia/Shanghai")  # the printed-at time on the screen


def new_id() -> str:
    return str(uuid.uuid4())


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None:
        raise InputError("check time must be timezone-aware", code="TIME_NAIVE")


@dataclass(frozen=True, slots=True)
class Shown:
    """A dynamic health code shown: its ledger key at this place, and its expiry."""

    key: str
    until: datetime


@dataclass(frozen=True, slots=True)
class Decided:
    """One person's scan decided, the ledger not yet asked (``Checkpoint.decided``)."""

    id: str
    at: datetime
    group_id: str | None
    verifications: tuple[Verification, ...]
    result: PolicyResult
    subject: str | None
    paper: tuple[str, ...]
    notes: tuple[tuple[str, str], ...]
    shown: tuple[tuple[int, Shown], ...]  # (index of the verification, what the ledger keeps)


@dataclass(slots=True)
class Checkpoint:
    """One device's decision flow, bound to its station, bundle and ports."""

    station: Station
    bundle_version: int
    verify: VerifyPort
    decide: DecidePort
    ledger: LedgerPort
    is_stale: Callable[[datetime], bool]
    make_id: Callable[[], str] = field(default=new_id)
    # Online only: the authority's current colour for a subject hash (None: unknown).
    current_colour: Callable[[str], CodeColour | None] | None = None
    # The code of the refusal of the server's bundle in force, if any: recorded with each
    # check decided meanwhile (on the last good bundle), like ``stale``.
    bundle_refused: str | None = None

    def scan(
        self, codes: Sequence[str], at: datetime, group_id: str | None = None
    ) -> tuple[CheckRecord, ScreenResult]:
        """Check one person on the codes they show (one to three)."""
        decided = self.decided(self.verified(codes, at), at, group_id)
        duplicates = [i for i, p in decided.shown if self.ledger.seen(p.key, at, p.until)]
        return self.recorded(decided, duplicates)

    def verified(self, codes: Sequence[str], at: datetime) -> tuple[Verification, ...]:
        """The first step of ``scan``: each code shown, verified."""
        _require_aware(at)
        cleaned = [c.strip() for c in codes if c.strip()]
        if not cleaned:
            raise InputError("no code was presented", code="NO_CODE")
        if len(cleaned) > MAX_CODES:
            raise InputError(f"at most {MAX_CODES} codes per person", code="TOO_MANY_CODES")
        if any(len(c) > MAX_CODE_LENGTH for c in cleaned):
            raise InputError("a code is longer than any QR code", code="CODE_TOO_LONG")
        return tuple(self.verify(c, at) for c in cleaned)

    def decided(
        self,
        verifications: tuple[Verification, ...],
        at: datetime,
        group_id: str | None = None,
        current_colour: Callable[[str], CodeColour | None] | None = None,
    ) -> Decided:
        """The second step: the policy's decision on VERIFICATIONS (a paper code's colour from
        CURRENT_COLOUR, else the checkpoint's own), and what the ledger is to be asked. The
        ledger's answer never changes the decision: it only adds a warning."""
        paper: tuple[str, ...] = ()
        notes: tuple[tuple[str, str], ...] = ()
        if any(v.paper for v in verifications):
            verifications, paper, notes = self._paper(
                verifications, current_colour or self.current_colour
            )
        result = self.decide(Presented(verifications=verifications), at)
        subject = next(
            (
                v.credential.subject.id_hash
                for v in verifications
                if v.valid and v.credential is not None and v.credential.subject.id_hash
            ),
            None,
        )
        shown = tuple(
            (i, p) for i, p in enumerate(self._shown(v) for v in verifications) if p is not None
        )
        return Decided(
            self.make_id(), at, group_id, verifications, result, subject, paper, notes, shown
        )

    def recorded(
        self, decided: Decided, duplicates: Collection[int] = ()
    ) -> tuple[CheckRecord, ScreenResult]:
        """The last step: the record and the screen, DUPLICATES being the verifications
        (by index) the ledger had already seen here."""
        verifications = decided.verifications
        if duplicates:
            verifications = tuple(
                dataclasses.replace(v, warnings=(*v.warnings, Reason.DUPLICATE_PRESENTATION))
                if i in duplicates
                else v
                for i, v in enumerate(verifications)
            )
        warnings = tuple(dict.fromkeys(str(w) for v in verifications for w in v.warnings))
        return self._record(
            decided.result,
            decided.at,
            decided.subject,
            "code",
            decided.group_id,
            warnings=warnings,
            extra_reasons=decided.paper,
            notes=decided.notes,
            record_id=decided.id,
        )

    @staticmethod
    def paper_subjects(verifications: Sequence[Verification]) -> tuple[str, ...]:
        """The subject hashes whose current colour ``decided`` would look up."""
        return tuple(
            v.credential.subject.id_hash
            for v in verifications
            if v.paper and isinstance(v.credential, HealthCode) and v.credential.subject.id_hash
        )

    def _paper(
        self,
        verifications: tuple[Verification, ...],
        lookup: Callable[[str], CodeColour | None] | None,
    ) -> tuple[tuple[Verification, ...], tuple[str, ...], tuple[tuple[str, str], ...]]:
        """Paper health codes (issue 4): online, the authority's current colour replaces the
        printed one; offline the printed one stands. The reasons stored and the screen's notes
        say which, and when the paper was printed."""
        out, reasons, notes = [], [CheckpointReason.PAPER_CODE], []
        for v in verifications:
            code = v.credential
            if not (v.paper and isinstance(code, HealthCode)):
                out.append(v)
                continue
            subject = code.subject.id_hash
            current = lookup(subject) if lookup is not None and subject else None
            source = CheckpointReason.PAPER_COLOUR_AS_PRINTED
            if current is not None:
                source = CheckpointReason.PAPER_COLOUR_CURRENT
                code = dataclasses.replace(code, colour=current)
            out.append(dataclasses.replace(v, credential=code))
            reasons.append(source)
            printed = code.issued_at.astimezone(DISTRICT_ZONE).strftime("%H:%M")
            zh, en = checkpoint_message(CheckpointReason.PAPER_CODE)
            notes.append((f"{zh}，打印于 {printed}", f"{en}, printed at {printed}"))
            notes.append(checkpoint_message(source))
        return tuple(out), tuple(dict.fromkeys(reasons)), tuple(notes)

    def scan_family(
        self, people: Sequence[Sequence[str]], at: datetime
    ) -> list[tuple[CheckRecord, ScreenResult]]:
        """R14: one helper checks several members in one go; one record each, one group."""
        if not people:
            raise InputError("no family member was presented", code="NO_CODE")
        if len(people) > MAX_FAMILY:
            raise InputError(f"at most {MAX_FAMILY} people at once", code="TOO_MANY_PEOPLE")
        group = self.make_id()
        return [self.scan(codes, at, group_id=group) for codes in people]

    def check_id_document(
        self, facts: IdCardLookup | None, at: datetime, group_id: str | None = None
    ) -> tuple[CheckRecord, ScreenResult]:
        """R14: a person without a phone, by what the server found for their document."""
        _require_aware(at)
        if facts is None:
            zh, en = checkpoint_message(CheckpointReason.PERSON_NOT_FOUND)
            raise InputError(f"{en} / {zh}", code=CheckpointReason.PERSON_NOT_FOUND.value)
        result = self.decide(Presented(id_document=facts), at)
        extra = (CheckpointReason.ID_DOCUMENT.value,)
        return self._record(
            result, at, facts.subject.id_hash, "id_document", group_id, extra_reasons=extra
        )

    def _shown(self, verification: Verification) -> Shown | None:
        # A dynamic health code is shown once per person; the same code again at this place
        # within its validity may be a screenshot passed along (issue 2, replay ledger). A paper
        # code is shown by its holder at every entry and exit (issue 4): never a duplicate.
        code = verification.credential
        if not (verification.valid and isinstance(code, HealthCode)) or code.paper:
            return None
        return Shown(f"{self.station.place_id}:{code.credential_id}:{code.nonce}", code.expires_at)

    def _record(
        self,
        result: PolicyResult,
        at: datetime,
        subject: str | None,
        via: str,
        group_id: str | None,
        *,
        warnings: tuple[str, ...] = (),
        extra_reasons: tuple[str, ...] = (),
        follows: str | None = None,
        notes: tuple[tuple[str, str], ...] = (),
        record_id: str | None = None,
    ) -> tuple[CheckRecord, ScreenResult]:
        stale = self.is_stale(at)
        reasons = (*result.reasons, *extra_reasons, *warnings)
        if stale:
            reasons = (*reasons, CheckpointReason.BUNDLE_STALE.value)
        record = CheckRecord(
            id=record_id or self.make_id(),
            device_id=self.station.device_id,
            place_id=self.station.place_id,
            entrance_id=self.station.entrance_id,
            street_code=self.station.street_code,
            at=at,
            outcome=result.outcome,
            reasons=tuple(dict.fromkeys(reasons)),
            summary=result.summary,
            subject_hash=subject,
            bundle_version=self.bundle_version,
            stale=stale,
            via=via,
            group_id=group_id,
            follows=follows,
            bundle_refused=self.bundle_refused,
        )
        return record, screen_for(record, result, warnings, notes)


def screen_for(
    record: CheckRecord,
    result: PolicyResult,
    warnings: tuple[str, ...] = (),
    notes: tuple[tuple[str, str], ...] = (),
) -> ScreenResult:
    """The screen for a record: the policy's message, then notes (zh, en), warnings and
    staleness."""
    zh, en = (
        [result.message_zh, *(n[0] for n in notes)],
        [result.message_en, *(n[1] for n in notes)],
    )
    for warning in warnings:
        if warning in Reason.__members__:
            zh.append(credential_message(Reason(warning), "zh_CN"))
            en.append(credential_message(Reason(warning), "en"))
    if record.stale:
        stale_zh, stale_en = checkpoint_message(CheckpointReason.BUNDLE_STALE)
        zh.append(stale_zh)
        en.append(stale_en)
    return ScreenResult(
        check_id=record.id,
        outcome=record.outcome,
        tone=TONES[record.outcome],
        masked_name=result.masked_name,
        reasons=record.reasons,
        message_zh="；".join(m for m in zh if m),
        message_en="; ".join(m for m in en if m),
        stale=record.stale,
        warnings=warnings,
    )


def registered_result(persuaded: PolicyResult) -> PolicyResult:
    """The policy result after R3 registration: ADMIT_REGISTERED on the same evidence."""
    zh, en = checkpoint_message(CheckpointReason.REGISTERED)
    return dataclasses.replace(
        persuaded,
        outcome=Outcome.ADMIT_REGISTERED,
        reasons=(*persuaded.reasons, CheckpointReason.REGISTERED.value),
        message_zh=zh,
        message_en=en,
    )
