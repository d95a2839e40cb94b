"""``jointcheck bench ingest``: 100,000 check events uploaded in batches through the API.

Into PostgreSQL and into SQLite, each beside a bare load of the same rows into a table of the
same shape (key and index included) measured in the same run: the binary ``COPY`` the ingest
itself uses for PostgreSQL (the baseline the target is judged on; a text ``COPY`` is printed
beside it), ``executemany`` for SQLite. Target (issue 4): at least 20,000 events/s into
PostgreSQL on the 2-core machine, and at least 0.25x the bare binary COPY.

The server is the real app under uvicorn in child processes, as many as ``jointcheck serve``
starts by default (``api/uvicorn_options.py``: one) with its options, or
``JOINTCHECK_BENCH_WORKERS`` of them; SQLite is served by one (it has one writer). Eight
entrance agents (eight devices of one place: a district's terminals upload at once) each post
their events in batches of the agent's own size (``checkpoint/sync.py``), one batch after the
other as an agent does, each over its own keep-alive connection. Real agents are other machines
that encode their batches on their own terminals, so the requests are encoded before the clock
starts and sent by the lean HTTP/1.1 client of ``loadgen``; the uploader still shares the two
cores with the server and the database, and its CPU time is printed. ``bench/site.py`` builds
the small district and serves the app (``latency`` runs on the same).
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import text

from jointcheck.api.uvicorn_options import DEFAULT_WORKERS, uvicorn_options
from jointcheck.bench import BenchReport, Figure
from jointcheck.bench.loadgen import Connection, HttpError, post_requests
from jointcheck.bench.site import COMMUNITY, STREET, Site, build_site, postgres_database, serving
from jointcheck.checkpoint.sync import BATCH_SIZE
from jointcheck.store.checkpoint_ingest import copy_rows, sqlite_row
from jointcheck.store.checkpoint_repository import SqlCheckpoint
from jointcheck.store.engine import normalise_url

EVENTS, QUICK_EVENTS = 100_000, 5_000
BATCH = BATCH_SIZE
UPLOADERS = 8  # agents, each a device of its own
WORKERS_ENV = "JOINTCHECK_BENCH_WORKERS"
TARGET_RATE, TARGET_RATIO = 20_000, 0.25
EVENTS_PATH = "/api/checkpoint/events"


def server_workers() -> int:
    """Server processes for PostgreSQL: ``jointcheck serve``'s default, or WORKERS_ENV."""
    value = os.environ.get(WORKERS_ENV, "")
    return max(1, int(value)) if value.isdigit() else DEFAULT_WORKERS


def make_events(site: Site, n: int, device_id: str | None = None) -> list[dict[str, Any]]:
    at = datetime.now(UTC)
    outcomes = ("ADMIT", "ADMIT", "ADMIT", "PERSUADE", "DENY")
    return [
        {
            "kind": "check",
            "id": str(uuid.uuid4()),
            "device_id": device_id or site.device_id,
            "place_id": str(site.place_id),
            "entrance_id": "north",
            "street_code": STREET,
            "at": (at + timedelta(milliseconds=i)).isoformat(),
            "outcome": outcomes[i % len(outcomes)],
            "reasons": ["VACCINATED"],
            "summary": {
                "credential_types": ["dcc_vaccination", "health_code"],
                "code_colour": "green",
                "doses": 2,
                "series": 2,
                "completed": True,
                "age_band": "18-59",
                "pack_id": "fangzi-2021",
                "pack_version": "1.0.0",
            },
            "subject_hash": os.urandom(32).hex(),
            "bundle_version": 1,
        }
        for i in range(n)
    ]


def enroll_devices(site: Site, n: int) -> list[tuple[str, str]]:
    """N more devices at the site's place (its other entrances): (device id, token) each."""
    out = []
    with site.registry.uow() as uow:
        for _ in range(n):
            device, token = SqlCheckpoint(uow.session).enroll(
                place_id=site.place_id, entrance_id=None, street_code=STREET,
                admin_code=COMMUNITY, root_kid="", label="bench", by=None, now=datetime.now(UTC),
            )  # fmt: skip
            out.append((device.id, token))
        uow.commit()
    return out


