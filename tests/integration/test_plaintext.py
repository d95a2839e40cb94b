"""No seeded personal value is stored in clear (R6, issue 4).

The demo district is seeded into a SQLite database under a fresh ``var/``; then every file
under ``var/`` (the database, its WAL and shared-memory files, and whatever else the steps
below write there: the agent's outbox, logs, exports) is searched for every seeded ID number,
name and phone number.

To extend it: append a step to ``STEPS``, a function ``(registry, demo, var_dir) -> None``
that makes the system write what it writes (run checks, upload a batch, export a report) under
``var_dir``. Every file it leaves there is searched.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from jointcheck.api.agent_transport import HttpTransport
from jointcheck.api.app import create_app
from jointcheck.api.checkpoint_service import CheckpointServer
from jointcheck.bootstrap import DistrictKeyFiles, Registry, build_registry, ensure_district_keys
from jointcheck.checkpoint.agent import Agent
from jointcheck.checkpoint.model import Registration
from jointcheck.checkpoint.outbox import Outbox
from jointcheck.checkpoint.sealing import DeviceSealer
from jointcheck.config import Settings
from jointcheck.credentials import issue
from jointcheck.credentials.keyfiles import read_signing_key, read_subject_key
from jointcheck.credentials.masking import mask_phone
from jointcheck.credentials.model import CodeColour
from jointcheck.registry import demo_data
from jointcheck.registry.demo import DemoDistrict, DemoPerson, build_demo
from jointcheck.registry.seeding import DemoSeeder
from jointcheck.security.pii import new_key_text
from jointcheck.store.migrate import upgrade
from web_factories import sign_in

ID_NUMBER = re.compile(rb"(?=(\d{17}[\dXx]))")
PHONE = re.compile(rb"(?=(1\d{10}))")
CJK_RUN = re.compile(rb"(?:[\xe4-\xe9][\x80-\xbf]{2})+")  # UTF-8 of U+4000..U+9FFF


@dataclass(frozen=True)
class Needles:
    id_numbers: frozenset[str]
    names: frozenset[str]
    phones: frozenset[str]


@dataclass(frozen=True)
class Hit:
    path: Path
    kind: str
    value: str


def public_text(demo: DemoDistrict) -> str:
    """Every non-personal string the system stores on purpose (unit, place, site names...)."""
    parts = [u.name_zh for u in demo.units]
    parts += [f"{p.name} {p.address}" for p in demo.places]
    parts += [a.display_name for a in demo.accounts]
    parts += list(demo_data.HEALTH_REASONS.values())
    parts += [name for name, _ in demo_data.INSTITUTIONS]
    parts += [d.site for p in demo.persons for d in p.doses]
    return "\n".join(parts)


def needles_of(demo: DemoDistrict) -> tuple[Needles, set[str]]:
    """The seeded personal values, and the names set aside because public text contains them
    (a person called 龙山 beside 龙山社区 proves nothing either way)."""
    public = public_text(demo)
    names = {p.form.name for p in demo.persons}
    ambiguous = {n for n in names if n in public}
    return (
        Needles(
            id_numbers=frozenset(p.form.document_number for p in demo.persons),
            names=frozenset(names - ambiguous),
            phones=frozenset(p.form.phone for p in demo.persons if p.form.phone),
        ),
        ambiguous,
    )


def search(data: bytes, needles: Needles) -> Iterable[tuple[str, str]]:
    for match in ID_NUMBER.finditer(data):
        value = match.group(1).decode("ascii").upper()
        if value in needles.id_numbers:
            yield "id_number", value
    for match in PHONE.finditer(data):
        value = match.group(1).decode("ascii")
        if value in needles.phones:
            yield "phone", value
    for run in CJK_RUN.finditer(data):
        text = run.group(0).decode("utf-8", errors="ignore")
        for size in (2, 3, 4):
            for start in range(len(text) - size + 1):
                if text[start : start + size] in needles.names:
                    yield "name", text[start : start + size]


def scan(root: Path, needles: Needles) -> list[Hit]:
    return [
        Hit(path, kind, value)
        for path in sorted(p for p in root.rglob("*") if p.is_file())
        for kind, value in search(path.read_bytes(), needles)
    ]


def audited_reads(registry: Registry, demo: DemoDistrict, _var_dir: Path) -> None:
    """Staff read people in clear and masked: the audit log must not keep what they saw."""
    health = _account(registry, "health")
    street = _account(registry, "street1")
    for person in demo.persons[:50]:
        registry.persons.read_details(health, person.id, reason="plaintext test")
    registry.persons.list(street, reason="plaintext test worklist")
    registry.persons.find(
        health, "resident_id_card", demo.persons[0].form.document_number, reason="t"
    )


def _account(registry: Registry, username: str):
    with registry.uow() as uow:
        record = uow.accounts.get_by_username(username)
    assert record is not None
    principal = registry.accounts.principal(record.id or 0)
    assert principal is not None
    return principal


NOW = datetime(2021, 9, 6, 2, 0, tzinfo=UTC)  # 10:00 in Fangzi, during the demo's campaign


@dataclass(frozen=True)
class Entrance:
    """The district server (the app over the seeded database) and a device enrolled at the
    demo operator's shop, with the district's issuers to make codes for seeded people."""

    client: TestClient
    token: str
    issuer: issue.IssuingKey
    subject_key: bytes
    root_pin: str

    def health_code(self, person: DemoPerson) -> str:
        form = person.form
        number = form.document_number
        dob = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
        holder = issue.Holder(id_number=number, name=form.name, dob=dob)
        return issue.issue_health_code(
            self.issuer, self.subject_key, holder, colour=CodeColour.GREEN, issued_at=NOW
        )

    def registration(self, person: DemoPerson) -> dict[str, str]:
        form = person.form
        return {"name": form.name, "id_number": form.document_number, "phone": form.phone or ""}


@contextmanager
def entrance(registry: Registry) -> Iterator[Entrance]:
    settings = registry.settings
    ensure_district_keys(settings, NOW - timedelta(days=30), "370704")
    files = DistrictKeyFiles.of(settings)
    server = CheckpointServer.of(settings, registry, lambda: NOW)
    shop = _account(registry, "operator").place_id
    assert shop is not None
    _, token = server.enroll(_account(registry, "admin"), shop, "", "plaintext test")
    issuer = issue.IssuingKey.of(read_signing_key(files.health_code_issuer))
    with TestClient(create_app(settings, clock=lambda: NOW)) as client:
        yield Entrance(
            client, token, issuer, read_subject_key(files.subject), server.root_fingerprint()
        )


def agent_outbox(registry: Registry, demo: DemoDistrict, var_dir: Path) -> None:
    """The entrance agent scans seeded people, registers one with their real name, ID number
    and phone, and looks one up by ID card: its outbox and WAL keep none of it in clear."""
    folder = var_dir / "agent"
    folder.mkdir()
    person, family, carded = demo.persons[5], demo.persons[6:9], demo.persons[9]
    with entrance(registry) as at:
        transport = HttpTransport("http://testserver", at.token, client=at.client)
        outbox = Outbox(folder / "outbox.db")
        agent = Agent(outbox, transport, DeviceSealer(bytes(32)), lambda: NOW, root_pin=at.root_pin)
        agent.start()
        assert agent.sync() is not None
        persuaded = agent.scan([[at.health_code(person)]])[0]
        assert persuaded.outcome == "PERSUADE"
        agent.scan([[at.health_code(p)] for p in family])  # one helper, a family (R14)
        registered = agent.register(
            persuaded.check_id, Registration(**at.registration(person), purpose="探亲")
        )
        assert registered.outcome == "ADMIT_REGISTERED"
        agent.id_document("resident_id_card", carded.form.document_number)
        # Before the upload, while the outbox is open, its WAL holds the latest pages.
        wal = folder / "outbox.db-wal"
        assert wal.is_file()
        assert wal.stat().st_size > 0
        needles, _ = needles_of(demo)
        assert scan(folder, needles) == []
        report = agent.sync()
        assert report is not None
        assert report.uploaded >= 5
        outbox.close()


@contextmanager
def logging_to(path: Path) -> Iterator[None]:
    """Every logger's records at every level, written to ``path`` as a deployment would."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


