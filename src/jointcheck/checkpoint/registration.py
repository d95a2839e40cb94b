"""Registration after persuasion (R3) and override against a refusal (issue 4).

R3: a persuaded person whose entry is really necessary is let in once staff have verified and
recorded their registration (name, ID document number, phone, reason for entry). The check
becomes ADMIT_REGISTERED: a new check that ``follows`` the PERSUADE one, so both are counted.
The personal fields are sealed at once (R6) and purged at the server after the pack's
retention days.

Override: staff may admit someone against a DENY only with a reason from a closed list; the
override is its own record, audited at the server (a signal for enforcement, R8).
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Iterable
from datetime import datetime

from jointcheck.checkpoint.model import (
    TONES,
    CheckRecord,
    Outcome,
    OverrideReason,
    OverrideRecord,
    Registration,
    RegistrationRecord,
    ScreenResult,
)
from jointcheck.checkpoint.ports import SealPort
from jointcheck.checkpoint.reasons import CheckpointReason, checkpoint_message
from jointcheck.checkpoint.scan import Checkpoint
from jointcheck.credentials.masking import mask_name
from jointcheck.credentials.subject import check_id_number
from jointcheck.errors import InputError

_PHONE = re.compile(r"^\+?[0-9]{5,20}$")
_DOCUMENT = re.compile(r"^[A-Z0-9]{5,20}$")
_RESIDENT_ID = re.compile(r"^[0-9]{17}[0-9X]$")
MAX_NAME = 50
MAX_PURPOSE = 200
SHOWN_NAMES = 2000  # the refusals of a busy entrance's day, and more


class ShownNames:
    """The masked name each refusal showed, by check id, so that an override's answer names
    the person let in as the refusal did (the check record holds no name, R6). In memory
    only and bounded: past SHOWN_NAMES the oldest are forgotten, and an override of a check
    not remembered (after a restart) answers no name."""

    def __init__(self, size: int = SHOWN_NAMES) -> None:
        self._size = size
        self._names: dict[str, str] = {}
        self._lock = threading.Lock()

    def remember(self, screens: Iterable[ScreenResult]) -> None:
        with self._lock:
            for screen in screens:
                if screen.outcome is Outcome.DENY and screen.masked_name:
                    self._names[screen.check_id] = screen.masked_name
            while len(self._names) > self._size:
                del self._names[next(iter(self._names))]

    def name_of(self, check_id: str) -> str:
        with self._lock:
            return self._names.get(check_id, "")


def clean_registration(registration: Registration) -> Registration:
    """The registration with its fields normalised, or InputError naming the bad field."""
    name = " ".join(registration.name.split())
    if not name or len(name) > MAX_NAME:
        raise InputError("name is required (at most 50 characters)", code="NAME_INVALID")
    number = "".join(registration.id_number.split()).upper()
    if _RESIDENT_ID.match(number):
        number = check_id_number(number)
    elif not _DOCUMENT.match(number):
        raise InputError("ID document number is not valid", code="ID_NUMBER_INVALID")
    phone = "".join(registration.phone.split()).replace("-", "")
    if not _PHONE.match(phone):
        raise InputError("phone number is not valid", code="PHONE_INVALID")
    purpose = " ".join(registration.purpose.split())
    if not purpose or len(purpose) > MAX_PURPOSE:
        raise InputError("reason for entry is required", code="PURPOSE_INVALID")
    return Registration(name=name, id_number=number, phone=phone, purpose=purpose)


def register(
    checkpoint: Checkpoint,
    persuaded: CheckRecord,
    registration: Registration,
    sealer: SealPort,
    at: datetime,
) -> tuple[CheckRecord, RegistrationRecord, ScreenResult]:
    """R3: turn a PERSUADE check into ADMIT_REGISTERED with the person's registration."""
    if persuaded.outcome is not Outcome.PERSUADE:
        raise InputError("only a persuaded person is registered", code="REGISTRATION_NOT_PERSUADE")
    if persuaded.place_id != checkpoint.station.place_id:
        raise InputError("that check was made at another place", code="CHECK_UNKNOWN")
    cleaned = clean_registration(registration)
    stale = checkpoint.is_stale(at)
    reasons = (*persuaded.reasons, CheckpointReason.REGISTERED.value)
    record = dataclasses.replace(
        persuaded,
        id=checkpoint.make_id(),
        at=at,
        outcome=Outcome.ADMIT_REGISTERED,
        reasons=tuple(dict.fromkeys(reasons)),
        summary=persuaded.summary._replace(registered=True),
        device_id=checkpoint.station.device_id,
        entrance_id=checkpoint.station.entrance_id,
        bundle_version=checkpoint.bundle_version,
        stale=stale,
        follows=persuaded.id,
        bundle_refused=checkpoint.bundle_refused,
    )
    sealed = RegistrationRecord(
        id=checkpoint.make_id(),
        check_id=record.id,
        place_id=record.place_id,
        street_code=record.street_code,
        at=at,
        sealed=sealer.seal(cleaned),
    )
    zh, en = checkpoint_message(CheckpointReason.REGISTERED)
    screen = ScreenResult(
        check_id=record.id,
        outcome=record.outcome,
        tone=TONES[record.outcome],
        masked_name=mask_name(cleaned.name),
        reasons=record.reasons,
        message_zh=zh,
        message_en=en,
        stale=stale,
    )
    return record, sealed, screen


def override(
    checkpoint: Checkpoint,
    denied: CheckRecord,
    reason: OverrideReason | str,
    staff: str,
    at: datetime,
) -> OverrideRecord:
    """Admit against a DENY; refused without a reason from the closed list."""
    if denied.outcome is not Outcome.DENY:
        raise InputError("only a refused person can be admitted by override", code="NOT_DENIED")
    try:
        why = OverrideReason(reason)
    except ValueError as exc:
        raise InputError("an override needs a reason", code="OVERRIDE_REASON_REQUIRED") from exc
    staff = staff.strip()
    if not staff or len(staff) > MAX_NAME:
        raise InputError("the staff member must be named", code="OVERRIDE_STAFF_REQUIRED")
    return OverrideRecord(
        id=checkpoint.make_id(),
        check_id=denied.id,
        device_id=checkpoint.station.device_id,
        place_id=denied.place_id,
        street_code=denied.street_code,
        at=at,
        reason=why,
        staff=staff,
    )


def overridden_screen(denied: CheckRecord, masked_name: str) -> ScreenResult:
    """The screen after an override: the refusal, named as it was shown (MASKED_NAME), with
    OVERRIDDEN added."""
    return override_screen(
        ScreenResult(
            check_id=denied.id,
            outcome=denied.outcome,
            tone=TONES[denied.outcome],
            masked_name=masked_name,
            reasons=denied.reasons,
            message_zh="",
            message_en="",
            stale=denied.stale,
        )
    )


def override_screen(denied: ScreenResult) -> ScreenResult:
    zh, en = checkpoint_message(CheckpointReason.OVERRIDDEN)
    return dataclasses.replace(
        denied,
        reasons=(*denied.reasons, CheckpointReason.OVERRIDDEN.value),
        message_zh=zh,
        message_en=en,
    )
