"""The ``jointcheck`` command line: one Typer app, one sub-app per feature.

Each feature's commands live in their own module of this package and are registered here.
"""

from __future__ import annotations

import typer

from jointcheck import __version__
from jointcheck.cli import (
    bench,
    certlogic,
    checkpoint,
    credentials,
    db,
    demo,
    devices,
    persons,
    policy,
    revocation,
    root_key,
    serve,
    trust,
)

app = typer.Typer(
    name="jointcheck",
    help="证码联查 joint check of health code and vaccination certificate.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Feature sub-apps, one line each.
app.command(name="bench")(bench.bench)
app.add_typer(certlogic.app, name="certlogic")
app.add_typer(policy.app, name="policy")
app.add_typer(db.app, name="db")
app.add_typer(demo.app, name="demo")
app.add_typer(devices.app, name="devices")
app.add_typer(persons.app, name="persons")
trust.keys_app.command(name="rotate-root")(root_key.rotate_root)
app.add_typer(trust.keys_app, name="keys")
app.add_typer(trust.trust_app, name="trust")
app.add_typer(revocation.revocation_app, name="revocation")
app.add_typer(credentials.issue_app, name="issue")
app.command(name="verify")(credentials.verify)
app.add_typer(checkpoint.app, name="checkpoint")
app.command(name="serve")(serve.serve)


@app.command()
def version() -> None:
    """Print the jointcheck version."""
    typer.echo(__version__)


def main() -> None:  # pragma: no cover - console entry point
    app()
