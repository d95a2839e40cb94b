"""Factories for SMART Health Card tests: the public examples, and cards signed by a test issuer.

The examples come from ``tests/vectors/shc`` (smart-on-fhir/health-cards); their issuer keys
are loaded through the production loader (``shc_keys.load_jwks``). A test issuer signs cards
the way the spec's reference generator does (raw DEFLATE, ES256 ``r || s``), so a test card
differs from a real one only in what a test deliberately changes.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import factories as f
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from jointcheck.credentials.keys import NoRevocations, Revocations, TrustedKey
from jointcheck.credentials.shc_jws import b64url_encode
from jointcheck.credentials.shc_keys import jwk_thumbprint, load_crl, load_jwks
from jointcheck.credentials.shc_numeric import encode_numeric
from jointcheck.credentials.verify import VerifierContext

EXAMPLES = Path(__file__).resolve().parents[2] / "vectors" / "shc" / "examples"
WELL_KNOWN = EXAMPLES / "issuer" / ".well-known"
EXAMPLE_ISS = "https://spec.smarthealth.cards/examples/issuer"
EXAMPLE_KID = "3Kfdg-XwP-7gXyywtUfUADwBumDOPKMQx-iELL11W9s"
X5C_KID = "EBKOr72QQDcTBUuVzAzkfBTGew0ZA16GuWty64nS-sw"
# The examples were signed on 2023-06-22 (nbf 1687450764); example 03 expires 2024-06-21.
AT = datetime(2023, 7, 1, tzinfo=UTC)
TEST_ISS = "https://issuer.example.org/shc"
HEALTH_CARD = "https://smarthealth.cards#health-card"
CVX = "http://hl7.org/fhir/sid/cvx"


def example_text(n: int, chunk: int = 0) -> str:
    return (EXAMPLES / f"example-{n:02d}-f-qr-code-numeric-value-{chunk}.txt").read_text()


def example_chunks() -> list[str]:
    return [example_text(2, chunk) for chunk in range(3)]


def example_jws(n: int) -> str:
    return (EXAMPLES / f"example-{n:02d}-d-jws.txt").read_text().strip()


def example_payload(n: int) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"example-{n:02d}-c-jws-payload-minified.json").read_text())


def example_payload_bytes(n: int) -> bytes:
    return (EXAMPLES / f"example-{n:02d}-c-jws-payload-minified.json").read_bytes().strip()


def example_jwks() -> dict[str, Any]:
    return json.loads((WELL_KNOWN / "jwks.json").read_text())


def example_crl_json() -> str:
    return (WELL_KNOWN / "crl" / f"{EXAMPLE_KID}.json").read_text()


@cache
def example_keys() -> tuple[TrustedKey, ...]:
    return tuple(load_jwks(EXAMPLE_ISS, example_jwks()))


def ctx(
    *keys: TrustedKey,
    at: datetime = AT,
    revocations: Revocations | None = None,
    examples: bool = True,
) -> VerifierContext:
    ring = [*(example_keys() if examples else ()), *keys]
    return VerifierContext(
        at=at, keys=f.KeyRingFake(ring), revocations=revocations or NoRevocations()
    )


def example_crl() -> Any:
    return load_crl(example_crl_json())


# --- a test issuer ------------------------------------------------------------------------


def public_jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    size = (key.curve.key_size + 7) // 8
    jwk = {
        "kty": "EC",
        "use": "sig",
        "alg": "ES256",
        "crv": "P-256",
        "x": b64url_encode(numbers.x.to_bytes(size, "big")),
        "y": b64url_encode(numbers.y.to_bytes(size, "big")),
    }
    return {"kid": jwk_thumbprint(jwk), **jwk}


@dataclass(frozen=True)
class ShcIssuer:
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: f.ec_key(900))
    iss: str = TEST_ISS

    @property
    def kid(self) -> str:
        return public_jwk(self.key)["kid"]

    @property
    def trusted(self) -> list[TrustedKey]:
        return load_jwks(self.iss, {"keys": [public_jwk(self.key)]})

    def jws(self, payload: Any, header: dict[str, Any] | None = None) -> str:
        return sign_jws(self.key, deflate(json.dumps(payload).encode()), header or self.header())

    def header(self, **changes: Any) -> dict[str, Any]:
        return {"zip": "DEF", "alg": "ES256", "kid": self.kid, **changes}

    def card(self, payload: Any, header: dict[str, Any] | None = None) -> str:
        return encode_numeric(self.jws(payload, header))


def deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def sign_jws(key: ec.EllipticCurvePrivateKey, body: bytes, header: dict[str, Any]) -> str:
    signing_input = b64url_encode(json.dumps(header).encode()) + "." + b64url_encode(body)
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + b64url_encode(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def patient(family: str = "Anyperson", given: tuple[str, ...] = ("John", "B.")) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "name": [{"family": family, "given": list(given)}],
        "birthDate": "1951-01-20",
    }


def immunization(
    code: str, day: str, system: str = CVX, status: str = "completed"
) -> dict[str, Any]:
    return {
        "resourceType": "Immunization",
        "status": status,
        "vaccineCode": {"coding": [{"system": system, "code": code}]},
        "patient": {"reference": "resource:0"},
        "occurrenceDateTime": day,
    }


def payload(
    *resources: dict[str, Any],
    nbf: float = 1687450764,
    types: tuple[str, ...] = (HEALTH_CARD,),
    iss: str = TEST_ISS,
    **claims: Any,
) -> dict[str, Any]:
    """A card payload; ``claims`` adds ``exp`` or ``rid`` (the latter into ``vc``)."""
    entries = [{"fullUrl": f"resource:{i}", "resource": r} for i, r in enumerate(resources)]
    vc: dict[str, Any] = {
        "type": list(types),
        "credentialSubject": {
            "fhirVersion": "4.0.1",
            "fhirBundle": {"resourceType": "Bundle", "type": "collection", "entry": entries},
        },
    }
    if "rid" in claims:
        vc["rid"] = claims.pop("rid")
    return {"iss": iss, "nbf": nbf, "vc": vc, **claims}
