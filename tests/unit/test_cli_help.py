"""Every ``jointcheck ... --help`` a newcomer opens reads as plain text: the summaries and
descriptions come from docstrings, whose reStructuredText literals (``like this``) Typer
prints as they are, backticks and all."""

from __future__ import annotations

from collections.abc import Iterator

import typer
from typer.testing import CliRunner

from jointcheck.cli.main import app, reflowed


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


def test_descriptions_fill_a_narrow_terminal() -> None:
    # Typer keeps the line breaks of every paragraph after a command's first: a docstring
    # wrapped at 96 columns broke an 80-column terminal's lines after a word or two.
    shown = CliRunner().invoke(app, ["checkpoint", "--help"], env={"COLUMNS": "80"})
    assert shown.exit_code == 0, shown.output
    lines = [line.strip() for line in shown.output.splitlines()]
    assert "(ROOT_PIN_REQUIRED), a --root-key that is neither a fingerprint nor a PEM file" in lines


def test_a_paragraph_is_one_line_and_a_list_stays_a_list() -> None:
    doc = """First line
    goes on.

    A second paragraph
    wrapped at some width.

    - a list item
    - another
    """
    assert reflowed(doc) == (
        "First line goes on.\n\nA second paragraph wrapped at some width.\n\n- a list item\n- another"
    )
