"""The ``jointcheck`` command line: one Typer app, one sub-app per feature.

Each feature's commands live in their own module of this package and are registered here.
"""

from __future__ import annotations

import typer

from jointcheck import __version__
from jointcheck.cli import bench, certlogic

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


@app.command()
def version() -> None:
    """Print the jointcheck version."""
    typer.echo(__version__)


def main() -> None:  # pragma: no cover - console entry point
    app()
