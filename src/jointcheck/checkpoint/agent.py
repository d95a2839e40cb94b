"""The entrance agent on a venue's terminal: decides with no network, keeps an outbox, syncs.

Every decision is written to the outbox (durably) before it is returned, so a check whose
result the staff saw is never lost, whatever happens to the process next (issue 4: the
SIGKILL test). The bundle, the station and the pinned root key are kept in the outbox's
``meta`` table, so the agent restarts offline with what it had.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from jointcheck.checkpoint.bundle import accept_bundle
from jointcheck.checkpoint.model import (
    TONES,
    CheckRecord,
    Outcome,
    OverrideReason,
    Registration,
    ScreenResult,
    Station,
    Tone,
)
from jointcheck.checkpoint.outbox import Outbox, district_day
from jointcheck.checkpoint.ports import MemoryLedger
from jointcheck.checkpoint.registration import override, override_screen, register
from jointcheck.checkpoint.runtime import Runtime, checkpoint_for, open_runtime
from jointcheck.checkpoint.scan import Checkpoint
from jointcheck.checkpoint.sealing import DeviceSealer
from jointcheck.checkpoint.sync import SyncReport, Transport, Unreachable, sync_once
from jointcheck.errors import InputError, TrustListError

META_BUNDLE = "bundle"
META_STATION = "station"
META_ROOT = "root_public_key"


class AgentTransport(Transport, Protocol):
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
    ) -> None:
        self.outbox = outbox
        self.transport = transport
        self.sealer = sealer
        self.clock = clock
        self.clock_skew = clock_skew
        self.ledger = MemoryLedger()
        self._lock = threading.RLock()
        self._runtime: Runtime | None = None
        self._online = False
        self._last_error = ""

    # Set-up ----------------------------------------------------------------------------------
    def start(self) -> None:
        """Load what the outbox kept; enroll the station and pin the root key when new."""
        if self.outbox.get_meta(META_STATION) is None:
            self._first_contact()
        document = self.outbox.get_meta(META_BUNDLE)
        if document is not None:
            self._use_bundle(document.encode(), None)

    def _first_contact(self) -> None:
        info = self.transport.device()
        # Trust on first use, authenticated by the enrollment token: from here on only
        # bundles signed by this key are accepted (issue 4: root key pinned at enrollment).
        self.outbox.set_meta(META_ROOT, str(info["root_public_key"]))
        self.outbox.set_meta(META_STATION, json.dumps(info["station"]))

    def _root(self) -> ec.EllipticCurvePublicKey:
        pem = self.outbox.get_meta(META_ROOT)
        if pem is None:
            raise TrustListError("no pinned root key", code="ROOT_KEY_MISSING")
        key = serialization.load_pem_public_key(pem.encode())
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise TrustListError("the pinned root key is not ECDSA", code="ROOT_KEY_MISSING")
        return key

    @property
    def station(self) -> Station:
        raw = self.outbox.get_meta(META_STATION)
        if raw is None:
            raise InputError("the agent has not met its server yet", code="AGENT_NOT_ENROLLED")
        return _station(json.loads(raw))

    def _use_bundle(self, document: bytes, current: int | None) -> None:
        bundle = accept_bundle(document, self._root(), current)
        if current is not None and bundle.version == current:
            return
        runtime = open_runtime(bundle, self._root(), self.clock_skew)
        with self._lock:
            self._runtime = runtime
        self.outbox.set_meta(META_BUNDLE, document.decode())

    def _checkpoint(self) -> Checkpoint:
        with self._lock:
            runtime = self._runtime
        if runtime is None:
            raise InputError("no bundle yet: connect once to the server", code="BUNDLE_MISSING")
        return checkpoint_for(runtime, self.station, self.ledger)

    # Decisions -------------------------------------------------------------------------------
    def scan(self, people: list[list[str]]) -> list[ScreenResult]:
        """Decide for one person or a family; the records are durable before the answer."""
        checkpoint = self._checkpoint()
        now = self.clock()
        with self._lock:
            results = (
                [checkpoint.scan(people[0], now)]
                if len(people) == 1
                else checkpoint.scan_family(people, now)
            )
            self.outbox.append(record for record, _ in results)
        return [screen for _, screen in results]

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
        denied_screen = ScreenResult(
            check_id=denied.id,
            outcome=denied.outcome,
            tone=TONES[denied.outcome],
            masked_name="",
            reasons=denied.reasons,
            message_zh="",
            message_en="",
            stale=denied.stale,
        )
        return override_screen(denied_screen)

    def id_document(self, document_type: str, number: str) -> ScreenResult:
        """R14: needs the server; the record it returns goes through the outbox like any."""
        try:
            answer = self.transport.id_document(document_type, number)
        except Unreachable as exc:
            raise InputError(
                "the ID-document check needs a connection to the server", code="SERVER_UNREACHABLE"
            ) from exc
        record = CheckRecord.from_dict(answer["record"])
        with self._lock:
            self.outbox.append([record])
        return screen_from_dict(answer["result"])

    def counts(self) -> dict[str, int]:
        return self.outbox.counts(district_day(self.clock()))

    # Sync ------------------------------------------------------------------------------------
    def sync(self) -> SyncReport | None:
        """One round with the server; None when it cannot be reached."""
        try:
            if self.outbox.get_meta(META_STATION) is None:
                self._first_contact()
            report = sync_once(self.outbox, self.transport, self.sealer, self.clock)
            if report.bundle is not None:
                with self._lock:
                    current = self._runtime.bundle.version if self._runtime else None
                self._use_bundle(report.bundle, current)
        except Unreachable as exc:
            self._online, self._last_error = False, str(exc) or "unreachable"
            return None
        except TrustListError as exc:
            # A forged or older bundle is refused; the agent keeps deciding on its own.
            self._online, self._last_error = True, exc.code
            return None
        self._online, self._last_error = True, ""
        return report

    def status(self) -> AgentStatus:
        with self._lock:
            runtime = self._runtime
        return AgentStatus(
            online=self._online,
            bundle_version=runtime.bundle.version if runtime else None,
            stale=runtime.bundle.is_stale(self.clock()) if runtime else False,
            backlog=self.outbox.backlog(),
            skew_ms=self.outbox.last_skew_ms(),
            last_error=self._last_error,
        )


def screen_from_dict(data: dict[str, Any]) -> ScreenResult:
    return ScreenResult(
        check_id=str(data["check_id"]),
        outcome=Outcome(data["outcome"]),
        tone=Tone(data["tone"]),
        masked_name=str(data.get("masked_name") or ""),
        reasons=tuple(data.get("reasons") or ()),
        message_zh=str(data.get("message_zh") or ""),
        message_en=str(data.get("message_en") or ""),
        stale=bool(data.get("stale")),
        warnings=tuple(data.get("warnings") or ()),
    )
