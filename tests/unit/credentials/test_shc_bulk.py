"""Bulk ``jointcheck verify -``: the chunks of a multi-part SMART Health Card are one card."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shc_cards as c
from typer.testing import CliRunner, Result

from jointcheck.cli.main import app
from jointcheck.credentials.shc_numeric import group_chunks

AT = c.AT.isoformat()


@pytest.fixture(scope="module")
def trust(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folder = tmp_path_factory.mktemp("district")
    runner = CliRunner()
    for args in (
        ["keys", "create", folder / "root.pem", "--kind", "root"],
        ["trust", "init", folder / "work.json"],
        ["trust", "import-jwks", folder / "work.json", c.EXAMPLE_ISS, c.WELL_KNOWN / "jwks.json"],
        [
            "trust",
            "sign",
            folder / "work.json",
            "--key",
            folder / "root.pem",
            "--out",
            folder / "t",
        ],
    ):
        result = runner.invoke(app, [str(a) for a in args])
        assert result.exit_code == 0, result.output
    return ["--trust", str(folder / "t"), "--root", str(folder / "root.pub.pem")]


def verify_lines(trust: list[str], *lines: str) -> tuple[Result, list[dict[str, object]]]:
    stdin = "".join(line.strip() + "\n" for line in lines)
    result = CliRunner().invoke(app, ["verify", "-", "--at", AT, *trust, "--json"], input=stdin)
    assert result.exit_code in {0, 1}, result.output
    return result, [json.loads(line) for line in result.stdout.splitlines()]


def test_three_chunk_lines_are_one_valid_card(trust: list[str]) -> None:
    result, shown = verify_lines(trust, *c.example_chunks())
    assert result.exit_code == 0
    assert len(shown) == 1
    assert (shown[0]["reason"], shown[0]["type"]) == ("OK", "shc_immunization")
    assert all(shown[0]["steps"].values())  # type: ignore[union-attr]


def test_chunks_in_any_order_between_other_codes(trust: list[str]) -> None:
    first, second, third = c.example_chunks()
    lines = [c.example_text(0), third, first, second, c.example_text(1)]
    result, shown = verify_lines(trust, *lines)
    assert result.exit_code == 0
    assert [s["reason"] for s in shown] == ["OK", "OK", "OK"]


def test_a_lone_chunk_is_still_incomplete(trust: list[str]) -> None:
    first, _, third = c.example_chunks()
    result, shown = verify_lines(trust, c.example_text(0), first, c.example_text(1))
    assert result.exit_code == 1
    assert [s["reason"] for s in shown] == ["OK", "SHC_CHUNKS_INCOMPLETE", "OK"]
    _, shown = verify_lines(trust, first, third)
    assert [s["reason"] for s in shown] == ["SHC_CHUNKS_INCOMPLETE"]


def test_a_card_missing_a_chunk_then_whole_cards(trust: list[str]) -> None:
    first, second, _ = c.example_chunks()
    lines = [first, second, c.example_text(0), *c.example_chunks()]
    _, shown = verify_lines(trust, *lines)
    assert [s["reason"] for s in shown] == ["SHC_CHUNKS_INCOMPLETE", "OK", "OK"]


def test_chunks_scanned_twice_are_one_card(trust: list[str]) -> None:
    first, second, third = c.example_chunks()
    _, shown = verify_lines(trust, first, second, first, second, third)
    assert [s["reason"] for s in shown] == ["OK"]


def test_chunks_given_as_arguments_are_one_card_too(trust: list[str]) -> None:
    args = ["verify", *c.example_chunks(), "--at", AT, *trust, "--json"]
    result = CliRunner().invoke(app, [a.strip() for a in args])
    assert result.exit_code == 0, result.output
    assert [json.loads(x)["reason"] for x in result.stdout.splitlines()] == ["OK"]


def test_example_02_chunk_files_one_per_line_are_one_card(trust: list[str]) -> None:
    files = sorted(c.EXAMPLES.glob("example-02-f-qr-code-numeric-value-*.txt"))
    assert len(files) == 3
    stdin = "\n".join(Path(p).read_text() for p in files)  # what `awk 1 FILES` prints
    result = CliRunner().invoke(app, ["verify", "-", "--at", AT, *trust, "--json"], input=stdin)
    assert result.exit_code == 0, result.output
    assert [json.loads(x)["reason"] for x in result.stdout.splitlines()] == ["OK"]


# --- grouping -------------------------------------------------------------------------------


def chunk(index: int, count: int, digits: str = "00") -> str:
    return f"shc:/{index}/{count}/{digits}"


@pytest.mark.parametrize(
    ("texts", "groups"),
    [
        ([], []),
        (["HC1:x", "shc:/00"], [["HC1:x"], ["shc:/00"]]),
        ([chunk(2, 2), chunk(1, 2)], [[chunk(2, 2), chunk(1, 2)]]),
        # The same chunk scanned twice is kept once, in its card.
        ([chunk(1, 2), chunk(1, 2), chunk(2, 2)], [[chunk(1, 2), chunk(2, 2)]]),
        ([chunk(1, 3)] * 1000, [[chunk(1, 3)]]),
        # A complete card ends its group; the next chunk starts another.
        ([chunk(1, 2), chunk(2, 2), chunk(1, 2)], [[chunk(1, 2), chunk(2, 2)], [chunk(1, 2)]]),
        # Another count, another text for an index, or a code between: a new group.
        ([chunk(1, 2), chunk(2, 3)], [[chunk(1, 2)], [chunk(2, 3)]]),
        ([chunk(1, 3), chunk(1, 3, "11")], [[chunk(1, 3)], [chunk(1, 3, "11")]]),
        ([chunk(1, 2), "JKM1:x", chunk(2, 2)], [[chunk(1, 2)], ["JKM1:x"], [chunk(2, 2)]]),
        # Not a chunk at all (index 0): its own group, verified alone.
        (["shc:/0/2/00", chunk(1, 2)], [["shc:/0/2/00"], [chunk(1, 2)]]),
    ],
)
def test_group_chunks(texts: list[str], groups: list[list[str]]) -> None:
    assert list(group_chunks(texts)) == groups
