"""Bodies of the checkpoint API, validated by pydantic and turned into the core's records;
a batch's checks stay the validated dicts, which the store makes rows of directly.

A batch that is all good is validated in one pass over its JSON; one with a bad event is
validated event by event, so that the bad event is refused by its id while the good ones are
stored (issue 4, bad input).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    with_config,
)
from typing_extensions import TypedDict

from jointcheck.checkpoint.model import (
    Outcome,
    OverrideReason,
    OverrideRecord,
    Registration,
    RegistrationIn,
)
from jointcheck.checkpoint.reasons import BatchRefusal
from jointcheck.checkpoint.registration import clean_registration
from jointcheck.errors import InputError

# An agent back from a day offline holds thousands of checks: it sends them a thousand at a
# time (checkpoint/sync.py), and the events route takes a body of up to 1 MiB (a check is
# about 600 bytes of JSON), the other routes keeping the app's 256 KiB.
MAX_BATCH = 1000
EVENTS_BODY_LIMIT = 1024 * 1024
Id = Annotated[str, Field(min_length=8, max_length=36, pattern=r"^[0-9A-Za-z-]+$")]
Code = Annotated[str, Field(max_length=40)]
Short = Annotated[str, Field(max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# A check is validated into a TypedDict, not a model: a batch holds hundreds, and a model
# instance per check (and per summary) cost a third of the batch's validation.
@with_config(ConfigDict(extra="forbid"))
class SummaryIn(TypedDict, total=False):
    credential_types: Annotated[list[Code], Field(max_length=8)]
    code_colour: Literal["green", "yellow", "red"] | None
    doses: Annotated[int, Field(ge=0, le=20)]
    series: Annotated[int | None, Field(ge=0, le=20)]
    completed: bool
    contraindication_level: Annotated[int | None, Field(ge=0, le=3)]
    age_band: Annotated[str, Field(max_length=8)]
    registered: bool
    failed: Annotated[list[Code], Field(max_length=8)]
    pack_id: Short
    pack_version: Annotated[str, Field(max_length=32)]


@with_config(ConfigDict(extra="forbid"))
class CheckIn(TypedDict):
    kind: Literal["check"]
    id: Id
    device_id: Id
    place_id: Annotated[str, Field(max_length=20, pattern=r"^[0-9]+$")]
    entrance_id: Code
    street_code: Annotated[str, Field(min_length=9, max_length=9, pattern=r"^[0-9]+$")]
    at: AwareDatetime
    outcome: Outcome
    reasons: Annotated[list[Code], Field(max_length=16)]
    summary: SummaryIn
    subject_hash: NotRequired[Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None]
    bundle_version: Annotated[int, Field(ge=0, le=2_147_483_647)]
    stale: NotRequired[bool]
    via: NotRequired[Literal["code", "id_document"]]
    group_id: NotRequired[Id | None]
    follows: NotRequired[Id | None]
    # Decided while the agent refused its server's bundle (checkpoint/model.py, CheckRecord).
    bundle_refused: NotRequired[
        Literal["BUNDLE_UNTRUSTED", "BUNDLE_FORGED", "BUNDLE_OUTDATED"] | None
    ]


class RegistrationEventIn(_Strict):
    kind: Literal["registration"]
    id: Id
    check_id: Id
    place_id: Annotated[str, Field(max_length=20)]
    street_code: Annotated[str, Field(max_length=15)]
    at: AwareDatetime
    document_type: Literal["resident_id_card", "passport", "hk_macao_permit", "taiwan_permit"] = (
        "resident_id_card"
    )
    name: Annotated[str, Field(max_length=50)]
    id_number: Annotated[str, Field(max_length=30)]
    phone: Annotated[str, Field(max_length=24)]
    purpose: Annotated[str, Field(max_length=200)]

    def record(self) -> RegistrationIn:
        person = clean_registration(
            Registration(
                name=self.name, id_number=self.id_number, phone=self.phone, purpose=self.purpose
            )
        )
        return RegistrationIn(self.id, self.check_id, self.at, person, self.document_type)


class OverrideIn(_Strict):
    kind: Literal["override"]
    id: Id
    check_id: Id
    device_id: Id
    place_id: Annotated[str, Field(max_length=20, pattern=r"^[0-9]+$")]
    street_code: Annotated[str, Field(max_length=15)]
    at: AwareDatetime
    reason: OverrideReason
    staff: Annotated[str, Field(min_length=1, max_length=50)]

    def record(self) -> OverrideRecord:
        return OverrideRecord(
            id=self.id,
            check_id=self.check_id,
            device_id=self.device_id,
            place_id=self.place_id,
            street_code=self.street_code,
            at=self.at,
            reason=self.reason,
            staff=self.staff,
        )


EventIn = Annotated[CheckIn | RegistrationEventIn | OverrideIn, Field(discriminator="kind")]
_EVENT = TypeAdapter[CheckIn | RegistrationEventIn | OverrideIn](EventIn)


class BatchIn(_Strict):
    events: list[dict[str, Any]] = Field(max_length=MAX_BATCH)
    skew_ms: int | None = Field(default=None, ge=-86_400_000, le=86_400_000)


class Parsed:
    """A batch sorted into records, and the events refused with their codes."""

    def __init__(self) -> None:
        # As validated: the store makes each a row directly (checkpoint_repository.check_in_row).
        self.checks: list[CheckIn] = []
        self.registrations: list[RegistrationIn] = []
        self.overrides: list[OverrideRecord] = []
        self.refused: dict[str, str] = {}


def _event_id(raw: dict[str, Any], index: int) -> str:
    value = raw.get("id")
    return value[:36] if isinstance(value, str) and value else f"#{index}"


class _WholeBatch(_Strict):
    events: list[EventIn] = Field(max_length=MAX_BATCH)
    skew_ms: int | None = Field(default=None, ge=-86_400_000, le=86_400_000)


def _sort(parsed: Parsed, event: CheckIn | RegistrationEventIn | OverrideIn) -> None:
    if isinstance(event, dict):
        parsed.checks.append(event)
    elif isinstance(event, OverrideIn):
        parsed.overrides.append(event.record())
    else:
        parsed.registrations.append(event.record())


def parse_body(body: bytes) -> tuple[Parsed, int | None]:
    """A batch from the request body, and the device's clock skew.

    The usual batch is valid as a whole and is validated in one pass over the JSON; only a
    batch with a bad event is taken apart event by event to find it. A body that is not a
    batch at all raises ValidationError (422).
    """
    try:
        whole = _WholeBatch.model_validate_json(body)
    except ValidationError:
        loose = BatchIn.model_validate_json(body)
        return parse_batch(loose.events), loose.skew_ms
    parsed = Parsed()
    for event in whole.events:
        try:
            _sort(parsed, event)
        except InputError as exc:
            parsed.refused[event["id"] if isinstance(event, dict) else event.id] = exc.code
    return parsed, whole.skew_ms


def parse_batch(events: list[dict[str, Any]]) -> Parsed:
    parsed = Parsed()
    for index, raw in enumerate(events):
        try:
            _sort(parsed, _EVENT.validate_python(raw))
        except ValidationError:
            parsed.refused[_event_id(raw, index)] = BatchRefusal.EVENT_INVALID.value
        except InputError as exc:
            parsed.refused[_event_id(raw, index)] = exc.code
    return parsed


class EnrollIn(_Strict):
    place_id: int = Field(ge=1)
    entrance: Annotated[str, Field(max_length=100)] = ""
    label: Annotated[str, Field(max_length=100)] = ""


class ScanIn(_Strict):
    """One person's codes, or several people's (R14, family check)."""

    codes: list[Annotated[str, Field(max_length=8192)]] = Field(default_factory=list, max_length=3)
    people: list[list[Annotated[str, Field(max_length=8192)]]] = Field(
        default_factory=list, max_length=10
    )

    def groups(self) -> list[list[str]]:
        return self.people or [self.codes]


class IdDocumentIn(_Strict):
    document_type: Literal["resident_id_card", "passport", "hk_macao_permit", "taiwan_permit"] = (
        "resident_id_card"
    )
    number: Annotated[str, Field(min_length=5, max_length=30)]
    store: bool = True


class RegisterIn(_Strict):
    check_id: Id
    document_type: Literal["resident_id_card", "passport", "hk_macao_permit", "taiwan_permit"] = (
        "resident_id_card"
    )
    name: Annotated[str, Field(max_length=50)]
    id_number: Annotated[str, Field(max_length=30)]
    phone: Annotated[str, Field(max_length=24)]
    purpose: Annotated[str, Field(max_length=200)]


class OverrideRequestIn(_Strict):
    check_id: Id
    reason: OverrideReason
    staff: Annotated[str, Field(min_length=1, max_length=50)]


# A paper health code's current colour (issue 4): a keyed subject hash in, nothing else.
PAPER_COLOUR_BODY_LIMIT = 1024
SubjectHash = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class PaperColourIn(_Strict):
    subject_hash: SubjectHash
