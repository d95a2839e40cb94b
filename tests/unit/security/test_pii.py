"""Field encryption at rest and the keyed look-up hash (R6)."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

import pytest

from jointcheck.credentials.subject import subject_hash
from jointcheck.errors import ConfigError, StoreError
from jointcheck.security.pii import FieldCipher, decode_key, new_key_text

ID_NUMBER = "11010519491231002X"


@dataclass
class Keys:
    pii_key: str
    lookup_key: str


def make_cipher() -> FieldCipher:
    return FieldCipher.from_settings(Keys(new_key_text(), new_key_text()))


def test_a_sealed_field_opens_to_the_same_text_and_does_not_contain_it():
    cipher = make_cipher()
    sealed = cipher.seal("张小三", table="persons", column="name", row_id="r1")
    assert "张小三".encode() not in sealed
    assert cipher.open(sealed, table="persons", column="name", row_id="r1") == "张小三"


def test_sealing_twice_gives_different_bytes_a_fresh_nonce_each_time():
    cipher = make_cipher()
    one = cipher.seal("13812345678", table="persons", column="phone", row_id="r1")
    two = cipher.seal("13812345678", table="persons", column="phone", row_id="r1")
    assert one != two
    assert one[1:13] != two[1:13]  # the 96-bit nonces differ


@pytest.mark.parametrize(
    ("table", "column", "row_id"),
    [("persons", "name", "r2"), ("persons", "phone", "r1"), ("registrations", "name", "r1")],
)
def test_a_value_moved_to_another_row_column_or_table_does_not_open(table, column, row_id):
    cipher = make_cipher()
    sealed = cipher.seal("张小三", table="persons", column="name", row_id="r1")
    with pytest.raises(StoreError) as caught:
        cipher.open(sealed, table=table, column=column, row_id=row_id)
    assert caught.value.code == "PII_UNREADABLE"


def test_a_tampered_value_or_another_key_does_not_open():
    cipher = make_cipher()
    sealed = bytearray(cipher.seal("张小三", table="persons", column="name", row_id="r1"))
    sealed[-1] ^= 1
    with pytest.raises(StoreError):
        cipher.open(bytes(sealed), table="persons", column="name", row_id="r1")
    other = make_cipher()
    good = cipher.seal("张小三", table="persons", column="name", row_id="r1")
    with pytest.raises(StoreError):
        other.open(good, table="persons", column="name", row_id="r1")


def test_the_lookup_hash_of_an_id_card_is_the_subject_hash_our_credentials_carry():
    cipher = make_cipher()
    expected = subject_hash(cipher.lookup_key, ID_NUMBER)
    assert cipher.lookup_hash("resident_id_card", ID_NUMBER) == expected
    assert cipher.lookup_hash("resident_id_card", ID_NUMBER.lower()) == expected


def test_the_lookup_hash_depends_on_the_key_and_the_document_type():
    one, two = make_cipher(), make_cipher()
    assert one.lookup_hash("passport", "E1234567") != two.lookup_hash("passport", "E1234567")
    assert one.lookup_hash("passport", "12345678") != one.lookup_hash("taiwan_permit", "12345678")


@pytest.mark.parametrize("value", ["", "changeme", "secret", "c2hvcnQ="])
def test_missing_placeholder_or_short_keys_are_refused(value):
    with pytest.raises(ConfigError):
        decode_key("pii_key", value)


def test_a_key_of_the_wrong_length_is_refused_with_its_setting_name():
    with pytest.raises(ConfigError, match="pii_key must decode to 32 bytes"):
        decode_key("pii_key", base64.b64encode(os.urandom(24)).decode())


def test_the_same_key_for_encryption_and_lookup_is_refused():
    key = new_key_text()
    with pytest.raises(ConfigError) as caught:
        FieldCipher.from_settings(Keys(key, key))
    assert caught.value.code == "CONFIG_KEY_REUSED"
