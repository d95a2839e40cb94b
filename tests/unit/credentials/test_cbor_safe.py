"""Date-time tags become the JSON model's text, and only when they enclose what RFC 8949 says."""

import cbor2

from jointcheck.credentials import cbor_safe
from jointcheck.credentials.reasons import Reason


def test_date_time_tags_become_iso_text():
    reason, value = cbor_safe.decode(
        cbor2.dumps({"a": cbor2.CBORTag(0, "2021-06-01T10:00:00Z"), "b": cbor2.CBORTag(1, 0)})
    )
    assert reason is Reason.OK
    assert value == {"a": "2021-06-01T10:00:00Z", "b": "1970-01-01T00:00:00Z"}


def test_a_date_tag_around_a_date_tag_is_not_text():
    # RFC 8949 3.4.1: tag 0 encloses a text string; a tagged item is not one, so no schema
    # (which wants a string) accepts the result.
    for inner in (cbor2.CBORTag(0, "2021-06-01"), cbor2.CBORTag(1, 0)):
        reason, value = cbor_safe.decode(cbor2.dumps(cbor2.CBORTag(0, inner)))
        assert reason is Reason.OK
        assert isinstance(value, cbor2.CBORTag)
        assert value.tag == 0
