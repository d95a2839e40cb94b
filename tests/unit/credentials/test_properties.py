"""Whatever the input, ``verify`` returns a reason code and never raises (issue 2, "Bad input").

More than 10,000 generated inputs in total: random text and bytes, random bytes behind the
transport encodings, truncated and bit-flipped real codes, wrong prefixes and hostile CBOR
(as the whole COSE, as signed CWT claims and as a signed DCC payload, so that the content
checks meet it too). Plus the memory bound: decoding any input up to the length cap raises
the peak memory by less than 10 MB.
"""

from __future__ import annotations

import json
import tracemalloc
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cbor2
import factories as f
import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jointcheck.credentials import base45, cose
from jointcheck.credentials.model import Verification
from jointcheck.credentials.reasons import Reason
from jointcheck.credentials.verify import verify

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
SCHEMAS = Path(__file__).resolve().parents[3] / "src/jointcheck/credentials/data/dcc-schema"

SIGNER = f.signer()
CTX = f.context(SIGNER)
SUITE_CODES = [
    json.loads((VECTORS / "dcc-testdata" / "common" / "2DCode" / "raw" / name).read_text())[
        "PREFIX"
    ]
    for name in ("CO1.json", "CO2.json", "CO3.json", "CO28.json")
]
REAL_CODES = [
    f.issue_dcc(SIGNER),
    f.issue_dcc(f.signer(cose.Algorithm.PS256)),
    f.issue_dcc(SIGNER, f.dcc_payload("t")),
    *SUITE_CODES,
]
MANY = settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOME = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _refused(text: str) -> Verification:
    result = verify(text, CTX)
    assert isinstance(result.reason, Reason)
    assert result.reason is not Reason.OK
    assert not result.valid
    return result


@MANY
@given(st.text(max_size=8000))
def test_random_text(text: str) -> None:
    _refused(text)


@MANY
@given(st.binary(max_size=3000))
def test_random_bytes_as_base45(data: bytes) -> None:
    _refused("HC1:" + base45.encode(data))


@MANY
@given(st.binary(max_size=3000))
def test_random_bytes_compressed(data: bytes) -> None:
    _refused(f.wrap(data))


@SOME
@given(st.sampled_from(REAL_CODES), st.data())
def test_truncated_real_codes(code: str, data: st.DataObject) -> None:
    _refused(code[: data.draw(st.integers(0, len(code) - 1))])


@MANY
@given(st.sampled_from(REAL_CODES), st.data())
def test_bit_flipped_real_codes(code: str, data: st.DataObject) -> None:
    raw = bytearray(f.cose_bytes(code))
    bit = data.draw(st.integers(0, 8 * len(raw) - 1))
    raw[bit // 8] ^= 1 << (bit % 8)
    _refused(f.wrap(bytes(raw)))


@SOME
@given(st.sampled_from(REAL_CODES), st.text(max_size=6))
def test_wrong_prefixes(code: str, prefix: str) -> None:
    text = prefix + code.removeprefix("HC1:")
    if text.startswith("HC1:"):
        return  # the right prefix after all
    _refused(text)


_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=20)
    | st.binary(max_size=20)
)


def _hostile(leaves: st.SearchStrategy[Any] = _LEAVES) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.text(max_size=4) | st.integers(-300, 300), inner, max_size=4)
            | st.builds(cbor2.CBORTag, st.sampled_from([0, 1, 2, 18, 28, 29, 35, 61, 258]), inner)
        ),
        max_leaves=30,
    )


def _encodable(value: Any) -> bytes | None:
    try:
        return cbor2.dumps(value)
    except (cbor2.CBOREncodeError, ValueError, TypeError):
        return None


@SOME
@given(_hostile())
def test_hostile_cbor_as_cose(value: Any) -> None:
    encoded = _encodable(value)
    if encoded is not None:
        _refused(f.wrap(encoded))


@SOME
@given(_hostile())
def test_hostile_cbor_as_signed_claims(value: Any) -> None:
    encoded = _encodable(value)
    if encoded is not None:
        _refused(f.wrap(cose.sign1(encoded, SIGNER.private_key, SIGNER.kid, SIGNER.alg)))


class _NotJsonError(Exception):
    pass


