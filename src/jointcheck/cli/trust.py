"""``jointcheck keys|trust``: the district's key material and trust list.

Operators work on a plain working file (the trust list's JSON payload), then ``sign`` it with
the district root key into the document that checkpoints pin and load (docs/issuance.md); the
revocation list has the same cycle in ``cli/revocation.py``, which shares this module's
helpers. Exit status: 0 done, 1 a signed document was refused (forged, outdated), 2 a file or
an option could not be used.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import typer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from rich.console import Console
from rich.table import Table

from jointcheck.credentials import keyfiles, shc_keys, trust
from jointcheck.credentials.keyfiles import PrivateKey
from jointcheck.credentials.keys import Role, TrustedKey
from jointcheck.errors import JointcheckError, KeyMaterialError, TrustListError

keys_app = typer.Typer(
    help="Create the district's keys (0600 PEM files) and rotate its root key.",
    no_args_is_help=True,
)
trust_app = typer.Typer(help="Build, sign and inspect the trust list.", no_args_is_help=True)

P = ParamSpec("P")
R = TypeVar("R")


def faults_exit_2(command: Callable[P, R]) -> Callable[P, R]:
    """Print a fault (bad file, bad key, bad option) as one line and exit with status 2; a
    code the pages also answer is followed by its zh-CN and en messages, which say what to do
    (house rule 2)."""

    @functools.wraps(command)  # Typer reads the options from the wrapped signature
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except JointcheckError as exc:
            raise fault_exit(exc) from exc

    return wrapper


def fault_exit(exc: JointcheckError) -> typer.Exit:
    """Say the fault ('error [CODE]: detail', then CODE's catalog messages); the exit (2)."""
    typer.echo(f"error [{exc.code}]: {exc}", err=True)
    for message in described(exc.code):
        typer.echo(f"  {message}", err=True)
    return typer.Exit(2)


def described(code: str) -> list[str]:
    """CODE's zh-CN and en messages from the pages' catalog, or none for a code it lacks or
    words for a page's visitor (see PAGE_ONLY)."""
    from jointcheck.web.i18n import LOCALES, catalog  # the catalog is read on a fault only

    entry = catalog().get(f"error.{code}")
    return [] if entry is None or code in PAGE_ONLY else [entry[loc] for loc in LOCALES]


# Catalog messages that speak to a page's visitor ("invalid input", "the server's key files:
# contact the administrator"): the operator at the command line is that administrator, and
# the one-line detail says more.
PAGE_ONLY = frozenset({
    "INPUT_INVALID", "INTERNAL_ERROR", "KEY_MATERIAL_INVALID", "TRUST_LIST_INVALID",
    "CONFIG_INVALID", "CONFIG_WEAK_SECRET", "STORE_ERROR",
})  # fmt: skip


def load_signing_key(path: Path | None, env: str | None) -> PrivateKey:
    """A private key from a 0600 file, or from the PEM text in environment variable ENV."""
    if path is not None:
        return keyfiles.read_signing_key(path)
    if env:
        value = os.environ.get(env)
        if not value:
            raise KeyMaterialError(f"environment variable {env} is not set")
        return keyfiles.signing_key_from_pem(value.encode(), f"${env}")
    raise KeyMaterialError("give --key FILE or --key-env VARIABLE")


def load_root_key(path: Path | None, env: str | None) -> ec.EllipticCurvePrivateKey:
    key = load_signing_key(path, env)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise KeyMaterialError("the district root key is ECDSA P-256")
    return key


def read_file(path: Path) -> bytes:
    """The bytes of PATH, or a TrustListError (exit status 2 under ``faults_exit_2``)."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TrustListError(f"cannot read {path}: {exc.strerror}") from exc


def _read_payload(path: Path) -> dict[str, Any]:
    try:
        payload = json.loads(read_file(path))
    except ValueError as exc:
        raise TrustListError(f"{path} is not JSON") from exc
    if not isinstance(payload, dict):
        raise TrustListError(f"{path} is not a trust-list working file")
    return payload


def _write_payload(path: Path, payload: dict[str, Any]) -> None:
    trust.trust_list_from_payload(payload)  # never write a working file that cannot be signed
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _kid_text(kid: bytes) -> str:
    return f"{trust.b64(kid)} (hex {kid.hex()})"


def _parse_kid(text: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        return trust.unb64(text, "kid")


def _parse_instant(text: str | None, what: str) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise TrustListError(f"{what}: not an ISO 8601 instant: {text!r}") from exc
    if value.tzinfo is None:
        raise TrustListError(f"{what}: give a time zone, e.g. {text}Z")
    return value.astimezone(UTC)


# --- keys ----------------------------------------------------------------------------------


@keys_app.command("create")
@faults_exit_2
def keys_create(
    out: Path = typer.Argument(..., help="the private key file to write (0600)"),
    kind: str = typer.Option("issuer", "--kind", help="root | issuer | subject"),
) -> None:
    """Create a key: root (signs trust and revocation lists), issuer, or subject (HMAC)."""
    if kind == "subject":
        keyfiles.write_subject_key(out)
        typer.echo(f"wrote subject key {out} (0600)")
        return
    if kind not in {"root", "issuer"}:
        raise KeyMaterialError(f"unknown key kind {kind!r}: root, issuer or subject")
    key = keyfiles.generate_signing_key()
    pub = keyfiles.write_signing_key(out, key)
    typer.echo(f"wrote {kind} key {out} (0600) and its public key {pub}")
    typer.echo(f"kid {_kid_text(keyfiles.kid_for_spki(key.public_key()))}")


# --- trust list ----------------------------------------------------------------------------


@trust_app.command("init")
@faults_exit_2
def trust_init(
    work: Path = typer.Argument(..., help="the working file to create"),
    version: int = typer.Option(1, "--version", min=0, help="the list version (only grows)"),
    district: str = typer.Option("", "--district", help="district code, e.g. 370704"),
) -> None:
    """Start a trust-list working file."""
    if work.exists():
        raise TrustListError(f"{work} exists")
    _write_payload(work, trust.new_payload(version, district, datetime.now(UTC)))
    typer.echo(f"created {work} (version {version})")


@trust_app.command("add-issuer")
@faults_exit_2
def trust_add_issuer(
    work: Path = typer.Argument(..., help="trust-list working file"),
    public_key: Path = typer.Option(..., "--public-key", help="issuer public key or certificate"),
    roles: list[Role] = typer.Option(..., "--role", help="role the key may sign (repeatable)"),
    name: str = typer.Option(..., "--name", help="issuer name shown at checkpoints"),
    level: int | None = typer.Option(None, "--level", min=1, max=3, help="hospital level"),
    not_before: str | None = typer.Option(None, "--not-before", help="ISO 8601 instant"),
    not_after: str | None = typer.Option(None, "--not-after", help="ISO 8601 instant"),
) -> None:
    """Add an issuer key with its roles (and level, for a medical institution)."""
    data = read_file(public_key)
    key = keyfiles.public_key_from_bytes(data, str(public_key))
    spki = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    entry = trust.issuer_entry(
        kid=keyfiles.kid_for_spki(key),
        roles=roles,
        issuer=name,
        spki=spki,
        level=level,
        not_before=_parse_instant(not_before, "--not-before"),
        not_after=_parse_instant(not_after, "--not-after"),
    )
    _write_payload(work, trust.add_issuer(_read_payload(work), entry))
    typer.echo(f"added {name}: kid {_kid_text(keyfiles.kid_for_spki(key))}")


@trust_app.command("import-dsc")
@faults_exit_2
def trust_import_dsc(
    work: Path = typer.Argument(..., help="trust-list working file"),
    certificates: list[Path] = typer.Argument(..., help="DCC signing certificates, PEM or DER"),
) -> None:
    """Import DCC signing certificates (kid: first 8 bytes of SHA-256 of the DER, hcert A.1)."""
    payload = _read_payload(work)
    for path in certificates:
        certificate = keyfiles.certificate_from_bytes(read_file(path), str(path))
        payload = trust.add_issuer(payload, trust.dsc_entry(certificate))
        typer.echo(f"imported {path}: kid {_kid_text(keyfiles.kid_for_certificate(certificate))}")
    _write_payload(work, payload)


@trust_app.command("import-jwks")
@faults_exit_2
def trust_import_jwks(
    work: Path = typer.Argument(..., help="trust-list working file"),
    iss: str = typer.Argument(..., help="the SMART Health Card issuer URL (the cards' iss)"),
    jwks: Path = typer.Argument(..., help="the issuer's .well-known/jwks.json"),
) -> None:
    """Import a SMART Health Card issuer's signing keys (role shc_issuer, bound to ISS)."""
    entries = shc_keys.jwks_trust_entries(iss, read_file(jwks))
    if not entries:
        raise TrustListError(f"{jwks} holds no ES256 signing key (kty EC, use sig, alg ES256)")
    payload = _read_payload(work)
    for entry in entries:
        payload = trust.add_issuer(payload, entry)
        typer.echo(f"imported {iss}: kid {trust.unb64(entry['kid'], 'kid').decode('ascii')}")
    _write_payload(work, payload)


@trust_app.command("remove-issuer")
@faults_exit_2
def trust_remove_issuer(
    work: Path = typer.Argument(..., help="trust-list working file"),
    kid: str = typer.Option(..., "--kid", help="kid in base64 or hex"),
) -> None:
    """Remove every key with this kid."""
    payload, removed = trust.remove_issuer(_read_payload(work), _parse_kid(kid))
    if not removed:
        raise TrustListError(f"no issuer with kid {kid}")
    _write_payload(work, payload)
    typer.echo(f"removed {removed} key(s)")


@trust_app.command("sign")
@faults_exit_2
def trust_sign(
    work: Path = typer.Argument(..., help="trust-list working file"),
    out: Path = typer.Option(..., "--out", help="the signed trust list to write"),
    key: Path | None = typer.Option(None, "--key", help="district root key (0600 PEM)"),
    key_env: str | None = typer.Option(None, "--key-env", help="variable holding the root key PEM"),
    version: int | None = typer.Option(None, "--version", min=0, help="set the version first"),
) -> None:
    """Sign the working file with the district root key."""
    payload = _read_payload(work)
    if version is not None:
        payload["version"] = version
    payload["issued_at"] = datetime.now(UTC).isoformat()
    document = trust.sign_trust_list(payload, load_root_key(key, key_env))
    _write_payload(work, payload)
    out.write_bytes(document)
    typer.echo(f"signed trust list version {payload['version']} -> {out}")


def _signed_payload_unchecked(data: bytes, path: Path) -> object:
    try:
        return json.loads(data)["payload"]
    except (ValueError, KeyError, TypeError) as exc:
        raise TrustListError(f"{path} is not a trust list") from exc


def _issuer_table(keys: tuple[TrustedKey, ...]) -> Table:
    table = Table("kid", "roles", "level", "issuer", "not before", "not after")
    for key in keys:
        not_before = key.certificate.not_valid_before_utc if key.certificate else key.not_before
        not_after = key.certificate.not_valid_after_utc if key.certificate else key.not_after
        table.add_row(
            trust.b64(key.kid),
            ", ".join(sorted(key.roles)),
            str(key.level or ""),
            key.issuer,
            not_before.isoformat() if not_before else "",
            not_after.isoformat() if not_after else "",
        )
    return table


@trust_app.command("inspect")
@faults_exit_2
def trust_inspect(
    path: Path = typer.Argument(..., help="a signed trust list or a working file"),
    root: Path | None = typer.Option(None, "--root", help="pinned root public key: verify"),
) -> None:
    """Show a trust list; with --root, verify its signature first (exit 1 if forged)."""
    data = read_file(path)
    signed = b'"signature"' in data
    if root is not None:
        try:
            listed = trust.open_trust_list(data, keyfiles.read_public_key(root))
        except TrustListError as exc:
            typer.echo(f"refused [{exc.code}]: {exc}")
            raise typer.Exit(1) from exc
        state = "signature verified"
    else:
        payload = _signed_payload_unchecked(data, path) if signed else _read_payload(path)
        listed = trust.trust_list_from_payload(payload)
        state = "signature NOT checked (give --root)" if signed else "unsigned working file"
    console = Console()
    console.print(f"trust list version {listed.version}, district {listed.district or '-'}")
    console.print(f"issued at {listed.issued_at.isoformat() if listed.issued_at else '-'}; {state}")
    console.print(_issuer_table(listed.keys))
