"""SMART Health Card issuer keys (``jwks.json``) and card revocation lists (``crl/<kid>.json``).

An issuer publishes its keys at ``<iss>/.well-known/jwks.json`` and, per key, a list of
revoked ``rid`` values at ``<iss>/.well-known/crl/<kid>.json`` (spec, "Determining keys
associated with an issuer" and "Revocation"). The checkpoint never fetches them: an operator
downloads the files and turns them into the district's signed trust list
(``jwks_trust_entries``; ``jointcheck trust import-jwks``) and revocation list
(``ShcCrl.entries`` and ``ShcCrl.cutoffs``; ``jointcheck revocation import-shc-crl``), so
these loaders take the documents as values. A malformed document is an operator's fault (``TrustListError``), not
an outcome.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from jointcheck.credentials import trust
from jointcheck.credentials.keys import Revocations, Role, TrustedKey
from jointcheck.credentials.shc_jws import b64url_decode, b64url_encode, load_json_object
from jointcheck.errors import TrustListError

RID_KIND = "rid"
_P256_COORDINATE = 32
_RID = re.compile(r"[A-Za-z0-9_-]{1,24}")


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint of an EC key, base64url: what an SHC ``kid`` must be."""
    members = {name: jwk[name] for name in ("crv", "kty", "x", "y")}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True)
    return b64url_encode(hashlib.sha256(canonical.encode("utf-8")).digest())


def _document(source: str | bytes | Mapping[str, Any], what: str) -> Mapping[str, Any]:
    if isinstance(source, Mapping):
        return source
    document = load_json_object(source)
    if document is None:
        raise TrustListError(f"{what} is not a JSON object")
    return document


def _is_signing_key(jwk: Mapping[str, Any]) -> bool:
    # Spec: signing keys are told apart from other keys by their kty, use and alg members.
    return jwk.get("kty") == "EC" and jwk.get("use", "sig") == "sig" and jwk.get("alg") == "ES256"


def _public_key(jwk: Mapping[str, Any], kid: str) -> ec.EllipticCurvePublicKey:
    x = b64url_decode(str(jwk.get("x", "")))
    y = b64url_decode(str(jwk.get("y", "")))
    if jwk.get("crv") != "P-256" or x is None or y is None:
        raise TrustListError(f"SHC key {kid}: not a P-256 key with x and y")
    if len(x) != _P256_COORDINATE or len(y) != _P256_COORDINATE:
        raise TrustListError(f"SHC key {kid}: x and y must be 32 bytes each")
    numbers = ec.EllipticCurvePublicNumbers(
        int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
    )
    try:
        return numbers.public_key()
    except ValueError as exc:
        raise TrustListError(f"SHC key {kid}: the point is not on P-256") from exc


def _check_certificate(jwk: Mapping[str, Any], kid: str, public: ec.EllipticCurvePublicKey) -> None:
    # "The public key listed in the first certificate in the x5c array SHALL match" the JWK.
    chain = jwk.get("x5c")
    if chain is None:
        return
    try:
        first = x509.load_der_x509_certificate(base64.b64decode(chain[0], validate=True))
    except (TypeError, IndexError, KeyError, ValueError) as exc:
        raise TrustListError(f"SHC key {kid}: x5c is not a certificate chain") from exc
    if first.public_key() != public:
        raise TrustListError(f"SHC key {kid}: the x5c certificate holds another key")


def _trusted_key(issuer_url: str, jwk: Mapping[str, Any]) -> TrustedKey:
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TrustListError(f"SHC key without kid in the JWKS of {issuer_url}")
    if "d" in jwk:
        raise TrustListError(f"SHC key {kid}: the JWKS publishes the private key (d)")
    public = _public_key(jwk, kid)
    if jwk_thumbprint(jwk) != kid:
        raise TrustListError(f"SHC key {kid}: kid is not the RFC 7638 thumbprint of the key")
    _check_certificate(jwk, kid, public)
    return TrustedKey(
        kid=kid.encode("ascii"),
        public_key=public,
        roles=frozenset({Role.SHC_ISSUER}),
        issuer=issuer_url,
    )


def check_issuer_url(issuer_url: str) -> None:
    """An ``iss`` is an https URL without a trailing / (spec, "Determining keys ...")."""
    if not issuer_url.startswith("https://") or issuer_url.endswith("/"):
        raise TrustListError(f"SHC issuer must be an https URL without a trailing /: {issuer_url}")


def load_jwks(issuer_url: str, jwks_json: str | bytes | Mapping[str, Any]) -> list[TrustedKey]:
    """The signing keys of one issuer, each with the role SHC_ISSUER and ``issuer=iss``.

    ``issuer_url`` is the ``iss`` the cards carry: https, no trailing slash (spec,
    "Determining keys associated with an issuer"); cards from another ``iss`` signed with
    these keys are refused.
    """
    check_issuer_url(issuer_url)
    keys = _document(jwks_json, "JWKS").get("keys")
    if not isinstance(keys, list):
        raise TrustListError(f"the JWKS of {issuer_url} has no keys array")
    return [
        _trusted_key(issuer_url, jwk)
        for jwk in keys
        if isinstance(jwk, Mapping) and _is_signing_key(jwk)
    ]