def _json_model(value: Any) -> Any:
    """The JSON data model of a CBOR value, by RFC 8949 3.4.1-3.4.2 (hcert spec 3.3.7).

    Tag 0 is a date-time text, tag 1 an epoch number written as ISO 8601 UTC; anything else
    that JSON cannot hold (bytes, other tags, non-text keys, NaN) is not a DCC payload.
    """
    if isinstance(value, cbor2.CBORTag):
        if value.tag == 0 and isinstance(value.value, str):
            return value.value
        if (
            value.tag == 1
            and isinstance(value.value, int | float)
            and not isinstance(value.value, bool)
        ):
            try:
                stamp = datetime.fromtimestamp(value.value, UTC)
            except (OverflowError, OSError, ValueError) as exc:
                raise _NotJsonError from exc
            return stamp.isoformat().replace("+00:00", "Z")
        raise _NotJsonError
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise _NotJsonError
        return {k: _json_model(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_model(v) for v in value]
    if isinstance(value, float) and value != value:  # noqa: PLR0124 - NaN
        raise _NotJsonError
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise _NotJsonError


def _schema_valid(payload: dict[str, Any]) -> bool:
    """An oracle independent of the code under test: the jsonschema library, format ignored."""
    try:
        document = _json_model(payload)
    except _NotJsonError:
        return False
    version = document.get("ver")
    folder = SCHEMAS / version if isinstance(version, str) and version else None
    path = folder if folder is not None and folder.is_dir() else SCHEMAS / "1.3.0"
    schema_doc = json.loads((path / "combined-schema.json").read_text("utf-8"))
    return jsonschema.Draft202012Validator(schema_doc).is_valid(document)


@SOME
@given(_hostile(), st.sampled_from(["v", "t", "r", "nam", "dob", "ver"]))
def test_hostile_cbor_in_a_signed_dcc(value: Any, field: str) -> None:
    # Some generated values are legitimate (the DCC schema allows an empty "dob", for one):
    # such a payload may verify, and then the independent schema oracle must agree.
    payload: dict[str, Any] = {**f.dcc_payload(), field: value}
    claims = f.dcc_claims(payload)
    encoded = _encodable(claims)
    if encoded is None:
        return
    text = f.wrap(cose.sign1(encoded, SIGNER.private_key, SIGNER.kid, SIGNER.alg))
    result = verify(text, CTX)
    assert isinstance(result.reason, Reason)
    if result.valid:
        assert _schema_valid(payload)
    else:
        assert result.reason is not Reason.OK


def _at_cap(cbor: bytes) -> str:
    text = f.wrap(cbor)
    assert len(text) <= 4296
    return text


# The costliest inputs per byte that fit a QR code: each inflates to about 64 KiB of CBOR
# items that each become a Python object.
WORST_INPUTS = {
    "empty arrays": _at_cap(b"\x9f" + b"\x80" * 65534 + b"\xff"),
    "empty maps": _at_cap(b"\x9f" + b"\xa0" * 65534 + b"\xff"),
    "nested arrays": _at_cap(b"\x9f" + (b"\x81" * 15 + b"\x80") * 4095 + b"\xff"),
    "tags": _at_cap(b"\x9f" + b"\xd8\x1e\x80" * 21800 + b"\xff"),
    "signed claims of empty maps": _at_cap(
        cose.sign1(b"\x9f" + b"\xa0" * 65000 + b"\xff", SIGNER.private_key, SIGNER.kid, SIGNER.alg)
    ),
    "signed DCC of empty arrays": _at_cap(
        cose.sign1(
            cbor2.dumps(f.dcc_claims({**f.dcc_payload(), "v": [[]] * 16000})),
            SIGNER.private_key,
            SIGNER.kid,
            SIGNER.alg,
        )
    ),
    "longest base45": "HC1:" + "Z" * 4290,
    "longest numeric": "shc:/" + "5" * 7084,
    "random base45 at the cap": "HC1:" + base45.encode(zlib.compress(bytes(range(256)) * 11)),
}


def test_peak_memory_of_any_input_up_to_the_cap() -> None:
    tracemalloc.start()
    try:
        peaks = {}
        for name, text in WORST_INPUTS.items():
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            result = verify(text, CTX)
            peaks[name] = tracemalloc.get_traced_memory()[1] - before
            assert result.reason is not Reason.OK, name
    finally:
        tracemalloc.stop()
    assert max(peaks.values()) < 10 * 1024 * 1024, peaks
