"""What a verification shows a person: outcome, reason, steps and masked fields (house rule 4).

The verify page and ``POST /api/verify`` both start here, so a personal field is masked in
one place: names through ``masking.mask_name``, the date of birth to its year, the UVCI to its
scheme, country and last characters. Vaccination details (product, dose, date) are not
personal identifiers and are shown, with value-set display names (EU DCC value sets).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from jointcheck.credentials.masking import mask_dob, mask_name
from jointcheck.credentials.model import (
    ContraindicationCertificate,
    Credential,
    DigitalCovidCertificate,
    HealthCode,
    RecoveryEntry,
    SmartHealthCard,
    TestEntry,
    VaccinationEntry,
    Verification,
)
from jointcheck.credentials.reasons import MESSAGES, Reason
from jointcheck.web.i18n import EN, ZH

_UVCI_VISIBLE_TAIL = 4


@lru_cache(maxsize=16)
def _value_set(name: str) -> dict[str, str]:
    folder = resources.files("jointcheck.credentials") / "data" / "valuesets"
    data = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    return {code: entry.get("display", code) for code, entry in data["valueSetValues"].items()}


def display(value_set: str, code: str) -> str:
    """A value-set code's display name (``EU/1/20/1528`` -> ``Comirnaty``), else the code."""
    return _value_set(value_set).get(code, code)


@dataclass(frozen=True, slots=True)
class Coded:
    """A value-set code: shown (and answered by the API) as the value set's display name, and
    kept as a code so that a page can name it in its own language (``J07BX03``'s display is
    the English "covid-19 vaccines (deprecated)", which a zh-CN page should not show)."""

    value_set: str
    code: str

    def __str__(self) -> str:
        return display(self.value_set, self.code)


Value = str | int | date | datetime | Coded | None
Section = tuple[str, tuple[tuple[str, Value], ...]]


def mask_uvci(uvci: str) -> str:
    """``URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#B`` -> ``URN:UVCI:01:AT:****D813#B``.

    The scheme, version and country stay (they say who issued it); the opaque identifier
    keeps its last characters so that a holder can tell two of their certificates apart.
    """
    parts = uvci.split(":")
    head_len = 4 if uvci.upper().startswith("URN:UVCI:") else 2
    head, tail = parts[:head_len], ":".join(parts[head_len:])
    if not tail or len(parts) <= head_len:
        return "****" + uvci[-_UVCI_VISIBLE_TAIL:] if len(uvci) > _UVCI_VISIBLE_TAIL else "****"
    core, hashmark, check = tail.partition("#")
    visible = core[-_UVCI_VISIBLE_TAIL:] if len(core) > _UVCI_VISIBLE_TAIL else ""
    # A fixed run of stars: the length of the hidden part is not shown either.
    return ":".join([*head, "****" + visible]) + hashmark + check


def _full_name(first: str, second: str) -> str:
    if first.isascii() and second.isascii():
        return f"{first} {second}".strip()
    return f"{first}{second}"


def _vaccination(v: VaccinationEntry) -> Section:
    return (
        "vaccination",
        (
            ("disease", display("disease-agent-targeted", v.tg)),
            ("vaccine", Coded("vaccine-prophylaxis", v.vp)),
            ("product", display("vaccine-medicinal-product", v.mp)),
            ("manufacturer", display("vaccine-mah-manf", v.ma)),
            ("dose", f"{v.dn}/{v.sd}" if v.sd is not None else str(v.dn)),
            ("date", v.dt),
            ("country", v.co),
            ("issuer", v.is_),
            ("uvci", mask_uvci(v.ci)),
        ),
    )


def _test(t: TestEntry) -> Section:
    return (
        "test",
        (
            ("disease", display("disease-agent-targeted", t.tg)),
            ("test_type", display("test-type", t.tt)),
            ("result", display("test-result", t.tr)),
            ("sampled_at", t.sc),
            ("country", t.co),
            ("uvci", mask_uvci(t.ci)),
        ),
    )


def _recovery(r: RecoveryEntry) -> Section:
    return (
        "recovery",
        (
            ("disease", display("disease-agent-targeted", r.tg)),
            ("first_positive", r.fr),
            ("valid_from", r.df),
            ("valid_until", r.du),
            ("country", r.co),
            ("uvci", mask_uvci(r.ci)),
        ),
    )


