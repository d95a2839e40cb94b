"""Each code with which an uploaded event is refused has a message in zh-CN and en (house
rule 2): the entrance page and ``jointcheck checkpoint outbox`` show them to staff."""

from __future__ import annotations

import pytest

from jointcheck.checkpoint.reasons import REFUSAL_MESSAGES, BatchRefusal, refusal_message
from jointcheck.checkpoint.sync import TOO_LARGE


@pytest.mark.parametrize("code", list(BatchRefusal))
def test_every_refusal_code_has_both_messages(code: BatchRefusal) -> None:
    zh, en = refusal_message(code.value)
    assert (zh, en) == REFUSAL_MESSAGES[code]
    assert zh.strip()
    assert en.strip()
    assert any("\u4e00" <= c <= "\u9fff" for c in zh)
    assert zh != en


def test_the_agents_own_too_large_code_is_one_of_them() -> None:
    assert TOO_LARGE == BatchRefusal.BODY_TOO_LARGE


def test_a_code_of_the_servers_field_checks_is_named_in_a_general_message() -> None:
    zh, en = refusal_message("PHONE_INVALID")
    assert "PHONE_INVALID" in zh
    assert en == "Refused by the server (PHONE_INVALID)"
