"""Base45 (RFC 9285): the examples of the RFC, round trips, and every strictness rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jointcheck.credentials import base45


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"AB", "BB8"),  # RFC 9285 section 4.3
        (b"Hello!!", "%69 VD92EX0"),
        (b"base-45", "UJCLQE7W581"),
        (b"ietf!", "QED8WEX0"),
        (b"", ""),
    ],
)
def test_rfc_examples(raw: bytes, text: str) -> None:
    assert base45.encode(raw) == text
    assert base45.decode(text) == raw


@pytest.mark.parametrize(
    "text",
    [
        "GGW",  # 65536: one more than two bytes hold (RFC 9285 section 4.4)
        "ZZZ",
        "::",  # 2024: more than one byte
        "A",  # 3n+1 characters
        "BB8A",
        "bb8",  # lower case is not in the alphabet
        "BB8\u00e9",
        "BB8=",
    ],
)
def test_invalid_text_is_refused(text: str) -> None:
    assert base45.decode(text) is None


def test_largest_values_decode() -> None:
    assert base45.decode("FGW") == b"\xff\xff"
    assert base45.decode("U5") == b"\xff"


@given(st.binary(max_size=3000))
def test_round_trip(data: bytes) -> None:
    assert base45.decode(base45.encode(data)) == data
    assert base45.decode(base45.encode(data).encode("ascii")) == data
