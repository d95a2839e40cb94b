"""The entrance agent on a venue's terminal: decides with no network, keeps an outbox, syncs.

Every decision is written to the outbox (durably) before it is returned, so a check whose
result the staff saw is never lost, whatever happens to the process next (issue 4: the
SIGKILL test). The bundle, the station and the pinned root key are kept in the outbox's
``meta`` table, so the agent restarts offline with what it had.

The district root key is pinned at enrollment, not trusted on first use: the operator gives
the agent the key's fingerprint shown at enrollment (``root_pin``), and the first contact
keeps the server's root key only when it has that fingerprint. From then on a bundle not
signed by the pinned key is refused and recorded, nothing is uploaded to the server that
offered it, and the agent goes on deciding with its last good bundle. The one exception is a
district that rotated its root key: a bundle signed by the new key is taken when the
endorsements it carries lead, verified link by link, from the pinned key to it
(``rotation``); the agent then pins the new key and records the rotation in the same
transaction.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric import ec

from jointcheck.checkpoint.bundle import (
    accept_bundle,
    parse_fingerprint,
    pem_public_key,
    root_fingerprint,
)
from jointcheck.checkpoint.model import (
    CheckRecord,
    OverrideReason,
    Registration,
    ScreenResult,
    Station,
)
from jointcheck.checkpoint.outbox import Outbox, Rotation, district_day
from jointcheck.checkpoint.paper_online import (
    ColourSource,
    CurrentColours,
    current_colours,
    paper_subjects_shown,
)
from jointcheck.checkpoint.ports import MemoryLedger
from jointcheck.checkpoint.reasons import TrustReason
from jointcheck.checkpoint.registration import ShownNames, overridden_screen, override, register
from jointcheck.checkpoint.rotation import (
    Endorsement,
    endorsed_key,
    follow_bundle,
    reached_from,
    reaches_pin,
)
from jointcheck.checkpoint.runtime import Runtime, checkpoint_for, open_runtime
from jointcheck.checkpoint.scan import Checkpoint
from jointcheck.checkpoint.sealing import DeviceSealer
from jointcheck.checkpoint.sync import Revoked, SyncReport, Transport, Unreachable, sync_once
from jointcheck.credentials.keyfiles import public_pem
from jointcheck.errors import InputError, TrustListError

META_BUNDLE = "bundle"
META_STATION = "station"
META_ROOT = "root_public_key"
# Refusals after which the server is sent nothing (no upload, no ID-document look-up).
UNTRUSTED = (TrustReason.BUNDLE_UNTRUSTED, TrustReason.BUNDLE_FORGED)
# Refusals of the server's bundle that each check decided meanwhile records (``bundle_refused``).
BUNDLE_REFUSALS = (*UNTRUSTED, TrustReason.BUNDLE_OUTDATED)
REVOKED = "DEVICE_REVOKED"  # the server refused this terminal's token (sync.Revoked)


class AgentTransport(Transport, ColourSource, Protocol):
    def device(self) -> dict[str, Any]:
        """The device's station and the district root key (``GET /api/checkpoint/device``)."""
        ...

    def id_document(self, document_type: str, number: str) -> dict[str, Any]:
        """The server's decision for an ID document, not stored there (the agent uploads)."""
        ...


@dataclass(frozen=True, slots=True)
class AgentStatus:
    online: bool
    bundle_version: int | None
    stale: bool
    backlog: int
    skew_ms: int | None
    last_error: str
    # The code of the refusal going on (a bundle not signed by the pinned key...), or "".
    bundle_refused: str = ""
    refused_since: datetime | None = None
    # Events the server refused (kept on the terminal, never sent again), by code.
    refused_events: dict[str, int] = field(default_factory=dict)
    # When the server first refused this terminal's token (revoked at the district office).
    revoked_since: datetime | None = None


def _station(data: dict[str, Any]) -> Station:
    return Station(
        device_id=str(data["device_id"]),
        place_id=str(data["place_id"]),
        entrance_id=str(data["entrance_id"]),
        street_code=str(data["street_code"]),
        category=str(data["category"]),
    )


