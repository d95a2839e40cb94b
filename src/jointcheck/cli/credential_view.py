"""How ``jointcheck verify`` shows a verification: masked fields (R6), zh-CN and en labels.

Personal fields are masked as everywhere else (house rule 4: 张*三, year of birth only);
instants are shown in the district's local time (Asia/Shanghai) on screen and in UTC in JSON.
"""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from jointcheck.credentials.masking import mask_dob, mask_name
from jointcheck.credentials.model import (
    ContraindicationCertificate,
    Credential,
    DigitalCovidCertificate,
    HealthCode,
    SmartHealthCard,
    Subject,
    Verification,
)
from jointcheck.credentials.native import CATEGORIES
from jointcheck.credentials.reasons import MESSAGES

LOCAL = ZoneInfo("Asia/Shanghai")
LABELS: dict[str, tuple[str, str]] = {
    "name": ("姓名", "name"),
    "transliterated": ("拼音姓名", "transliterated name"),
    "dob": ("出生日期", "date of birth"),
    "colour": ("健康码颜色", "health code colour"),
    "reason": ("原因", "reason"),
    "issued_at": ("签发时间", "issued at"),
    "expires_at": ("失效时间", "expires at"),
    "credential_id": ("凭证编号", "credential id"),
    "category": ("禁忌类别", "category"),
    "level": ("医疗机构等级", "hospital level"),
    "institution": ("签发机构", "institution"),
    "valid_from": ("生效日期", "valid from"),
    "valid_to": ("截止日期", "valid to"),
    "issuer": ("签发方", "issuer"),
    "issuer_country": ("签发国家", "issuing country"),
    "vaccinations": ("接种记录", "vaccinations"),
    "tests": ("检测记录", "tests"),
    "recoveries": ("康复记录", "recoveries"),
    "kid": ("密钥标识", "key id"),
}


def _when(value: datetime | date) -> str:
    return value.isoformat()


def _subject(subject: Subject) -> dict[str, Any]:
    return {
        "transliterated": mask_name(f"{subject.fnt} {subject.gnt}".strip()),
        "dob": mask_dob(subject.dob),
    }


def _dcc(cert: DigitalCovidCertificate) -> dict[str, Any]:
    return {
        "name": mask_name(cert.fn + cert.gn)
        if not (cert.fn + cert.gn).isascii()
        else mask_name(f"{cert.fn} {cert.gn}"),
        **_subject(cert.subject),
        "issuer_country": cert.issuer_country,
        "issued_at": _when(cert.issued_at),
        "expires_at": _when(cert.expires_at),
        "vaccinations": [
            {
                "product": v.mp,
                "dose": f"{v.dn}/{v.sd}",
                "date": _when(v.dt),
                "country": v.co,
                "issuer": v.is_,
            }
            for v in cert.vaccinations
        ],
        "tests": [
            {"type": t.tt, "result": t.tr, "sampled": _when(t.sc), "country": t.co}
            for t in cert.tests
        ],
        "recoveries": [
            {"first_positive": _when(r.fr), "valid_until": _when(r.du)} for r in cert.recoveries
        ],
    }


def _native(cred: HealthCode | ContraindicationCertificate) -> dict[str, Any]:
    common = {
        "name": cred.masked_name,
        **_subject(cred.subject),
        "issued_at": _when(cred.issued_at),
        "credential_id": cred.credential_id,
        "kid": base64.b64encode(cred.kid).decode("ascii"),
    }
    if isinstance(cred, HealthCode):
        return {
            **common,
            "colour": cred.colour.value,
            "reason": cred.reason,
            "expires_at": _when(cred.expires_at),
            "paper": cred.paper,
        }
    zh, en = CATEGORIES.get(cred.category, (cred.category, cred.category))
    return {
        **common,
        "category": cred.category,
        "category_label": {"zh-CN": zh, "en": en},
        "level": cred.level,
        "institution": cred.institution,
        "valid_from": _when(cred.valid_from),
        "valid_to": _when(cred.valid_to),
    }


def _shc(card: SmartHealthCard) -> dict[str, Any]:
    return {
        "name": mask_name(card.name),
        **_subject(card.subject),
        "issuer": card.issuer,
        "issued_at": _when(card.issued_at),
        "vaccinations": [{"product": v.mp, "date": _when(v.dt)} for v in card.vaccinations],
    }


def masked(credential: Credential | None) -> dict[str, Any] | None:
    if credential is None:
        return None
    if isinstance(credential, DigitalCovidCertificate):
        return _dcc(credential)
    if isinstance(credential, SmartHealthCard):
        return _shc(credential)
    return _native(credential)


def as_json(result: Verification) -> dict[str, Any]:
    """One code's outcome: ``valid``, ``reason``, ``type``, ``steps`` and the masked credential."""
    zh, en = MESSAGES[result.reason]
    return {
        "valid": result.valid,
        "reason": result.reason.value,
        "type": result.type.value if result.type is not None else None,
        "steps": result.steps,
        "warnings": [w.value for w in result.warnings],
        "message": {"zh-CN": zh, "en": en},
        "credential": masked(result.credential),
    }


def _display(key: str, value: object) -> str:
    if isinstance(value, list):
        return "\n".join(", ".join(f"{k} {v}" for k, v in item.items()) for item in value) or "-"
    if isinstance(value, dict):
        return " / ".join(str(v) for v in value.values())
    if key in {"issued_at", "expires_at"} and isinstance(value, str):
        return datetime.fromisoformat(value).astimezone(LOCAL).strftime("%Y-%m-%d %H:%M:%S %Z")
    return "" if value is None else str(value)


def show(console: Console, result: Verification) -> None:
    """Print one code's outcome for a person at a terminal."""
    zh, en = MESSAGES[result.reason]
    kind = result.type.value if result.type is not None else "?"
    if result.valid:
        console.print(f"[bold green]✓ {zh} {en}[/] ({kind})")
    else:
        console.print(f"[bold red]✗ {result.reason.value}[/] {zh} / {en} ({kind})")
    for warning in result.warnings:
        wzh, wen = MESSAGES[warning]
        console.print(f"[bold yellow]! {warning.value}[/] {wzh} / {wen}")
    fields = masked(result.credential)
    if not fields:
        return
    table = Table(show_header=False, box=None, padding=(0, 2))
    for key, value in fields.items():
        if key == "category_label":
            continue
        zh_label, en_label = LABELS.get(key, (key, key))
        table.add_row(
            f"{zh_label} {en_label}",
            _display(key, fields.get("category_label", value) if key == "category" else value),
        )
    console.print(table)
