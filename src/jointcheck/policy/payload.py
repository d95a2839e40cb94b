"""The CertLogic data a pack's rules read, built from everything one person presented.

Rules follow the EU business-rules convention: ``{"payload": <DCC payload>, "external":
{"validationClock": ISO, "valueSets": {...}}}``, and read ``payload.v.0``, ``payload.t.0``,
``payload.r.0``. One person may show several certificates (one DCC per dose, a SMART Health
Card with one record per dose, an ID-card look-up), so the payload carries the one most
telling event of each kind: the vaccination furthest through its series, the latest test,
the latest recovery.

Records without ``sd`` (SMART Health Cards, ID-card look-ups) get it from the pack's product
table, counting only doses given at least the product's minimum interval after the previous
counted dose: the value sets carry no dose counts (issue 3, parameters).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from jointcheck.credentials.model import (
    DigitalCovidCertificate,
    RecoveryEntry,
    TestEntry,
    VaccinationEntry,
)
from jointcheck.policy.evidence import Evidence
from jointcheck.policy.pack import Product


def _vaccination(entry: VaccinationEntry, dn: int, sd: int | None) -> dict[str, Any]:
    return {
        "tg": entry.tg, "vp": entry.vp, "mp": entry.mp, "ma": entry.ma, "dn": dn, "sd": sd,
        "dt": entry.dt.isoformat(), "co": entry.co, "is": entry.is_, "ci": entry.ci,
    }  # fmt: skip


def _counted_series(records: list[VaccinationEntry], product: Product | None) -> dict[str, Any]:
    """One DCC-shaped entry for the sd-less dose records of one product."""
    records.sort(key=lambda r: r.dt)
    gap = timedelta(days=product.min_interval_days if product else 0)
    counted = [records[0]]
    for record in records[1:]:
        if record.dt - counted[-1].dt >= gap:
            counted.append(record)
    return _vaccination(counted[-1], len(counted), product.series_doses if product else None)


def _series_rank(entry: dict[str, Any]) -> tuple[bool, int, str]:
    sd = entry["sd"]
    return (sd is not None and entry["dn"] >= sd, entry["dn"], entry["dt"])


def best_vaccination(
    records: Iterable[VaccinationEntry], products: Mapping[str, Product]
) -> dict[str, Any] | None:
    """The vaccination event furthest through its series, as a DCC ``v`` entry."""
    entries: list[dict[str, Any]] = []
    without_sd: dict[str, list[VaccinationEntry]] = {}
    for record in records:
        if record.sd is None:
            without_sd.setdefault(record.mp, []).append(record)
        else:
            entries.append(_vaccination(record, record.dn, record.sd))
    for mp, group in without_sd.items():
        entries.append(_counted_series(group, products.get(mp)))
    if not entries:
        return None
    if len(entries) == 1:
        return entries[0]
    return max(entries, key=_series_rank)


def _test(entry: TestEntry) -> dict[str, Any]:
    test: dict[str, Any] = {
        "tg": entry.tg, "tt": entry.tt, "sc": entry.sc.isoformat(), "tr": entry.tr,
        "co": entry.co, "ci": entry.ci,
    }  # fmt: skip
    for key in ("nm", "ma", "tc"):
        value = getattr(entry, key)
        if value is not None:
            test[key] = value
    return test


def _recovery(entry: RecoveryEntry) -> dict[str, Any]:
    return {
        "tg": entry.tg, "fr": entry.fr.isoformat(), "df": entry.df.isoformat(),
        "du": entry.du.isoformat(), "co": entry.co, "ci": entry.ci,
    }  # fmt: skip


def build_payload(evidence: Evidence, products: Mapping[str, Product], dob: str) -> dict[str, Any]:
    """The DCC-shaped payload of everything the person presented (see the module docstring).

    One EU DCC shown alone is its own payload, exactly as the business rules expect it.
    """
    certificates = evidence.certificates
    if len(certificates) == 1 and evidence.id_card is None:
        only = certificates[0]
        if isinstance(only, DigitalCovidCertificate) and only.payload:
            return only.payload
    records: list[VaccinationEntry] = []
    tests: list[TestEntry] = []
    recoveries: list[RecoveryEntry] = []
    for cert in evidence.certificates:
        records.extend(cert.vaccinations)
        if isinstance(cert, DigitalCovidCertificate):
            tests.extend(cert.tests)
            recoveries.extend(cert.recoveries)
    if evidence.id_card is not None:
        records.extend(evidence.id_card.vaccinations)
    payload: dict[str, Any] = {"dob": dob}
    vaccination = best_vaccination(records, products) if records else None
    if vaccination is not None:
        payload["v"] = [vaccination]
    if tests:
        payload["t"] = [_test(max(tests, key=lambda t: t.sc))]
    if recoveries:
        payload["r"] = [_recovery(max(recoveries, key=lambda r: r.fr))]
    return payload
