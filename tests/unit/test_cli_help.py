"""Every ``jointcheck ... --help`` a newcomer opens reads as plain text: the summaries and
descriptions come from docstrings, whose reStructuredText literals (``like this``) Typer
prints as they are, backticks and all."""

from __future__ import annotations

from collections.abc import Iterator

import typer
from typer.testing import CliRunner

from jointcheck.cli.main import app


def _commands(group: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of GROUP and of every command under it (a group has ``commands``)."""
    yield path
    for name, command in getattr(group, "commands", {}).items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name)


def test_no_help_shows_docstring_markup() -> None:
    paths = list(_commands(typer.main.get_command(app)))
    assert ("devices", "places") in paths
    assert ("checkpoint",) in paths
    runner = CliRunner()
    for path in paths:
        shown = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert shown.exit_code == 0, (path, shown.output)
        assert "``" not in shown.output, (path, shown.output)
