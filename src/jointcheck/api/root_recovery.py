"""Finishing a root key rotation that stopped between its moves (``jointcheck keys rotate-root``).

``rotate_root`` moves the endorsements, the trust list, the revocation list and the root
public key into place, then the private key. A crash between those moves leaves a chain that
ends at the new key while the old private key still signs: the server publishes nothing
(ROOT_KEY_MISMATCH, 503) and no rotation can extend that chain (ROOT_CHAIN_BROKEN). The new
private key is still staged beside ``root.key.pem``. When it is the key the moved chain ends
at, the chain's last link hands over from the key in use, and every file moved or still staged
verifies with it, the same moves are finished. Otherwise nothing is touched and the rotation
is refused as ROTATION_UNFINISHED, whose message says what to restore (docs/issuance.md, 6).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from jointcheck.api.root_rotation import (
    STAGED_PRIVATE,
    Rotated,
    current_root,
    read_endorsements,
    retire,
    rotate_root,
    staged_beside,
)
from jointcheck.bootstrap import DistrictKeyFiles
from jointcheck.checkpoint.bundle import pem_public_key, root_fingerprint
from jointcheck.checkpoint.rotation import chain_end
from jointcheck.credentials import keyfiles
from jointcheck.credentials.revocation import open_revocation_list
from jointcheck.credentials.trust import signed_payload
from jointcheck.errors import ConfigError, JointcheckError

UNFINISHED = "ROTATION_UNFINISHED"


def _unfinished(detail: str) -> ConfigError:
    return ConfigError(f"interrupted root key rotation: {detail}", code=UNFINISHED)


def staged_private(files: DistrictKeyFiles) -> Path:
    return files.root_private.with_name(STAGED_PRIVATE)


def interrupted(files: DistrictKeyFiles, root: ec.EllipticCurvePublicKey) -> bool:
    """A rotation stopped after its first move: its private key is still staged and the chain
    in place does not end at ROOT, the key in use (or does not verify)."""
    if not staged_private(files).is_file():
        return False
    try:
        end = chain_end(read_endorsements(files.endorsements))
    except JointcheckError:
        return True
    return end is not None and end != root_fingerprint(root)


def _staged_key(files: DistrictKeyFiles) -> ec.EllipticCurvePrivateKey:
    try:
        key = keyfiles.read_signing_key(staged_private(files))
    except JointcheckError as exc:
        raise _unfinished(f"the staged key {STAGED_PRIVATE} cannot be read: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise _unfinished(f"the staged key {STAGED_PRIVATE} is not an ECDSA P-256 key")
    return key


def _handed_over(
    files: DistrictKeyFiles, old: ec.EllipticCurvePublicKey, new: ec.EllipticCurvePublicKey
) -> datetime:
    """The time of the chain's last link, when it verifies and hands over from OLD to NEW."""
    chain = read_endorsements(files.endorsements)
    try:
        end = chain_end(chain)
    except JointcheckError as exc:
        raise _unfinished(f"{files.endorsements.name} does not verify: {exc}") from exc
    last = chain[-1]["body"] if chain else {}
    if end != root_fingerprint(new) or last.get("previous") != root_fingerprint(old):
        raise _unfinished(
            f"{files.endorsements.name} ends at {end}, the staged key is "
            f"{root_fingerprint(new)} and the key in use {root_fingerprint(old)}"
        )
    return datetime.fromisoformat(str(last["since"]))


def _current(path: Path) -> Path:
    """PATH as it will be once moved: its staged version when one is left, else itself."""
    staged = staged_beside(path)
    return staged if staged.is_file() else path


def _district(files: DistrictKeyFiles, new: ec.EllipticCurvePublicKey) -> str:
    """The files moved or staged verify with NEW; the trust list's district code."""
    district = ""
    try:
        if _current(files.trust_list).is_file():
            payload = signed_payload(_current(files.trust_list).read_bytes(), new)
            district = str(payload.get("district") or "") if isinstance(payload, dict) else ""
        if _current(files.revocations).is_file():
            open_revocation_list(_current(files.revocations).read_bytes(), new)
        public = pem_public_key(_current(files.root_public).read_bytes())
    except (OSError, JointcheckError) as exc:
        raise _unfinished(
            f"a file moved or staged does not verify with the staged key: {exc}"
        ) from exc
    if root_fingerprint(public) != root_fingerprint(new):
        raise _unfinished(f"{files.root_public.name} is not the staged key's public key")
    return district


def rotate_or_finish(files: DistrictKeyFiles, now: datetime) -> Rotated:
    """Finish the rotation a crash interrupted between its moves, if any; else rotate from NOW."""
    old = current_root(files)
    if interrupted(files, old.public_key()):
        return finish_rotation(files, old)
    return rotate_root(files, now)


def finish_rotation(files: DistrictKeyFiles, old: ec.EllipticCurvePrivateKey) -> Rotated:
    """Finish the rotation from OLD (the key in use) that stopped between its moves."""
    new = _staged_key(files)
    since = _handed_over(files, old.public_key(), new.public_key())
    district = _district(files, new.public_key())
    retired = retire(files, old, since)  # the copy made before the moves, if it was
    for target in (files.trust_list, files.revocations, files.root_public):
        if staged_beside(target).is_file():
            staged_beside(target).replace(target)
    public = files.root_private.with_name("root.key.pub.pem")
    public.write_bytes(keyfiles.public_pem(new.public_key()))
    staged = staged_private(files)
    staged.with_name(f"{staged.stem}.pub.pem").unlink(missing_ok=True)  # written anew above
    staged.replace(files.root_private)
    return Rotated(
        previous=root_fingerprint(old.public_key()),
        next=root_fingerprint(new.public_key()),
        since=since,
        retired=retired,
        links=len(read_endorsements(files.endorsements)),
        district=district,
        resumed=True,
    )
