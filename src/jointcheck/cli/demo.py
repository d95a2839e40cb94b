"""``jointcheck demo seed`` and ``jointcheck demo up``: a newcomer's demo district (issue 4).

``demo up`` creates ``var/`` and the key files in ``var/secrets`` (0600) when missing,
migrates, seeds the synthetic district when it is empty, prints the pages and the demo logins,
and serves the app. The demo passwords are for the demo only: they are printed on screen.
"""

from __future__ import annotations

import os
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from jointcheck.config import SECRET_NAMES, Settings, load_settings

if TYPE_CHECKING:
    from jointcheck.bootstrap import Registry
    from jointcheck.registry.demo import DemoDistrict
    from jointcheck.registry.seeding import SeedReport

app = typer.Typer(help="The synthetic demo district.", no_args_is_help=True)
console = Console()

PAGES = (
    ("/", "首页 Home"),
    ("/login", "登录 Sign in (with a demo login below)"),
    ("/verify", "验证二维码 Verify a code"),
    ("/me", "我的健康码 A resident's codes (sign in as resident)"),
    ("/devices", "入口终端 Enroll or revoke entrance terminals (sign in as operator or staff)"),
    ("/family", "家人关联 Link family members without a phone (sign in as grid1 or admin)"),
    ("/registrations", "登记名单 A street's registrations, to Excel (sign in as street1 or admin)"),
    ("/health-codes", "健康码管理 Change a person's health-code colour (sign in as health)"),
)


def ensure_secrets(var_dir: Path) -> list[str]:
    """Create var/secrets/<name> (0600) with a random key for each secret not in the environment."""
    from jointcheck.security.pii import new_key_text

    secrets_dir = var_dir / "secrets"
    secrets_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    created = []
    for name in SECRET_NAMES:
        path = secrets_dir / name
        if os.environ.get(f"JOINTCHECK_{name.upper()}") or path.exists():
            continue
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(new_key_text() + "\n")
        created.append(name)
    return created


