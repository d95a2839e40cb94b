"""``JOINTCHECK_DEVICE_TOKEN=TOKEN jointcheck checkpoint --server URL --root-key FINGERPRINT``:
the entrance agent on a terminal (the token in the environment, where ``ps`` does not show it
to the terminal's other users; ``--token`` still works).

Serves the entrance page on http://127.0.0.1:PORT/, decides with no network, keeps checks and
registrations in a local outbox (SQLite, WAL; registrations sealed with the device key) and
uploads them when the server is reachable (issue 4, offline operation). The district root key
is pinned at enrollment: the agent starts only with the key's fingerprint (or its PEM file),
or with a key it pinned before in its data folder.

``jointcheck checkpoint outbox --data DIR`` shows what the outbox holds: how many events wait,
went to the server or were refused by it, and the refused ones by id, kind, code and time
(nothing personal), for the district office a terminal's staff call.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import typer

KEY_FILE = "device.key"
OUTBOX_FILE = "outbox.db"
REFUSED = 2
DEFAULT_DATA = Path("var/checkpoint-agent")

app = typer.Typer(invoke_without_command=True)


def _device_key(folder: Path) -> bytes:
    from jointcheck.checkpoint.sealing import DeviceSealer

    path = folder / KEY_FILE
    if not path.exists():
        # 0600 from creation: the key never exists readable by others, even for a moment.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(DeviceSealer.new_key())
    return path.read_bytes()


def root_pin(value: str) -> str:
    """The fingerprint in VALUE: a fingerprint as shown at enrollment, or a PEM key file."""
    from jointcheck.checkpoint.bundle import parse_fingerprint, pem_public_key, root_fingerprint

    path = Path(value).expanduser()
    if path.is_file():
        return root_fingerprint(pem_public_key(path.read_bytes()))
    return parse_fingerprint(value)


# The command's own refusals, beside the trust refusals (house rule 2: code, zh-CN, en).
CLI_REFUSALS = {
    "AGENT_SERVER_MISSING": (
        "运行入口代理须给出 --server（区服务器地址）和环境变量 JOINTCHECK_DEVICE_TOKEN（登记终端时给出的令牌）",
        (
            "Running the entrance agent needs --server (the district server) and the "
            "JOINTCHECK_DEVICE_TOKEN environment variable (the token given at the terminal's "
            "enrollment)"
        ),
    ),
    "DEVICE_REVOKED": (
        "服务器拒绝了此令牌：终端已注销或令牌有误。请致电区疫情防控办公室，或请场所负责人重新登记终端",
        (
            "The server refused this token: the terminal was revoked or the token is wrong. "
            "Call the district office, or ask the place's operator to enroll the terminal again"
        ),
    ),
    "OUTBOX_MISSING": (
        "该文件夹中没有入口代理的待传记录库：请给出代理运行时的 --data 文件夹",
        "No entrance agent outbox in this folder: give the --data folder the agent runs with",
    ),
}


def refuse(code: str, detail: str) -> typer.Exit:
    """Say why the agent does not start (code, zh-CN, en, detail) and exit with code 2."""
    from jointcheck.checkpoint.reasons import trust_message

    zh, en = CLI_REFUSALS.get(code) or trust_message(code)
    typer.echo(f"{code}: {zh}\n{code}: {en}\n({detail})", err=True)
    return typer.Exit(code=REFUSED)


@app.callback()
def run(
    ctx: typer.Context,
    server: str = typer.Option("", help="the district server, e.g. http://127.0.0.1:8000"),
    token: str = typer.Option(
        "",
        envvar="JOINTCHECK_DEVICE_TOKEN",
        help="the device token from enrollment. Prefer the JOINTCHECK_DEVICE_TOKEN environment "
        "variable: a command's arguments are visible to every user of the machine in ps, its "
        "environment only to its owner.",
    ),
    root_key: str = typer.Option(
        "",
        envvar="JOINTCHECK_ROOT_KEY",
        help="the district root key to pin: its SHA-256 fingerprint as shown at enrollment "
        "(64 hex digits; case and ':' '-' separators do not matter) or the path of its PEM "
        "public key file. Needed at the first start; later the key pinned in --data is used, "
        "and a different one given here is refused, unless it is a key the district rotated "
        "away from (keys rotate-root) and this terminal followed, or one it rotated to, "
        "which the server's endorsements lead to from the pinned key (the terminal re-pins).",
    ),
    port: int = typer.Option(8765, help="local port of the entrance page"),
    data: Path = typer.Option(DEFAULT_DATA, help="outbox and device key"),
    sync_interval: float = typer.Option(5.0, help="seconds between syncs"),
) -> None:
    """Run the entrance agent: the entrance page on localhost, offline decisions, sync
    (outbox: what its outbox holds).

    Exits with code 2 when it cannot start: no pinned root key (ROOT_PIN_REQUIRED), a
    --root-key that is neither a fingerprint nor a PEM file (ROOT_PIN_INVALID), a server whose
    root key is not the pinned one nor endorsed by it (ROOT_PIN_MISMATCH), endorsements that
    do not verify (ROOT_CHAIN_BROKEN, ROOT_CHAIN_LOOP, ROOT_CHAIN_TOO_LONG), no server at the
    first start, or without --server and a token (JOINTCHECK_DEVICE_TOKEN).
    """
    if ctx.invoked_subcommand is not None:
        return
    if not (server and token):
        typer.echo(ctx.get_help(), err=True)
        raise refuse(
            "AGENT_SERVER_MISSING",
            "--server and JOINTCHECK_DEVICE_TOKEN (or --token) are needed to run the agent",
        )
    _serve(server, token, root_key, port, data, sync_interval)


def _serve(
    server: str, token: str, root_key: str, port: int, data: Path, sync_interval: float
) -> None:
    import uvicorn

    from jointcheck.api.agent_app import create_agent_app
    from jointcheck.api.agent_transport import HttpTransport
    from jointcheck.checkpoint.agent import Agent
    from jointcheck.checkpoint.outbox import Outbox
    from jointcheck.checkpoint.sealing import DeviceSealer
    from jointcheck.checkpoint.sync import Revoked, Unreachable
    from jointcheck.errors import TrustListError

    try:
        pin = root_pin(root_key) if root_key else None
    except TrustListError as exc:
        raise refuse(exc.code, str(exc)) from exc
    if pin is None and not (data / OUTBOX_FILE).is_file():
        # Refused before anything is created or anyone is contacted.
        raise refuse("ROOT_PIN_REQUIRED", f"no --root-key and no pinned key in {data}")
    data.mkdir(parents=True, exist_ok=True)
    transport = HttpTransport(server, token)
    agent = Agent(
        Outbox(data / OUTBOX_FILE),
        transport,
        DeviceSealer(_device_key(data)),
        clock=lambda: datetime.now(UTC),
        root_pin=pin,
    )
    try:
        agent.start()
    except Revoked as exc:
        raise refuse("DEVICE_REVOKED", str(exc)) from exc
    except Unreachable as exc:
        typer.echo(f"cannot reach {server} for the first enrollment: {exc}", err=True)
        raise typer.Exit(code=REFUSED) from exc
    except TrustListError as exc:
        raise refuse(exc.code, str(exc)) from exc
    agent.sync()
    typer.echo(f"entrance page: http://127.0.0.1:{port}/")
    app = create_agent_app(agent, sync_interval=sync_interval)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


@app.command("outbox")
def outbox(
    data: Path = typer.Option(DEFAULT_DATA, help="the agent's data folder (its --data)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of text"),
) -> None:
    """How many events wait, were sent and were refused, and the refused ones by id and code.

    Only ids, kinds, codes and times: a registration's personal fields stay in the outbox,
    sealed. Safe while the agent runs (the outbox is SQLite in WAL mode). Exits with code 2
    when DATA holds no outbox.
    """
    from jointcheck.checkpoint.outbox import Outbox
    from jointcheck.checkpoint.reasons import refusal_message

    path = data / OUTBOX_FILE
    if not path.is_file():
        raise refuse("OUTBOX_MISSING", f"no outbox in {data}")
    box = Outbox(path)
    try:
        states, refused = box.states(), box.refused_events()
    finally:
        box.close()
    if as_json:
        events = [
            {"id": e.id, "kind": e.kind, "code": e.code, "at": e.at.isoformat()} for e in refused
        ]
        typer.echo(json.dumps({**states, "refused_events": events}, ensure_ascii=False))
        return
    typer.echo(" ".join(f"{name}={n}" for name, n in states.items()))
    for event in refused:
        zh, en = refusal_message(event.code)
        typer.echo(
            f"{event.at.isoformat()}  {event.kind:<12} {event.id}  {event.code}: {en} / {zh}"
        )