def upload(url: str, agents: list[tuple[str, list[dict[str, Any]]]]) -> tuple[float, float]:
    """Seconds to upload each agent's events (token, events) in batches, the agents side by
    side, each one batch after the other over its own keep-alive connection; and the
    uploader's CPU seconds. The requests are encoded before the clock starts (an agent
    encodes its batches on its own terminal), and sent by the lean client of ``loadgen``.
    Every event must be accepted."""
    requests = [
        post_requests(
            url,
            EVENTS_PATH,
            token,
            [{"events": events[i : i + BATCH]} for i in range(0, len(events), BATCH)],
        )
        for token, events in agents
    ]

    async def agent(conn: Connection, batches: list[bytes]) -> int:
        accepted = 0
        for request in batches:
            status, body = await conn.fetch(request)
            if status != HTTPStatus.OK:
                raise HttpError(f"{status}: {body[:200]!r}")
            accepted += len(json.loads(body)["accepted"])
        return accepted

    async def main() -> tuple[int, float, float]:
        conns = [await Connection.open(url) for _ in agents]
        try:
            cpu, started = time.process_time(), time.perf_counter()
            counts = await asyncio.gather(
                *(agent(c, r) for c, r in zip(conns, requests, strict=True))
            )
            return sum(counts), time.perf_counter() - started, time.process_time() - cpu
        finally:
            for conn in conns:
                conn.close()

    accepted, elapsed, cpu = asyncio.run(main())
    expected = sum(len(events) for _, events in agents)
    if accepted != expected:
        raise RuntimeError(f"{accepted} of {expected} events accepted")
    return elapsed, cpu


def _rows(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    from jointcheck.api.checkpoint_schemas import parse_batch
    from jointcheck.store.checkpoint_repository import check_in_row

    now = datetime.now(UTC)
    return [check_in_row(c, now) for c in parse_batch(events).checks]


def _bare_table(site: Site, name: str) -> None:
    """NAME: the shape of ``check_events``, with the same key and index, empty."""
    engine = site.registry.engine
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"CREATE TABLE {name} (LIKE check_events INCLUDING ALL)"))
        else:
            ddl = conn.execute(
                text(
                    "SELECT sql FROM sqlite_master WHERE tbl_name = 'check_events' AND sql IS NOT NULL"
                )
            ).scalars()
            for statement in ddl:
                conn.execute(text(statement.replace("check_events", name)))
        conn.commit()