def jwks_trust_entries(
    issuer_url: str, jwks_json: str | bytes | Mapping[str, Any]
) -> list[dict[str, Any]]:
    """An issuer's signing keys as district trust-list entries (``trust.add_issuer`` each).

    The checkpoint trusts an SHC issuer once its keys are in the signed trust list; the
    entries carry the SPKI, the role SHC_ISSUER and the ``iss`` that the cards must name.
    """
    return [
        trust.issuer_entry(
            kid=key.kid,
            roles=key.roles,
            issuer=key.issuer,
            spki=key.public_key.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
        )
        for key in load_jwks(issuer_url, jwks_json)
    ]


@dataclass(frozen=True, slots=True)
class ShcCrl:
    """One key's card revocation list.

    ``revoked`` are ``<kid>.<rid>`` values revoked outright; ``cutoffs`` map ``<kid>.<rid>``
    to the timestamp before which cards with that rid are revoked (a rid with a ``.<time>``
    suffix: "revoked if the card's nbf is before the timestamp", spec "Revocation").
    """

    kid: str
    ctr: int
    revoked: frozenset[str]
    cutoffs: Mapping[str, float] = field(default_factory=dict)

    def entries(self) -> list[tuple[str, str]]:
        """(kind, value) entries for a revocation list: the outright revocations."""
        return [(RID_KIND, value) for value in sorted(self.revoked)]


def _split_rid(kid: str, item: object) -> tuple[str, float | None]:
    if not isinstance(item, str):
        raise TrustListError(f"CRL of {kid}: rids must be strings")
    rid, dot, stamp = item.partition(".")
    if _RID.fullmatch(rid) is None:
        raise TrustListError(f"CRL of {kid}: {item!r} is not a rid")
    if not dot:
        return rid, None
    try:
        cutoff = float(stamp)
    except ValueError as exc:
        raise TrustListError(f"CRL of {kid}: {item!r} has a bad timestamp") from exc
    if not math.isfinite(cutoff):
        raise TrustListError(f"CRL of {kid}: {item!r} has a bad timestamp")
    return rid, cutoff


def load_crl(crl_json: str | bytes | Mapping[str, Any]) -> ShcCrl:
    """Read ``crl/<kid>.json`` (method ``rid``)."""
    document = _document(crl_json, "CRL")
    kid, ctr, rids = document.get("kid"), document.get("ctr"), document.get("rids")
    if not isinstance(kid, str) or not kid:
        raise TrustListError("CRL without kid")
    if document.get("method") != "rid":
        raise TrustListError(f"CRL of {kid}: only the rid method is supported")
    if not isinstance(ctr, int) or isinstance(ctr, bool) or not isinstance(rids, list):
        raise TrustListError(f"CRL of {kid}: ctr must be an integer and rids an array")
    revoked: set[str] = set()
    cutoffs: dict[str, float] = {}
    for item in rids:
        rid, cutoff = _split_rid(kid, item)
        value = f"{kid}.{rid}"
        if cutoff is None:
            revoked.add(value)
        else:
            # Two timestamps for one rid: the later one revokes more cards.
            cutoffs[value] = max(cutoff, cutoffs.get(value, cutoff))
    return ShcCrl(kid, ctr, frozenset(revoked), cutoffs)


@runtime_checkable
class RidCutoffs(Protocol):
    """A revocation list that also knows the timestamp suffixes of SHC rids."""

    def rid_cutoff(self, value: str) -> float | None:
        """For ``<kid>.<rid>``: cards with an earlier ``nbf`` are revoked; None if none."""
        ...


class ShcRevocations:
    """A revocation list plus SHC CRLs held beside it, outright and timestamped rids.

    ``Revocations.is_revoked`` answers yes or no for a value, but a timestamped rid revokes
    only the cards issued before its timestamp. The signed district list carries both
    (``revocation.RevocationList.rid_cutoff``); this adds CRLs that are not in it to any
    list (the district's own, or ``NoRevocations``), for a verifier given CRL files directly.
    """

    def __init__(self, base: Revocations, crls: Iterable[ShcCrl] = ()) -> None:
        self._base = base
        self._base_cutoffs = base if isinstance(base, RidCutoffs) else None
        self._revoked: set[str] = set()
        self._cutoffs: dict[str, float] = {}
        for crl in crls:
            self._revoked.update(crl.revoked)
            for value, cutoff in crl.cutoffs.items():
                self._cutoffs[value] = max(cutoff, self._cutoffs.get(value, cutoff))

    def is_revoked(self, kind: str, value: str) -> bool:
        if kind == RID_KIND and value in self._revoked:
            return True
        return self._base.is_revoked(kind, value)

    def rid_cutoff(self, value: str) -> float | None:
        own = self._cutoffs.get(value)
        if self._base_cutoffs is not None:
            theirs = self._base_cutoffs.rid_cutoff(value)
            if theirs is not None:
                return theirs if own is None else max(own, theirs)
        return own
