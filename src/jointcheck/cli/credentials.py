"""``jointcheck issue ...`` and ``jointcheck verify``: credentials at the command line.

``verify`` reads QR text, a PNG/JPEG image, or one code per line from standard input (``-``,
for bulk checks and audits), and prints each credential with its personal fields masked (R6),
or why it failed, in zh-CN and en. Consecutive chunks of one SMART Health Card
(``shc:/1/3/...``, ``shc:/2/3/...``, ...) are one card with one result. With ``--json``: one
JSON object per code. Exit status: 0 every code valid, 1 any invalid, 2 a usage error (bad
file, bad ``--at``, forged trust list).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import typer
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from rich.console import Console

from jointcheck.cli import credential_view
from jointcheck.cli.trust import faults_exit_2, load_signing_key
from jointcheck.config import load_settings
from jointcheck.credentials import issue, keyfiles, qrimage, revocation, trust
from jointcheck.credentials.keys import NoRevocations, Revocations, Role, TrustedKey
from jointcheck.credentials.model import CodeColour, Verification
from jointcheck.credentials.native import CATEGORIES, DEFAULT_HEALTH_CODE_TTL
from jointcheck.credentials.replay import PresentationLedger
from jointcheck.credentials.shc import verify_shc_chunks
from jointcheck.credentials.shc_numeric import group_chunks
from jointcheck.credentials.verify import VerifierContext
from jointcheck.credentials.verify import verify as verify_text
from jointcheck.errors import InputError, KeyMaterialError

issue_app = typer.Typer(
    help="Issue health codes, vaccination and contraindication certificates.", no_args_is_help=True
)


def _subject_key(path: Path | None, env: str | None) -> bytes:
    import os

    if path is not None:
        return keyfiles.read_subject_key(path)
    if env and os.environ.get(env):
        return keyfiles.subject_key_from_pem(os.environ[env].encode(), f"${env}")
    raise KeyMaterialError("give --subject-key FILE or --subject-key-env VARIABLE (set)")


def _instant(text: str, what: str) -> datetime:
    if text == "now":
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"{what}: not an ISO 8601 instant: {text!r}") from exc
    if value.tzinfo is None:
        raise InputError(f"{what}: give a time zone, e.g. 2021-09-01T08:00:00+08:00 or ...Z")
    return value.astimezone(UTC)


def _day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"{what}: not an ISO 8601 date: {text!r}") from exc


def _emit(text: str, out: Path | None, text_out: Path | None) -> None:
    if out is not None:
        kind = out.suffix.lower().lstrip(".")
        out.write_bytes(qrimage.qr_image(text, kind))
    if text_out is not None:
        text_out.write_text(text + "\n", encoding="ascii")
    else:
        typer.echo(text)


def _health_code_ttl(ttl: int | None, *, paper: bool) -> timedelta:
    """A dynamic code lives minutes (a screenshot goes stale); a paper code cannot refresh, so
    it lives the deployment's paper lifetime, as the holder page's print (issue 4, R14)."""
    if not paper:
        return DEFAULT_HEALTH_CODE_TTL if ttl is None else timedelta(seconds=ttl)
    if ttl is not None:
        raise InputError(
            "--ttl is for the dynamic code; a paper code lives JOINTCHECK_PAPER_CODE_TTL_HOURS"
        )
    return timedelta(hours=load_settings().paper_code_ttl_hours)


_KEY = typer.Option(None, "--key", help="issuer private key (0600 PEM)")
_KEY_ENV = typer.Option(None, "--key-env", help="variable holding the issuer key PEM")
_SUBJECT_KEY = typer.Option(None, "--subject-key", help="district subject key (0600)")
_SUBJECT_ENV = typer.Option(None, "--subject-key-env", help="variable holding the subject key")
_ID = typer.Option(..., "--id-number", help="resident ID number (hashed, never written)")
_NAME = typer.Option(..., "--name", help="name as written, e.g. 张三")
_DOB = typer.Option(..., "--dob", help="date of birth, ISO 8601")
_OUT = typer.Option(None, "--out", help="QR image to write: FILE.png or FILE.svg")
_TEXT_OUT = typer.Option(None, "--text-out", help="write the QR text here, not to stdout")
_AT = typer.Option("now", "--at", help="instant of issue (ISO 8601 with zone, or now)")


@issue_app.command("health-code")
@faults_exit_2
def issue_health_code(  # Typer passes options by keyword
    *,
    colour: CodeColour = typer.Option(..., "--colour", help="green | yellow | red"),
    reason: str = typer.Option("", "--reason", help="why not green (shown at the checkpoint)"),
    ttl: int | None = typer.Option(
        None, "--ttl", min=10, max=3600, help="seconds the code is valid (default 180)"
    ),
    paper: bool = typer.Option(
        False,
        "--paper",
        help="the paper form, for someone without a phone (R14): valid for the deployment's "
        "JOINTCHECK_PAPER_CODE_TTL_HOURS (24 h by default), not --ttl",
    ),
    credential_id: str | None = typer.Option(None, "--credential-id", help="hex; random if absent"),
    id_number: str = _ID,
    name: str = _NAME,
    dob: str = _DOB,
    key: Path | None = _KEY,
    key_env: str | None = _KEY_ENV,
    subject_key: Path | None = _SUBJECT_KEY,
    subject_key_env: str | None = _SUBJECT_ENV,
    at: str = _AT,
    out: Path | None = _OUT,
    text_out: Path | None = _TEXT_OUT,
) -> None:
    """Issue a JKM1: health code, dynamic (short-lived) or with --paper printed (hours)."""
    text = issue.issue_health_code(
        issue.IssuingKey.of(load_signing_key(key, key_env)),
        _subject_key(subject_key, subject_key_env),
        issue.Holder(id_number, name, dob),
        colour=colour,
        reason=reason,
        issued_at=_instant(at, "--at"),
        ttl=_health_code_ttl(ttl, paper=paper),
        credential_id=bytes.fromhex(credential_id) if credential_id else None,
        paper=paper,
    )
    _emit(text, out, text_out)


@issue_app.command("vaccination")
@faults_exit_2
def issue_vaccination(  # Typer passes options by keyword
    *,
    product: str = typer.Option(..., "--product", help=" | ".join(issue.PRODUCTS)),
    dose: int = typer.Option(..., "--dose", min=1),
    doses: int = typer.Option(..., "--doses", min=1, help="doses in the series"),
    on: str = typer.Option(..., "--date", help="date of vaccination"),
    issuer_name: str = typer.Option(..., "--issuer-name", help="certificate issuer (DCC 'is')"),
    uvci: str = typer.Option(..., "--uvci", help="URN:UVCI:01:CN:... or ISSUER/SERIAL"),
    validity_days: int = typer.Option(365, "--validity-days", min=1),
    id_number: str = _ID,
    name: str = _NAME,
    dob: str = _DOB,
    key: Path | None = _KEY,
    key_env: str | None = _KEY_ENV,
    subject_key: Path | None = _SUBJECT_KEY,
    subject_key_env: str | None = _SUBJECT_ENV,
    at: str = _AT,
    out: Path | None = _OUT,
    text_out: Path | None = _TEXT_OUT,
) -> None:
    """Issue an HC1: EU DCC vaccination certificate (country CN)."""
    if not uvci.startswith("URN:UVCI:"):
        code, _, serial = uvci.partition("/")
        uvci = issue.make_uvci(code, serial)
    holder = issue.Holder(id_number, name, dob)
    payload = issue.vaccination_payload(
        holder,
        product=product,
        dose=dose,
        doses=doses,
        on=_day(on, "--date"),
        issuer=issuer_name,
        uvci=uvci,
    )
    text = issue.issue_vaccination(
        issue.IssuingKey.of(load_signing_key(key, key_env)),
        _subject_key(subject_key, subject_key_env),
        holder,
        payload,
        issued_at=_instant(at, "--at"),
        validity=timedelta(days=validity_days),
    )
    _emit(text, out, text_out)


@issue_app.command("contraindication")
@faults_exit_2
def issue_contraindication(  # Typer passes options by keyword
    *,
    category: str = typer.Option(..., "--category", help=" | ".join(CATEGORIES)),
    valid_from: str = typer.Option(..., "--valid-from", help="first day (Asia/Shanghai)"),
    valid_to: str = typer.Option(..., "--valid-to", help="last day (Asia/Shanghai)"),
    id_number: str = _ID,
    name: str = _NAME,
    dob: str = _DOB,
    key: Path | None = _KEY,
    key_env: str | None = _KEY_ENV,
    subject_key: Path | None = _SUBJECT_KEY,
    subject_key_env: str | None = _SUBJECT_ENV,
    at: str = _AT,
    out: Path | None = _OUT,
    text_out: Path | None = _TEXT_OUT,
) -> None:
    """Issue a JJZ1: contraindication certificate (signed by a medical institution)."""
    text = issue.issue_contraindication(
        issue.IssuingKey.of(load_signing_key(key, key_env)),
        _subject_key(subject_key, subject_key_env),
        issue.Holder(id_number, name, dob),
        category=category,
        valid_from=_day(valid_from, "--valid-from"),
        valid_to=_day(valid_to, "--valid-to"),
        issued_at=_instant(at, "--at"),
    )
    _emit(text, out, text_out)


# --- verify --------------------------------------------------------------------------------


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc


def _codes(inputs: list[str]) -> Iterator[str]:
    """Every code to verify: text as given, QR images decoded, stdin one code per line."""
    for item in inputs:
        if item == "-":
            yield from (line.strip() for line in sys.stdin if line.strip())
            continue
        path = Path(item)
        if len(item) < 4096 and path.suffix.lower() in {".png", ".jpg", ".jpeg"}:
            data = _read_file(path)
            if not qrimage.is_image(data):
                raise InputError(f"{path} is not a PNG or JPEG image")
            found = qrimage.read_qr_image(data)
            if not found:
                raise InputError(f"no QR code found in {path}")
            yield from found
            continue
        yield item


def _keyring(trust_file: Path | None, root: Path | None, dscs: list[Path]) -> trust.TrustList:
    keys: list[TrustedKey] = []
    version = 0
    if trust_file is not None:
        if root is None:
            raise InputError("--trust needs --root ROOT_PUB.pem, the pinned district root key")
        listed = trust.open_trust_list(_read_file(trust_file), keyfiles.read_public_key(root))
        keys.extend(listed.keys)
        version = listed.version
    for path in dscs:
        certificate = keyfiles.certificate_from_bytes(_read_file(path), str(path))
        public_key = certificate.public_key()
        if not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
            raise InputError(f"{path}: only EC and RSA signing certificates are supported")
        keys.append(
            TrustedKey(
                kid=keyfiles.kid_for_certificate(certificate),
                public_key=public_key,
                roles=frozenset({Role.DCC_SIGNER}),
                issuer=certificate.subject.rfc4514_string(),
                certificate=certificate,
            )
        )
    if not keys:
        # The usual first try is `jointcheck verify CODE`: say where a deployment keeps them.
        raise InputError(
            "give --trust FILE --root ROOT_PUB.pem (a deployment's, such as `make run`'s: "
            "--trust var/trust/trust-list.json --root var/trust/root.pub.pem), or --dsc CERT"
        )
    return trust.TrustList.of(keys, version=version)


def _revocations(path: Path | None, root: Path | None) -> Revocations:
    if path is None:
        return NoRevocations()
    if root is None:
        raise InputError("--revocations needs --root ROOT_PUB.pem")
    return revocation.open_revocation_list(_read_file(path), keyfiles.read_public_key(root))


def _verify_card(texts: list[str], ctx: VerifierContext) -> Verification:
    # Consecutive chunks of one SMART Health Card (shc:/i/n/...) are one card: one result.
    return verify_text(texts[0], ctx) if len(texts) == 1 else verify_shc_chunks(texts, ctx)


@faults_exit_2
def verify(
    inputs: list[str] = typer.Argument(..., help="QR text, a PNG/JPEG image, or - for stdin"),
    at: str = typer.Option("now", "--at", help="verification instant, ISO 8601 with zone, or now"),
    trust_file: Path | None = typer.Option(
        None, "--trust", help="signed trust list (a deployment's: var/trust/trust-list.json)"
    ),
    root: Path | None = typer.Option(
        None, "--root", help="pinned district root public key (var/trust/root.pub.pem)"
    ),
    dsc: list[Path] = typer.Option([], "--dsc", help="trust this DCC signing certificate"),
    revocations: Path | None = typer.Option(None, "--revocations", help="signed revocation list"),
    skew: int = typer.Option(30, "--skew", min=0, max=600, help="clock skew allowed, seconds"),
    as_json: bool = typer.Option(False, "--json", help="one JSON object per code"),
) -> None:
    """Verify credentials offline and print them masked, or why they failed."""
    ctx = VerifierContext(
        at=_instant(at, "--at"),
        keys=_keyring(trust_file, root, dsc),
        revocations=_revocations(revocations, root),
        clock_skew=timedelta(seconds=skew),
    )
    # One ledger for the run: in a bulk audit the same health code twice is worth a warning.
    ledger = PresentationLedger()
    console = Console(highlight=False)
    all_valid = True
    for texts in group_chunks(_codes(inputs)):
        result = ledger.check(_verify_card(texts, ctx), "cli", ctx.at)
        all_valid = all_valid and result.valid
        if as_json:
            typer.echo(json.dumps(credential_view.as_json(result), ensure_ascii=False))
        else:
            credential_view.show(console, result)
    raise typer.Exit(0 if all_valid else 1)
