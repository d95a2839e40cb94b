"""``jointcheck devices list|enroll|revoke``: the district office's entrance terminals (issue 4).

For the district office working on the database directly (``JOINTCHECK_DATABASE_URL``, the
keys in ``var/secrets``), as ``jointcheck db`` and ``demo`` do. It acts as the district
administrator of the place's district; venues and streets use the devices page (``/devices``)
within their own scope instead.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, NoReturn
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from jointcheck.api.checkpoint_service import CheckpointServer
    from jointcheck.bootstrap import Registry
    from jointcheck.config import Settings
    from jointcheck.registry.model import Place
    from jointcheck.security.roles import Principal
    from jointcheck.store.checkpoint_devices import DeviceStatus

app = typer.Typer(
    help="Entrance terminals: list, enroll and revoke checkpoint devices (on the database).",
    no_args_is_help=True,
)
console = Console()
# `devices list`: the columns, and the terminal width below which each device is a block.
COLUMNS = (
    "device",
    "place",
    "entrance",
    "label",
    "enrolled",
    "last seen",
    "skew",
    "bundle",
    "status",
)
WIDE_TABLE = 150

USAGE = 2  # a usage error: what was asked for does not exist or is malformed
FAULT = 1  # the deployment is not ready (keys, database)
DISTRICT_CODE_LENGTH = 6
STREET_CODE_LENGTH = 9
STATUS_DAYS = 7

# code -> (zh-CN, en): what went wrong and what to do.
MESSAGES = {
    "PLACE_UNKNOWN": (
        "没有编号为 {place} 的场所。`jointcheck devices places --search 名称` 可查到场所编号。",
        "No place has id {place}. `jointcheck devices places --search NAME` finds a place's id.",
    ),
    "ENTRANCE_UNKNOWN": (
        "场所 {place} 没有入口“{entrance}”。可用的入口：{entrances}（用 --entrance 指定其一）。",
        (
            "Place {place} has no entrance '{entrance}'. Its entrances: {entrances} (give one with "
            "--entrance)."
        ),
    ),
    "DEVICE_UNKNOWN": (
        "没有编号为 {device} 的终端。`jointcheck devices list` 列出终端编号。",
        "No device has id {device}. `jointcheck devices list` shows the device ids.",
    ),
    "STREET_CODE_INVALID": (
        "街道代码应为 9 位数字（例如 370704001），收到的是“{street}”。",
        "A street code has 9 digits (such as 370704001), not '{street}'.",
    ),
    "ROOT_KEY_MISSING": (
        "缺少区级根密钥 {path}：先运行 `jointcheck demo up`（示例区）或创建本区的密钥。",
        (
            "The district root key {path} is missing: run `jointcheck demo up` (the demo district) "
            "or create the district's keys first."
        ),
    ),
    "NOT_READY": (
        (
            "无法打开数据库或密钥（{detail}）：检查 JOINTCHECK_DATABASE_URL 和 var/secrets，"
            "并运行 `jointcheck db upgrade`。"
        ),
        (
            "Cannot open the database or the keys ({detail}): check JOINTCHECK_DATABASE_URL and "
            "var/secrets, and run `jointcheck db upgrade`."
        ),
    ),
}


def fail(code: str, exit_code: int = USAGE, **values: object) -> NoReturn:
    """Say what went wrong and what to do (code, zh-CN, en) and exit."""
    zh, en = MESSAGES[code]
    typer.echo(f"{code}: {zh.format(**values)}\n{code}: {en.format(**values)}", err=True)
    raise typer.Exit(code=exit_code)


def open_deployment() -> tuple[Settings, Registry]:
    """The deployment's settings and registry, or NOT_READY (what to check) and exit 1."""
    from jointcheck.bootstrap import build_registry
    from jointcheck.config import load_settings
    from jointcheck.errors import JointcheckError

    try:
        settings = load_settings()
        return settings, build_registry(settings)
    except JointcheckError as exc:
        fail("NOT_READY", FAULT, detail=exc.code)


def _server(settings: Settings, registry: Registry) -> CheckpointServer:
    from jointcheck.api.checkpoint_service import CheckpointServer

    return CheckpointServer.of(settings, registry, lambda: datetime.now(UTC))


def _office(admin_code: str) -> Principal:
    """The district office: the district administrator of the district ADMIN_CODE lies in."""
    from jointcheck.security.roles import Principal, Role

    return Principal(
        account_id=0,
        username="cli:district-office",
        role=Role.DISTRICT_ADMIN,
        scope_code=admin_code[:DISTRICT_CODE_LENGTH],
    )


