"""``jointcheck checkpoint --server URL --token TOKEN``: the entrance agent on a terminal.

Serves the entrance page on http://127.0.0.1:PORT/, decides with no network, keeps checks and
registrations in a local outbox (SQLite, WAL; registrations sealed with the device key) and
uploads them when the server is reachable (issue 4, offline operation).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import typer

KEY_FILE = "device.key"
OUTBOX_FILE = "outbox.db"


def _device_key(folder: Path) -> bytes:
    from jointcheck.checkpoint.sealing import DeviceSealer

    path = folder / KEY_FILE
    if not path.exists():
        # 0600 from creation: the key never exists readable by others, even for a moment.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(DeviceSealer.new_key())
    return path.read_bytes()


def run(
    server: str = typer.Option(..., help="the district server, e.g. http://127.0.0.1:8000"),
    token: str = typer.Option(..., envvar="JOINTCHECK_DEVICE_TOKEN", help="the device token"),
    port: int = typer.Option(8765, help="local port of the entrance page"),
    data: Path = typer.Option(Path("var/checkpoint-agent"), help="outbox and device key"),
    sync_interval: float = typer.Option(5.0, help="seconds between syncs"),
) -> None:
    """Run the entrance agent: the entrance page on localhost, offline decisions, sync."""
    import uvicorn

    from jointcheck.api.agent_app import create_agent_app
    from jointcheck.api.agent_transport import HttpTransport
    from jointcheck.checkpoint.agent import Agent
    from jointcheck.checkpoint.outbox import Outbox
    from jointcheck.checkpoint.sealing import DeviceSealer
    from jointcheck.checkpoint.sync import Unreachable

    data.mkdir(parents=True, exist_ok=True)
    transport = HttpTransport(server, token)
    agent = Agent(
        Outbox(data / OUTBOX_FILE),
        transport,
        DeviceSealer(_device_key(data)),
        clock=lambda: datetime.now(UTC),
    )
    try:
        agent.start()
    except Unreachable as exc:
        typer.echo(f"cannot reach {server} for the first enrollment: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    agent.sync()
    typer.echo(f"entrance page: http://127.0.0.1:{port}/")
    app = create_agent_app(agent, sync_interval=sync_interval)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
