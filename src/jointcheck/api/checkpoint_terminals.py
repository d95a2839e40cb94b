"""The checkpoint server's entrance terminals (issue 4): enrollment with its audit entry, the
device behind a token (cached briefly), revocation, and what the devices page lists.

``CheckpointServer`` inherits these; they use its registry, clock, root key and device cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from jointcheck.api.ttl_cache import TtlCache
from jointcheck.bootstrap import Registry
from jointcheck.checkpoint.bundle import root_kid
from jointcheck.errors import InputError
from jointcheck.security.ports import AuditAction
from jointcheck.security.roles import PLACE_ROLES, TREE_ROLES, Principal
from jointcheck.store.checkpoint_devices import (
    DeviceStatus,
    PlaceDevices,
    device_statuses,
    places_with_devices,
)
from jointcheck.store.checkpoint_models import district_day
from jointcheck.store.checkpoint_repository import Device, SqlCheckpoint, token_hash

STREET_CODE_LENGTH = 9
STATUS_DAYS = 7  # how far back a device's checks are read for the bundle version it uses
# A device is read by its token at every request. A revocation made in this process takes
# effect at once; one made by another process (another worker, the CLI) within this time.
DEVICE_CACHE_SECONDS = 2.0
_device_caches: dict[str, TtlCache[bytes, Device]] = {}
_device_caches_lock = threading.Lock()


def devices_of(registry: Registry) -> TtlCache[bytes, Device]:
    """The devices read from one database by this process, shared by every server over it
    (a revocation through one of them reaches all at once)."""
    url = registry.engine.url.render_as_string(hide_password=True)
    with _device_caches_lock:
        return _device_caches.setdefault(url, TtlCache(DEVICE_CACHE_SECONDS))


class Terminals:
    """Enroll, find, revoke and list entrance terminals."""

    __slots__ = ()
    registry: Registry
    clock: Callable[[], datetime]
    _devices: TtlCache[bytes, Device]

    def root_public(self) -> ec.EllipticCurvePublicKey:
        raise NotImplementedError  # the server reads it from its bundle source

    def enroll(
        self, principal: Principal, place_id: int, entrance: str, label: str
    ) -> tuple[Device, str]:
        place = self.registry.places.get(principal, place_id)
        if place is None:
            raise InputError("no such place in your scope", code="PLACE_UNKNOWN")
        entrance_id = next((e.id for e in place.entrances if e.name == entrance), None)
        if entrance and entrance_id is None:
            raise InputError("no such entrance at this place", code="ENTRANCE_UNKNOWN")
        with self.registry.uow() as uow:
            device, token = SqlCheckpoint(uow.session).enroll(
                place_id=place_id,
                entrance_id=entrance_id,
                street_code=place.admin_code[:STREET_CODE_LENGTH],
                admin_code=place.admin_code,
                root_kid=root_kid(self.root_public()),
                label=label[:100],
                by=principal.account_id or None,
                now=self.clock(),
            )
            uow.audit.add(
                self.registry.auditor.entry(
                    principal,
                    AuditAction.DEVICE_ENROLL,
                    admin_code=place.admin_code,
                    subject_kind="device",
                    subject_id=device.id,
                    reason="enroll an entrance terminal",
                    detail={"place_id": place_id, "entrance": entrance, "label": label[:100]},
                )
            )
            uow.commit()
        return device, token

    def cached_device(self, token: str) -> Device | None:
        """The device behind TOKEN if it was read within DEVICE_CACHE_SECONDS, else None."""
        return self._devices.get(token_hash(token))

    def device_for_token(self, token: str) -> Device | None:
        """The device behind TOKEN (None if unknown or revoked), cached briefly."""
        key = token_hash(token)
        device = self._devices.get(key)
        if device is not None:
            return device
        mark = self._devices.mark()
        with self.registry.uow() as uow:
            device = SqlCheckpoint(uow.session).device_for_token(token)
        if device is not None:
            self._devices.put(key, device, mark)
        return device

    def revoke(self, principal: Principal, device_id: str) -> bool:
        with self.registry.uow() as uow:
            repo = SqlCheckpoint(uow.session)
            device = repo.device(device_id)
            if device is None or self.registry.places.get(principal, device.place_id) is None:
                return False
            done = repo.revoke(device_id, self.clock())
            if done:
                uow.audit.add(
                    self.registry.auditor.entry(
                        principal,
                        AuditAction.DEVICE_REVOKE,
                        admin_code=device.admin_code,
                        subject_kind="device",
                        subject_id=device_id,
                        reason="revoke an entrance terminal",
                        detail={"place_id": device.place_id},
                    )
                )
            uow.commit()
        self._devices.drop(lambda d: d.id == device_id)
        return done

    def devices(self, principal: Principal, place_id: int) -> list[DeviceStatus] | None:
        """A place's devices with their status; None when the place is not in the scope."""
        if self.registry.places.get(principal, place_id) is None:
            return None
        with self.registry.uow() as uow:
            return device_statuses(uow.session, since=self._status_since(), place_id=place_id)

    def device_status(self, principal: Principal, device_id: str) -> DeviceStatus | None:
        """One device (revoked or not), if its place is in the principal's scope."""
        with self.registry.uow() as uow:
            found = device_statuses(uow.session, since=self._status_since(), device_id=device_id)
        if not found or self.registry.places.get(principal, found[0].place_id) is None:
            return None
        return found[0]

    def places(
        self, principal: Principal, search: str = "", limit: int = 20, offset: int = 0
    ) -> tuple[list[PlaceDevices], int]:
        """The places in the principal's scope with their device counts: a page, and the total."""
        if principal.role in TREE_ROLES:
            scope: dict[str, Any] = {"scope_code": principal.scope_code}
        elif principal.role in PLACE_ROLES and principal.place_id is not None:
            scope = {"place_id": principal.place_id}
        else:
            return [], 0
        with self.registry.uow() as uow:
            return places_with_devices(
                uow.session, search=search, limit=limit, offset=offset, **scope
            )

    def _status_since(self) -> date:
        return district_day(self.clock()) - timedelta(days=STATUS_DAYS)
