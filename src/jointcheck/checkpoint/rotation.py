"""Rotating the district root key without enrolling the terminals again (issue 4).

When the district replaces its root key (expiry, a suspected leak, a new office), the old key
signs an **endorsement**: "the key with fingerprint NEXT succeeds the key with fingerprint
PREVIOUS from time SINCE", carrying both public keys. The server keeps the endorsements in
order (the chain OLD -> MID -> NEW) and serves them with every bundle, so a terminal that
pinned OLD at enrollment, and was off through two rotations, still reaches the key that signs
the bundle now, one link at a time, each link signed by the key it follows.

Nothing in a chain is taken on its own word: a key cannot endorse itself into trust, since
the first link must be signed by the key the terminal already pins. The walk refuses a link
whose signature or fingerprints do not hold or that comes out of order (ROOT_CHAIN_BROKEN), a
key met twice (ROOT_CHAIN_LOOP) and a chain longer than MAX_CHAIN (ROOT_CHAIN_TOO_LONG), the
bound that keeps a server from making a terminal verify signatures without end.

Document (JSON): ``{"format": FORMAT, "body": {...}, "signature": base64 DER ECDSA}``, the
signature by the previous key over the canonical JSON of the body (``bundle.canonical``).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from jointcheck.checkpoint.bundle import (
    bundle_signer,
    canonical,
    pem_public_key,
    root_fingerprint,
    root_kid,
)
from jointcheck.checkpoint.reasons import TrustReason
from jointcheck.credentials.keyfiles import public_pem
from jointcheck.errors import TrustListError

FORMAT = "jointcheck-root-endorsement/1"
# A district rotates its root key every year or two; 16 links are decades of rotations, and
# at most 16 signature checks for a terminal however long a chain a server sends.
MAX_CHAIN = 16


@dataclass(frozen=True, slots=True)
class Endorsement:
    """One verified link: NEXT succeeds PREVIOUS (fingerprints) from SINCE."""

    previous: str
    next: str
    previous_key: ec.EllipticCurvePublicKey
    next_key: ec.EllipticCurvePublicKey
    since: datetime

    def row(self) -> tuple[str, str, datetime]:
        """As the agent's outbox records it (``Outbox.record_rotation``)."""
        return self.previous, self.next, self.since


def endorse(
    old: ec.EllipticCurvePrivateKey, new: ec.EllipticCurvePublicKey, since: datetime
) -> dict[str, Any]:
    """The endorsement document by which OLD hands over to NEW from SINCE."""
    body = {
        "previous": root_fingerprint(old.public_key()),
        "next": root_fingerprint(new),
        "previous_public_key": public_pem(old.public_key()).decode("ascii"),
        "next_public_key": public_pem(new).decode("ascii"),
        "since": since.astimezone(UTC).isoformat(),
    }
    signature = old.sign(canonical(body), ec.ECDSA(hashes.SHA256()))
    return {"format": FORMAT, "body": body, "signature": base64.b64encode(signature).decode()}


def _broken(detail: str) -> TrustListError:
    return TrustListError(
        f"endorsement chain refused: {detail}", code=TrustReason.ROOT_CHAIN_BROKEN
    )


