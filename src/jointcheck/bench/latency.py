"""``jointcheck bench latency``: one check over HTTP at a fixed offered load.

The server decides at ``POST /api/checkpoint/scan`` (verify a health code and a vaccination
certificate, ``policy.evaluate``, store the check) under uvicorn in a child process; the load
generator on the same machine sends 500 checks/s open loop (each request leaves at its
scheduled time whether or not earlier ones have returned, so a slow server shows as latency,
not as a lower offered rate). Latency is measured from the scheduled time. Then a closed loop
of many concurrent clients finds the saturation throughput. Target (issue 4): p99 <= 25 ms.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

from jointcheck.bench import BenchReport, Figure
from jointcheck.bench.ingest import Site, build_site, postgres_database, serving
from jointcheck.credentials import issue
from jointcheck.credentials.model import CodeColour

RATE = 500
SECONDS, QUICK_SECONDS = 10.0, 2.0
SATURATION_CLIENTS = 32
TARGET_P99_MS = 25.0
HOLDERS = 40
DRAIN_SECONDS = 10.0


def _holder(i: int) -> issue.Holder:
    body = f"37070419800101{i:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return issue.Holder(
        id_number=body + check, name="张三" + "一二三四五六七八九十"[i % 10], dob="1980-01-01"
    )


def codes(site: Site) -> list[list[str]]:
    """A health code and a vaccination certificate for each of a few dozen people."""
    now = datetime.now(UTC)
    health = issue.IssuingKey.of(site.issuers["health"])
    vaccination = issue.IssuingKey.of(site.issuers["vaccination"])
    out = []
    for i in range(HOLDERS):
        holder = _holder(i)
        payload = issue.vaccination_payload(
            holder, product="CoronaVac", dose=2, doses=2, on=date(2021, 6, 1),
            issuer="Fangzi CDC", uvci=issue.make_uvci("CN/FZ", f"B{i:04d}"),
        )  # fmt: skip
        out.append(
            [
                issue.issue_health_code(
                    health, site.subject_key(), holder, colour=CodeColour.GREEN, issued_at=now
                ),
                issue.issue_vaccination(
                    vaccination, site.subject_key(), holder, payload, issued_at=now
                ),
            ]
        )
    return out


async def _open_loop(
    url: str, token: str, people: list[list[str]], seconds: float
) -> tuple[list[float], int]:
    """Latencies from each request's scheduled time, and how many got no answer in time.

    A request still unanswered DRAIN_SECONDS after the last one was sent counts as failed
    (its latency is at least that): an overloaded server ends the run, not the benchmark.
    """
    headers = {"authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30) as c:

        async def one(i: int, due: float) -> None:
            answer = await c.post("/api/checkpoint/scan", json={"codes": people[i % len(people)]})
            answer.raise_for_status()
            latencies.append(time.perf_counter() - due)

        tasks = []
        start = time.perf_counter() + 0.1
        for i in range(int(RATE * seconds)):
            due = start + i / RATE
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i, due)))
        _, pending = await asyncio.wait(tasks, timeout=DRAIN_SECONDS)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    return latencies, len(tasks) - len(latencies)


async def _closed_loop(url: str, token: str, people: list[list[str]], seconds: float) -> float:
    headers = {"authorization": f"Bearer {token}"}
    done = 0
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as c:
        stop = time.perf_counter() + seconds

        async def worker(k: int) -> None:
            nonlocal done
            i = k
            while time.perf_counter() < stop:
                answer = await c.post(
                    "/api/checkpoint/scan", json={"codes": people[i % len(people)]}
                )
                answer.raise_for_status()
                done += 1
                i += SATURATION_CLIENTS

        started = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(SATURATION_CLIENTS)))
        return done / (time.perf_counter() - started)


def measure(kind: str, database_url: str, seconds: float) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix=f"jc-latency-{kind}-") as tmp:
        site = build_site(Path(tmp) / "var", database_url)
        try:
            people = codes(site)
            with serving(site.settings) as url:
                # Warm up: the first scan publishes and compiles the bundle.
                asyncio.run(_closed_loop(url, site.token, people, 1.0))
                latencies, failed = asyncio.run(_open_loop(url, site.token, people, seconds))
                saturation = asyncio.run(_closed_loop(url, site.token, people, seconds / 2))
        finally:
            site.registry.close()
    # An unanswered request is slower than any answered one: it sorts last.
    ms = sorted(x * 1000 for x in latencies) + [float("inf")] * failed
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return [
        Figure(f"{kind}_p50", statistics.median(ms), "ms"),
        Figure(f"{kind}_p99", p99, "ms"),
        Figure(f"{kind}_saturation", saturation, "checks/s"),
        Figure(f"{kind}_unanswered", failed, f"of {len(ms)} within {DRAIN_SECONDS:g} s"),
    ]


def run(quick: bool) -> BenchReport:
    seconds = QUICK_SECONDS if quick else SECONDS
    notes = [
        f"offered load {RATE} checks/s open loop for {seconds:g} s, {os.cpu_count()} CPUs, "
        "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())
    ]
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="jc-latency-db-") as tmp:
        figures += measure("sqlite", f"sqlite:///{Path(tmp) / 'jointcheck.db'}", seconds)
    if not quick:
        with postgres_database() as pg_url:
            if pg_url is None:
                notes.append("PostgreSQL not reachable: SQLite only")
            else:
                figures += measure("postgresql", pg_url, seconds)
    p99s = [f.value for f in figures if f.name.endswith("_p99")]
    return BenchReport(
        name="latency",
        figures=tuple(figures),
        target=f"p99 <= {TARGET_P99_MS:g} ms at {RATE} checks/s",
        met=all(p <= TARGET_P99_MS for p in p99s),
        notes=tuple(notes),
    )
