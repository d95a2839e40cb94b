"""A lean HTTP/1.1 load generator for the checkpoint benchmarks.

A general HTTP client (httpx) spends about as much CPU per request as the server spends
answering it, and the two share the machine's cores. This one sends requests serialised once
beforehand over a pool of keep-alive connections (asyncio streams), reads the status line,
the headers and a ``Content-Length`` body, and nothing more. It reports the CPU time it used
itself, so that a reader can judge how much of the machine it took from the server.

``open_loop`` sends at a fixed rate whatever the server does: each request leaves at its
scheduled time (or, if every connection is busy, as soon as one is free), and its latency is
counted from the scheduled time, so a slow server shows as latency, not as a lower offered
rate. ``closed_loop`` keeps a number of clients busy for the saturation throughput.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlsplit

CONNECTIONS = 64
HEAD_LIMIT = 64 * 1024
OK = range(HTTPStatus.OK, HTTPStatus.MULTIPLE_CHOICES)


class HttpError(Exception):
    """A response that was not 2xx, or not one this client reads."""


@dataclass(frozen=True, slots=True)
class OpenLoopResult:
    latencies: list[float]  # seconds from each answered request's scheduled time
    unanswered: int  # no answer within the drain time after the last request was due
    errors: int  # answered, but not 2xx (or unreadable)
    sent: int
    lateness: float  # the latest a request left after its scheduled time, seconds
    cpu_seconds: float  # CPU time of this process (the generator) during the run
    wall_seconds: float


@dataclass(frozen=True, slots=True)
class ClosedLoopResult:
    completed: int
    errors: int
    wall_seconds: float
    cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.completed / self.wall_seconds if self.wall_seconds else 0.0


def post_requests(url: str, path: str, token: str, bodies: Sequence[object]) -> list[bytes]:
    """Each body as a complete ``POST`` request with a bearer token, JSON-encoded once."""
    host = urlsplit(url).netloc
    out = []
    for body in bodies:
        payload = json.dumps(body, separators=(",", ":")).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {token}\r\n"
            f"content-type: application/json\r\ncontent-length: {len(payload)}\r\n\r\n"
        )
        out.append(head.encode("latin-1") + payload)
    return out


class Connection:
    """One keep-alive HTTP/1.1 connection: a request out, its response read back."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, url: str) -> Connection:
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port, limit=HEAD_LIMIT)
        return cls(reader, writer)

    async def exchange(self, request: bytes) -> int:
        """Send REQUEST, read the whole response; its status code."""
        return (await self.fetch(request))[0]

    async def fetch(self, request: bytes) -> tuple[int, bytes]:
        """Send REQUEST, read the whole response; its status code and its body."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = -1
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"transfer-encoding":
                raise HttpError("chunked responses are not read by this client")
        if length < 0:
            raise HttpError("response without Content-Length")
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


async def _connections(url: str, n: int) -> list[Connection]:
    return list(await asyncio.gather(*(Connection.open(url) for _ in range(n))))


async def open_loop(
    url: str,
    requests: Sequence[bytes],
    rate: float,
    count: int,
    drain: float,
    connections: int = CONNECTIONS,
) -> OpenLoopResult:
    """COUNT requests at RATE per second (request i is due at start + i / RATE), cycling
    through REQUESTS; latency from each one's due time. A request still unanswered DRAIN
    seconds after the last one was due counts as unanswered."""
    pool = await _connections(url, connections)
    queue: asyncio.Queue[tuple[int, float]] = asyncio.Queue()
    latencies: list[float] = []
    errors = 0
    lateness = 0.0

    async def worker(conn: Connection) -> None:
        nonlocal errors, lateness
        while True:
            i, due = await queue.get()
            lateness = max(lateness, time.perf_counter() - due)
            try:
                status = await conn.exchange(requests[i % len(requests)])
            except (OSError, asyncio.IncompleteReadError, HttpError, ValueError):
                errors += 1
                return  # the connection is no longer in a known state
            if status in OK:
                latencies.append(time.perf_counter() - due)
            else:
                errors += 1

    cpu0, wall0 = time.process_time(), time.perf_counter()
    workers = [asyncio.create_task(worker(c)) for c in pool]
    start = time.perf_counter() + 0.05
    await _schedule(queue, start, rate, count)
    last_due = start + (count - 1) / rate
    deadline = last_due + drain
    while len(latencies) + errors < count and time.perf_counter() < deadline:
        if all(w.done() for w in workers):
            break
        await asyncio.sleep(0.005)
    for w in workers:
        w.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    for c in pool:
        c.close()
    answered = len(latencies)
    return OpenLoopResult(
        latencies=latencies,
        unanswered=count - answered - errors,
        errors=errors,
        sent=count,
        lateness=lateness,
        cpu_seconds=cpu,
        wall_seconds=wall,
    )


async def _schedule(
    queue: asyncio.Queue[tuple[int, float]], start: float, rate: float, count: int
) -> None:
    """Queue request i at start + i / RATE: everything due by now at once, then sleep until
    the next one is due."""
    i = 0
    while i < count:
        now = time.perf_counter()
        while i < count and start + i / rate <= now:
            queue.put_nowait((i, start + i / rate))
            i += 1
        if i < count:
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))


async def closed_loop(
    url: str, requests: Sequence[bytes], clients: int, seconds: float
) -> ClosedLoopResult:
    """CLIENTS connections each sending its next request as soon as the last is answered."""
    pool = await _connections(url, clients)
    completed = errors = 0
    stop = time.perf_counter() + seconds

    async def client(k: int, conn: Connection) -> None:
        nonlocal completed, errors
        i = k
        while time.perf_counter() < stop:
            try:
                status = await conn.exchange(requests[i % len(requests)])
            except (OSError, asyncio.IncompleteReadError, HttpError, ValueError):
                errors += 1
                return
            if status in OK:
                completed += 1
            else:
                errors += 1
            i += clients

    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(client(k, c) for k, c in enumerate(pool)))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    for c in pool:
        c.close()
    return ClosedLoopResult(completed, errors, wall, cpu)


async def one_at_a_time(url: str, requests: Sequence[bytes], count: int) -> list[float]:
    """COUNT requests on one connection, each sent when the last is answered (a terminal
    checking one person after another); each one's latency in seconds."""
    conn = await Connection.open(url)
    latencies = []
    try:
        for i in range(count):
            start = time.perf_counter()
            status = await conn.exchange(requests[i % len(requests)])
            if status not in OK:
                raise HttpError(f"answered {status}")
            latencies.append(time.perf_counter() - start)
    finally:
        conn.close()
    return latencies
