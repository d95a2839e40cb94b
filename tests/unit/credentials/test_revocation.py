"""The revocation list (issue 2): three kinds of entry, signed, versioned, small and O(1)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import district as d
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jointcheck.credentials.reasons import Reason
from jointcheck.credentials.revocation import (
    ENTRY_BYTES,
    RevocationList,
    encode_revocation_list,
    entry_hash,
    load_revocation_list,
    open_revocation_list,
    parse_working_file,
)
from jointcheck.errors import TrustListError

ENTRIES = [("uvci", "a1b2c3"), ("rid", "kid1.rid1"), ("credential_id", "0f" * 16)]


def _signed(version: int = 1, entries: list[tuple[str, str]] = ENTRIES) -> bytes:
    hashes = [entry_hash(kind, value) for kind, value in entries]
    return encode_revocation_list(
        hashes, version=version, issued_at=d.NOW - timedelta(hours=1), root_key=d.root_key()
    )


def test_signed_list_revokes_exactly_its_entries() -> None:
    listed = load_revocation_list(_signed(), d.root_key().public_key())
    assert isinstance(listed, RevocationList)
    for kind, value in ENTRIES:
        assert listed.is_revoked(kind, value)
    # The kind is part of the entry: a credential id is not revoked by a rid with its value.
    assert not listed.is_revoked("rid", "0f" * 16)
    assert not listed.is_revoked("uvci", "a1b2c4")
    assert listed.count == 3
    assert listed.version == 1


def test_file_is_compact_sixteen_bytes_an_entry() -> None:
    many = [("credential_id", str(i)) for i in range(1000)]
    assert len(_signed(entries=many)) == 28 + 1000 * ENTRY_BYTES + 64


def test_duplicates_are_stored_once() -> None:
    listed = open_revocation_list(_signed(entries=ENTRIES * 3), d.root_key().public_key())
    assert listed.count == 3


def test_empty_list_revokes_nothing() -> None:
    listed = open_revocation_list(_signed(entries=[]), d.root_key().public_key())
    assert not listed.is_revoked("uvci", "a1b2c3")


def test_list_signed_by_another_key_or_tampered_is_forged() -> None:
    root = d.root_key().public_key()
    foreign = encode_revocation_list(
        [entry_hash("rid", "x")], version=2, issued_at=d.NOW, root_key=d.key(d.STRANGER_SEED)
    )
    assert load_revocation_list(foreign, root) is Reason.REVOCATION_LIST_FORGED
    data = bytearray(_signed())
    data[30] ^= 1  # an entry flipped: someone un-revoking a credential
    assert load_revocation_list(bytes(data), root) is Reason.REVOCATION_LIST_FORGED
    assert load_revocation_list(b"JCRL", root) is Reason.REVOCATION_LIST_FORGED
    assert load_revocation_list(_signed()[:-1], root) is Reason.REVOCATION_LIST_FORGED


def test_older_list_is_refused() -> None:
    root = d.root_key().public_key()
    assert (
        load_revocation_list(_signed(version=3), root, in_use=3) is Reason.REVOCATION_LIST_OUTDATED
    )
    assert isinstance(load_revocation_list(_signed(version=4), root, in_use=3), RevocationList)
    with pytest.raises(TrustListError) as raised:
        open_revocation_list(_signed(version=2), root, in_use=3)
    assert raised.value.code == "REVOCATION_LIST_OUTDATED"


def test_working_file_lines() -> None:
    text = "# revoked 2021-09-01\nuvci abc\n\nrid kid.rid  # lost phone\n"
    assert parse_working_file(text) == [("uvci", "abc"), ("rid", "kid.rid")]
    with pytest.raises(TrustListError):
        parse_working_file("passport 123\n")


_MEASURE = textwrap.dedent(
    """
    import sys
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    from jointcheck.bench.trust_memory import peak_rss_kib
    from jointcheck.credentials.revocation import open_revocation_list
    root = load_pem_public_key(open(sys.argv[2], "rb").read())
    before = peak_rss_kib()
    listed = open_revocation_list(open(sys.argv[1], "rb").read(), root)
    hits = sum(listed.is_revoked("credential_id", str(i)) for i in range(0, 1_000_000, 1000))
    after = peak_rss_kib()
    print(listed.count, hits, after - before, listed.longest_run())
    """
)


@pytest.mark.slow
def test_a_million_entries_add_under_64_mb_and_lookups_stay_constant(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    n = 1_000_000
    hashes = [entry_hash("credential_id", str(i)) for i in range(n)]
    data = encode_revocation_list(hashes, version=1, issued_at=d.NOW, root_key=d.root_key())
    del hashes
    (tmp_path / "list.jcrl").write_bytes(data)
    (tmp_path / "root.pem").write_bytes(
        d.root_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(tmp_path / "list.jcrl"), str(tmp_path / "root.pem")],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    count, hits, added_kib, longest = (int(x) for x in out.stdout.split())
    assert count == n
    assert hits == 1000
    # Peak RSS of the fresh process (VmHWM, not ru_maxrss, which a forked child inherits).
    assert 0 < added_kib * 1024 < 64 * 1024 * 1024
    # O(1): whatever the key, a look-up compares at most a handful of 16-byte entries.
    assert longest <= 16


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=400), header=st.booleans())
def test_any_bytes_are_a_revocation_list_or_a_reason(data: bytes, header: bool) -> None:
    if header:  # past the magic, so that the length and signature checks are reached
        data = b"JCRL\x01\x00\x00\x00" + data
    assert load_revocation_list(data, d.root_key().public_key()) is Reason.REVOCATION_LIST_FORGED