def _place(registry: Registry, place_id: int) -> Place:
    with registry.uow() as uow:
        place = uow.places.get(place_id)
    if place is None:
        fail("PLACE_UNKNOWN", place=place_id)
    return place


def _when(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value is not None else "-"


def _skew(ms: int | None) -> str:
    # + 0.0: a few milliseconds behind reads +0.0 s, not -0.0 s.
    return "-" if ms is None else f"{round(ms / 1000, 1) + 0.0:+.1f} s"


@app.command("list")
def list_devices(
    place: int | None = typer.Option(None, "--place", min=1, help="only this place's devices"),
    street: str | None = typer.Option(
        None, "--street", help="only the devices of this street (its 9-digit code)"
    ),
) -> None:
    """List the enrolled devices (revoked ones too) as a table.

    Exits with code 2 for an unknown place or a malformed street code.

    Columns: device id, place, entrance, label, enrolled, last seen, clock skew (server minus
    device, at its last sync), bundle version (from its checks of the last 7 days), status.
    Times are in the deployment's time zone.
    """
    from jointcheck.store.checkpoint_devices import device_statuses
    from jointcheck.store.checkpoint_models import district_day

    if street is not None and not (street.isdigit() and len(street) == STREET_CODE_LENGTH):
        fail("STREET_CODE_INVALID", street=street)
    settings, registry = open_deployment()
    try:
        if place is not None:
            _place(registry, place)
        since = district_day(datetime.now(UTC)) - timedelta(days=STATUS_DAYS)
        with registry.uow() as uow:
            devices = device_statuses(uow.session, since=since, place_id=place, scope_code=street)
            places = {d.place_id: uow.places.get(d.place_id) for d in devices}
    finally:
        registry.close()
    rows = _rows(devices, places, ZoneInfo(settings.timezone))
    if console.width >= WIDE_TABLE:
        console.print(_table(rows))
        return
    # A narrow terminal would cut the table's cells with an ellipsis, the device id that
    # `devices revoke` takes among them: one block per device instead, the id whole.
    typer.echo(f"入口终端 Entrance devices: {len(rows)}")
    for row in rows:
        values = dict(zip(COLUMNS, row, strict=True))
        # The first line says which terminal and where; the second, how it has been syncing.
        first, second = ("device", "status", "place", "entrance", "label"), COLUMNS[4:8]
        typer.echo(f"{values['device']}  " + " · ".join(f"{k} {values[k]}" for k in first[1:]))
        typer.echo("  " + " · ".join(f"{k} {values[k]}" for k in second))


def _rows(
    devices: list[DeviceStatus], places: dict[int, Place | None], zone: ZoneInfo
) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for d in devices:
        where = places.get(d.place_id)
        entrances = {e.id: e.name for e in where.entrances} if where is not None else {}
        rows.append((
            d.id,
            f"{d.place_id} {where.name if where is not None else ''}".strip(),
            entrances.get(d.entrance_id, "main") if d.entrance_id is not None else "main",
            d.label or "-",
            _when(d.enrolled_at, zone),
            _when(d.last_seen_at, zone),
            _skew(d.last_skew_ms),
            str(d.bundle_version) if d.bundle_version is not None else "-",
            f"revoked {_when(d.revoked_at, zone)}" if d.revoked else "active",
        ))  # fmt: skip
    return rows


def _table(rows: list[tuple[str, ...]]) -> Table:
    table = Table(title=f"入口终端 Entrance devices: {len(rows)}")
    table.add_column(COLUMNS[0], no_wrap=True, min_width=36)  # whole: `devices revoke` takes it
    for column in COLUMNS[1:]:
        table.add_column(column, justify="right" if column == "bundle" else "left")
    for row in rows:
        table.add_row(*row)
    return table


@app.command()
def places(
    street: str | None = typer.Option(
        None, "--street", help="only the places of this street (its 9-digit code)"
    ),
    search: str = typer.Option("", "--search", help="a part of the place's name or address"),
    limit: int = typer.Option(50, "--limit", min=1, max=1000, help="at most this many"),
) -> None:
    """Find places and their ids (for enroll --place), with their entrances and devices.

    Exits with code 2 for a malformed street code.
    """
    from jointcheck.store.checkpoint_devices import places_with_devices

    if street is not None and not (street.isdigit() and len(street) == STREET_CODE_LENGTH):
        fail("STREET_CODE_INVALID", street=street)
    _, registry = open_deployment()
    try:
        with registry.uow() as uow:
            found, total = places_with_devices(
                uow.session, scope_code=street, search=search.strip(), limit=limit
            )
            entrances = {p.place_id: uow.places.get(p.place_id) for p in found}
    finally:
        registry.close()
    table = Table(title=f"场所 Places: {len(found)} / {total}")
    for column in ("id", "place", "address", "community", "entrances", "active", "revoked"):
        table.add_column(
            column, justify="right" if column in {"id", "active", "revoked"} else "left"
        )
    for p in found:
        where = entrances.get(p.place_id)
        names = ", ".join(e.name for e in where.entrances) if where is not None else ""
        table.add_row(
            str(p.place_id), p.name, p.address, p.admin_code, names or "-",
            str(p.active), str(p.revoked),
        )  # fmt: skip
    console.print(table)


@app.command()
def enroll(
    place: int = typer.Option(..., "--place", min=1, help="the place's id"),
    entrance: str = typer.Option(
        ..., "--entrance", help="one of the place's entrances, by name ('' for a place with none)"
    ),
    label: str = typer.Option("", "--label", help="a name staff recognise (up to 100 characters)"),
    server_url: str = typer.Option(
        "http://127.0.0.1:8000",
        "--server",
        help="the server's address as the terminal reaches it (for the printed agent command)",
    ),
) -> None:
    """Enroll a terminal at a place's entrance: its token, the root key's fingerprint, the
    agent command.

    The token is printed this once (the server keeps only its hash), with the district root
    key's fingerprint that the agent pins and the command that starts the agent on the
    terminal. Exits with code 2 for an unknown place or entrance.
    """
    from jointcheck.bootstrap import DistrictKeyFiles
    from jointcheck.checkpoint.enrollment import ENV_REASON_EN, ENV_REASON_ZH, agent_command
    from jointcheck.errors import InputError

    settings, registry = open_deployment()
    try:
        where = _place(registry, place)
        names = [e.name for e in where.entrances]
        if entrance not in names and (names or entrance):
            fail(
                "ENTRANCE_UNKNOWN",
                place=place,
                entrance=entrance,
                entrances=", ".join(names) or "''",
            )
        root = DistrictKeyFiles.of(settings).root_public
        if not root.is_file():
            fail("ROOT_KEY_MISSING", FAULT, path=root)
        server = _server(settings, registry)
        fingerprint = server.root_fingerprint()  # read before a token exists to be lost
        try:
            device, token = server.enroll(_office(where.admin_code), place, entrance, label)
        except InputError as exc:  # the place or entrance went away meanwhile
            fail("PLACE_UNKNOWN" if exc.code == "PLACE_UNKNOWN" else "ENTRANCE_UNKNOWN",
                 place=place, entrance=entrance, entrances=", ".join(names) or "''")  # fmt: skip
    finally:
        registry.close()
    base = server_url.rstrip("/")
    typer.echo(f"已登记终端 Enrolled device {device.id}: {where.name} · {entrance or 'main'}")
    typer.echo("终端令牌（只显示这一次）Device token (shown this once):")
    typer.echo(f"  {token}")
    typer.echo("区根密钥指纹 District root key fingerprint (SHA-256), pinned by the agent:")
    typer.echo(f"  {fingerprint}")
    typer.echo("在终端上运行 Run on the terminal:")
    typer.echo(f"  {agent_command(base, token, fingerprint)}")
    typer.echo(f"  ({ENV_REASON_ZH})\n  ({ENV_REASON_EN})")
    typer.echo("或在终端浏览器中打开一次 Or open once in the terminal's browser:")
    typer.echo(f"  {base}/entrance?token={token}")


@app.command()
def revoke(
    device_id: str = typer.Argument(..., help="the device's id (see `devices list`)"),
) -> None:
    """Revoke a device (a lost terminal).

    A running server refuses its token within 2 s (a server process keeps the devices it read
    by token that long); the checks it has not uploaded stay on the terminal. A device revoked
    before is left as it is. Exits with code 2 for an unknown id.
    """
    from jointcheck.store.checkpoint_devices import device_statuses

    settings, registry = open_deployment()
    try:
        with registry.uow() as uow:
            found = device_statuses(
                uow.session, since=datetime.now(UTC).date(), device_id=device_id
            )
        if not found:
            fail("DEVICE_UNKNOWN", device=device_id)
        device = found[0]
        if device.revoked:
            zone = ZoneInfo(settings.timezone)
            typer.echo(f"已注销 Already revoked {device.id} at {_when(device.revoked_at, zone)}")
            return
        server = _server(settings, registry)
        server.revoke(_office(device.admin_code), device.id)
    finally:
        registry.close()
    typer.echo(f"已注销 Revoked {device.id}: a running server refuses its token within 2 s")