def _verified(document: object, index: int) -> Endorsement:
    """The link in DOCUMENT if it is well formed and signed by the key it names as previous."""
    where = f"endorsement {index + 1}"
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise _broken(f"{where} is not a {FORMAT} document")
    body, signature = document.get("body"), document.get("signature")
    if not isinstance(body, dict) or not isinstance(signature, str):
        raise _broken(f"{where} has no body or signature")
    try:
        previous_key = pem_public_key(str(body["previous_public_key"]))
        next_key = pem_public_key(str(body["next_public_key"]))
        since = datetime.fromisoformat(str(body["since"]))
        raw = base64.b64decode(signature, validate=True)
    except (KeyError, ValueError, TrustListError) as exc:
        raise _broken(f"{where} has missing or malformed fields") from exc
    link = Endorsement(str(body.get("previous")), str(body.get("next")), previous_key, next_key,
                       since)  # fmt: skip
    if since.tzinfo is None:
        raise _broken(f"{where}: its time has no time zone")
    if (root_fingerprint(previous_key), root_fingerprint(next_key)) != (link.previous, link.next):
        raise _broken(f"{where}: the fingerprints are not those of the keys it carries")
    try:
        previous_key.verify(raw, canonical(body), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise _broken(f"{where} is not signed by the key {link.previous} it succeeds") from exc
    return link


def follow(pinned: str, chain: object, target_kid: str) -> tuple[Endorsement, ...]:
    """The links from the PINNED fingerprint to the key whose kid is TARGET_KID, verified.

    Empty when no link starts at the pinned key (a key the terminal has no reason to trust:
    the caller refuses it as it always did). A chain that starts there but does not verify,
    or does not reach the target, raises TrustListError with its ROOT_CHAIN_* code.
    """
    if not isinstance(chain, list):
        raise _broken("the endorsements are not a list")
    if len(chain) > MAX_CHAIN:
        raise TrustListError(
            f"endorsement chain of {len(chain)} links, more than {MAX_CHAIN}",
            code=TrustReason.ROOT_CHAIN_TOO_LONG,
        )
    start = next((i for i, d in enumerate(chain) if _names_previous(d, pinned)), None)
    if start is None:
        return ()
    links: list[Endorsement] = []
    seen, current = {pinned}, pinned
    for index in range(start, len(chain)):
        link = _verified(chain[index], index)
        if link.previous != current or (links and link.since < links[-1].since):
            raise _broken(f"endorsement {index + 1} is out of order after {current}")
        if link.next in seen:
            raise TrustListError(
                f"endorsement chain refused: key {link.next} is endorsed twice",
                code=TrustReason.ROOT_CHAIN_LOOP,
            )
        links.append(link)
        seen.add(link.next)
        current = link.next
        if root_kid(link.next_key) == target_kid:
            return tuple(links)
    raise _broken(f"the chain ends at key {current}, not at the key that signed ({target_kid})")


def _names_previous(document: object, fingerprint: str) -> bool:
    body = document.get("body") if isinstance(document, dict) else None
    return isinstance(body, dict) and body.get("previous") == fingerprint


def chain_end(chain: object) -> str | None:
    """The fingerprint the whole CHAIN leads to from its first link (None when empty).

    For the server and ``jointcheck keys rotate-root``: the chain they serve must verify from
    its start and end at the key they sign with now.
    """
    if not isinstance(chain, list) or not chain:
        return None
    first = chain[0].get("body") if isinstance(chain[0], dict) else None
    if not isinstance(first, dict):
        raise _broken("endorsement 1 has no body")
    last = chain[-1].get("body") if isinstance(chain[-1], dict) else None
    if not isinstance(last, dict):
        raise _broken(f"endorsement {len(chain)} has no body")
    try:
        target = root_kid(pem_public_key(str(last.get("next_public_key"))))
    except TrustListError as exc:
        raise _broken(f"endorsement {len(chain)} carries no key") from exc
    links = follow(str(first.get("previous")), chain, target)
    if len(links) != len(chain):
        raise _broken("the chain does not run from its first link to its last")
    return links[-1].next


def follow_bundle(document: bytes, pinned: ec.EllipticCurvePublicKey) -> tuple[Endorsement, ...]:
    """The verified links from the PINNED key to the key that signed the bundle DOCUMENT.

    For the agent: a bundle whose signer no verified chain reaches is refused as it always
    was, BUNDLE_UNTRUSTED, the chain's own code in the detail it records.
    """
    kid, chain = bundle_signer(document)
    try:
        links = follow(root_fingerprint(pinned), chain, kid)
    except TrustListError as exc:
        raise TrustListError(
            f"bundle signed by key {kid}: [{exc.code}] {exc}", code=TrustReason.BUNDLE_UNTRUSTED
        ) from exc
    if not links:
        raise TrustListError(
            f"bundle signed by key {kid}, not by the pinned district root key, and no "
            "endorsement of the pinned key leads to it",
            code=TrustReason.BUNDLE_UNTRUSTED,
        )
    return links


def reaches_pin(document: bytes, pinned: ec.EllipticCurvePublicKey, pin: str) -> None:
    """Raise unless the endorsements in bundle DOCUMENT lead from the PINNED key through the
    fingerprint PIN (verified link by link) to the key that signed it.

    For an agent whose state pins a key the district has rotated away from, started with the
    new key's fingerprint: ROOT_PIN_MISMATCH when no verified link leads to PIN, the chain's
    ROOT_CHAIN_* code when one starts at the pinned key but does not verify.
    """
    kid, chain = bundle_signer(document)
    links = follow(root_fingerprint(pinned), chain, kid)
    if pin not in {link.next for link in links}:
        raise TrustListError(
            f"this terminal pins root key {root_fingerprint(pinned)}, not {pin}, and no "
            "endorsement the server offers leads from it to that key",
            code=TrustReason.ROOT_PIN_MISMATCH,
        )


def endorsed_key(
    expected: str, key: ec.EllipticCurvePublicKey | None, chain: object
) -> tuple[Endorsement, ...]:
    """The links by which the district rotated from the EXPECTED fingerprint (the operator's
    pin) to KEY, the root key a server offers at a terminal's first contact.

    ROOT_PIN_MISMATCH when no endorsement starts at the expected key (or the server offers
    no key), the chain's ROOT_CHAIN_* code when one does but does not verify.
    """
    offered = root_fingerprint(key) if key is not None else "none"
    links = follow(expected, chain or [], root_kid(key)) if key is not None else ()
    if not links:
        raise TrustListError(
            f"the server offers root key {offered}, not the pinned {expected}",
            code=TrustReason.ROOT_PIN_MISMATCH,
        )
    if links[-1].next != offered:  # the kid matched: the whole key must too
        raise _broken("the chain does not end at the key the server offers")
    return links


def reached_from(pin: str, followed: Iterable[tuple[str, str]]) -> str:
    """The key reached from the fingerprint PIN through the rotations FOLLOWED (previous,
    next; oldest first): the pin of a terminal's enrollment still starts it after the district
    rotated its key."""
    for previous, successor in followed:
        if previous == pin:
            pin = successor
    return pin
