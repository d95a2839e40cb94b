"""``cose.parse_sign1`` reads the common COSE_Sign1 form by hand; the result must be the
bounded decoder's (``cose.parse_sign1_decoded``) for every input, whichever path reads it."""

from __future__ import annotations

import json
from pathlib import Path

import cbor2
import factories as f
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jointcheck.credentials import cose
from jointcheck.credentials.reasons import Reason

SUITE = Path(__file__).resolve().parents[2] / "vectors" / "dcc-testdata"
SIGNER = f.signer()
OURS = cose.sign1(
    cbor2.dumps(f.dcc_claims(f.dcc_payload())), SIGNER.private_key, SIGNER.kid, SIGNER.alg
)


def _suite() -> list[bytes]:
    found = []
    for path in sorted(SUITE.glob("**/2DCode/raw/*.json")):
        case = json.loads(path.read_text("utf-8"))
        try:
            found.append(bytes.fromhex(case.get("COSE", "")))
        except ValueError:
            continue
    return [data for data in found if data]


SUITE_COSE = _suite()
SEEDS = [OURS, *SUITE_COSE]


def _same(data: bytes) -> None:
    assert cose.parse_sign1(data) == cose.parse_sign1_decoded(data), data.hex()


def test_our_codes_take_the_common_form_and_read_alike() -> None:
    assert cose._common_form(OURS) is not None
    parsed = cose.parse_sign1(OURS)
    assert isinstance(parsed, cose.Sign1)
    assert parsed.kid == SIGNER.kid
    _same(OURS)


def test_every_suite_cose_reads_alike() -> None:
    assert len(SUITE_COSE) > 300
    common = [data for data in SUITE_COSE if cose._common_form(data) is not None]
    assert len(common) > len(SUITE_COSE) // 2  # the hand-read path is the usual one
    for data in SUITE_COSE:
        _same(data)


def _bstr_head(length: int, width: int) -> bytes:
    """A byte string head with its length in ``width`` bytes (0: in the initial byte)."""
    if width == 0:
        return bytes((0x40 | length,))
    info = {1: 24, 2: 25, 4: 26, 8: 27}[width]
    return bytes((0x40 | info,)) + length.to_bytes(width, "big")


@st.composite
def _built(draw: st.DrawFn) -> bytes:
    """A COSE_Sign1 built piece by piece: tags, heads in any width, odd maps, extra bytes."""
    sign1 = cose.parse_sign1_decoded(OURS)
    assert isinstance(sign1, cose.Sign1)
    parts = []
    for value in (sign1.protected, sign1.payload, sign1.signature):
        width = draw(st.sampled_from([0, 1, 2, 4, 8] if len(value) < 24 else [1, 2, 4, 8]))
        if len(value) >= 1 << (8 * width) if width else len(value) >= 24:
            width = 2
        parts.append(_bstr_head(len(value), width) + value)
    unprotected = draw(st.sampled_from([b"\xa0", b"\xa1\x04\x41k", b"\xbf\xff", b"\x80", b"\xf6"]))
    tags = draw(
        st.sampled_from([b"", b"\xd2", b"\xd8\x3d\xd2", b"\xd8\x3d", b"\xd8\x12", b"\xd2\xd2"])
    )
    head = draw(st.sampled_from([b"\x84", b"\x83", b"\x85", b"\x9f"]))
    tail = b"\xff" if head == b"\x9f" else b""
    data = tags + head + parts[0] + unprotected + parts[1] + parts[2] + tail
    return data + draw(st.sampled_from([b"", b"\x00", b"\xa0"]))


@settings(max_examples=600, deadline=None)
@given(_built())
def test_built_forms_read_alike(data: bytes) -> None:
    _same(data)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEEDS), st.data())
def test_damaged_codes_read_alike(seed: bytes, data: st.DataObject) -> None:
    damaged = bytearray(seed)
    for _ in range(data.draw(st.integers(1, 3))):
        action = data.draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        # Mostly near the front, where the heads are; anywhere else too.
        at = data.draw(st.integers(0, min(len(damaged), 40)) | st.integers(0, len(damaged)))
        if action == "flip" and at < len(damaged):
            damaged[at] = data.draw(st.integers(0, 255))
        elif action == "cut":
            del damaged[at:]
        elif action == "insert":
            damaged[at:at] = data.draw(st.binary(min_size=1, max_size=3))
        elif at < len(damaged):
            del damaged[at]
    _same(bytes(damaged))


def test_the_size_cap_holds_on_the_common_form() -> None:
    big = b"\x84\x40\xa0\x5a" + (70_000).to_bytes(4, "big") + bytes(70_000) + b"\x40"
    assert cose._common_form(big) is not None  # the form alone would be read by hand
    assert cose.parse_sign1(big) is Reason.CBOR_MALFORMED
    _same(big)
