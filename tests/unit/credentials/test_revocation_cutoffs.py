"""SHC rid cut-offs in the signed revocation list (format 2): enforced offline, format 1 kept."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import district as d
import factories as f
import pytest
import shc_cards as c
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings
from hypothesis import strategies as st

from jointcheck.credentials.reasons import Reason
from jointcheck.credentials.revocation import (
    CUTOFF_BYTES,
    ENTRY_BYTES,
    RevocationList,
    compile_entries,
    cutoff_line,
    encode_revocation_list,
    entry_hash,
    load_revocation_list,
    parse_working_file,
)
from jointcheck.credentials.shc import verify_shc, verify_shc_chunks
from jointcheck.credentials.shc_keys import ShcCrl, load_crl
from jointcheck.credentials.trust import sign_es256
from jointcheck.errors import TrustListError

CUTOFF = 1636977600
RID = "lHKzqFUMjhs"


def working_lines(crl: ShcCrl) -> str:
    """The lines ``jointcheck revocation import-shc-crl`` writes for CRL."""
    lines = [f"rid {value}" for _, value in crl.entries()]
    lines += [cutoff_line(value, cutoff) for value, cutoff in crl.cutoffs.items()]
    return "\n".join(lines) + "\n"


def signed(text: str, version: int = 1) -> bytes:
    hashes, cutoffs = compile_entries(parse_working_file(text))
    return encode_revocation_list(
        hashes, cutoffs=cutoffs, version=version, issued_at=d.NOW, root_key=d.root_key()
    )


def loaded(data: bytes) -> RevocationList:
    listed = load_revocation_list(data, d.root_key().public_key())
    assert isinstance(listed, RevocationList)
    return listed


def issuer_crl(issuer: c.ShcIssuer, *rids: str) -> ShcCrl:
    return load_crl(json.dumps({"kid": issuer.kid, "method": "rid", "ctr": 1, "rids": list(rids)}))


def test_example_03_is_revoked_through_a_signed_list_built_from_the_example_crl() -> None:
    listed = loaded(signed(working_lines(c.example_crl())))
    assert (listed.count, listed.cutoff_count) == (2, 2)
    context = c.ctx(revocations=listed)
    result = verify_shc(c.example_text(3), context)
    assert result.reason is Reason.REVOKED
    assert result.detail == "rid vwAjHdarZuc"
    assert verify_shc(c.example_text(0), context).valid
    assert verify_shc(c.example_text(1), context).valid
    assert verify_shc_chunks(c.example_chunks(), context).valid


def test_a_card_with_the_rid_issued_after_the_cutoff_stays_valid() -> None:
    issuer = c.ShcIssuer()
    listed = loaded(signed(working_lines(issuer_crl(issuer, f"{RID}.{CUTOFF}"))))
    context = c.ctx(*issuer.trusted, revocations=listed)
    before = issuer.card(c.payload(c.patient(), nbf=CUTOFF - 0.5, rid=RID))
    at_cutoff = issuer.card(c.payload(c.patient(), nbf=CUTOFF, rid=RID))
    after = issuer.card(c.payload(c.patient(), nbf=CUTOFF + 86400, rid=RID))
    other_rid = issuer.card(c.payload(c.patient(), nbf=CUTOFF - 1, rid="AQPCj4wwk6Mt"))
    assert verify_shc(before, context).reason is Reason.REVOKED
    assert verify_shc(at_cutoff, context).reason is Reason.OK
    assert verify_shc(after, context).reason is Reason.OK
    assert verify_shc(other_rid, context).reason is Reason.OK


def test_a_cutoff_binds_to_its_key_like_an_outright_rid() -> None:
    issuer, other = c.ShcIssuer(), c.ShcIssuer(f.ec_key(901))
    listed = loaded(signed(working_lines(issuer_crl(issuer, f"{RID}.{CUTOFF}"))))
    card = other.card(c.payload(c.patient(), nbf=CUTOFF - 1, rid=RID))
    assert verify_shc(card, c.ctx(*other.trusted, revocations=listed)).valid


def test_outright_wins_and_the_later_of_two_timestamps_is_kept() -> None:
    kid = "k1"
    text = f"rid {kid}.a.100\nrid {kid}.a.300\nrid {kid}.a.200\nrid {kid}.b.100\nrid {kid}.b\n"
    listed = loaded(signed(text))
    assert listed.rid_cutoff(f"{kid}.a") == 300.0
    assert listed.is_revoked("rid", f"{kid}.b")
    assert not listed.is_revoked("rid", f"{kid}.a")
    assert listed.rid_cutoff(f"{kid}.c") is None


def test_a_fractional_timestamp_survives_the_working_file_and_the_binary() -> None:
    assert cutoff_line("k.r", 1687450764.657) == "rid k.r.1687450764.657"
    assert loaded(signed("rid k.r.1687450764.657\n")).rid_cutoff("k.r") == 1687450764.657


def test_bad_timestamps_in_the_working_file_are_refused_with_the_line() -> None:
    with pytest.raises(TrustListError, match="line 2"):
        parse_working_file("rid k.r\nrid k.r.soon\n")
    with pytest.raises(TrustListError):
        parse_working_file("rid k.r.nan\n")
    assert parse_working_file("rid k.r  # lost\n") == [("rid", "k.r")]


def test_a_list_without_cutoffs_is_written_in_format_1_and_with_them_in_format_2() -> None:
    plain = signed("credential_id 0f\n")
    timed = signed("credential_id 0f\nrid k.r.100\n")
    assert plain[4] == 1
    assert len(plain) == 28 + ENTRY_BYTES + 64
    assert timed[4] == 2
    assert len(timed) == 32 + ENTRY_BYTES + CUTOFF_BYTES + 64


def test_a_format_1_file_laid_out_by_hand_is_still_read() -> None:
    # Format 1 as docs/credentials.md has described it since the first lists were signed.
    entries = sorted([entry_hash("credential_id", "0f"), entry_hash("rid", "k.r")])
    body = struct.pack(">4sB3xQqI", b"JCRL", 1, 9, int(d.NOW.timestamp()), 2) + b"".join(entries)
    listed = loaded(body + sign_es256(d.root_key(), body))
    assert (listed.version, listed.count, listed.cutoff_count) == (9, 2, 0)
    assert listed.is_revoked("rid", "k.r")
    assert listed.rid_cutoff("k.r") is None


@pytest.mark.parametrize(
    "change",
    [
        lambda b: b[:-65] + bytes([b[-65] ^ 1]) + b[-64:],  # the cut-off's timestamp
        lambda b: b[:28] + struct.pack(">I", 0) + b[32:],  # the cut-offs dropped from the count
        lambda b: b[:4] + b"\x01" + b[5:],  # presented as format 1
        lambda b: b[:-1],
    ],
)
def test_a_tampered_format_2_list_is_forged(change) -> None:
    data = change(signed("credential_id 0f\nrid k.r.100\n"))
    assert load_revocation_list(data, d.root_key().public_key()) is Reason.REVOCATION_LIST_FORGED


def test_cutoff_look_ups_stay_constant() -> None:
    cutoffs = {entry_hash("rid", f"k.{i}"): float(i) for i in range(100_000)}
    listed = RevocationList.of([], cutoffs=cutoffs)
    assert listed.longest_run() <= 16
    assert listed.rid_cutoff("k.77777") == 77777.0
    assert listed.rid_cutoff("k.100000") is None


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=400))
def test_any_bytes_after_a_format_2_header_are_forged(data: bytes) -> None:
    document = b"JCRL\x02\x00\x00\x00" + data
    assert (
        load_revocation_list(document, d.root_key().public_key()) is Reason.REVOCATION_LIST_FORGED
    )


_MEASURE = textwrap.dedent(
    """
    import sys
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    from jointcheck.bench.trust_memory import peak_rss_kib
    from jointcheck.credentials.revocation import open_revocation_list
    root = load_pem_public_key(open(sys.argv[2], "rb").read())
    before = peak_rss_kib()
    listed = open_revocation_list(open(sys.argv[1], "rb").read(), root)
    hits = sum(listed.rid_cutoff(f"k.{i}") is not None for i in range(0, 1_000_000, 1001))
    after = peak_rss_kib()
    print(listed.count + listed.cutoff_count, hits, after - before, listed.longest_run())
    """
)


@pytest.mark.slow
def test_a_million_entries_half_of_them_cutoffs_add_under_64_mb(tmp_path: Path) -> None:
    n = 1_000_000
    hashes = [entry_hash("credential_id", str(i)) for i in range(n // 2)]
    cutoffs = {entry_hash("rid", f"k.{i}"): float(i) for i in range(0, n, 2)}
    data = encode_revocation_list(
        hashes, cutoffs=cutoffs, version=1, issued_at=d.NOW, root_key=d.root_key()
    )
    del hashes, cutoffs
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
    assert hits == 500  # the cut-offs are the even rids; every other probe is odd
    assert 0 < added_kib * 1024 < 64 * 1024 * 1024
    assert longest <= 16