class Agent:
    def __init__(
        self,
        outbox: Outbox,
        transport: AgentTransport,
        sealer: DeviceSealer,
        clock: Callable[[], datetime],
        clock_skew: timedelta = timedelta(seconds=30),
        root_pin: str | None = None,
    ) -> None:
        self.outbox = outbox
        # The root key's fingerprint from enrollment (``bundle.root_fingerprint``).
        self.root_pin = parse_fingerprint(root_pin) if root_pin else None
        self.transport = transport
        self.sealer = sealer
        self.clock = clock
        self.clock_skew = clock_skew
        self.ledger = MemoryLedger()
        self._lock = threading.RLock()
        self._runtime: Runtime | None = None
        self._online = False
        self._last_error = ""
        self._revoked_since: datetime | None = None
        self._names = ShownNames()  # the masked name of each refusal, for its override

    # Set-up ----------------------------------------------------------------------------------
    def start(self) -> None:
        """Check the pin, load what the outbox kept; enroll the station when new.

        Raises ``TrustListError`` (and pins nothing) with ROOT_PIN_REQUIRED when there is
        neither a pin nor a key pinned earlier, and ROOT_PIN_MISMATCH when the pin is not the
        key pinned earlier (nor one this terminal rotated from, nor one the server's
        endorsements lead to from it) or the server offers another root key at the first
        contact with no endorsement leading to it (ROOT_CHAIN_* when the endorsements do not
        verify).
        """
        pinned = self.outbox.get_meta(META_ROOT)
        if pinned is None and self.root_pin is None:
            raise TrustListError(
                "no district root key pinned: give --root-key (the fingerprint from enrollment)",
                code=TrustReason.ROOT_PIN_REQUIRED,
            )
        if pinned is not None and self.root_pin is not None:
            held = root_fingerprint(pem_public_key(pinned))
            followed = [(r.previous, r.next) for r in self.outbox.rotations()]
            if held != reached_from(self.root_pin, followed):
                self._follow_to_pin(pinned, self.root_pin)
        if self.outbox.get_meta(META_STATION) is None:
            self._first_contact()
        document = self.outbox.get_meta(META_BUNDLE)
        if document is not None:
            self._use_bundle(document.encode(), None)

    def _follow_to_pin(self, pinned: str, pin: str) -> None:
        """The operator gives the key the district rotated to (a re-enrollment's, the office's)
        before this terminal followed: re-pinned as a sync would, when the endorsements the
        server's bundle carries lead from the PINNED key to PIN and verify."""
        held = pem_public_key(pinned)
        try:
            document = self.transport.fetch_bundle()
        except Unreachable as exc:
            raise TrustListError(
                f"this terminal pins root key {root_fingerprint(held)}, not {pin}, and the "
                f"server cannot be reached to show a rotation to it ({exc})",
                code=TrustReason.ROOT_PIN_MISMATCH,
            ) from exc
        reaches_pin(document, held, pin)
        self._follow_rotation(document, held, None)

    def _expected_fingerprint(self) -> str:
        pinned = self.outbox.get_meta(META_ROOT)
        if pinned is not None:
            return root_fingerprint(pem_public_key(pinned))
        if self.root_pin is None:
            raise TrustListError("no district root key pinned", code=TrustReason.ROOT_PIN_REQUIRED)
        return self.root_pin

    def _first_contact(self) -> None:
        """Learn the station; keep the server's root key only if it is the pinned one, or one
        the district rotated to from it (a verified chain of endorsements)."""
        expected = self._expected_fingerprint()
        info = self.transport.device()
        offered = str(info.get("root_public_key") or "")
        try:
            key: ec.EllipticCurvePublicKey | None = pem_public_key(offered)
        except TrustListError:
            key = None
        links: tuple[Endorsement, ...] = ()
        if key is None or root_fingerprint(key) != expected:
            links = self._endorsed(expected, key, info.get("root_endorsements"))
        # The station and the pinned key (and the rotations that led to it) are kept together:
        # never one without the other.
        metas = {META_ROOT: offered, META_STATION: json.dumps(info["station"])}
        self.outbox.record_rotation(self.clock(), [x.row() for x in links], metas)
        self.outbox.end_refusal(self.clock())

    def _endorsed(
        self, expected: str, key: ec.EllipticCurvePublicKey | None, chain: object
    ) -> tuple[Endorsement, ...]:
        try:
            return endorsed_key(expected, key, chain)
        except TrustListError as exc:
            self.outbox.record_refusal(self.clock(), exc.code, str(exc))
            raise

    def _root(self) -> ec.EllipticCurvePublicKey:
        pem = self.outbox.get_meta(META_ROOT)
        if pem is None:
            raise TrustListError("no pinned root key", code="ROOT_KEY_MISSING")
        return pem_public_key(pem)

    @property
    def station(self) -> Station:
        raw = self.outbox.get_meta(META_STATION)
        if raw is None:
            raise InputError("the agent has not met its server yet", code="AGENT_NOT_ENROLLED")
        return _station(json.loads(raw))

    def _use_bundle(self, document: bytes, current: int | None) -> None:
        root = self._root()
        try:
            bundle = accept_bundle(document, root, current)
        except TrustListError as exc:
            if exc.code != TrustReason.BUNDLE_UNTRUSTED:
                raise
            self._follow_rotation(document, root, current)
            return
        if current is not None and bundle.version == current:
            return
        runtime = open_runtime(bundle, root, self.clock_skew)
        with self._lock:
            self._runtime = runtime
        self.outbox.set_meta(META_BUNDLE, document.decode())

    def _follow_rotation(
        self, document: bytes, root: ec.EllipticCurvePublicKey, current: int | None
    ) -> None:
        """A bundle signed by the key the district rotated to: taken, and the new key pinned,
        only when the endorsements lead from the pinned key to it (else BUNDLE_UNTRUSTED)."""
        links = follow_bundle(document, root)
        successor = links[-1].next_key
        bundle = accept_bundle(document, successor, current)
        runtime = open_runtime(bundle, successor, self.clock_skew)
        metas = {META_ROOT: public_pem(successor).decode("ascii"), META_BUNDLE: document.decode()}
        self.outbox.record_rotation(self.clock(), [x.row() for x in links], metas)
        with self._lock:
            self._runtime = runtime

    def rotation_notice(self) -> Rotation | None:
        """The latest root key rotation the entrance page has not shown yet; shown once."""
        pending = self.outbox.take_rotations()
        if not pending:
            return None
        return Rotation(pending[-1].seq, pending[-1].at, pending[0].previous, pending[-1].next,
                        pending[-1].since)  # fmt: skip

    def _checkpoint(self) -> Checkpoint:
        with self._lock:
            runtime = self._runtime
        if runtime is None:
            raise InputError("no bundle yet: connect once to the server", code="BUNDLE_MISSING")
        checkpoint = checkpoint_for(runtime, self.station, self.ledger)
        refusal = self.outbox.open_refusal()
        if refusal is not None and refusal.code in BUNDLE_REFUSALS:
            checkpoint.bundle_refused = refusal.code
        return checkpoint

    # Decisions -------------------------------------------------------------------------------
    def scan(self, people: list[list[str]]) -> list[ScreenResult]:
        """Decide for one person or a family; the records are durable before the answer."""
        checkpoint = self._checkpoint()
        now = self.clock()
        # Asked before the lock: a slow link holds up this scan only, never the next one.
        checkpoint.current_colour = self._paper_colours(checkpoint, people, now)
        with self._lock:
            results = (
                [checkpoint.scan(people[0], now)]
                if len(people) == 1
                else checkpoint.scan_family(people, now)
            )
            self.outbox.append(record for record, _ in results)
        screens = [screen for _, screen in results]
        self._names.remember(screens)
        return screens

    def _trusted_online(self) -> bool:
        """The last sync round reached the server and took (or already had) its bundle."""
        if not self._online or self._last_error:
            return False
        refusal = self.outbox.open_refusal()
        return refusal is None or refusal.code not in UNTRUSTED

    def _paper_colours(
        self, checkpoint: Checkpoint, people: list[list[str]], now: datetime
    ) -> CurrentColours | None:
        """Online and trusted, the current colours of the paper codes shown (paper_online.py);
        None (the printed colours) otherwise. A server that does not answer in time counts as
        unreachable until the next sync round, so the scans after it do not wait again."""
        if not self._trusted_online():
            return None
        try:
            subjects = paper_subjects_shown(checkpoint, people, now)
        except InputError:
            return None  # the scan itself refuses these codes, with the same code
        found = current_colours(self.transport, subjects)
        if found.failure:
            self._online, self._last_error = False, found.failure
        return found

    def _stored(self, check_id: str) -> CheckRecord:
        data = self.outbox.get(check_id)
        if data is None or data.get("kind") != "check":
            raise InputError("no such check on this device", code="CHECK_UNKNOWN")
        return CheckRecord.from_dict(data)

    def register(self, check_id: str, person: Registration) -> ScreenResult:
        checkpoint = self._checkpoint()
        with self._lock:
            record, sealed, screen = register(
                checkpoint, self._stored(check_id), person, self.sealer, self.clock()
            )
            self.outbox.append([record, sealed])
        return screen

    def override(self, check_id: str, reason: str, staff: str) -> ScreenResult:
        checkpoint = self._checkpoint()
        with self._lock:
            denied = self._stored(check_id)
            record = override(checkpoint, denied, OverrideReason(reason), staff, self.clock())
            self.outbox.append([record])
        return overridden_screen(denied, self._names.name_of(denied.id))

    def id_document(self, document_type: str, number: str) -> ScreenResult:
        """R14: needs the server; the record it returns goes through the outbox like any.

        Not while the server's bundle is refused as not the pinned key's: the document number
        is personal data, and that server may not be the district's.
        """
        refusal = self.outbox.open_refusal()
        if refusal is not None and refusal.code in UNTRUSTED:
            raise InputError(
                "the server's bundle is not signed by the pinned root key: no look-up there",
                code=TrustReason.BUNDLE_UNTRUSTED,
            )
        try:
            answer = self.transport.id_document(document_type, number)
        except Revoked as exc:
            raise InputError("the server refused this terminal's token", code=REVOKED) from exc
        except Unreachable as exc:
            raise InputError(
                "the ID-document check needs a connection to the server", code="SERVER_UNREACHABLE"
            ) from exc
        record = CheckRecord.from_dict(answer["record"])
        with self._lock:
            self.outbox.append([record])
        screen = ScreenResult.from_dict(answer["result"])
        self._names.remember([screen])
        return screen

    def counts(self) -> dict[str, int]:
        return self.outbox.counts(district_day(self.clock()))

    def overrides(self) -> int:
        return self.outbox.overrides(district_day(self.clock()))

    # Sync ------------------------------------------------------------------------------------
    def _take_bundle(self, document: bytes) -> None:
        """A fetched bundle, before anything is uploaded: a refusal is recorded, and one that
        is not the pinned key's (BUNDLE_UNTRUSTED, BUNDLE_FORGED) ends the round."""
        with self._lock:
            current = self._runtime.bundle.version if self._runtime else None
        try:
            self._use_bundle(document, current)
        except TrustListError as exc:
            self.outbox.record_refusal(self.clock(), exc.code, str(exc))
            if exc.code != TrustReason.BUNDLE_OUTDATED:
                raise
            # Signed by the pinned key, only older (a server restored from a backup): the
            # device keeps its newer bundle and still uploads.
            return
        self.outbox.end_refusal(self.clock())

    def sync(self) -> SyncReport | None:
        """One round with the server; None when it cannot be reached or is refused."""
        try:
            if self.outbox.get_meta(META_STATION) is None:
                self._first_contact()
            report = sync_once(
                self.outbox, self.transport, self.sealer, self.clock, self._take_bundle
            )
        except Revoked:
            # Not a network that is down: the district revoked this terminal. The outbox is
            # kept; the page says to call the district office or enroll the terminal again.
            self._online, self._last_error = False, REVOKED
            self._revoked_since = self._revoked_since or self.clock()
            return None
        except Unreachable as exc:
            self._online, self._last_error = False, str(exc) or "unreachable"
            return None
        except TrustListError as exc:
            # A bundle not signed by the pinned key: the agent keeps deciding on its own.
            self._online, self._last_error = True, exc.code
            return None
        self._online, self._last_error, self._revoked_since = True, "", None
        return report

    def status(self) -> AgentStatus:
        with self._lock:
            runtime = self._runtime
        refusal = self.outbox.open_refusal()
        return AgentStatus(
            online=self._online,
            bundle_version=runtime.bundle.version if runtime else None,
            stale=runtime.bundle.is_stale(self.clock()) if runtime else False,
            backlog=self.outbox.backlog(),
            skew_ms=self.outbox.last_skew_ms(),
            last_error=self._last_error,
            bundle_refused=refusal.code if refusal else "",
            refused_since=refusal.first_at if refusal else None,
            refused_events=self.outbox.refused_by_code(),
            revoked_since=self._revoked_since,
        )
