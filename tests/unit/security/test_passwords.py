"""argon2 password hashes."""

from __future__ import annotations

from jointcheck.security.passwords import hash_password, needs_rehash, verify_password


def test_a_password_verifies_against_its_hash_and_nothing_else():
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "correct horse battery!")
    assert not needs_rehash(stored)


def test_a_malformed_stored_hash_matches_nothing():
    assert not verify_password("not-a-hash", "anything")
    assert not verify_password("", "")
