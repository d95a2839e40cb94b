"""The latency benchmark's load generator: open loop, latency from the due time, errors and
unanswered requests counted (against a small HTTP server on the loopback)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from jointcheck.bench.loadgen import HttpError, closed_loop, one_at_a_time, open_loop, post_requests


async def _serve(
    run: Callable[[str], Awaitable[object]],
) -> object:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                body = await reader.readexactly(length)
                if b"hang" in body:
                    await asyncio.sleep(3600)
                if b"slow" in body:
                    await asyncio.sleep(0.2)
                status = b"500 Internal Server Error" if b"fail" in body else b"200 OK"
                writer.write(b"HTTP/1.1 " + status + b"\r\ncontent-length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        return await run(f"http://127.0.0.1:{port}")
    finally:
        server.close()


def _requests(kind: str) -> list[bytes]:
    return post_requests("http://127.0.0.1", "/scan", "token", [{"kind": kind}])


def test_every_request_answered_from_its_due_time() -> None:
    result = asyncio.run(
        _serve(lambda url: open_loop(url, _requests("ok"), 200, 20, drain=2, connections=4))
    )
    assert len(result.latencies) == 20
    assert (result.unanswered, result.errors, result.sent) == (0, 0, 20)
    assert all(x >= 0 for x in result.latencies)
    assert result.cpu_seconds > 0


def test_waiting_for_a_connection_counts_as_latency() -> None:
    # Two connections, answers after 0.2 s, ten requests due within 0.18 s: the last ones
    # wait for a connection, and that wait is part of their latency (open loop).
    result = asyncio.run(
        _serve(lambda url: open_loop(url, _requests("slow"), 50, 10, drain=5, connections=2))
    )
    assert len(result.latencies) == 10
    assert max(result.latencies) >= 0.6
    assert result.lateness >= 0.4


def test_unanswered_and_failed_requests_are_counted() -> None:
    hung = asyncio.run(
        _serve(lambda url: open_loop(url, _requests("hang"), 100, 3, drain=0.3, connections=4))
    )
    assert (len(hung.latencies), hung.unanswered, hung.errors) == (0, 3, 0)
    failed = asyncio.run(
        _serve(lambda url: open_loop(url, _requests("fail"), 100, 3, drain=1, connections=4))
    )
    assert (len(failed.latencies), failed.unanswered, failed.errors) == (0, 0, 3)


def test_closed_loop_counts_completed_requests() -> None:
    result = asyncio.run(_serve(lambda url: closed_loop(url, _requests("ok"), 2, 0.2)))
    assert result.completed > 0
    assert result.errors == 0
    assert result.rate > 0


def test_one_at_a_time_times_each_request_on_one_connection() -> None:
    latencies = asyncio.run(_serve(lambda url: one_at_a_time(url, _requests("ok"), 5)))
    assert isinstance(latencies, list)
    assert len(latencies) == 5
    assert all(x >= 0 for x in latencies)
    slow = asyncio.run(_serve(lambda url: one_at_a_time(url, _requests("slow"), 2)))
    assert isinstance(slow, list)
    assert min(slow) >= 0.2


def test_one_at_a_time_fails_on_an_error_answer() -> None:
    with pytest.raises(HttpError, match="500"):
        asyncio.run(_serve(lambda url: one_at_a_time(url, _requests("fail"), 3)))
