"""The server side of the checkpoint: the signed bundle, the decision state, server-side
scans and the ID-document path (R14), over the registry's store; the devices
(``checkpoint_terminals``) and ingest with the day's counts (``checkpoint_ingest``) it inherits.

Kept out of the routes so that the routes only translate HTTP, and the benchmarks and tests
can drive the same code.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from jointcheck.api.checkpoint_ingest import Ingest
from jointcheck.api.checkpoint_lookup import lookup_id_document, masked_name_by_subject
from jointcheck.api.checkpoint_scan import ServerScans, ledger_for
from jointcheck.api.checkpoint_terminals import Terminals, devices_of
from jointcheck.api.root_rotation import ENDORSEMENTS_FILE, checked_chain, read_endorsements
from jointcheck.api.ttl_cache import TtlCache
from jointcheck.bootstrap import DistrictKeyFiles, Registry
from jointcheck.checkpoint.bundle import (
    Bundle,
    accept_bundle,
    bundle_signer,
    root_fingerprint,
    root_kid,
    sign_bundle,
)
from jointcheck.checkpoint.model import (
    CheckRecord,
    OverrideReason,
    Registration,
    RegistrationIn,
    ScreenResult,
    Station,
)
from jointcheck.checkpoint.registration import (
    ShownNames,
    overridden_screen,
    override,
    register,
)
from jointcheck.checkpoint.runtime import Runtime, checkpoint_for, open_runtime
from jointcheck.checkpoint.scan import Checkpoint
from jointcheck.checkpoint.sealing import DeviceSealer
from jointcheck.config import Settings
from jointcheck.credentials.keyfiles import read_signing_key
from jointcheck.credentials.model import CodeColour
from jointcheck.errors import ConfigError, InputError, StoreError
from jointcheck.policy import DEFAULT_PACK, load_shipped, shipped_pack_text
from jointcheck.security.roles import Principal, Role
from jointcheck.store.checkpoint_models import BundleRow, district_day
from jointcheck.store.checkpoint_repository import Device, SqlCheckpoint, StoredBundle

RUNTIME_RECHECK_SECONDS = 5.0
STATION_CACHE_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class BundleSource:
    """Where the server finds what it signs into a bundle."""

    trust_list: Path
    revocations: Path
    root_public: Path
    root_private: Path
    pack_id: str

    @property
    def endorsements(self) -> Path:
        """The chain of root key endorsements, beside the root public key (``root_rotation``)."""
        return self.root_public.with_name(ENDORSEMENTS_FILE)

    @classmethod
    def of(cls, settings: Settings, pack_id: str = DEFAULT_PACK) -> BundleSource:
        """The district's key files under the deployment's var directory, and pack PACK_ID."""
        files = DistrictKeyFiles.of(settings)
        return cls(
            files.trust_list, files.revocations, files.root_public, files.root_private, pack_id
        )


def device_principal(device: Device) -> Principal:
    return Principal(
        account_id=0,
        username=f"device:{device.id}"[:64],
        role=Role.CHECKPOINT_DEVICE,
        scope_code=device.admin_code,
        place_id=device.place_id,
    )


@dataclass(slots=True)
class CheckpointServer(Terminals, Ingest):
    registry: Registry
    source: BundleSource
    clock: Callable[[], datetime]
    clock_skew: timedelta = timedelta(seconds=30)
    _runtime: Runtime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _publishing: threading.Lock = field(default_factory=threading.Lock)
    _sqlite_writes: threading.Lock = field(default_factory=threading.Lock)
    _runtime_checked: float = 0.0
    _stations: TtlCache[str, Station] = field(
        default_factory=lambda: TtlCache(STATION_CACHE_SECONDS)
    )
    _scans: ServerScans = field(init=False)
    _purged_day: date | None = None
    _devices: TtlCache[bytes, Device] = field(init=False)
    # The kid that signed the newest bundle, by version (read once per version).
    _signer: tuple[int, str] | None = None
    # What this process last wrote of each device's last seen time and skew (Ingest._touch).
    _seen: dict[str, tuple[datetime, int | None]] = field(default_factory=dict)
    # The masked name each refusal decided here showed, for the answer to its override.
    _names: ShownNames = field(default_factory=ShownNames)

    @classmethod
    def of(
        cls,
        settings: Settings,
        registry: Registry,
        clock: Callable[[], datetime],
        pack_id: str = DEFAULT_PACK,
    ) -> CheckpointServer:
        """The server of a deployment: its district keys, its pack, its clock-skew allowance."""
        return cls(
            registry=registry,
            source=BundleSource.of(settings, pack_id),
            clock=clock,
            clock_skew=timedelta(seconds=settings.clock_skew_seconds),
        )

    def __post_init__(self) -> None:
        self._devices = devices_of(self.registry)
        self._scans = ServerScans(
            self.registry, self.clock, self._sqlite_writes, self._purge_once_a_day
        )

    # Bundles ---------------------------------------------------------------------------------
    def root_public(self) -> ec.EllipticCurvePublicKey:
        from jointcheck.credentials.keyfiles import read_public_key

        key = read_public_key(self.source.root_public)
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise ConfigError("the district root key must be ECDSA P-256")
        return key

    def root_fingerprint(self) -> str:
        """The root key's SHA-256 fingerprint, grouped: shown at enrollment, pinned by the agent."""
        return root_fingerprint(self.root_public())

    def endorsements(self) -> list[dict[str, Any]]:
        """The chain of endorsements from the district's first root key to the one in use
        (empty until the key is rotated): served with the bundle and at ``/device``."""
        return read_endorsements(self.source.endorsements)

    def publish(self, max_age: timedelta | None = None) -> int:
        """Sign the current trust list, revocations and pack into a new bundle version."""
        key = read_signing_key(self.source.root_private)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ConfigError("the district root key must be ECDSA P-256")
        if root_kid(key.public_key()) != root_kid(self.root_public()):
            # The key offered to terminals must be the one that signs: else every request
            # would find the newest bundle "not signed by the key in use" and publish again.
            raise ConfigError(
                f"{self.source.root_public} is not the public key of {self.source.root_private}",
                code="ROOT_KEY_MISMATCH",
            )
        chain = checked_chain(self.source.endorsements, key.public_key())
        pack = load_shipped(self.source.pack_id)
        revocations = (
            base64.b64encode(self.source.revocations.read_bytes()).decode("ascii")
            if self.source.revocations.is_file()
            else ""
        )
        with self.registry.uow() as uow:
            repo = SqlCheckpoint(uow.session)
            bundle = Bundle(
                version=repo.next_bundle_version(),
                issued_at=self.clock(),
                max_age=max_age or timedelta(hours=pack.parameters.bundle_max_age_hours),
                trust_list=self.source.trust_list.read_text(encoding="utf-8"),
                revocations=revocations,
                pack=shipped_pack_text(self.source.pack_id),
                pack_id=pack.id,
                pack_version=pack.version,
                root_kid=root_kid(key.public_key()),
            )
            repo.add_bundle(
                BundleRow(
                    version=bundle.version,
                    issued_at=bundle.issued_at,
                    pack_id=bundle.pack_id,
                    pack_version=bundle.pack_version,
                    retention_days=pack.parameters.retention_days,
                    document=sign_bundle(bundle, key, chain),
                )
            )
            uow.commit()
        with self._lock:
            self._runtime = None
        return bundle.version

    def _latest(self) -> StoredBundle | None:
        with self.registry.uow() as uow:
            return SqlCheckpoint(uow.session).latest_bundle()

    def _signed_by_root(self, row: StoredBundle) -> bool:
        """Whether ROW is signed by the root key in use (not by one rotated away from)."""
        known = self._signer
        if known is None or known[0] != row.version:
            known = (row.version, bundle_signer(row.document)[0])
            self._signer = known
        return known[1] == root_kid(self.root_public())

    def bundle_document(self) -> StoredBundle:
        """The newest bundle; the first one, or one signed by the key in use after the
        district rotated its root key (``jointcheck keys rotate-root``), is published here."""
        row = self._latest()
        if row is not None and self._signed_by_root(row):
            return row
        if not self.source.root_private.is_file():
            if row is not None:
                return row
            raise ConfigError("no bundle published", code="BUNDLE_MISSING")
        with self._publishing:
            # Concurrent requests: one publishes, the others read what it published.
            row = self._latest()
            if row is None or not self._signed_by_root(row):
                try:
                    self.publish()
                except (IntegrityError, StoreError):
                    # Another server process published meanwhile (the version is the key):
                    # read what it published.
                    if self._latest() in (None, row):
                        raise
            published = self._latest()
        if published is None:
            raise ConfigError("no bundle published", code="BUNDLE_MISSING")
        return published

    def fresh_runtime(self) -> Runtime | None:
        """The decision state if it was checked against the store recently, else None."""
        cached, checked = self._runtime, self._runtime_checked
        if cached is not None and time.monotonic() - checked < RUNTIME_RECHECK_SECONDS:
            return cached
        return None

    def runtime(self) -> Runtime:
        """The server's own decision state, from the newest bundle (re-read every few s)."""
        now = time.monotonic()
        with self._lock:
            cached, checked = self._runtime, self._runtime_checked
        if cached is not None and now - checked < RUNTIME_RECHECK_SECONDS:
            return cached
        row = self.bundle_document()
        if cached is None or cached.bundle.version != row.version:
            bundle = accept_bundle(row.document, self.root_public(), None)
            cached = open_runtime(bundle, self.root_public(), self.clock_skew)
        with self._lock:
            self._runtime, self._runtime_checked = cached, now
        return cached

    def cached_station(self, device: Device) -> Station | None:
        return self._stations.get(device.id)

    def station(self, device: Device) -> Station:
        """The device's place, category and entrance (cached briefly: on every scan's path)."""
        cached = self._stations.get(device.id)
        if cached is not None:
            return cached
        mark = self._stations.mark()
        station = self._station(device)
        self._stations.put(device.id, station, mark)
        return station

    def _station(self, device: Device) -> Station:
        place = self.registry.places.get(device_principal(device), device.place_id)
        if place is None:
            raise InputError("the device's place is gone", code="PLACE_UNKNOWN")
        entrance = next((e.name for e in place.entrances if e.id == device.entrance_id), "")
        return Station(
            device_id=device.id,
            place_id=str(device.place_id),
            entrance_id=entrance or "main",
            street_code=device.street_code,
            category=place.category,
        )

    # Retention (ingest and the server's scans) ------------------------------------------------
    def _purge_once_a_day(self, now: datetime) -> None:
        # R6 retention without a scheduler: the first ingest of each district day purges.
        today = district_day(now)
        with self._lock:
            due, self._purged_day = self._purged_day != today, today
        if due:
            self.purge()

    # Server-side decisions -------------------------------------------------------------------
    def _colours(self, device: Device) -> Callable[[str], CodeColour | None]:
        """Online, a paper health code's colour is the authority's current one (issue 4)."""
        principal = device_principal(device)
        return lambda subject_hash: self.registry.persons.colour_by_subject(principal, subject_hash)

    def scan(
        self, device: Device, people: Sequence[Sequence[str]]
    ) -> list[tuple[CheckRecord, ScreenResult]]:
        """Decide at the server for a device served by it, and store the checks at once."""
        decided = self._scans.scan(
            self.runtime(), self.station(device), people, self._colours(device)
        )
        self._names.remember(screen for _, screen in decided)
        return decided

    async def scan_async(
        self, device: Device, people: Sequence[Sequence[str]]
    ) -> list[tuple[CheckRecord, ScreenResult]]:
        """``scan`` for the event loop (``checkpoint_scan``): the decision in it, the store
        reads that are not cached and the commit of concurrent scans in threads."""
        runtime = self.fresh_runtime()
        if runtime is None:
            runtime = await run_in_threadpool(self.runtime)
        station = self.cached_station(device)
        if station is None:
            station = await run_in_threadpool(self.station, device)
        decided = await self._scans.scan_async(runtime, station, people, self._colours(device))
        self._names.remember(screen for _, screen in decided)
        return decided

    def close(self) -> None:
        """Commit the scans still queued and stop their writer."""
        self._scans.close()

    def _checkpoint(self, device: Device) -> Checkpoint:
        station = self.station(device)
        return checkpoint_for(self.runtime(), station, ledger_for(self.registry, station))

    def id_document(
        self, device: Device, document_type: str, number: str, *, store: bool
    ) -> tuple[CheckRecord, ScreenResult]:
        """R14: look the person up by document and decide as for codes."""
        now = self.clock()
        lookup = lookup_id_document(
            self.registry, device_principal(device), document_type, number, now
        )
        checkpoint = self._checkpoint(device)
        record, screen = checkpoint.check_id_document(lookup, now)
        if store:
            self.ingest(device, [record], [], [], {}, touch=False)
        self._names.remember([screen])
        return record, screen

    def _stored_check(self, device: Device, check_id: str) -> CheckRecord:
        with self.registry.uow() as uow:
            record = SqlCheckpoint(uow.session).get_check(device.street_code, check_id)
        # Like a batch's registrations and overrides: only a check of this device's own.
        if record is None or (record.place_id, record.device_id) != (
            str(device.place_id),
            device.id,
        ):
            raise InputError("no such check on this device", code="CHECK_UNKNOWN")
        return record

    def register(
        self, device: Device, check_id: str, person: Registration, document_type: str
    ) -> ScreenResult:
        """R3 at the server: the registered check and the sealed registration, stored."""
        persuaded = self._stored_check(device, check_id)
        checkpoint = self._checkpoint(device)
        # The core seals for a device's outbox; here the registration goes straight to the
        # store, which seals each field under the district PII key, so a key of this call
        # only is enough.
        sealer = DeviceSealer(DeviceSealer.new_key())
        now = self.clock()
        record, sealed, screen = register(checkpoint, persuaded, person, sealer, now)
        item = RegistrationIn(sealed.id, record.id, now, sealer.open(sealed.sealed), document_type)
        self.ingest(device, [record], [item], [], {})
        return screen

    def override(
        self, device: Device, check_id: str, reason: OverrideReason, staff: str
    ) -> ScreenResult:
        denied = self._stored_check(device, check_id)
        checkpoint = self._checkpoint(device)
        record = override(checkpoint, denied, reason, staff, self.clock())
        self.ingest(device, [], [], [record], {})
        return overridden_screen(denied, self._overridden_name(device, denied))

    def _overridden_name(self, device: Device, denied: CheckRecord) -> str:
        """The masked name the refusal showed: remembered by this process, or else, for a
        health code of the district, read again by its subject hash (another process decided
        it). An ID document's refusal showed the masked number: not read again."""
        shown = self._names.name_of(denied.id)
        if shown or not denied.subject_hash or denied.via != "code":
            return shown
        return masked_name_by_subject(self.registry, device_principal(device), denied.subject_hash)
