from __future__ import annotations

from datetime import timedelta

import pytest

from jointcheck.checkpoint.model import Outcome, Tone
from jointcheck.credentials.model import CodeColour, Subject
from jointcheck.errors import InputError
from jointcheck.policy import IdCardLookup

from .factories import NOW, FakeVerifier, checkpoint, health_code, vaccination, verified


def _verifier() -> FakeVerifier:
    return FakeVerifier(
        {
            "GREEN": verified(health_code()),
            "GREEN2": verified(health_code(nonce="n2")),
            "RED": verified(health_code(CodeColour.RED, nonce="n3")),
            "VAX": verified(health_code(nonce="n4")),
        }
    )


def test_green_code_alone_persuades_and_the_record_holds_no_personal_data() -> None:
    record, screen = checkpoint(_verifier()).scan(["GREEN"], NOW)
    assert record.outcome is Outcome.PERSUADE
    assert screen.tone is Tone.AMBER
    assert screen.masked_name == "张*"
    assert screen.message_zh
    assert screen.message_en
    flat = str(record.as_dict())
    assert "ZHANG" not in flat
    assert "1990" not in flat
    assert record.subject_hash == "ab" * 32
    assert (record.place_id, record.entrance_id, record.device_id) == ("place-1", "north", "dev-1")


def test_red_code_is_denied_in_red() -> None:
    record, screen = checkpoint(_verifier()).scan(["RED"], NOW)
    assert record.outcome is Outcome.DENY
    assert screen.tone is Tone.RED


def test_forged_code_is_denied_with_the_verification_reason() -> None:
    record, _ = checkpoint(_verifier()).scan(["garbage"], NOW)
    assert record.outcome is Outcome.DENY
    assert "UNKNOWN_PREFIX" in record.reasons
    assert record.subject_hash is None


def test_same_health_code_shown_twice_warns_the_second_time() -> None:
    cp = checkpoint(_verifier())
    first, _ = cp.scan(["GREEN"], NOW)
    second, screen = cp.scan(["GREEN"], NOW + timedelta(seconds=20))
    assert "DUPLICATE_PRESENTATION" not in first.reasons
    assert "DUPLICATE_PRESENTATION" in second.reasons
    assert "已在本场所出示过" in screen.message_zh


def test_the_same_code_after_its_validity_is_no_duplicate() -> None:
    cp = checkpoint(_verifier())
    cp.scan(["GREEN"], NOW)
    later, _ = cp.scan(["GREEN"], NOW + timedelta(minutes=5))
    assert "DUPLICATE_PRESENTATION" not in later.reasons


@pytest.mark.parametrize(
    ("codes", "code"),
    [([], "NO_CODE"), (["  "], "NO_CODE"), (["a", "b", "c", "d"], "TOO_MANY_CODES")],
)
def test_zero_or_more_than_three_codes_is_refused_as_input(codes: list[str], code: str) -> None:
    with pytest.raises(InputError) as info:
        checkpoint().scan(codes, NOW)
    assert info.value.code == code


def test_naive_time_is_a_fault() -> None:
    with pytest.raises(InputError):
        checkpoint().scan(["GREEN"], NOW.replace(tzinfo=None))


def test_stale_bundle_keeps_deciding_but_shows_and_records_it() -> None:
    record, screen = checkpoint(_verifier(), stale=True).scan(["GREEN", "VAX"], NOW)
    assert record.outcome is Outcome.ADMIT
    assert record.stale
    assert "BUNDLE_STALE" in record.reasons
    assert "过期" in screen.message_zh
    assert "out of date" in screen.message_en


def test_family_check_gives_one_record_per_member_in_one_group() -> None:
    results = checkpoint(_verifier()).scan_family([["GREEN", "VAX"], ["RED"], ["GREEN2"]], NOW)
    outcomes = [r.outcome for r, _ in results]
    assert outcomes == [Outcome.ADMIT, Outcome.DENY, Outcome.PERSUADE]
    groups = {r.group_id for r, _ in results}
    assert len(groups) == 1
    assert None not in groups
    assert len({r.id for r, _ in results}) == 3


def test_id_document_path_decides_on_the_looked_up_facts() -> None:
    facts = IdCardLookup(
        subject=Subject(dob="1950-03-01", fnt="LI", gnt="SI", id_hash="cd" * 32),
        masked_name="李*",
        looked_up_at=NOW,
        colour=CodeColour.GREEN,
        vaccinations=(vaccination(),),
    )
    record, screen = checkpoint().check_id_document(facts, NOW)
    assert record.outcome is Outcome.ADMIT
    assert record.via == "id_document"
    assert "ID_DOCUMENT" in record.reasons
    assert screen.masked_name == "李*"


def test_unknown_id_document_says_so() -> None:
    with pytest.raises(InputError) as info:
        checkpoint().check_id_document(None, NOW)
    assert info.value.code == "PERSON_NOT_FOUND"
