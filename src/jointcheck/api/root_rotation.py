"""Rotating the district root key on the server's files (``jointcheck keys rotate-root``).

A new root key is made; the key in use signs the endorsement handing over to it
(``checkpoint.rotation``), which is added to the chain in ``var/trust/root-endorsements.json``;
the trust list and the revocation list are signed again by the new key (same contents); the
old key is kept, retired, in ``var/secrets/retired/`` (0600), never deleted: it is the only
proof of what it signed. The server then publishes its next bundle with the new key and the
chain (``CheckpointServer.bundle_document``), and terminals pinned to an earlier key follow.

Every new file is written in full beside its target first, then moved into place, the private
key last: a failure before the first move leaves the deployment on the old key, as it was; a
crash between the moves is finished by the next ``rotate-root`` (``api.root_recovery``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from jointcheck.bootstrap import ENDORSEMENTS_FILE, DistrictKeyFiles
from jointcheck.checkpoint.bundle import root_fingerprint
from jointcheck.checkpoint.reasons import TrustReason
from jointcheck.checkpoint.rotation import chain_end, endorse
from jointcheck.credentials import keyfiles
from jointcheck.credentials.revocation import resign_revocation_list
from jointcheck.credentials.trust import sign_trust_list, signed_payload
from jointcheck.errors import ConfigError, KeyMaterialError, TrustListError

__all__ = [
    "ENDORSEMENTS_FILE",
    "Rotated",
    "checked_chain",
    "read_endorsements",
    "rotate_root",
    "staged_beside",
]
RETIRED_DIR = "retired"
# The new private key, written in full beside root.key.pem before the moves, moved last.
STAGED_PRIVATE = ".root.key.pem.next"


@dataclass(frozen=True, slots=True)
class Rotated:
    previous: str
    next: str
    since: datetime
    retired: Path
    links: int
    district: str  # the trust list's district code ("" when it names none)
    # Finished after an interruption between its moves (``api.root_recovery``).
    resumed: bool = False


def read_endorsements(path: Path) -> list[dict[str, Any]]:
    """The chain in PATH, oldest link first; empty when the key was never rotated."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"{path} is not readable JSON", code=TrustReason.ROOT_CHAIN_BROKEN
        ) from exc
    if not isinstance(data, list) or not all(isinstance(link, dict) for link in data):
        raise ConfigError(f"{path} is not a list of endorsements", code="ROOT_CHAIN_BROKEN")
    return data


def checked_chain(path: Path, root: ec.EllipticCurvePublicKey) -> list[dict[str, Any]]:
    """The chain in PATH if it verifies from its first link and ends at ROOT, the key in use
    (a chain that ends elsewhere would lead terminals to a key the server does not sign with)."""
    chain = read_endorsements(path)
    try:
        end = chain_end(chain)
    except TrustListError as exc:
        raise ConfigError(f"{path}: {exc}", code=exc.code) from exc
    if end is not None and end != root_fingerprint(root):
        raise ConfigError(
            f"{path} ends at root key {end}, not at the key in use {root_fingerprint(root)}",
            code=TrustReason.ROOT_CHAIN_BROKEN,
        )
    return chain


def current_root(files: DistrictKeyFiles) -> ec.EllipticCurvePrivateKey:
    if not files.root_private.is_file():
        raise KeyMaterialError(
            f"no district root key at {files.root_private}", code="ROOT_KEY_MISSING"
        )
    key = keyfiles.read_signing_key(files.root_private)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise KeyMaterialError("the district root key is ECDSA P-256")
    return key


def staged_beside(path: Path) -> Path:
    """Where a new version of PATH is written in full before it is moved into place."""
    return path.with_name(f".{path.name}.next")


def _staged(path: Path, data: bytes, staged: list[tuple[Path, Path]]) -> None:
    """DATA written in full beside PATH, to be moved into place with the others."""
    temporary = staged_beside(path)
    temporary.write_bytes(data)
    staged.append((temporary, path))


def rotate_root(files: DistrictKeyFiles, now: datetime) -> Rotated:
    """Replace the district root key by a new one that the old key endorses from NOW."""
    old = current_root(files)
    chain = checked_chain(files.endorsements, old.public_key())
    new = keyfiles.generate_signing_key()
    link = endorse(old, new.public_key(), now)
    staged: list[tuple[Path, Path]] = []
    chain_text = json.dumps([*chain, link], ensure_ascii=False, indent=2) + "\n"
    _staged(files.endorsements, chain_text.encode(), staged)
    district = ""
    if files.trust_list.is_file():
        payload = signed_payload(files.trust_list.read_bytes(), old.public_key())
        district = str(payload.get("district") or "") if isinstance(payload, dict) else ""
        _staged(files.trust_list, sign_trust_list(payload, new), staged)
    if files.revocations.is_file():
        resigned = resign_revocation_list(files.revocations.read_bytes(), old.public_key(), new)
        _staged(files.revocations, resigned, staged)
    _staged(files.root_public, keyfiles.public_pem(new.public_key()), staged)
    retired = retire(files, old, now)
    next_private = files.root_private.with_name(STAGED_PRIVATE)
    next_private.unlink(missing_ok=True)  # left by a rotation that failed before its end
    next_public = keyfiles.write_signing_key(next_private, new)
    for temporary, target in staged:
        temporary.replace(target)
    next_public.replace(files.root_private.with_name("root.key.pub.pem"))
    next_private.replace(files.root_private)
    return Rotated(
        previous=root_fingerprint(old.public_key()),
        next=root_fingerprint(new.public_key()),
        since=now,
        retired=retired,
        links=len(chain) + 1,
        district=district,
    )


def retire(files: DistrictKeyFiles, old: ec.EllipticCurvePrivateKey, now: datetime) -> Path:
    """A copy of OLD under ``secrets/retired`` (0600 in a 0700 folder), named by time and kid;
    the copy an interrupted rotation of OLD made already, if there is one."""
    folder = files.root_private.parent / RETIRED_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    kid = keyfiles.kid_for_spki(old.public_key()).hex()
    kept = sorted(folder.glob(f"root-*-{kid}.key.pem"))
    if kept:
        return kept[-1]
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"root-{stamp}-{kid}.key.pem"
    keyfiles.write_signing_key(path, old)
    return path
