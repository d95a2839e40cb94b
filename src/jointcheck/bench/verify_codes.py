"""The codes ``bench verify`` times: issuer keys, people and the four kinds of code.

Every code is issued through the production path (``credentials.issue`` for ours,
``pipeline.encode_envelope`` for the foreign DCCs), each with its own person, credential id and
issue time; ``revocations`` is the list of 100,000 other entries the verifications look up.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from jointcheck.credentials import cose, issue, pipeline
from jointcheck.credentials.hcert import uvci_hash
from jointcheck.credentials.issue import Holder, IssuingKey
from jointcheck.credentials.keys import Role, TrustedKey
from jointcheck.credentials.model import CodeColour
from jointcheck.credentials.native import CATEGORIES
from jointcheck.credentials.revocation import RevocationList, entry_hash

NOW = datetime(2021, 9, 1, 8, 0, tzinfo=UTC)
KINDS = ("health code", "vaccination", "contraindication", "foreign DCC")
SUBJECT_KEY = bytes(range(32))
_SHA256 = hashes.SHA256()
_PRODUCTS = (
    ("BBIBP-CorV", "ORG-100020693"),
    ("CoronaVac", "Sinovac-Biotech"),
    ("Convidecia", "ORG-100013793"),
    ("EU/1/20/1528", "ORG-100030215"),
)
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
# GB 11643-1999: weights of the first 17 digits and the check character of the sum mod 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass
class KeyRingDict:
    keys: dict[bytes, list[TrustedKey]]

    def keys_for(self, kid: bytes) -> list[TrustedKey]:
        return self.keys.get(kid, [])

    def add(self, key: TrustedKey) -> None:
        self.keys.setdefault(key.kid, []).append(key)


@dataclass(frozen=True)
class Signer:
    """One issuer key: how it signs and how the trust list knows it."""

    issuing: IssuingKey
    trusted: TrustedKey

    @property
    def alg(self) -> str:
        return self.issuing.alg.name


def _private_keys() -> list[cose.PrivateKey]:
    """Two ES256 codes for every PS256 one: P-256, P-256, RSA-2048."""
    ec_key: cose.PrivateKey = ec.generate_private_key(ec.SECP256R1())
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return [ec_key, ec_key, rsa_key]


def _dsc(private_key: cose.PrivateKey, n: int) -> TrustedKey:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"bench DSC {n}")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(n + 1)
        .not_valid_before(NOW - timedelta(days=365))
        .not_valid_after(NOW + timedelta(days=730))
        .add_extension(
            x509.ExtendedKeyUsage([x509.ObjectIdentifier("1.3.6.1.4.1.1847.2021.1.2")]),
            critical=False,
        )
        .sign(private_key, _SHA256)
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    public_key = certificate.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise TypeError("a DSC key is EC or RSA")
    return TrustedKey(
        hashlib.sha256(der).digest()[:8],
        public_key,
        frozenset({Role.DCC_SIGNER}),
        certificate=certificate,
    )


def _issuer(private_key: cose.PrivateKey, role: Role, level: int | None = None) -> Signer:
    """A key of our district's trust list (no certificate: validity from the list)."""
    issuing = IssuingKey.of(private_key)
    trusted = TrustedKey(
        issuing.kid,
        private_key.public_key(),
        frozenset({role}),
        issuer=f"bench {role.value}",
        not_before=NOW - timedelta(days=365),
        not_after=NOW + timedelta(days=730),
        level=level,
    )
    return Signer(issuing, trusted)


def signers() -> dict[str, list[Signer]]:
    """Each kind's issuer keys, in the order codes use them."""
    roles = {
        "health code": (Role.HEALTH_CODE_ISSUER, None),
        "vaccination": (Role.VACCINATION_ISSUER, None),
        "contraindication": (Role.MEDICAL_INSTITUTION, 3),
    }
    signers = {
        kind: [_issuer(key, role, level) for key in _private_keys()]
        for kind, (role, level) in roles.items()
    }
    signers["foreign DCC"] = [
        Signer(IssuingKey(key, dsc.kid), dsc)
        for n, key in enumerate(_private_keys())
        for dsc in [_dsc(key, n)]
    ]
    return signers