def server_logs(registry: Registry, demo: DemoDistrict, var_dir: Path) -> None:
    """A request cycle that verifies, scans, registers and looks up by ID card, logged to
    ``var/logs``: the logs carry codes and ids, never the person (house rule 4)."""
    person, carded = demo.persons[10], demo.persons[11]
    log_file = var_dir / "logs" / "server.log"
    with entrance(registry) as at, logging_to(log_file):
        device = {"authorization": f"Bearer {at.token}"}
        code = at.health_code(person)
        assert at.client.post("/api/verify", json={"text": code}).status_code == 200
        scanned = at.client.post("/api/checkpoint/scan", json={"codes": [code]}, headers=device)
        assert scanned.status_code == 200, scanned.text
        check_id = scanned.json()["results"][0]["check_id"]
        body = {"check_id": check_id, **at.registration(person), "purpose": "探亲"}
        registered = at.client.post("/api/checkpoint/register", json=body, headers=device)
        assert registered.status_code == 200, registered.text
        # Refused requests are logged too: a registration for a check that is not there, and
        # one whose body fails validation.
        unknown = {**body, "check_id": "0" * 32}
        assert at.client.post("/api/checkpoint/register", json=unknown, headers=device).is_error
        invalid = {**body, "check_id": "not an id!"}
        assert at.client.post("/api/checkpoint/register", json=invalid, headers=device).is_error
        number = {"number": carded.form.document_number}
        looked_up = at.client.post("/api/checkpoint/id-document", json=number, headers=device)
        assert looked_up.status_code == 200, looked_up.text
    assert log_file.stat().st_size > 0


