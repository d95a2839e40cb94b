"""Private and public key files of the district's authorities (issue 2: issuance).

Private keys live in PEM files with 0600 rights, never in the repository; a file readable by
the group or by others is refused (KeyMaterialError) rather than used, since a key that others
could read must be treated as leaked. The CLI may also pass a key's PEM text taken from an
environment variable named by the operator: this module takes paths and bytes, never reads
``os.environ`` itself.

Kinds of key file:
- ``root``: the district root key (ECDSA P-256) that signs trust lists and revocation lists;
  its public key is pinned by every verifier.
- ``issuer``: an issuing authority's signing key (ECDSA P-256, ES256 in COSE).
- ``subject``: the district subject key, 32 random bytes (hex in a ``SUBJECT KEY`` PEM block)
  keying the HMAC of resident ID numbers in the subject claim.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import stat
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from jointcheck.credentials.keys import PublicKey
from jointcheck.errors import KeyMaterialError

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
KID_BYTES = 8
SUBJECT_KEY_BYTES = 32
_SUBJECT_PEM = "SUBJECT KEY"
_PRIVATE_MODE = 0o600


def kid_for_spki(public_key: PublicKey) -> bytes:
    """First 8 bytes of SHA-256 of the DER SubjectPublicKeyInfo: our issuers' kid."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).digest()[:KID_BYTES]


def kid_for_certificate(certificate: x509.Certificate) -> bytes:
    """First 8 bytes of SHA-256 of the DER certificate (hcert spec, A.1)."""
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).digest()[:KID_BYTES]


def generate_signing_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_private(path: Path, data: bytes) -> None:
    # O_EXCL: never overwrite a key; the mode is set at creation, so the key is never readable
    # by others, not even for an instant.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _PRIVATE_MODE)
    except FileExistsError as exc:
        raise KeyMaterialError(f"{path} exists; refusing to overwrite a key") from exc
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def public_pem(public_key: PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def write_signing_key(path: Path, key: PrivateKey) -> Path:
    """Write KEY to PATH (0600, PKCS#8 PEM) and its public key beside it; return that path."""
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_private(path, pem)
    pub_path = path.with_name(path.stem + ".pub.pem")
    pub_path.write_bytes(public_pem(key.public_key()))
    return pub_path


def write_subject_key(path: Path, key: bytes | None = None) -> None:
    """The 32-byte district subject key (fresh unless given), 0600."""
    if key is None:
        key = secrets.token_bytes(SUBJECT_KEY_BYTES)
    if len(key) != SUBJECT_KEY_BYTES:
        raise KeyMaterialError(f"a subject key has {SUBJECT_KEY_BYTES} bytes, not {len(key)}")
    body = base64.encodebytes(key).decode("ascii")
    _write_private(
        path, f"-----BEGIN {_SUBJECT_PEM}-----\n{body}-----END {_SUBJECT_PEM}-----\n".encode()
    )


def _read_private_file(path: Path) -> bytes:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise KeyMaterialError(f"cannot read key file {path}: {exc.strerror}") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyMaterialError(
            f"key file {path} is readable by others (mode {stat.S_IMODE(mode):o}); "
            f"run `chmod 600 {path}` and treat the key as possibly leaked",
            code="KEY_FILE_TOO_OPEN",
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise KeyMaterialError(f"cannot read key file {path}: {exc.strerror}") from exc


def signing_key_from_pem(data: bytes, source: str) -> PrivateKey:
    """A P-256 or RSA private key from PEM text; SOURCE names it in errors."""
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyMaterialError(f"{source} is not an unencrypted PEM private key") from exc
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    if isinstance(key, rsa.RSAPrivateKey):
        return key
    raise KeyMaterialError(f"{source}: only ECDSA P-256 and RSA keys are supported")


def read_signing_key(path: Path) -> PrivateKey:
    """The private key in PATH, refusing a file that the group or others may read."""
    return signing_key_from_pem(_read_private_file(path), str(path))


def subject_key_from_pem(data: bytes, source: str) -> bytes:
    text = data.decode("ascii", errors="replace").strip()
    head, tail = f"-----BEGIN {_SUBJECT_PEM}-----", f"-----END {_SUBJECT_PEM}-----"
    if not (text.startswith(head) and text.endswith(tail)):
        raise KeyMaterialError(f"{source} is not a subject key file")
    try:
        key = base64.b64decode(text[len(head) : -len(tail)], validate=False)
    except ValueError as exc:
        raise KeyMaterialError(f"{source}: subject key is not base64") from exc
    if len(key) != SUBJECT_KEY_BYTES:
        raise KeyMaterialError(f"{source}: subject key must be {SUBJECT_KEY_BYTES} bytes")
    return key


def read_subject_key(path: Path) -> bytes:
    return subject_key_from_pem(_read_private_file(path), str(path))


def public_key_from_bytes(data: bytes, source: str) -> PublicKey:
    """A public key from PEM or DER: a SubjectPublicKeyInfo or a certificate."""
    loaders = (
        serialization.load_pem_public_key,
        serialization.load_der_public_key,
        lambda d: x509.load_pem_x509_certificate(d).public_key(),
        lambda d: x509.load_der_x509_certificate(d).public_key(),
    )
    for load in loaders:
        try:
            key = load(data)
        except (ValueError, TypeError):
            continue
        if isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
            return key
        raise KeyMaterialError(f"{source}: only EC and RSA public keys are supported")
    raise KeyMaterialError(f"{source} holds no public key or certificate (PEM or DER)")


def read_public_key(path: Path) -> PublicKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyMaterialError(f"cannot read {path}: {exc.strerror}") from exc
    return public_key_from_bytes(data, str(path))


def certificate_from_bytes(data: bytes, source: str) -> x509.Certificate:
    """A DCC signing certificate (DSC) in PEM or DER."""
    for load in (x509.load_pem_x509_certificate, x509.load_der_x509_certificate):
        try:
            return load(data)
        except ValueError:
            continue
    raise KeyMaterialError(f"{source} is not an X.509 certificate (PEM or DER)")