def _text_copy(cursor: Any, table: str, rows: list[tuple[Any, ...]]) -> None:  # noqa: ANN401
    with cursor.copy(f"COPY {table} ({', '.join(_rows_columns())}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def bare_load(site: Site, events: list[dict[str, Any]]) -> tuple[float, float | None]:
    """Seconds for a bare binary COPY (PostgreSQL, as the ingest's) or executemany (SQLite)
    of the same rows into a table of the same shape (key and index included), in one
    transaction; and on PostgreSQL the seconds for a text COPY of them into another such
    table (printed beside it: the binary one is the baseline)."""
    rows = _rows(events)
    engine = site.registry.engine
    columns = list(_rows_columns())
    _bare_table(site, "bare_events")
    names = ", ".join(columns)
    if engine.dialect.name == "postgresql":
        _bare_table(site, "bare_events_text")
        with psycopg.connect(_plain_url(site.settings.database_url)) as conn:
            started = time.perf_counter()
            copy_rows(conn.cursor(), "bare_events", rows)
            conn.commit()
            binary = time.perf_counter() - started
            started = time.perf_counter()
            _text_copy(conn.cursor(), "bare_events_text", rows)
            conn.commit()
            return binary, time.perf_counter() - started
    import sqlite3

    path = site.settings.database_url.removeprefix("sqlite:///")
    started = time.perf_counter()
    with sqlite3.connect(path) as conn:
        marks = ", ".join("?" for _ in columns)
        conn.executemany(
            f"INSERT INTO bare_events ({names}) VALUES ({marks})",  # noqa: S608 - fixed names
            [sqlite_row(row) for row in rows],
        )
    return time.perf_counter() - started, None


def _rows_columns() -> tuple[str, ...]:
    from jointcheck.store.checkpoint_models import CheckEventRow

    return tuple(c.name for c in CheckEventRow.__table__.columns)


def _plain_url(url: str) -> str:
    return normalise_url(url).replace("postgresql+psycopg://", "postgresql://")


@dataclass(frozen=True)
class Measured:
    api: float  # events/s through the API
    bare: float  # events/s of the bare load (binary COPY, executemany)
    text_copy: float | None  # events/s of a text COPY (PostgreSQL)
    uploader_cpu: float  # the uploader's CPU us per event


def measure(kind: str, database_url: str, n: int, workers: int = 1) -> Measured:
    """The API's rate, the bare loads' and the uploader's CPU, into one database."""
    with tempfile.TemporaryDirectory(prefix=f"jc-ingest-{kind}-") as tmp:
        site = build_site(Path(tmp) / "var", database_url)
        try:
            devices = [(site.device_id, site.token), *enroll_devices(site, UPLOADERS - 1)]
            share = n // len(devices)
            agents = [(token, make_events(site, share, device)) for device, token in devices]
            with serving(site.settings, workers=workers, options=uvicorn_options()) as url:
                api_seconds, cpu = upload(url, agents)
            sent = sum(len(events) for _, events in agents)
            bare_seconds, text_seconds = bare_load(site, [e for _, ev in agents for e in ev])
        finally:
            site.registry.close()
    return Measured(
        sent / api_seconds,
        sent / bare_seconds,
        sent / text_seconds if text_seconds else None,
        cpu / sent * 1e6,
    )


def _postgresql_figures(pg: Measured) -> list[Figure]:
    return [
        Figure("postgresql_api", pg.api, "events/s"),
        Figure("postgresql_copy", pg.bare, "events/s"),
        Figure("postgresql_ratio", pg.api / pg.bare, "x COPY"),
        Figure("postgresql_text_copy", pg.text_copy or 0.0, "events/s"),
        Figure("postgresql_ratio_text", pg.api / (pg.text_copy or 1.0), "x text COPY"),
        Figure("postgresql_uploader_cpu", pg.uploader_cpu, "us/event"),
    ]


def run(quick: bool) -> BenchReport:
    n = QUICK_EVENTS if quick else EVENTS
    workers = server_workers()
    figures = [
        Figure("agents", UPLOADERS, "agents"),
        Figure("postgresql_workers", workers, "processes"),
    ]
    notes = [
        f"{n:,} check events, batches of {BATCH} (an agent's), {UPLOADERS} agents uploading "
        f"side by side, {workers} server process(es) on PostgreSQL (serve's default "
        f"{DEFAULT_WORKERS}; {WORKERS_ENV}), 1 on SQLite (one writer), {os.cpu_count()} CPUs, "
        "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())
    ]
    met: bool | None = None
    with postgres_database() as pg_url:
        if pg_url is None:
            notes.append("PostgreSQL not reachable: set JOINTCHECK_BENCH_DATABASE_URL")
        else:
            pg = measure("pg", pg_url, n, workers)
            figures += _postgresql_figures(pg)
            met = pg.api >= TARGET_RATE and pg.api / pg.bare >= TARGET_RATIO
    with tempfile.TemporaryDirectory(prefix="jc-ingest-db-") as tmp:
        lite = measure("sqlite", f"sqlite:///{Path(tmp) / 'jointcheck.db'}", n)
    figures += [
        Figure("sqlite_api", lite.api, "events/s"),
        Figure("sqlite_executemany", lite.bare, "events/s"),
        Figure("sqlite_ratio", lite.api / lite.bare, "x executemany"),
        Figure("sqlite_uploader_cpu", lite.uploader_cpu, "us/event"),
    ]
    notes.append("load average at the end " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    return BenchReport(
        name="ingest",
        figures=tuple(figures),
        target=(
            f">= {TARGET_RATE:,} events/s into PostgreSQL and >= {TARGET_RATIO}x the bare "
            "binary COPY (the text COPY is printed beside it, not judged)"
        ),
        met=met,
        notes=tuple(notes),
    )
