"""Dependencies of the checkpoint routes: the checkpoint server and the calling device.

The device's own calls are the hot path (a scan, a batch): these dependencies are async, so
that a request does not hop through the thread pool once per dependency; only the store calls
run in it.
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from jointcheck.api.checkpoint_service import CheckpointServer
from jointcheck.api.deps import AppServices, csrf_header_checked, get_registry
from jointcheck.api.errors import ApiError
from jointcheck.policy import DEFAULT_PACK
from jointcheck.store.checkpoint_repository import Device

DEVICE_COOKIE = "jc_device"
SERVER_KEY = "checkpoint"


def services_of(request: Request) -> AppServices:
    services = request.app.state.services
    if not isinstance(services, AppServices):
        raise ApiError(HTTPStatus.SERVICE_UNAVAILABLE, "INTERNAL_ERROR")
    return services


async def checkpoint_server(request: Request) -> CheckpointServer:
    """The app's checkpoint server, built on first use (no engine at import time)."""
    services = services_of(request)
    server = services.extras.get(SERVER_KEY)
    if isinstance(server, CheckpointServer):
        return server
    server = CheckpointServer.of(
        services.settings,
        get_registry(services),
        services.clock,
        str(services.extras.get("pack_id", DEFAULT_PACK)),
    )
    services.extras[SERVER_KEY] = server
    # At shutdown, the scans still queued are committed before the store closes.
    services.extras.setdefault("on_shutdown", []).append(server.close)
    return server


ServerDep = Annotated[CheckpointServer, Depends(checkpoint_server)]


async def current_device(request: Request, server: ServerDep) -> Device:
    """The device behind the bearer token or the entrance page's cookie; 401 otherwise."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    if not token:
        token = request.cookies.get(DEVICE_COOKIE, "")
        if token and request.method not in {"GET", "HEAD"}:
            csrf_header_checked(request, services_of(request))
    device = None
    if token:
        # Read from the store only when the short-lived cache has not got it.
        device = server.cached_device(token)
        if device is None:
            device = await _read_once(server, token)
    if device is None:
        raise ApiError(HTTPStatus.UNAUTHORIZED, "DEVICE_UNKNOWN")
    return device


# Reads of a device from the store under way, by event loop, server and token: when the cache
# entry of a busy terminal expires, the scans that arrive before it is read again wait for that
# one read instead of each sending its own through the thread pool.
_reading: dict[tuple[int, int, str], asyncio.Task[Device | None]] = {}


async def _read_once(server: CheckpointServer, token: str) -> Device | None:
    key = (id(asyncio.get_running_loop()), id(server), token)
    under_way = _reading.get(key)
    if under_way is None:
        # A task of its own: a request that goes away does not cancel the others' read.
        under_way = asyncio.ensure_future(run_in_threadpool(server.device_for_token, token))
        _reading[key] = under_way
        under_way.add_done_callback(lambda _: _reading.pop(key, None))
    return await asyncio.shield(under_way)


DeviceDep = Annotated[Device, Depends(current_device)]