def _seed(registry: Registry, district: DemoDistrict) -> SeedReport:
    from jointcheck.registry.seeding import DemoSeeder

    columns = (
        TextColumn("{task.description:>10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        return DemoSeeder(registry.uow, registry.cipher).seed(district, progress)


def _prepare(settings: Settings) -> Registry:
    from jointcheck.bootstrap import build_registry
    from jointcheck.store.migrate import upgrade

    upgrade(settings.effective_database_url)
    return build_registry(settings)


@app.command()
def seed(
    residents: int = typer.Option(5000, min=1, max=200_000, help="synthetic residents"),
    places: int = typer.Option(200, min=18, max=5000, help="places, across every category"),
) -> None:
    """Migrate and seed the synthetic demo district (adds only what is missing)."""
    from jointcheck.registry.demo import build_demo

    ensure_secrets(Settings().var_dir)
    settings = load_settings()
    registry = _prepare(settings)
    try:
        report = _seed(registry, build_demo(residents=residents, places=places))
    finally:
        registry.close()
    console.print(
        f"added {report.units} units, {report.places} places, {report.persons} residents, "
        f"{report.accounts} accounts, {report.families} family links"
    )


DEMO_DEVICE_TOKEN = "demo-device-token"  # noqa: S105 - a file name, not a secret


def _demo_device_token(settings: Settings, registry: Registry, district: DemoDistrict) -> str:
    """Enroll one entrance device at the demo operator's place, once; its token is kept 0600.

    The token is shown only at enrollment, so the demo keeps it in var/secrets to print the
    same entrance link at every start; once that terminal is revoked (trying the devices
    page's "Revoke" on it, say), a new one is enrolled, so that the printed link still opens.
    """
    from jointcheck.api.checkpoint_service import CheckpointServer

    path = settings.secrets_dir / DEMO_DEVICE_TOKEN
    server = CheckpointServer.of(settings, registry, lambda: datetime.now(UTC))
    if path.is_file():
        kept = path.read_text(encoding="ascii").strip()
        if server.device_for_token(kept) is not None:
            return kept
        console.print("the demo entrance terminal was revoked: enrolling a new one")
    operator = next(a for a in district.accounts if a.username == "operator")
    principal = registry.accounts.authenticate(operator.username, operator.password)
    if principal is None or principal.place_id is None:
        return ""
    place = registry.places.get(principal, principal.place_id)
    entrance = place.entrances[0].name if place is not None and place.entrances else ""
    _, token = server.enroll(principal, principal.place_id, entrance, "demo entrance")
    path.touch(mode=0o600)
    path.write_text(token + "\n", encoding="ascii")
    return token


def _root_fingerprint(settings: Settings) -> str:
    """The district root key's fingerprint, which the agent pins (``--root-key``)."""
    from jointcheck.bootstrap import DistrictKeyFiles
    from jointcheck.checkpoint.bundle import pem_public_key, root_fingerprint

    return root_fingerprint(pem_public_key(DistrictKeyFiles.of(settings).root_public.read_bytes()))


def _print_welcome(
    district: DemoDistrict, host: str, port: int, device_token: str, fingerprint: str
) -> None:
    from jointcheck.checkpoint.enrollment import ENV_REASON_EN, ENV_REASON_ZH, agent_command

    base = f"http://{host}:{port}"
    pages = Table(title="jointcheck 证码联查 demo", show_header=True)
    pages.add_column("page", no_wrap=True)  # an address to open, whole
    pages.add_column("what", overflow="fold")  # never cut with an ellipsis
    for path, what in PAGES:
        pages.add_row(base + path, what)

    console.print(pages)
    logins = Table(title="demo logins (demo only, never use these passwords elsewhere)")
    for column in ("username", "password", "role", "scope"):
        logins.add_column(column)
    for account in district.accounts:
        scope = account.place[1] if account.place else account.scope_code
        logins.add_row(account.username, account.password, account.role.value, scope)
    console.print(logins)
    if device_token:
        # On a line of its own (not in a table) so that the link is never wrapped.
        typer.echo("入口核验 Entrance check at the demo operator's place (an enrolled device):")
        typer.echo(f"  {base}/entrance?token={device_token}")
        typer.echo("区根密钥指纹 District root key fingerprint (SHA-256), pinned by the agent:")
        typer.echo(f"  {fingerprint}")
        typer.echo("入口终端 The entrance agent for the same device (offline decisions, sync):")
        typer.echo(f"  {agent_command(base, device_token, fingerprint, _program())}")
        typer.echo(f"  ({ENV_REASON_ZH})\n  ({ENV_REASON_EN})")


def _program() -> str:
    """How to run jointcheck from here: its name when it is on PATH, else this one's path.

    ``make run`` does not activate .venv, so a newcomer's shell has no ``jointcheck``: the
    printed agent command names .venv/bin/jointcheck instead of failing with "not found".
    """
    installed = Path(sys.executable).with_name("jointcheck")
    if shutil.which("jointcheck") or not installed.exists():
        return "jointcheck"
    try:
        return str(installed.relative_to(Path.cwd()))
    except ValueError:
        return str(installed)


@app.command()
def up(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, min=1, max=65535, help="port to listen on"),
) -> None:
    """Create keys if missing, migrate, seed if not yet seeded, print the logins and serve."""
    import uvicorn

    from jointcheck.api.uvicorn_options import uvicorn_options
    from jointcheck.bootstrap import ensure_district_keys
    from jointcheck.registry.demo import build_demo

    created = ensure_secrets(Settings().var_dir)
    if created:
        console.print(f"created key files in var/secrets (0600): {', '.join(created)}")
    settings = load_settings()
    registry = _prepare(settings)
    district = build_demo()
    try:
        with registry.uow() as uow:
            # An empty or partly seeded district (an interrupted first run) is completed.
            incomplete = (
                uow.persons.count(scope_code=district.district_code) < len(district.persons)
                or not {a.username for a in district.accounts} <= uow.accounts.usernames()
            )
        if incomplete:
            _seed(registry, district)
        made = ensure_district_keys(settings, datetime.now(UTC), district.district_code)
        if made:
            console.print(f"created the district's keys and trust material: {', '.join(made)}")
        device_token = _demo_device_token(settings, registry, district)
    finally:
        registry.close()
    _print_welcome(district, host, port, device_token, _root_fingerprint(settings))
    uvicorn.run(
        "jointcheck.api.app:create_app", factory=True, host=host, port=port, **uvicorn_options()
    )
