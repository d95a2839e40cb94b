"""The ``jointcheck`` command line: one Typer app, one sub-app per feature.

Each feature's commands live in their own module of this package and are registered here.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

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


_KEPT_LINES = re.compile(r"^(\s|[-*] |\d+[.)] )")


def reflowed(doc: str) -> str:
    """DOC with each paragraph on one line, lists and indented blocks as they are: Typer
    keeps the line breaks of every paragraph after the first, so a docstring wrapped at 96
    columns came out ragged in an 80-column terminal; Rich wraps a one-line paragraph to
    the terminal's width."""
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(
        p if any(_KEPT_LINES.match(line) for line in p.splitlines()) else " ".join(p.split())
        for p in paragraphs
    )


def _reflow_help(typer_app: typer.Typer) -> None:
    """Every command's and group's docstring in TYPER_APP (and its sub-apps), reflowed."""
    callbacks: list[Callable[..., Any] | None] = [c.callback for c in typer_app.registered_commands]
    if typer_app.registered_callback is not None:
        callbacks.append(typer_app.registered_callback.callback)
    for callback in callbacks:
        if callback is not None and callback.__doc__:
            callback.__doc__ = reflowed(callback.__doc__)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _reflow_help(group.typer_instance)


_reflow_help(app)


def main() -> None:  # pragma: no cover - console entry point
    app()
