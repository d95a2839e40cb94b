"""``jointcheck bench latency``: one check over HTTP at a fixed offered load.

The server decides at ``POST /api/checkpoint/scan`` (verify a health code and a vaccination
certificate, ``policy.evaluate``, store the check) under uvicorn in a child process; the load
generator (``bench.loadgen``, asyncio streams over keep-alive connections, requests serialised
beforehand) runs in this process on the same machine and sends 500 checks/s open loop: each
request leaves at its scheduled time whether or not earlier ones have returned, so a slow
server shows as latency, not as a lower offered rate. Latency is measured from the scheduled
time; a request unanswered when the run ends sorts after every answered one. Then a closed
loop of many concurrent clients finds the saturation throughput, and one connection sending
one scan after another (a terminal checking a queue of people) gives the round trip alone.
The CPU time of the generator and of the server is printed beside the figures (per check),
so that a reader can judge what the generator took from the server on the shared cores.
The server runs as many processes as ``jointcheck serve`` does by default, or
``JOINTCHECK_BENCH_WORKERS`` of them.
Target (issue 4): p99 <= 25 ms.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from jointcheck.api.uvicorn_options import DEFAULT_WORKERS, uvicorn_options
from jointcheck.bench import BenchReport, Figure
from jointcheck.bench.loadgen import closed_loop, one_at_a_time, open_loop, post_requests
from jointcheck.bench.site import Site, build_site, postgres_database, serving
from jointcheck.credentials import issue
from jointcheck.credentials.model import CodeColour

RATE = 500
SECONDS, QUICK_SECONDS = 10.0, 2.0
WARM_UP_SECONDS = 1.0
SATURATION_CLIENTS = 32
TARGET_P99_MS = 25.0
HOLDERS = 40
ONE_AT_A_TIME = 200  # one terminal's scans, each sent when the last is answered
DRAIN_SECONDS = 10.0
SCAN = "/api/checkpoint/scan"
# Server processes: ``jointcheck serve``'s default, or this many (the same run on more).
WORKERS_ENV = "JOINTCHECK_BENCH_WORKERS"


def workers() -> int:
    value = os.environ.get(WORKERS_ENV, "")
    return max(1, int(value)) if value.isdigit() else DEFAULT_WORKERS


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


def children_cpu_seconds() -> float:
    """User + system CPU seconds of this process's live children (the server), from /proc."""
    me, tick, total = os.getpid(), os.sysconf("SC_CLK_TCK"), 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == me:  # fields[1] is the parent's pid; utime, stime at 11, 12
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _percentile(ms: list[float], q: float) -> float:
    return ms[min(len(ms) - 1, int(len(ms) * q))]


def measure(
    kind: str, database_url: str, seconds: float, workers: int = 1
) -> tuple[list[Figure], list[str]]:
    with tempfile.TemporaryDirectory(prefix=f"jc-latency-{kind}-") as tmp:
        site = build_site(Path(tmp) / "var", database_url)
        try:
            people = codes(site)
            requests = post_requests(
                "http://127.0.0.1", SCAN, site.token, [{"codes": p} for p in people]
            )
            with serving(site.settings, workers, options=uvicorn_options()) as url:
                # Warm up: the first scan publishes and compiles the bundle.
                asyncio.run(closed_loop(url, requests, 8, WARM_UP_SECONDS))
                load0 = os.getloadavg()[0]
                server0 = children_cpu_seconds()
                count = int(RATE * seconds)
                result = asyncio.run(open_loop(url, requests, RATE, count, DRAIN_SECONDS))
                server_cpu = children_cpu_seconds() - server0
                time.sleep(0.5)  # let a run that ended in a backlog settle
                saturation = asyncio.run(
                    closed_loop(url, requests, SATURATION_CLIENTS, seconds / 2)
                )
                time.sleep(0.5)
                alone = sorted(asyncio.run(one_at_a_time(url, requests, ONE_AT_A_TIME)))
        finally:
            site.registry.close()
    if result.errors or saturation.errors:
        raise RuntimeError(
            f"{kind}: {result.errors + saturation.errors} requests answered with an error"
        )
    # An unanswered request is slower than any answered one: it sorts last.
    ms = sorted(x * 1000 for x in result.latencies) + [float("inf")] * result.unanswered
    answered = max(1, len(result.latencies))
    figures = [
        Figure(f"{kind}_p50", statistics.median(ms), "ms"),
        Figure(f"{kind}_p99", _percentile(ms, 0.99), "ms"),
        Figure(f"{kind}_max", ms[-1], "ms"),
        Figure(f"{kind}_unanswered", result.unanswered, f"of {len(ms)} within {DRAIN_SECONDS:g} s"),
        Figure(f"{kind}_server_cpu", server_cpu * 1000 / answered, "ms CPU per check"),
        Figure(
            f"{kind}_generator_cpu", result.cpu_seconds * 1000 / result.sent, "ms CPU per check"
        ),
        Figure(f"{kind}_saturation", saturation.rate, "checks/s"),
        Figure(f"{kind}_one_at_a_time_p50", statistics.median(alone) * 1000, "ms"),
        Figure(f"{kind}_one_at_a_time_max", alone[-1] * 1000, "ms"),
    ]
    notes = [
        (
            f"{kind}: open loop {result.sent} checks in {result.wall_seconds:.1f} s; generator "
            f"{result.cpu_seconds:.2f} s CPU ({100 * result.cpu_seconds / result.wall_seconds:.0f}% "
            f"of one core), server {server_cpu:.2f} s CPU; latest send "
            f"{result.lateness * 1000:.1f} ms after its time; load average {load0:.1f} at start"
        ),
        (
            f"{kind}: closed loop {SATURATION_CLIENTS} clients, {saturation.completed} checks in "
            f"{saturation.wall_seconds:.1f} s, generator {saturation.cpu_seconds:.2f} s CPU"
        ),
    ]
    return figures, notes


def run(quick: bool) -> BenchReport:
    seconds = QUICK_SECONDS if quick else SECONDS
    processes = workers()
    notes = [
        f"offered load {RATE} checks/s open loop for {seconds:g} s, {processes} server "
        f"process(es), {os.cpu_count()} CPUs, "
        "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())
    ]
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="jc-latency-db-") as tmp:
        found, said = measure(
            "sqlite", f"sqlite:///{Path(tmp) / 'jointcheck.db'}", seconds, processes
        )
        figures += found
        notes += said
    if not quick:
        with postgres_database() as pg_url:
            if pg_url is None:
                notes.append("PostgreSQL not reachable: SQLite only")
            else:
                found, said = measure("postgresql", pg_url, seconds, processes)
                figures += found
                notes += said
    notes.append("load average at the end " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    p99s = [f.value for f in figures if f.name.endswith("_p99")]
    return BenchReport(
        name="latency",
        figures=tuple(figures),
        target=f"p99 <= {TARGET_P99_MS:g} ms at {RATE} checks/s",
        met=all(p <= TARGET_P99_MS for p in p99s),
        notes=tuple(notes),
    )