def _dcc(c: DigitalCovidCertificate) -> list[Section]:
    holder: Section = (
        "holder",
        (
            ("name", mask_name(_full_name(c.fn, c.gn))),
            ("name_latin", mask_name(f"{c.subject.fnt} {c.subject.gnt}".strip())),
            ("dob", mask_dob(c.subject.dob)),
        ),
    )
    certificate: Section = (
        "certificate",
        (
            ("issuer_country", c.issuer_country),
            ("issued_at", c.issued_at),
            ("expires_at", c.expires_at),
            ("schema_version", c.version),
        ),
    )
    entries = [
        *(_vaccination(v) for v in c.vaccinations),
        *(_test(t) for t in c.tests),
        *(_recovery(r) for r in c.recoveries),
    ]
    return [holder, *entries, certificate]


def _health_code(c: HealthCode) -> list[Section]:
    return [
        ("holder", (("name", c.masked_name), ("dob", mask_dob(c.subject.dob)))),
        (
            "health_code",
            (
                ("colour", c.colour.value),
                ("colour_reason", c.reason),
                ("issued_at", c.issued_at),
                ("expires_at", c.expires_at),
                # Issue 4, R14: printed for someone without a phone, valid for hours.
                ("paper", c.paper),
            ),
        ),
    ]


def _contraindication(c: ContraindicationCertificate) -> list[Section]:
    return [
        ("holder", (("name", c.masked_name), ("dob", mask_dob(c.subject.dob)))),
        (
            "contraindication",
            (
                ("category", c.category),
                ("institution", c.institution),
                ("hospital_level", c.level),
                ("valid_from", c.valid_from),
                ("valid_until", c.valid_to),
                ("issued_at", c.issued_at),
            ),
        ),
    ]


def _shc(c: SmartHealthCard) -> list[Section]:
    holder: Section = (
        "holder",
        (("name", mask_name(c.name)), ("dob", mask_dob(c.subject.dob))),
    )
    certificate: Section = ("certificate", (("issuer", c.issuer), ("issued_at", c.issued_at)))
    return [holder, *(_vaccination_shc(v) for v in c.vaccinations), certificate]


def _vaccination_shc(v: VaccinationEntry) -> Section:
    # SMART Health Cards carry CVX codes and no UVCI; show what there is.
    return ("vaccination", (("product", v.mp or v.vp), ("date", v.dt)))


def masked_sections(credential: Credential | None) -> list[Section]:
    """The credential's fields grouped for display, every personal one masked."""
    if isinstance(credential, DigitalCovidCertificate):
        return _dcc(credential)
    if isinstance(credential, HealthCode):
        return _health_code(credential)
    if isinstance(credential, ContraindicationCertificate):
        return _contraindication(credential)
    if isinstance(credential, SmartHealthCard):
        return _shc(credential)
    return []


def reason_messages(reason: Reason) -> dict[str, str]:
    zh, en = MESSAGES[reason]
    return {ZH: zh, EN: en}


@dataclass(frozen=True, slots=True)
class VerificationView:
    valid: bool
    reason: Reason
    type: str | None
    steps: tuple[tuple[str, bool | None], ...]
    sections: tuple[Section, ...]
    warnings: tuple[Reason, ...]

    @property
    def messages(self) -> dict[str, str]:
        return reason_messages(self.reason)

    def _health_code(self) -> dict[str, Value] | None:
        return next((dict(f) for name, f in self.sections if name == "health_code"), None)

    @property
    def colour(self) -> str | None:
        """The health code's colour, when the credential is a health code."""
        fields = self._health_code()
        return None if fields is None else str(fields["colour"])

    @property
    def paper(self) -> tuple[Value, Value] | None:
        """When a paper health code was printed and until when it is valid (issue 4, R14);
        None for any other credential."""
        fields = self._health_code()
        if fields is None or not fields["paper"]:
            return None
        return fields["issued_at"], fields["expires_at"]


def view(verification: Verification) -> VerificationView:
    return VerificationView(
        valid=verification.valid,
        reason=verification.reason,
        type=verification.type.value if verification.type else None,
        steps=tuple(verification.steps.items()),
        sections=tuple(masked_sections(verification.credential)),
        warnings=tuple(verification.warnings),
    )


def _json_value(value: Value) -> Any:  # noqa: ANN401 - JSON scalar
    if isinstance(value, Coded):
        return str(value)
    return value.isoformat() if isinstance(value, date | datetime) else value


def as_json(v: VerificationView) -> dict[str, Any]:
    """The body of ``POST /api/verify``: the ``jointcheck verify --json`` keys, masked fields."""
    return {
        "valid": v.valid,
        "reason": v.reason.value,
        "message": v.messages,
        "type": v.type,
        "steps": dict(v.steps),
        "warnings": [{"reason": w.value, "message": reason_messages(w)} for w in v.warnings],
        "credential": [
            {"section": name, "fields": {key: _json_value(val) for key, val in fields}}
            for name, fields in v.sections
        ],
    }
