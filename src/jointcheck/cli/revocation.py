"""``jointcheck revocation``: build, sign and inspect the district's revocation list.

Operators work on a plain working file (one ``kind value`` per line), then ``sign`` it with the
district root key into the compact binary list that checkpoints load (docs/issuance.md). Exit
status: 0 done, 1 a signed list was refused (forged, outdated), 2 a file or an option could not
be used.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from jointcheck.cli.trust import faults_exit_2, load_root_key, read_file
from jointcheck.credentials import keyfiles, revocation, shc_keys
from jointcheck.errors import TrustListError

revocation_app = typer.Typer(
    help="Build, sign and inspect the revocation list.", no_args_is_help=True
)

_KIND_HELP = "uvci (the UVCI itself), uvci-hash, rid (<kid>.<rid>[.<timestamp>]), credential_id"


def _append(work: Path, lines: list[str]) -> None:
    try:
        with work.open("a", encoding="utf-8") as out:
            out.writelines(line + "\n" for line in lines)
    except OSError as exc:
        raise TrustListError(f"cannot write {work}: {exc.strerror}") from exc


@revocation_app.command("add")
@faults_exit_2
def revocation_add(
    work: Path = typer.Argument(..., help="revocation working file (created if missing)"),
    kind: str = typer.Argument(..., help=_KIND_HELP),
    values: list[str] = typer.Argument(..., help="the entries to revoke"),
) -> None:
    """Add entries to the working file (UVCIs are stored hashed, never in clear)."""
    lines = [revocation.working_line(kind, value) for value in values]
    _append(work, lines)
    typer.echo(f"added {len(lines)} entr{'y' if len(lines) == 1 else 'ies'} to {work}")


@revocation_app.command("import-shc-crl")
@faults_exit_2
def revocation_import_shc_crl(
    work: Path = typer.Argument(..., help="revocation working file (created if missing)"),
    iss: str = typer.Argument(..., help="the SMART Health Card issuer URL (the cards' iss)"),
    crl: Path = typer.Argument(..., help="the issuer's .well-known/crl/<kid>.json"),
) -> None:
    """Add a SMART Health Card key's revoked rids, timestamped ones as cut-offs."""
    shc_keys.check_issuer_url(iss)
    loaded = shc_keys.load_crl(read_file(crl))
    lines = [f"# SHC CRL of {iss}, kid {loaded.kid}, ctr {loaded.ctr}"]
    lines += [revocation.working_line(kind, value) for kind, value in loaded.entries()]
    lines += [revocation.cutoff_line(v, t) for v, t in sorted(loaded.cutoffs.items())]
    _append(work, lines)
    typer.echo(
        f"added kid {loaded.kid}: {len(loaded.revoked)} rid(s), {len(loaded.cutoffs)} cut-off(s)"
    )


@revocation_app.command("sign")
@faults_exit_2
def revocation_sign(
    work: Path = typer.Argument(..., help="revocation working file"),
    out: Path = typer.Option(..., "--out", help="the signed revocation list to write"),
    version: int = typer.Option(..., "--version", min=0, help="the list version (only grows)"),
    key: Path | None = typer.Option(None, "--key", help="district root key (0600 PEM)"),
    key_env: str | None = typer.Option(None, "--key-env", help="variable holding the root key PEM"),
) -> None:
    """Sign the working file into the compact binary list checkpoints load."""
    entries = revocation.parse_working_file(read_file(work).decode("utf-8"))
    hashes, cutoffs = revocation.compile_entries(entries)
    data = revocation.encode_revocation_list(
        hashes,
        cutoffs=cutoffs,
        version=version,
        issued_at=datetime.now(UTC),
        root_key=load_root_key(key, key_env),
    )
    out.write_bytes(data)
    typer.echo(
        f"signed revocation list version {version}: {len(hashes)} entries, "
        f"{len(cutoffs)} rid cut-offs -> {out}"
    )


def _check_line(listed: revocation.RevocationList, item: str) -> str:
    kind, _, value = item.partition("=")
    stored_kind, _, stored = revocation.working_line(kind, value).partition(" ")
    cutoff = listed.rid_cutoff(stored) if stored_kind == revocation.RID else None
    if listed.is_revoked(stored_kind, stored):
        return f"{item}: REVOKED"
    if cutoff is None:
        return f"{item}: not revoked"
    return (
        f"{item}: REVOKED if issued (nbf) before {datetime.fromtimestamp(cutoff, UTC).isoformat()}"
    )


@revocation_app.command("inspect")
@faults_exit_2
def revocation_inspect(
    path: Path = typer.Argument(..., help="a signed revocation list"),
    root: Path = typer.Option(..., "--root", help="pinned root public key"),
    check: list[str] = typer.Option([], "--check", help="KIND=VALUE to look up (repeatable)"),
) -> None:
    """Verify a revocation list and show its version and size; look entries up."""
    data = read_file(path)
    try:
        listed = revocation.open_revocation_list(data, keyfiles.read_public_key(root))
    except TrustListError as exc:
        typer.echo(f"refused [{exc.code}]: {exc}")
        raise typer.Exit(1) from exc
    typer.echo(f"revocation list version {listed.version}, issued {listed.issued_at.isoformat()}")
    typer.echo(
        f"{listed.count} entries, {listed.cutoff_count} rid cut-offs, {len(data)} bytes; "
        "signature verified"
    )
    for item in check:
        typer.echo(_check_line(listed, item))
