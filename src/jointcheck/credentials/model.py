"""Typed credentials and the result of verifying one.

A ``Verification`` is a value: whatever the input, the pipeline returns one, with the first
failing step's reason code (house rule 1). ``steps`` records each pipeline step as
True (passed), False (failed) or None (not reached), with the names of ``jointcheck verify
--json``: unprefix, base45, decompress, cose, signature, schema, expiry, key_usage (SMART
Health Cards use: unprefix, numeric, decompress, jws, signature, schema, expiry).
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from jointcheck.credentials.reasons import Reason

_T = TypeVar("_T")


class _Factory:
    """The default of a field left to its default_factory in a generated ``__init__``."""

    def __repr__(self) -> str:
        return "<factory>"  # as dataclasses shows it in a signature


_FACTORY = _Factory()


def _slot_init(cls: type[_T]) -> type[_T]:
    """Give a frozen, slotted dataclass an ``__init__`` that stores each field through its
    slot's descriptor: same parameters, defaults and result, at about half the cost.

    Every credential and every ``Verification`` is built on every scan (issue 2,
    "Performance"), and the ``__init__`` that ``dataclass(frozen=True)`` writes calls
    ``object.__setattr__(self, name, value)`` once per field, a look-up by name each time
    (docs/performance.md, "verify"). The class stays a frozen dataclass: assignment still
    raises ``FrozenInstanceError``; ``replace``, ``asdict``, ``==`` and ``hash`` are unchanged.
    """
    namespace: dict[str, Any] = {"_FACTORY": _FACTORY}
    params, body = ["self"], []
    for i, spec in enumerate(fields(cls)):  # type: ignore[arg-type]
        if not spec.init or spec.kw_only:  # pragma: no cover - none in this module
            raise TypeError(f"{cls.__name__}.{spec.name}: only plain fields are supported")
        namespace[f"_set_{i}"] = cls.__dict__[spec.name].__set__  # the slot's descriptor
        if spec.default is not MISSING:
            namespace[f"_default_{i}"] = spec.default
            params.append(f"{spec.name}=_default_{i}")
        elif spec.default_factory is not MISSING:
            namespace[f"_factory_{i}"] = spec.default_factory
            params.append(f"{spec.name}=_FACTORY")
            body.append(f"    if {spec.name} is _FACTORY: {spec.name} = _factory_{i}()")
        else:
            params.append(spec.name)
        body.append(f"    _set_{i}(self, {spec.name})")
    source = f"def __init__({', '.join(params)}):\n" + "\n".join(body) + "\n"
    exec(source, namespace)  # noqa: S102 - generated from the class's own field names
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


class CredentialType(StrEnum):
    HEALTH_CODE = "health_code"
    DCC_VACCINATION = "dcc_vaccination"
    DCC_TEST = "dcc_test"
    DCC_RECOVERY = "dcc_recovery"
    CONTRAINDICATION = "contraindication"
    SHC_IMMUNIZATION = "shc_immunization"


class CodeColour(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


@_slot_init
@dataclass(frozen=True, slots=True)
class Subject:
    """Who a credential is about, in the form used to bind credentials together.

    ``id_hash`` is the keyed hash (HMAC-SHA256 under the district's subject key) of the
    resident ID number: present on our own credentials, absent on foreign DCCs and SMART
    Health Cards, which are matched on ``dob`` and the transliterated name instead.
    ``dob`` is ISO 8601 and may be partial (``1964``, ``1964-08``) as the DCC schema allows.
    """

    dob: str
    fnt: str
    gnt: str = ""
    id_hash: str | None = None


@_slot_init
@dataclass(frozen=True, slots=True)
class VaccinationEntry:
    """One vaccination (DCC ``v`` entry, or an SHC Immunization mapped to the same fields)."""

    tg: str
    vp: str
    mp: str
    ma: str
    dn: int
    sd: int | None
    dt: date
    co: str
    is_: str
    ci: str


@_slot_init
@dataclass(frozen=True, slots=True)
class TestEntry:
    tg: str
    tt: str
    sc: datetime
    tr: str
    co: str
    ci: str
    nm: str | None = None
    ma: str | None = None
    tc: str | None = None


@_slot_init
@dataclass(frozen=True, slots=True)
class RecoveryEntry:
    tg: str
    fr: date
    df: date
    du: date
    co: str
    ci: str


@_slot_init
@dataclass(frozen=True, slots=True)
class DigitalCovidCertificate:
    """An EU DCC (``HC1:``), foreign or issued by our district (country ``CN``)."""

    type: CredentialType
    subject: Subject
    fn: str
    gn: str
    issuer_country: str | None
    issued_at: datetime
    expires_at: datetime
    version: str
    kid: bytes
    vaccinations: tuple[VaccinationEntry, ...] = ()
    tests: tuple[TestEntry, ...] = ()
    recoveries: tuple[RecoveryEntry, ...] = ()
    payload: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def uvcis(self) -> tuple[str, ...]:
        return (
            *(v.ci for v in self.vaccinations),
            *(t.ci for t in self.tests),
            *(r.ci for r in self.recoveries),
        )


@_slot_init
@dataclass(frozen=True, slots=True)
class HealthCode:
    """A health code: the dynamic one is short-lived, with a nonce so that a replay can be
    noticed; a ``paper`` one (printed for someone without a phone, issue 4) lives for hours
    and is shown many times by its holder, so no replay is looked for."""

    type: CredentialType
    subject: Subject
    masked_name: str
    colour: CodeColour
    reason: str
    issued_at: datetime
    expires_at: datetime
    nonce: str
    credential_id: str
    kid: bytes
    paper: bool = False


@_slot_init
@dataclass(frozen=True, slots=True)
class ContraindicationCertificate:
    """Vaccination contraindication certificate from a medical institution (R3).

    Carries a category, never a diagnosis. ``level`` is the hospital level that the trust
    list gives the signing institution's key, not a value the certificate asserts itself.
    """

    type: CredentialType
    subject: Subject
    masked_name: str
    category: str
    level: int
    institution: str
    valid_from: date
    valid_to: date
    issued_at: datetime
    credential_id: str
    kid: bytes


@_slot_init
@dataclass(frozen=True, slots=True)
class SmartHealthCard:
    type: CredentialType
    subject: Subject
    name: str
    issuer: str
    issued_at: datetime
    vaccinations: tuple[VaccinationEntry, ...]
    rid: str | None
    kid: str
    bundle: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


Credential = DigitalCovidCertificate | HealthCode | ContraindicationCertificate | SmartHealthCard


@_slot_init
@dataclass(frozen=True, slots=True)
class Verification:
    reason: Reason
    type: CredentialType | None
    steps: dict[str, bool | None]
    credential: Credential | None = None
    warnings: tuple[Reason, ...] = ()
    detail: str = ""

    @property
    def valid(self) -> bool:
        return self.reason is Reason.OK

    @property
    def paper(self) -> bool:
        """A paper health code (printed, long-lived; issue 4)."""
        return isinstance(self.credential, HealthCode) and self.credential.paper