def registrations_export(registry: Registry, demo: DemoDistrict, var_dir: Path) -> None:
    """A person registered at the shop's entrance with their real values, then the street's
    list exported to Excel by the district office: the file, and each XML part of it
    unpacked beside it (the .xlsx itself is compressed), keep none of them in clear."""
    person = demo.persons[12]
    assert person.form.phone
    with entrance(registry) as at:
        device = {"authorization": f"Bearer {at.token}"}
        scanned = at.client.post(
            "/api/checkpoint/scan", json={"codes": [at.health_code(person)]}, headers=device
        )
        assert scanned.status_code == 200, scanned.text
        check_id = scanned.json()["results"][0]["check_id"]
        body = {"check_id": check_id, **at.registration(person), "purpose": "探亲"}
        registered = at.client.post("/api/checkpoint/register", json=body, headers=device)
        assert registered.status_code == 200, registered.text
        with registry.uow() as uow:
            shop = uow.places.get(_account(registry, "operator").place_id or 0)
        assert shop is not None
        at.client.cookies.clear()
        assert sign_in(at.client, "admin", "demo-admin-2021").status_code == 303
        day = NOW.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
        params = {"street": shop.admin_code[:9], "day": day}
        export = at.client.get("/registrations/export", params=params)
    assert export.status_code == 200, export.text
    folder = var_dir / "exports"
    folder.mkdir(exist_ok=True)
    (folder / "registrations.xlsx").write_bytes(export.content)
    with zipfile.ZipFile(io.BytesIO(export.content)) as parts:
        parts.extractall(folder / "registrations.xlsx.d")
    # The export does hold the registration, masked.
    assert mask_phone(person.form.phone).encode() in b"".join(
        p.read_bytes() for p in (folder / "registrations.xlsx.d").rglob("*.xml")
    )


Step = Callable[[Registry, DemoDistrict, Path], None]
STEPS: list[Step] = [audited_reads, agent_outbox, server_logs, registrations_export]


@pytest.fixture(scope="module")
def demo() -> DemoDistrict:
    return build_demo()


@pytest.fixture
def seeded(tmp_path: Path, demo: DemoDistrict):
    var_dir = tmp_path / "var"
    settings = Settings(
        var_dir=var_dir,
        pii_key=new_key_text(),
        lookup_key=new_key_text(),
        session_secret=new_key_text(),
    )
    upgrade(settings.effective_database_url)
    registry = build_registry(settings)
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash
    DemoSeeder(registry.uow, registry.cipher, password_hasher=cheap).seed(demo)
    yield registry, var_dir
    registry.close()


def test_no_seeded_personal_value_is_in_clear_in_the_database_its_wal_or_var(seeded, demo):
    registry, var_dir = seeded
    for step in STEPS:
        step(registry, demo, var_dir)
    needles, ambiguous = needles_of(demo)
    assert len(ambiguous) < 0.02 * len(demo.persons)
    # While the engine is open the WAL holds the latest pages: search it too.
    wal = var_dir / "jointcheck.db-wal"
    assert wal.is_file()
    assert wal.stat().st_size > 0
    assert scan(var_dir, needles) == []
    registry.close()  # the last connection folds the WAL into the database file
    assert scan(var_dir, needles) == []


def test_the_search_finds_what_is_there(seeded, demo):
    # The search must be able to fail: public names are found in the database, and a
    # personal value written in clear under var/ is reported with its file.
    _, var_dir = seeded
    needles, _ = needles_of(demo)
    person = demo.persons[3]
    street = Needles(frozenset(), frozenset({"坊安街道"}), frozenset())
    assert any(h.value == "坊安街道" for h in scan(var_dir, street))
    leak = var_dir / "exports" / "leak.csv"
    leak.parent.mkdir()
    leak.write_text(
        f"{person.form.name},{person.form.document_number},{person.form.phone}\n", encoding="utf-8"
    )
    hits = {(h.path.name, h.kind, h.value) for h in scan(var_dir, needles)}
    expected = {
        ("leak.csv", "id_number", person.form.document_number),
        ("leak.csv", "phone", person.form.phone),
    }
    if person.form.name in needles.names:
        expected.add(("leak.csv", "name", person.form.name))
    assert expected <= hits
