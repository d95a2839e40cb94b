"""Every route of the app, called as every role (R6, issue 4 "Accounts and access").

The app is built once per module over a small seeded demo district. Each route of
``create_app(...).routes`` is called by every caller: anonymous, each demo account signed in
with its password, and two checkpoint device tokens (one at the operator's shop in street
370704001, one at a place in street 370704002). Routes with a scope in their path or body are
called twice, with the caller's own place or device and with another street's.

``ACCESS`` below says, by hand from the issue and ``security/roles.py``, who may call what; a
route missing from it fails the test. A caller not allowed must get 401/403 (anonymous pages:
a redirect to sign-in); another scope's names and ids never come back; no seeded ID number,
resident name or phone appears in any response (no route here is an audited personal-data
read, and pages show masked forms only).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import create_engine, inspect, text
from starlette.routing import Route
from test_plaintext import Needles, needles_of, search

from jointcheck.api.access_log import logged_path
from jointcheck.api.app import create_app
from jointcheck.bootstrap import DistrictKeyFiles, build_registry, ensure_district_keys
from jointcheck.config import Settings
from jointcheck.credentials import issue
from jointcheck.credentials.keyfiles import read_signing_key, read_subject_key
from jointcheck.credentials.masking import mask_name
from jointcheck.credentials.model import CodeColour
from jointcheck.credentials.subject import subject_hash
from jointcheck.registry.demo import DemoDistrict, DemoPerson, build_demo
from jointcheck.registry.model import Place
from jointcheck.registry.seeding import DemoSeeder
from jointcheck.security.idcard import make_resident_id
from jointcheck.security.pii import new_key_text
from jointcheck.security.roles import within
from jointcheck.store.migrate import upgrade
from web_factories import sign_in

NOW = datetime(2021, 9, 6, 2, 0, tzinfo=UTC)  # 10:00 in Fangzi, the demo's campaign
STREET_1, STREET_2 = "370704001", "370704002"

ACCOUNTS = (
    "admin",
    "health",
    "street1",
    "street2",
    "grid1",
    "operator",
    "device",
    "school",
    "employer",
    "resident",
)
DEVICE_A, DEVICE_B = "token_a", "token_b"  # device tokens: street 1's shop, a street-2 place
CALLERS = ("anonymous", *ACCOUNTS, DEVICE_A, DEVICE_B)
SIGNED_OUT = frozenset({"anonymous", DEVICE_A, DEVICE_B})

EVERYONE = frozenset(CALLERS)
DEVICES = frozenset({DEVICE_A, DEVICE_B})
# Who enrolls and revokes terminals: the tree roles that manage places, and a place's operator
# for their own place (issue 4 "The entrance"); the health authority manages codes, not venues.
ENROLLERS = frozenset({"admin", "street1", "street2", "grid1", "operator"})
RESIDENT = frozenset({"resident"})
# Who reads a street's list of registrations (R3, R5): the street's staff, and the district
# office (its administrator and the health authority); each within their scope, masked.
REGISTRATION_READERS = frozenset({"admin", "health", "street1", "street2"})
# Issue 4: only the health authority changes a health-code colour, within its district.
HEALTH = frozenset({"health"})

# Not called: the static files, and the OpenAPI schema (the app's description, no data).
SKIPPED = {"/static", "/api/openapi.json"}

# (method, path) -> who may call it. Written from the issue and roles.py, not from the code.
ACCESS: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/healthz"): EVERYONE,
    ("POST", "/api/verify"): EVERYONE,  # issue 2: anyone may verify a code
    ("POST", "/api/verify/image"): EVERYONE,
    ("GET", "/api/me/health-code"): RESIDENT,
    ("GET", "/api/checkpoint/time"): EVERYONE,  # the server's clock, for a device's skew
    ("POST", "/api/checkpoint/devices"): ENROLLERS,
    ("POST", "/api/checkpoint/devices/{device_id}/revoke"): ENROLLERS,
    ("GET", "/api/checkpoint/device"): DEVICES,
    ("GET", "/api/checkpoint/bundle"): DEVICES,
    ("POST", "/api/checkpoint/events"): DEVICES,
    ("POST", "/api/checkpoint/scan"): DEVICES,
    ("POST", "/api/checkpoint/id-document"): DEVICES,
    # Issue 4: a paper health code's current colour, for any person of the device's district.
    ("POST", "/api/checkpoint/paper-colour"): DEVICES,
    ("POST", "/api/checkpoint/register"): DEVICES,
    ("POST", "/api/checkpoint/override"): DEVICES,
    ("GET", "/api/checkpoint/counts"): DEVICES,
    ("POST", "/api/checkpoint/decode"): DEVICES,
    ("GET", "/entrance"): DEVICES,
    ("GET", "/"): EVERYONE,
    ("GET", "/verify"): EVERYONE,
    ("POST", "/verify"): EVERYONE,
    ("GET", "/login"): EVERYONE,
    ("POST", "/login"): EVERYONE,
    ("POST", "/logout"): EVERYONE,
    ("GET", "/me"): RESIDENT,
    ("GET", "/me/print"): RESIDENT,
    # The devices page: the enrollers, each within their scope (as the API above).
    ("GET", "/devices"): ENROLLERS,
    ("GET", "/places/{place_id}/devices"): ENROLLERS,
    ("POST", "/places/{place_id}/devices"): ENROLLERS,
    ("POST", "/devices/revoke"): ENROLLERS,
    # R14: the community (grid) administrator, or the district administrator, links a family
    # member without a phone to a resident of their scope.
    ("POST", "/api/family/links"): frozenset({"admin", "grid1"}),
    # ... and removes such a link (another scope's answers as unknown).
    ("DELETE", "/api/family/links/{link_id}"): frozenset({"admin", "grid1"}),
    # The family page: the same roles find a resident of their scope, see their links, add
    # and remove one (another scope's resident or link answers as unknown).
    ("GET", "/family"): frozenset({"admin", "grid1"}),
    ("POST", "/family"): frozenset({"admin", "grid1"}),
    ("POST", "/family/links"): frozenset({"admin", "grid1"}),
    ("POST", "/family/unlink"): frozenset({"admin", "grid1"}),
    # The street's list of registrations, its page and its Excel export (masked, audited).
    ("GET", "/api/streets/{street_code}/registrations"): REGISTRATION_READERS,
    ("GET", "/registrations"): REGISTRATION_READERS,
    ("GET", "/registrations/export"): REGISTRATION_READERS,
    # Issue 4: the health authority changes a person's code colour (API and page).
    ("POST", "/api/persons/health-code"): HEALTH,
    ("GET", "/health-codes"): HEALTH,
    ("POST", "/health-codes"): HEALTH,
    ("GET", "/health-codes/{person_id}"): HEALTH,
    ("POST", "/health-codes/{person_id}"): HEALTH,
}

# Routes that are audited reads of decrypted personal data, and who may make them in clear
# (roles.PERSONAL_DATA is FULL only for the health authority, street staff, grid
# administrators and a resident's own record). None yet: every response, to every caller,
# must be free of seeded ID numbers, names and phones.
CLEAR_PERSONAL_DATA: dict[tuple[str, str], frozenset[str]] = {}

cheap_hash = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash


def _truncate(url: str) -> None:
    engine = create_engine(url)
    try:
        tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@dataclass
class Scope:
    """A caller's own place and device, and another street's (None for district roles)."""

    place: Place | None = None
    other_place: Place | None = None
    device_id: str = ""
    other_device_id: str = ""
    check_id: str = ""  # a PERSUADE check at the caller's place, to register
    other_check_id: str = ""
    deny_id: str = ""  # a DENY check, to override
    other_deny_id: str = ""


@dataclass
class World:
    demo: DemoDistrict
    places: list[Place]
    clients: dict[str, TestClient]
    scopes: dict[str, Scope]
    needles: Needles
    subject_key: bytes = b""

    def subject_hash(self, id_number: str) -> str:
        """The keyed hash a health code of ID_NUMBER carries (the district's subject key)."""
        return subject_hash(self.subject_key, id_number).hex()

    def place_named(self, name: str) -> Place:
        return next(p for p in self.places if p.name == name)

    def street_names(self, street: str) -> set[str]:
        return {u.name_zh for u in self.demo.units if u.code.startswith(street)}


def csrf(client: TestClient) -> dict[str, str]:
    return {"x-csrf-token": client.cookies.get("jc_csrf") or ""}


def _enroll(admin: TestClient, place: Place, label: str) -> dict[str, Any]:
    answer = admin.post(
        "/api/checkpoint/devices", json={"place_id": place.id, "label": label}, headers=csrf(admin)
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _device_client(app: Any, token: str) -> TestClient:
    client = TestClient(app, headers={"authorization": f"Bearer {token}"})
    # A CSRF cookie, as a browser on the entrance page has: asked for without the bearer
    # header, since a bearer call (no browser) is given none.
    client.get("/login", headers={"authorization": ""})
    assert client.cookies.get("jc_csrf")
    client.cookies.set("jc_device", token)
    return client


def _health_code(settings: Settings, person: DemoPerson, colour: CodeColour) -> str:
    files = DistrictKeyFiles.of(settings)
    number = person.form.document_number
    dob = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
    return issue.issue_health_code(
        issue.IssuingKey.of(read_signing_key(files.health_code_issuer)),
        read_subject_key(files.subject),
        issue.Holder(id_number=number, name=person.form.name, dob=dob),
        colour=colour,
        issued_at=NOW,
    )


def _check_id(client: TestClient, code: str, outcome: str) -> str:
    answer = client.post("/api/checkpoint/scan", json={"codes": [code]})
    assert answer.status_code == 200, answer.text
    result = answer.json()["results"][0]
    assert result["outcome"] == outcome, result
    return str(result["check_id"])


def _checks(world: World, settings: Settings) -> None:
    """A persuaded and a denied person at each device's place (registration, override)."""
    persons = world.demo.persons
    for index, name in enumerate((DEVICE_A, DEVICE_B)):
        client, scope = world.clients[name], world.scopes[name]
        green = _health_code(settings, persons[1 + index], CodeColour.GREEN)
        red = _health_code(settings, persons[3 + index], CodeColour.RED)
        scope.check_id = _check_id(client, green, "PERSUADE")
        scope.deny_id = _check_id(client, red, "DENY")
        # A registration at each place, so that each street's list has someone to mask.
        persuaded = _health_code(settings, persons[5 + index], CodeColour.GREEN)
        body = {"check_id": _check_id(client, persuaded, "PERSUADE"), **_person(world, 5 + index)}
        answer = client.post("/api/checkpoint/register", json={**body, "purpose": "探亲"})
        assert answer.status_code == 200, answer.text
    a, b = world.scopes[DEVICE_A], world.scopes[DEVICE_B]
    a.other_check_id, b.other_check_id = b.check_id, a.check_id
    a.other_deny_id, b.other_deny_id = b.deny_id, a.deny_id


def _scopes(world: World, admin: TestClient) -> None:
    shop = world.place_named(
        next(a for a in world.demo.accounts if a.username == "operator").place[1]
    )  # type: ignore[index]
    # Another street's shop where there is one: the same category, so the same decisions.
    street_2 = min(
        (p for p in world.places if p.admin_code.startswith(STREET_2)),
        key=lambda p: p.category != shop.category,
    )
    accounts = {a.username: a for a in world.demo.accounts}
    for name in ("street1", "street2", "grid1"):
        scope = accounts[name].scope_code
        own = next(p for p in world.places if within(p.admin_code, scope))
        other = street_2 if not own.admin_code.startswith(STREET_2) else shop
        world.scopes[name] = Scope(own, other)
    world.scopes["operator"] = Scope(shop, street_2)
    world.scopes["admin"] = Scope(shop)
    for name in ("health", "device", "school", "employer", "resident", "anonymous"):
        world.scopes[name] = Scope(shop, street_2)
    world.scopes[DEVICE_A] = Scope(shop, street_2)
    world.scopes[DEVICE_B] = Scope(street_2, shop)
    for name, scope in world.scopes.items():
        # Devices to revoke: one of the caller's own place, one of the other street's.
        assert scope.place is not None
        scope.device_id = _enroll(admin, scope.place, f"own {name}")["device_id"]
        if scope.other_place is not None:
            scope.other_device_id = _enroll(admin, scope.other_place, f"other {name}")["device_id"]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    var = tmp_path_factory.mktemp("matrix") / "var"
    url = ""
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        _truncate(url)
    settings = Settings(
        var_dir=var,
        database_url=url,
        pii_key=new_key_text(),
        lookup_key=new_key_text(),
        session_secret=new_key_text(),
    )
    upgrade(settings.effective_database_url)
    ensure_district_keys(settings, NOW - timedelta(days=30), "370704")
    demo = build_demo(residents=120, places=30)
    registry = build_registry(settings)
    DemoSeeder(registry.uow, registry.cipher, password_hasher=cheap_hash).seed(demo)
    with registry.uow() as uow:
        places = list(uow.places.list(scope_code="370704", limit=1000))
    registry.close()
    app = create_app(settings, clock=lambda: NOW)
    with TestClient(app) as anonymous:
        anonymous.get("/login")
        clients = {"anonymous": anonymous}
        for username in ACCOUNTS:
            client = TestClient(app)
            answer = sign_in(client, username, f"demo-{username}-2021")
            assert answer.status_code == 303, (username, answer.text)
            clients[username] = client
        needles, _ = needles_of(demo)
        subject_key = read_subject_key(DistrictKeyFiles.of(settings).subject)
        world = World(demo, places, clients, {}, needles, subject_key)
        _scopes(world, clients["admin"])
        for name in (DEVICE_A, DEVICE_B):
            scope = world.scopes[name]
            assert scope.place is not None
            enrolled = _enroll(clients["admin"], scope.place, name)
            clients[name] = _device_client(app, enrolled["token"])
        _checks(world, settings)
        yield world


# What each route is called with: (world, caller, own) -> httpx keyword arguments. ``own``
# False asks for another street's or place's data. Routes absent here take no arguments.
Builder = Callable[[World, str, bool], dict[str, Any]]


def _place_id(world: World, caller: str, own: bool) -> int:
    scope = world.scopes[caller]
    place = scope.place if own else scope.other_place
    assert place is not None
    return int(place.id or 0)


def _event(world: World, caller: str, own: bool) -> dict[str, Any]:
    scope = world.scopes[caller]
    place = scope.place if own else scope.other_place
    assert place is not None
    return {
        "kind": "check",
        "id": str(uuid.uuid4()),
        "device_id": scope.device_id if own else scope.other_device_id,
        "place_id": str(place.id),
        "entrance_id": "",
        "street_code": place.admin_code[:9],
        "at": NOW.isoformat(),
        "outcome": "ADMIT",
        "reasons": ["VACCINATED"],
        "summary": {"credential_types": ["health_code"], "code_colour": "green", "doses": 2},
        "bundle_version": 1,
    }


def _person(world: World, index: int) -> dict[str, str]:
    form = world.demo.persons[index].form
    return {"name": form.name, "id_number": form.document_number, "phone": form.phone or ""}


def _check(world: World, caller: str, own: bool, *, deny: bool = False) -> str:
    scope = world.scopes[caller]
    if deny:
        return (scope.deny_id if own else scope.other_deny_id) or "0" * 32
    return (scope.check_id if own else scope.other_check_id) or "0" * 32


def _street(world: World, caller: str, own: bool) -> str:
    """The street of the caller's own place, or of the other one; for the district office,
    whose scope holds both streets, a street of another district."""
    scope = world.scopes[caller]
    if not own and caller in {"admin", "health"}:
        return "370705001"
    place = scope.place if own else scope.other_place
    return place.admin_code[:9] if place is not None else STREET_1


def _family_persons(world: World, caller: str, own: bool) -> tuple[DemoPerson, DemoPerson]:
    """Two persons in the caller's scope (own), or in another street (not own)."""
    accounts = {a.username: a for a in world.demo.accounts}
    scope = accounts[caller].scope_code if caller in accounts else "370704"
    if caller == "admin" or scope == "":
        scope = "370704"
    # Not the demo resident (person 0): their own links are what GET /me/print is called with.
    people = world.demo.persons[1:]
    if own:
        pair = [p for p in people if p.form.grid_code.startswith(scope)][:2]
    else:
        pair = [p for p in people if not p.form.grid_code.startswith(scope[:9])][:2]
    holder, member = pair if len(pair) == 2 else people[:2]  # callers refused anyway
    return holder, member


def _family_pair(world: World, caller: str, own: bool) -> dict[str, Any]:
    holder, member = _family_persons(world, caller, own)
    return {
        "json": {
            "holder": {"number": holder.form.document_number},
            "member": {"number": member.form.document_number},
            "relation": "grandparent",
            "reason": "matrix",
        }
    }


def _family_page_link(world: World, caller: str, own: bool) -> dict[str, Any]:
    holder, member = _family_persons(world, caller, own)
    form = {"number": member.form.document_number, "relation": "grandparent", "reason": "matrix"}
    return {"data": {"resident": str(holder.id), **form}}


def _family_page_unlink(world: World, caller: str, own: bool) -> dict[str, Any]:
    holder, _ = _family_persons(world, caller, own)
    link_id = _family_link(world, caller, own)
    return {"data": {"resident": str(holder.id), "link_id": link_id, "reason": "matrix"}}


def _family_member(world: World, caller: str, own: bool) -> dict[str, Any]:
    """The resident's linked member (own), or a person not linked to them (not own)."""
    del caller
    linked = {f.member_index for f in world.demo.families if f.holder_index == 0}
    index = min(linked) if own else next(i for i in range(1, 99) if i not in linked)
    return {"params": {"member": str(world.demo.persons[index].id)}}


# The person whose colour the health authority changes: one no other route's call names.
CODE_PERSON = 6


def _code_document(world: World, caller: str, own: bool) -> dict[str, str]:
    """A person of the district (own), or a well-formed number no one here holds (not own:
    the demo has one district, and another district's person answers the same, as unknown)."""
    del caller
    if own:
        return {
            "document_type": "resident_id_card",
            "number": _person(world, CODE_PERSON)["id_number"],
        }
    return {
        "document_type": "resident_id_card",
        "number": make_resident_id("370705", date(1980, 1, 1), 17),
    }


BODIES: dict[tuple[str, str], Builder] = {
    ("POST", "/api/verify"): lambda w, c, o: {"json": {"text": "HC1:NOT-A-CODE"}},
    ("POST", "/api/verify/image"): lambda w, c, o: {
        "files": {"image": ("x.png", b"\x89PNG\r\n\x1a\nnot an image", "image/png")}
    },
    ("POST", "/api/checkpoint/devices"): lambda w, c, o: {
        "json": {"place_id": _place_id(w, c, o), "label": f"matrix {c}"}
    },
    ("POST", "/api/checkpoint/events"): lambda w, c, o: {"json": {"events": [_event(w, c, o)]}},
    ("POST", "/api/checkpoint/scan"): lambda w, c, o: {"json": {"codes": ["HC1:NOT-A-CODE"]}},
    ("POST", "/api/checkpoint/id-document"): lambda w, c, o: {
        "json": {"number": w.demo.persons[3].form.document_number, "store": False}
    },
    ("POST", "/api/checkpoint/paper-colour"): lambda w, c, o: {
        "json": {"subject_hash": w.subject_hash(w.demo.persons[3].form.document_number)}
    },
    ("POST", "/api/checkpoint/register"): lambda w, c, o: {
        "json": {"check_id": _check(w, c, o), **_person(w, 4), "purpose": "探亲"}
    },
    ("POST", "/api/checkpoint/override"): lambda w, c, o: {
        "json": {"check_id": _check(w, c, o, deny=True), "reason": "OFFICIAL_DUTY", "staff": "s-01"}
    },
    ("POST", "/api/checkpoint/decode"): lambda w, c, o: {"content": b"not a jpeg"},
    ("POST", "/api/family/links"): _family_pair,
    ("DELETE", "/api/family/links/{link_id}"): lambda w, c, o: {"json": {"reason": "matrix"}},
    ("GET", "/family"): lambda w, c, o: {
        "params": {"resident": str(_family_persons(w, c, o)[0].id)}
    },
    ("POST", "/family"): lambda w, c, o: {
        "data": {"number": _family_persons(w, c, o)[0].form.document_number}
    },
    ("POST", "/family/links"): _family_page_link,
    ("POST", "/family/unlink"): _family_page_unlink,
    ("GET", "/me/print"): _family_member,
    ("POST", "/api/persons/health-code"): lambda w, c, o: {
        "json": {"document": _code_document(w, c, o), "colour": "yellow", "reason": "matrix"}
    },
    ("POST", "/health-codes"): lambda w, c, o: {"data": _code_document(w, c, o)},
    # Without "confirmed": the change is checked and shown for confirmation, not made.
    ("POST", "/health-codes/{person_id}"): lambda w, c, o: {
        "data": {"colour": "red", "reason": "matrix", "until": ""}
    },
    ("POST", "/verify"): lambda w, c, o: {"data": {"text": "HC1:NOT-A-CODE"}},
    ("POST", "/login"): lambda w, c, o: {
        "data": {"username": "operator", "password": "demo-operator-2021"}
    },
    ("POST", "/places/{place_id}/devices"): lambda w, c, o: {
        "data": {"entrance": "", "label": f"matrix page {c}"}
    },
    ("POST", "/devices/revoke"): lambda w, c, o: {
        "data": {"device_id": w.scopes[c].device_id if o else w.scopes[c].other_device_id}
    },
    ("GET", "/registrations"): lambda w, c, o: {"params": {"street": _street(w, c, o)}},
    ("GET", "/registrations/export"): lambda w, c, o: {"params": {"street": _street(w, c, o)}},
}
# Routes sent an unreadable image on purpose: their own answer is 400, not a refusal.
UNREADABLE = {("POST", "/api/verify/image"), ("POST", "/api/checkpoint/decode")}
# Routes whose path or body names a scope: called with the caller's own and another's.
SCOPED = {
    ("POST", "/api/checkpoint/devices"),
    ("POST", "/api/checkpoint/devices/{device_id}/revoke"),
    ("POST", "/api/checkpoint/events"),
    ("POST", "/api/checkpoint/register"),
    ("POST", "/api/checkpoint/override"),
    ("GET", "/places/{place_id}/devices"),
    ("POST", "/places/{place_id}/devices"),
    ("POST", "/devices/revoke"),
    ("POST", "/api/family/links"),
    ("DELETE", "/api/family/links/{link_id}"),
    ("GET", "/family"),
    ("POST", "/family"),
    ("POST", "/family/links"),
    ("POST", "/family/unlink"),
    ("GET", "/me/print"),
    ("GET", "/api/streets/{street_code}/registrations"),
    ("GET", "/registrations"),
    ("GET", "/registrations/export"),
    ("POST", "/api/persons/health-code"),
    ("POST", "/health-codes"),
    ("GET", "/health-codes/{person_id}"),
    ("POST", "/health-codes/{person_id}"),
}


def _family_link(world: World, caller: str, own: bool) -> str:
    """The id of a link between two persons in the caller's scope (own) or in another street
    (not own), made by the district administrator for this call (a removal takes it away)."""
    admin = world.clients["admin"]
    answer = admin.post(
        "/api/family/links", **_family_pair(world, caller, own), headers=csrf(admin)
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


def _path(world: World, caller: str, path: str, own: bool) -> str:
    scope = world.scopes[caller]
    place = scope.place if own else scope.other_place
    fillers = {
        "device_id": scope.device_id if own else scope.other_device_id,
        "place_id": str(place.id if place is not None else 0),
        "street_code": _street(world, caller, own),
    }
    if "{person_id}" in path:
        # A person of the district (own), or an id no one has (another district's looks so).
        fillers["person_id"] = str(world.demo.persons[CODE_PERSON].id if own else uuid.UUID(int=7))
    if "{link_id}" in path:
        fillers["link_id"] = _family_link(world, caller, own)
    for name, value in fillers.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"classify the path parameters of {path}"
    return path


def app_routes(world: World) -> list[tuple[str, str]]:
    """Every (method, path) the app serves, its included routers flattened."""
    app = world.clients["anonymous"].app
    found: list[tuple[str, str]] = []
    for context in iter_route_contexts(app.routes):  # type: ignore[attr-defined]
        path = str(context.path)
        if path in SKIPPED:
            continue
        assert isinstance(context.original_route, APIRoute | Route), path
        found += [(m, path) for m in sorted(context.methods or ()) if m != "HEAD"]
    return found


def call(world: World, caller: str, method: str, path: str, own: bool) -> Response:
    client = world.clients[caller]
    saved = dict(client.cookies)
    kwargs = BODIES.get((method, path), lambda w, c, o: {})(world, caller, own)
    if method != "GET":
        kwargs.setdefault("headers", {}).update(csrf(client))
        if "data" in kwargs:
            kwargs["data"] = {**kwargs["data"], "csrf_token": csrf(client)["x-csrf-token"]}
    try:
        answer = client.request(
            method, _path(world, caller, path, own), follow_redirects=False, **kwargs
        )
    finally:
        client.cookies.clear()
        for name, value in saved.items():
            client.cookies.set(name, value)
    if (method, path) == ("POST", "/logout") and caller in ACCOUNTS:
        # Sign-out ends the session at the server: the restored cookie is nobody now, and
        # the caller signs in again for the routes that follow.
        assert client.get("/api/me/health-code").status_code == 401
        client.cookies.clear()
        assert sign_in(client, caller, f"demo-{caller}-2021").status_code == 303
    return answer


def readable(answer: Response) -> bytes:
    """The body as sent, and a JSON body again with its \\u escapes decoded."""
    if not answer.headers.get("content-type", "").startswith("application/json"):
        return answer.content
    decoded = json.dumps(answer.json(), ensure_ascii=False)
    return answer.content + b"\n" + decoded.encode()


def denied(answer: Response, caller: str) -> bool:
    if answer.status_code in {401, 403}:
        return True
    to_login = answer.headers.get("location", "").startswith("/login")
    # A page asked for without a session sends the browser to sign in.
    return caller in SIGNED_OUT and answer.status_code == 303 and to_login


def foreign_markers(world: World, caller: str) -> set[str]:
    """What of the other street or place must never reach this caller."""
    scope = world.scopes[caller]
    if scope.other_place is None:
        return set()
    other = scope.other_place
    markers = {other.name, other.address, scope.other_device_id}
    if caller in {"street1", "street2", "grid1"}:
        street = other.admin_code[:9]
        markers |= world.street_names(street) - world.street_names(
            STREET_1 if street == STREET_2 else STREET_2
        )
    return {m for m in markers if m}


def test_every_route_is_classified(world: World) -> None:
    routes = app_routes(world)
    assert len(routes) >= len(ACCESS) - 1
    unclassified = [r for r in routes if r not in ACCESS]
    assert unclassified == [], "add these routes to ACCESS with the roles that may call them"
    stale = [r for r in ACCESS if r not in routes]
    assert stale == []


def test_the_access_log_writes_every_route_of_the_app_as_it_is(world: World) -> None:
    """The access log hides path segments that are no route's (house rule 4): none of the
    app's own paths, with their ids filled in, and none of its static files is hidden."""
    static = resources.files("jointcheck.web") / "static"
    paths = [_path(world, "admin", path, True) for _, path in app_routes(world)]
    paths += [f"/static/{f.name}" for f in static.iterdir() if f.is_file()]
    assert [p for p in paths if logged_path(p) != p] == []


@pytest.mark.parametrize("caller", CALLERS)
def test_each_caller_reaches_only_what_its_role_allows(world: World, caller: str) -> None:
    wrong: list[str] = []
    for method, path in app_routes(world):
        allowed = caller in ACCESS.get((method, path), frozenset())
        variants = (True, False) if (method, path) in SCOPED else (True,)
        for own in variants:
            if not own and not world.scopes[caller].other_place:
                continue
            answer = call(world, caller, method, path, own)
            what = f"{method} {path} own={own}: {answer.status_code} {answer.text[:200]}"
            if not allowed:
                if not denied(answer, caller):
                    wrong.append(f"not refused: {what}")
            elif own and (
                denied(answer, caller)
                or answer.status_code >= 500
                or (answer.status_code >= 400 and (method, path) not in UNREADABLE)
            ):
                wrong.append(f"refused its own: {what}")
            elif not own and answer.status_code < 400 and path != "/api/checkpoint/events":
                wrong.append(f"served another scope: {what}")
            elif not own and path == "/api/checkpoint/events" and answer.json().get("accepted"):
                wrong.append(f"accepted another place's event: {what}")
            leaked = [m for m in foreign_markers(world, caller) if m in answer.text]
            if leaked:
                wrong.append(f"another scope's {leaked} in {what}")
            pii = sorted(set(search(readable(answer), world.needles)))
            if pii and caller not in CLEAR_PERSONAL_DATA.get((method, path), frozenset()):
                wrong.append(f"personal data {pii} in {what}")
    assert wrong == []


def test_the_checks_see_a_leak_when_there_is_one(world: World) -> None:
    # The searches must be able to fail: a person's values in a body are found, and the
    # other street's names are among what street 1 must not see.
    person = world.demo.persons[4].form
    body = f'{{"name": "{person.name}", "id": "{person.document_number}", "tel": "{person.phone}"}}'
    kinds = {kind for kind, _ in search(body.encode(), world.needles)}
    assert {"id_number", "phone"} <= kinds
    other = world.scopes["street1"].other_place
    assert other is not None
    markers = foreign_markers(world, "street1")
    assert other.name in markers
    assert world.street_names(STREET_2) & markers
    assert not denied(Response(200, text="{}"), "anonymous")
    escaped = Response(200, json={"name": person.name, "id": person.document_number})
    assert "id_number" in {kind for kind, _ in search(readable(escaped), world.needles)}


def test_the_holder_page_shows_the_resident_masked(world: World) -> None:
    # The absence of the resident's full name on /me means something only if the page does
    # show who it is for: the masked form (house rule 4).
    resident = next(a for a in world.demo.accounts if a.username == "resident")
    assert resident.person_index is not None
    name = world.demo.persons[resident.person_index].form.name
    page = world.clients["resident"].get("/me")
    assert page.status_code == 200
    assert mask_name(name) in page.text
    assert name not in page.text


def test_a_device_uploads_events_only_in_its_own_name(world: World) -> None:
    # Another terminal of the same place: its id in a check or an override is refused, so
    # that no terminal records checks or overrides (audited, R8) in another's name.
    scope = world.scopes[DEVICE_A]
    check = _event(world, DEVICE_A, True)
    override = {
        **{k: check[k] for k in ("device_id", "place_id", "street_code", "at")},
        "kind": "override",
        "id": str(uuid.uuid4()),
        "check_id": scope.deny_id,
        "reason": "OFFICIAL_DUTY",
        "staff": "s-01",
    }
    answer = world.clients[DEVICE_A].post(
        "/api/checkpoint/events", json={"events": [check, override]}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == []
    refused = {r["id"]: r["code"] for r in answer.json()["refused"]}
    assert refused == {check["id"]: "DEVICE_MISMATCH", override["id"]: "DEVICE_MISMATCH"}


def test_each_street_s_list_holds_its_own_registration_masked(world: World) -> None:
    # The matrix's absence of personal data in the registration routes means something only
    # if the lists do hold someone: each street's reader sees its own place's registration.
    for device, index in ((DEVICE_A, 5), (DEVICE_B, 6)):
        place = world.scopes[device].place
        assert place is not None
        street = place.admin_code[:9]
        staff = "street2" if street == STREET_2 else "admin"
        answer = world.clients[staff].get(f"/api/streets/{street}/registrations")
        assert answer.status_code == 200, answer.text
        names = [r["name"] for r in answer.json()["registrations"]]
        assert mask_name(world.demo.persons[index].form.name) in names
