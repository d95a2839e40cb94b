"""The access log's paths (R6, house rule 4): ids, page numbers and the language are kept;
any other query value (a search, a token, a parameter no page reads) is hidden."""

from __future__ import annotations

import logging

import pytest

from jointcheck.api.access_log import QueryRedaction, logged_path

MEMBER = "5f0c3a5e-8f0b-4a53-9d55-3c3b0b7f2e11"


@pytest.mark.parametrize(
    ("sent", "logged"),
    [
        ("/verify", "/verify"),
        ("/devices?page=3&lang=zh-CN", "/devices?page=3&lang=zh-CN"),
        ("/devices?q=%E7%8E%8B%E7%A7%80%E8%8B%B1", "/devices?q=-"),
        ("/entrance?token=abc123", "/entrance?token=-"),
        ("/me?name=%E5%BC%A0%E4%B8%89&phone=13800000000", "/me?name=-&phone=-"),
        ("/me/print?member=" + "1" * 65, "/me/print?member=-"),  # not an id: too long
        (f"/me/print?member={MEMBER}&lang=en", f"/me/print?member={MEMBER}&lang=en"),
        (f"/places/7/devices?enrolled={MEMBER}", f"/places/7/devices?enrolled={MEMBER}"),
        ("/verify?fragment=1", "/verify?fragment=1"),
        # The registrations' day, span and street (R3, R5).
        (
            "/registrations?street=370704001&day=2021-09-06",
            "/registrations?street=370704001&day=2021-09-06",
        ),
        (
            "/api/streets/370704001/registrations?from=2021-09-01&to=2021-09-06",
            "/api/streets/370704001/registrations?from=2021-09-01&to=2021-09-06",
        ),
        (
            "/registrations?street=13812345678&day=%E5%BC%A0%E4%B8%89",
            "/registrations?street=-&day=-",
        ),
        ("/api/streets/370704194503080012/registrations", "/api/streets/-/registrations"),
        # A kept name holding what it does not hold (a document number, a name, a phone).
        ("/me/print?member=370704194503080012", "/me/print?member=-"),
        ("/devices?lang=%E5%BC%A0%E4%B8%89&page=13800000000", "/devices?lang=-&page=-"),
        ("/places/7/devices?revoked=%E7%8E%8B%E7%A7%80%E8%8B%B1", "/places/7/devices?revoked=-"),
        # A name that is not a word: written as '-' too.
        ("/x?%E5%BC%A0=1", "/x?-=-"),
        ("/x?13800000000=", "/x?-=-"),
        # A path no route has (a 404): what was typed into the address bar is not written.
        ("/me/%E5%BC%A0%E4%B8%89", "/me/-"),
        ("/places/13812345678/devices", "/places/-/devices"),
        ("/api/persons/370704194503080012", "/api/persons/-"),
        ("/api/persons/37070419450308001X?lang=en", "/api/persons/-?lang=en"),
        ("/Zhang.San", "/-"),
        # The app's own paths are written as they are.
        (f"/api/family/links/{MEMBER}", f"/api/family/links/{MEMBER}"),
        ("/api/checkpoint/id-document", "/api/checkpoint/id-document"),
        ("/static/entrance.css", "/static/entrance.css"),
        ("/places/17/devices/", "/places/17/devices/"),
        ("/grids/370704001001001", "/grids/370704001001001"),
        ("/api/openapi.json", "/api/openapi.json"),
    ],
)
def test_only_the_values_of_known_id_parameters_are_kept(sent: str, logged: str) -> None:
    assert logged_path(sent) == logged


def test_the_filter_rewrites_uvicorns_access_record() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/devices?q=secret&page=2", "1.1", 200), None,
    )  # fmt: skip
    assert QueryRedaction().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /devices?q=-&page=2 HTTP/1.1" 200'
