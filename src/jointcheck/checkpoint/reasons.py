"""Reason codes the entrance adds to the policy's own, each with its zh-CN and en message.

They are stored with the check like the policy's codes, so reports count them the same way.
"""

from __future__ import annotations

from enum import StrEnum


class CheckpointReason(StrEnum):
    BUNDLE_STALE = "BUNDLE_STALE"
    REGISTERED = "REGISTERED"
    OVERRIDDEN = "OVERRIDDEN"
    ID_DOCUMENT = "ID_DOCUMENT"
    PERSON_NOT_FOUND = "PERSON_NOT_FOUND"


MESSAGES: dict[CheckpointReason, tuple[str, str]] = {
    CheckpointReason.BUNDLE_STALE: (
        "本设备的信任列表和政策已过期，请联网更新",
        "This device's trust list and policy are out of date: connect to refresh them",
    ),
    CheckpointReason.REGISTERED: (
        "已登记信息，准予进入",
        "Registered: may enter",
    ),
    CheckpointReason.OVERRIDDEN: (
        "工作人员说明理由后放行（已记录）",
        "Admitted by staff with a recorded reason",
    ),
    CheckpointReason.ID_DOCUMENT: (
        "凭身份证件查验",
        "Checked by ID document",
    ),
    CheckpointReason.PERSON_NOT_FOUND: (
        "未查到该证件的健康码和接种记录，请出示健康码或接种证明",
        "No health code or vaccination record for this document: show a code or certificate",
    ),
}


def checkpoint_message(reason: CheckpointReason) -> tuple[str, str]:
    return MESSAGES[reason]
