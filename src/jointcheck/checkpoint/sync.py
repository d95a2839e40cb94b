"""Upload of the outbox and refresh of the bundle, when the server is reachable.

The agent calls ``sync_once`` in a loop. Each round it measures its clock against the
server's (recorded, so a report can show a device whose clock drifted), fetches the bundle and
has it checked against the pinned root key, then uploads pending events in batches in the
order they were made. A server whose bundle is refused is sent nothing: it may not be the
district's server, and registrations carry personal data. A batch the server answered
is marked in the outbox; an event the server refused is kept with its error code and not
sent again. Anything else (no network, a server error) leaves the outbox as it was: the next
round sends the same ids again, which the server stores once.

A batch too large for the server's body limit (registrations with long fields can make a
thousand events pass it) is split in halves until each part goes through; a single event too
large alone is kept as refused with ``BODY_TOO_LARGE``, so that it does not hold back the rest
of the backlog. The transport says a batch is too large before sending it when its encoded
body passes the limit it knows, and after sending when the server answers 413.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from jointcheck.checkpoint.outbox import Outbox, Pending
from jointcheck.checkpoint.ports import SealPort
from jointcheck.checkpoint.reasons import BatchRefusal

# At most the server's MAX_BATCH (1,000); a batch of 1,000 checks is about 600 KB of the events
# route's 1 MiB body limit.
BATCH_SIZE = 1000
TOO_LARGE = BatchRefusal.BODY_TOO_LARGE.value


@dataclass(frozen=True, slots=True)
class BatchAnswer:
    accepted: tuple[str, ...]
    refused: dict[str, str] = field(default_factory=dict)


class Unreachable(Exception):  # noqa: N818 - an expected condition of the network, named as such
    """The server could not be reached or answered with a server error; try again later."""


class Revoked(Unreachable):
    """The server refused this terminal's token (401 ``DEVICE_UNKNOWN``): it was revoked at
    the district office. Nothing is sent (each round ends at its first call, before any
    upload) and the outbox is kept; a kind of Unreachable, so that whatever waits for the
    server treats it as away."""


class TooLarge(Exception):  # noqa: N818 - an answer of the server, named as such
    """The batch's body passes the server's limit (found before sending, or answered 413)."""


class Transport(Protocol):
    def server_time(self) -> datetime: ...

    def post_batch(self, events: list[dict[str, Any]], skew_ms: int | None) -> BatchAnswer:
        """The server's answer; raises TooLarge for a body over its limit, Unreachable."""
        ...

    def fetch_bundle(self) -> bytes: ...


@dataclass(frozen=True, slots=True)
class SyncReport:
    uploaded: int
    refused: int
    backlog: int
    skew_ms: int | None
    bundle: bytes | None


def wire_event(pending: Pending, sealer: SealPort) -> dict[str, Any]:
    """The event as the server takes it: a registration is opened for the (TLS) upload."""
    body = dict(pending.body)
    if pending.kind == "registration":
        registration = sealer.open(base64.b64decode(body.pop("sealed")))
        body.update(
            name=registration.name,
            id_number=registration.id_number,
            phone=registration.phone,
            purpose=registration.purpose,
        )
    return body


def measure_skew(transport: Transport, clock: Callable[[], datetime]) -> tuple[int, int]:
    """(server minus local clock, round trip) in ms; the server read is put mid-trip."""
    before = clock()
    server = transport.server_time()
    after = clock()
    midpoint = before + (after - before) / 2
    skew = round((server - midpoint).total_seconds() * 1000)
    return skew, round((after - before).total_seconds() * 1000)


def upload(
    outbox: Outbox, transport: Transport, sealer: SealPort, skew_ms: int | None = None
) -> tuple[int, int]:
    """Send pending events batch by batch; (uploaded, refused). Raises Unreachable."""
    uploaded = refused = 0
    if not outbox.backlog():
        # Nothing to send: an empty batch still tells the server the device is alive and
        # how far its clock is off (issue 4: skew recorded at each sync).
        transport.post_batch([], skew_ms)
    while batch := outbox.pending(BATCH_SIZE):
        sent, kept = _send(
            outbox, transport, [(p.id, wire_event(p, sealer)) for p in batch], skew_ms
        )
        uploaded += sent
        refused += kept
        if len(batch) < BATCH_SIZE:
            break
    return uploaded, refused


def _send(
    outbox: Outbox,
    transport: Transport,
    batch: list[tuple[str, dict[str, Any]]],
    skew_ms: int | None,
) -> tuple[int, int]:
    """Post BATCH (id, wire event), halving a part the server finds too large, in order;
    each answer is marked as it comes. (accepted, refused)."""
    uploaded = refused = 0
    parts = [batch]
    while parts:
        part = parts.pop()
        try:
            answer = transport.post_batch([event for _, event in part], skew_ms)
        except TooLarge:
            if len(part) == 1:
                outbox.mark([], {part[0][0]: TOO_LARGE})
                refused += 1
            else:
                half = len(part) // 2
                parts += [part[half:], part[:half]]  # the first half is popped first
            continue
        known = {i for i, _ in part}
        accepted = [i for i in answer.accepted if i in known]
        codes = {i: c for i, c in answer.refused.items() if i in known}
        outbox.mark(accepted, codes)
        uploaded += len(accepted)
        refused += len(codes)
    return uploaded, refused


def sync_once(
    outbox: Outbox,
    transport: Transport,
    sealer: SealPort,
    clock: Callable[[], datetime],
    check_bundle: Callable[[bytes], None] | None = None,
) -> SyncReport:
    """One round: clock, bundle, upload. Raises Unreachable when the server is away.

    CHECK_BUNDLE takes the fetched bundle before anything is uploaded; what it raises ends the
    round with the outbox untouched.
    """
    skew, round_trip = measure_skew(transport, clock)
    outbox.record_skew(clock(), skew, round_trip)
    bundle = transport.fetch_bundle()
    if check_bundle is not None:
        check_bundle(bundle)
    uploaded, refused = upload(outbox, transport, sealer, skew)
    return SyncReport(uploaded, refused, outbox.backlog(), skew, bundle)
