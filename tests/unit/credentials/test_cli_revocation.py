"""``jointcheck revocation`` (cli/revocation.py): its commands, exit statuses and look-ups."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

from jointcheck.cli.main import app
from jointcheck.credentials.issue import make_uvci

COMMANDS = ("add", "import-shc-crl", "sign", "inspect")


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def ok(*args: str | Path) -> Result:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result


def _signed(tmp_path: Path, *entries: tuple[str, str]) -> Path:
    ok("keys", "create", tmp_path / "root.pem", "--kind", "root")
    work, signed = tmp_path / "revoked.txt", tmp_path / "revoked.jcrl"
    for kind, value in entries:
        ok("revocation", "add", work, kind, value)
    ok(
        "revocation",
        "sign",
        work,
        "--version",
        "3",
        "--key",
        tmp_path / "root.pem",
        "--out",
        signed,
    )
    return signed


def test_help_lists_every_revocation_command() -> None:
    result = ok("revocation", "--help")
    assert "Build, sign and inspect the revocation list." in result.stdout
    for command in COMMANDS:
        assert command in result.stdout
    for command in COMMANDS:
        assert (
            f"Usage: jointcheck revocation {command} " in ok("revocation", command, "--help").stdout
        )


def test_inspect_looks_entries_up(tmp_path: Path) -> None:
    uvci = make_uvci("FZ", "2021000042")
    signed = _signed(tmp_path, ("uvci", uvci), ("credential_id", "00" * 16))
    result = ok(
        "revocation", "inspect", signed, "--root", tmp_path / "root.pub.pem",
        "--check", f"uvci={uvci}", "--check", f"uvci={make_uvci('FZ', '2021000043')}",
        "--check", f"credential_id={'00' * 16}",
    )  # fmt: skip
    lines = result.stdout.splitlines()
    assert lines[0].startswith("revocation list version 3, issued ")
    assert lines[1].startswith("2 entries, 0 rid cut-offs, ")
    assert lines[2:] == [
        f"uvci={uvci}: REVOKED",
        f"uvci={make_uvci('FZ', '2021000043')}: not revoked",
        f"credential_id={'00' * 16}: REVOKED",
    ]


def test_a_list_under_another_root_is_refused_with_status_1(tmp_path: Path) -> None:
    signed = _signed(tmp_path, ("credential_id", "ab" * 16))
    ok("keys", "create", tmp_path / "other.pem", "--kind", "root")
    result = run("revocation", "inspect", signed, "--root", tmp_path / "other.pub.pem")
    assert result.exit_code == 1
    assert result.stdout.startswith("refused [REVOCATION_LIST_FORGED]")


def test_an_unreadable_working_file_is_a_fault_with_status_2(tmp_path: Path) -> None:
    ok("keys", "create", tmp_path / "root.pem", "--kind", "root")
    key = tmp_path / "root.pem"
    result = run("revocation", "sign", tmp_path / "none.txt", "--version", "1", "--key", key,
                 "--out", tmp_path / "out.jcrl")  # fmt: skip
    assert result.exit_code == 2
    assert "error [" in result.output
    assert "none.txt" in result.output
    assert not (tmp_path / "out.jcrl").exists()
    bad = run("revocation", "add", tmp_path / "w.txt", "no-such-kind", "x")
    assert bad.exit_code == 2
    assert not (tmp_path / "w.txt").exists()
