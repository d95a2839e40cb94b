"""``jointcheck checkpoint --server URL --token TOKEN --root-key FINGERPRINT``: the entrance
agent on a terminal.

Serves the entrance page on http://127.0.0.1:PORT/, decides with no network, keeps checks and
registrations in a local outbox (SQLite, WAL; registrations sealed with the device key) and
uploads them when the server is reachable (issue 4, offline operation). The district root key
is pinned at enrollment: the agent starts only with the key's fingerprint (or its PEM file),
or with a key it pinned before in its data folder.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import typer

KEY_FILE = "device.key"
OUTBOX_FILE = "outbox.db"
REFUSED = 2


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


def refuse(code: str, detail: str) -> typer.Exit:
    """Say why the agent does not start (code, zh-CN, en, detail) and exit with code 2."""
    from jointcheck.checkpoint.reasons import trust_message

    zh, en = trust_message(code)
    typer.echo(f"{code}: {zh}\n{code}: {en}\n({detail})", err=True)
    return typer.Exit(code=REFUSED)


def run(
    server: str = typer.Option(..., help="the district server, e.g. http://127.0.0.1:8000"),
    token: str = typer.Option(..., envvar="JOINTCHECK_DEVICE_TOKEN", help="the device token"),
    root_key: str = typer.Option(
        "",
        envvar="JOINTCHECK_ROOT_KEY",
        help="the district root key to pin: its SHA-256 fingerprint as shown at enrollment "
        "(64 hex digits; case and ':' '-' separators do not matter) or the path of its PEM "
        "public key file. Needed at the first start; later the key pinned in --data is used, "
        "and a different one given here is refused.",
    ),
    port: int = typer.Option(8765, help="local port of the entrance page"),
    data: Path = typer.Option(Path("var/checkpoint-agent"), help="outbox and device key"),
    sync_interval: float = typer.Option(5.0, help="seconds between syncs"),
) -> None:
    """Run the entrance agent: the entrance page on localhost, offline decisions, sync.

    Exits with code 2 when it cannot start: no pinned root key (ROOT_PIN_REQUIRED), a
    --root-key that is neither a fingerprint nor a PEM file (ROOT_PIN_INVALID), a server whose
    root key is not the pinned one (ROOT_PIN_MISMATCH), or no server at the first start.
    """
    import uvicorn

    from jointcheck.api.agent_app import create_agent_app
    from jointcheck.api.agent_transport import HttpTransport
    from jointcheck.checkpoint.agent import Agent
    from jointcheck.checkpoint.outbox import Outbox
    from jointcheck.checkpoint.sealing import DeviceSealer
    from jointcheck.checkpoint.sync import Unreachable
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
    except Unreachable as exc:
        typer.echo(f"cannot reach {server} for the first enrollment: {exc}", err=True)
        raise typer.Exit(code=REFUSED) from exc
    except TrustListError as exc:
        raise refuse(exc.code, str(exc)) from exc
    agent.sync()
    typer.echo(f"entrance page: http://127.0.0.1:{port}/")
    app = create_agent_app(agent, sync_interval=sync_interval)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
