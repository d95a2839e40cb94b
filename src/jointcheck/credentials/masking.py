"""Masking of personal fields for screens and exports (house rule 4)."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """张三 -> 张*, 张小三 -> 张*三, ZHANG SAN -> Z**** S**; empty stays empty."""
    name = name.strip()
    if not name:
        return ""
    if " " in name or name.isascii():
        return " ".join(part[0] + "*" * (len(part) - 1) for part in name.split())
    if len(name) == 1:
        return "*"
    if len(name) == 2:  # noqa: PLR2004 - two-character Chinese names keep only the surname
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(number: str) -> str:
    """370702199001011234 -> 3707**********1234 (first four, last four)."""
    number = number.strip()
    keep = 4
    if len(number) <= 2 * keep:
        return "*" * len(number)
    return number[:keep] + "*" * (len(number) - 2 * keep) + number[-keep:]


def mask_phone(phone: str) -> str:
    """13812345678 -> 138****5678."""
    phone = phone.strip()
    if len(phone) < 7:  # noqa: PLR2004 - too short to keep anything
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_dob(dob: str) -> str:
    """Only the year is shown: 1990-01-01 -> 1990-**-**."""
    return dob[:4] + "-**-**" if len(dob) >= 4 else "****"  # noqa: PLR2004