def _holder(i: int, rng: random.Random) -> Holder:
    born = date(1940, 1, 1) + timedelta(days=i * 7 % 25_000)
    body = f"370704{born:%Y%m%d}{i % 1000:03d}"
    check = _ID_CHECK[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]
    name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.randint(1, 2)))
    return Holder(body + check, name, born.isoformat())


def _foreign_claims(i: int, rng: random.Random) -> dict[int, Any]:
    product, holder = _PRODUCTS[i % len(_PRODUCTS)]
    iat = NOW - timedelta(days=1, seconds=i)
    entry = {
        "tg": "840539006", "vp": "J07BB01", "mp": product, "ma": holder,
        "dn": 2, "sd": 2, "dt": f"2021-0{1 + i % 8}-{10 + i % 18}", "co": "AT",
        "is": "Ministry of Health, Austria", "ci": f"URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD{i:06d}#{i % 10}",
    }  # fmt: skip
    surname = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(6))
    payload = {
        "ver": "1.3.0",
        "nam": {"fn": surname.title(), "fnt": surname, "gn": "Anna", "gnt": "ANNA"},
        "dob": f"19{50 + i % 50}-0{1 + i % 9}-1{i % 10}",
        "v": [entry],
    }
    exp = iat + timedelta(days=365)
    return {1: "AT", 6: int(iat.timestamp()), 4: int(exp.timestamp()), -260: {1: payload}}


def issue_code(kind: str, i: int, signer: Signer, rng: random.Random) -> str:
    """Code number ``i`` of ``kind``, each with its own person, ids and issue time."""
    key = signer.issuing
    if kind == "foreign DCC":
        claims = _foreign_claims(i, rng)
        return pipeline.encode_envelope(claims, key.private_key, key.kid, key.alg, "HC1:")
    holder = _holder(i, rng)
    if kind == "health code":
        colour = (CodeColour.GREEN, CodeColour.GREEN, CodeColour.YELLOW)[i % 3]
        return issue.issue_health_code(
            key, SUBJECT_KEY, holder, colour=colour, issued_at=NOW - timedelta(seconds=i % 120),
            credential_id=rng.randbytes(16), nonce=rng.randbytes(12),
        )  # fmt: skip
    if kind == "contraindication":
        start = date(2021, 6, 1) + timedelta(days=i % 90)
        return issue.issue_contraindication(
            key, SUBJECT_KEY, holder, category=list(CATEGORIES)[i % len(CATEGORIES)],
            valid_from=start, valid_to=start + timedelta(days=180),
            issued_at=NOW - timedelta(days=91, seconds=i), credential_id=rng.randbytes(16),
        )  # fmt: skip
    payload = issue.vaccination_payload(
        holder, product=_PRODUCTS[i % 3][0], dose=1 + i % 3, doses=3,
        on=date(2021, 3, 1) + timedelta(days=i % 150), issuer="Fangzi District CDC",
        uvci=issue.make_uvci("FZ", f"{i:010d}"),
    )  # fmt: skip
    issued_at = NOW - timedelta(days=1, seconds=i)
    return issue.issue_vaccination(key, SUBJECT_KEY, holder, payload, issued_at=issued_at)


def revocations(rng: random.Random) -> RevocationList:
    """100,000 revoked entries, none of the benchmark's: half UVCIs, half credential ids."""
    uvcis = (
        entry_hash("uvci", uvci_hash(f"URN:UVCI:01:CN:REVOKED{rng.getrandbits(64):020d}"))
        for _ in range(50_000)
    )
    ids = (entry_hash("credential_id", rng.randbytes(16).hex()) for _ in range(50_000))
    return RevocationList.of([*uvcis, *ids])
