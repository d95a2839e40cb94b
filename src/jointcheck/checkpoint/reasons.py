"""Reason codes the entrance adds to the policy's own, each with its zh-CN and en message.

They are stored with the check like the policy's codes, so reports count them the same way.
``BatchRefusal`` are the codes with which the server refuses one event of an uploaded batch
(the device keeps the event with its code and does not send it again).
"""

from __future__ import annotations

from enum import StrEnum


class CheckpointReason(StrEnum):
    BUNDLE_STALE = "BUNDLE_STALE"
    REGISTERED = "REGISTERED"
    OVERRIDDEN = "OVERRIDDEN"
    ID_DOCUMENT = "ID_DOCUMENT"
    PERSON_NOT_FOUND = "PERSON_NOT_FOUND"
    PAPER_CODE = "PAPER_CODE"
    PAPER_COLOUR_CURRENT = "PAPER_COLOUR_CURRENT"
    PAPER_COLOUR_AS_PRINTED = "PAPER_COLOUR_AS_PRINTED"


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
    # A paper health code (issue 4): the screen adds the time it was printed.
    CheckpointReason.PAPER_CODE: ("纸质健康码", "Paper health code"),
    CheckpointReason.PAPER_COLOUR_CURRENT: (
        "已联网核对，按卫生健康部门当前赋码颜色查验",
        "Checked online: the health authority's current colour applies",
    ),
    CheckpointReason.PAPER_COLOUR_AS_PRINTED: (
        "未能联网核对，健康码颜色为打印时的状态",
        "Not checked online: the colour is as of printing",
    ),
}


def checkpoint_message(reason: CheckpointReason) -> tuple[str, str]:
    return MESSAGES[reason]


class TrustReason(StrEnum):
    """Why the agent refused its server's root key or bundle (issue 4: the pinned root key).

    Not stored with checks: the agent refuses to start (exit code 2) or keeps deciding with
    its last good bundle, and the entrance page shows the refusal.
    """

    ROOT_PIN_REQUIRED = "ROOT_PIN_REQUIRED"
    ROOT_PIN_INVALID = "ROOT_PIN_INVALID"
    ROOT_PIN_MISMATCH = "ROOT_PIN_MISMATCH"
    BUNDLE_UNTRUSTED = "BUNDLE_UNTRUSTED"
    BUNDLE_FORGED = "BUNDLE_FORGED"
    BUNDLE_OUTDATED = "BUNDLE_OUTDATED"
    # The district root key was rotated (``checkpoint.rotation``): a chain of endorsements
    # that does not lead, link by verified link, from the pinned key to the bundle's signer.
    ROOT_CHAIN_BROKEN = "ROOT_CHAIN_BROKEN"
    ROOT_CHAIN_LOOP = "ROOT_CHAIN_LOOP"
    ROOT_CHAIN_TOO_LONG = "ROOT_CHAIN_TOO_LONG"


TRUST_MESSAGES: dict[TrustReason, tuple[str, str]] = {
    TrustReason.ROOT_PIN_REQUIRED: (
        "本终端尚未固定区根密钥：请用登记时显示的指纹启动（--root-key 指纹）",
        (
            "This terminal has no pinned district root key: start it with --root-key and the "
            "fingerprint shown at enrollment"
        ),
    ),
    TrustReason.ROOT_PIN_INVALID: (
        "--root-key 既不是根密钥指纹（64 位十六进制），也不是 PEM 公钥文件",
        "--root-key is neither a root key fingerprint (64 hex digits) nor a PEM public key file",
    ),
    TrustReason.ROOT_PIN_MISMATCH: (
        "服务器提供的区根密钥与登记时的指纹不符，已拒绝，未固定任何密钥",
        (
            "The server's district root key does not match the fingerprint from enrollment: "
            "refused, no key was pinned"
        ),
    ),
    TrustReason.BUNDLE_UNTRUSTED: (
        "收到的信任包不是由登记时固定的区根密钥签名，已拒绝；继续使用上一个有效信任包",
        (
            "A bundle not signed by the district root key pinned at enrollment was refused: "
            "still deciding with the last good bundle"
        ),
    ),
    TrustReason.BUNDLE_FORGED: (
        "收到的信任包签名无效，已拒绝；继续使用上一个有效信任包",
        "A bundle with an invalid signature was refused: still deciding with the last good bundle",
    ),
    TrustReason.BUNDLE_OUTDATED: (
        "收到的信任包比正在使用的旧，已拒绝；继续使用正在使用的信任包",
        "A bundle older than the one in use was refused: still deciding with the one in use",
    ),
    TrustReason.ROOT_CHAIN_BROKEN: (
        "区根密钥更换记录无法验证（签名或指纹不符、顺序错误，或未通到签发信任包的密钥），已拒绝",
        (
            "The district root key's rotation record does not verify (a signature or "
            "fingerprint does not match, links out of order, or it does not reach the key "
            "that signed the bundle): refused"
        ),
    ),
    TrustReason.ROOT_CHAIN_LOOP: (
        "区根密钥更换记录中同一密钥出现两次（循环），已拒绝",
        "The district root key's rotation record names the same key twice (a loop): refused",
    ),
    TrustReason.ROOT_CHAIN_TOO_LONG: (
        "区根密钥更换记录过长，已拒绝",
        "The district root key's rotation record is longer than a terminal follows: refused",
    ),
}


class BatchRefusal(StrEnum):
    EVENT_INVALID = "EVENT_INVALID"
    PLACE_MISMATCH = "PLACE_MISMATCH"
    DEVICE_MISMATCH = "DEVICE_MISMATCH"
    CHECK_MISMATCH = "CHECK_MISMATCH"
    # Kept by the agent itself: one event alone is over the server's body limit (sync.py).
    BODY_TOO_LARGE = "BODY_TOO_LARGE"


REFUSAL_MESSAGES: dict[BatchRefusal, tuple[str, str]] = {
    BatchRefusal.EVENT_INVALID: (
        "记录格式不正确，未保存",
        "The event is not well formed: not stored",
    ),
    BatchRefusal.PLACE_MISMATCH: (
        "记录属于其他场所，本设备不能上传",
        "The event is of another place: this device cannot upload it",
    ),
    BatchRefusal.DEVICE_MISMATCH: (
        "记录以其他设备的名义上传，已拒绝",
        "The event names another device: refused",
    ),
    BatchRefusal.CHECK_MISMATCH: (
        "登记或特殊放行所对应的查验不是本设备在本场所的查验，已拒绝",
        "Registration or override of a check not made by this device at its place: refused",
    ),
    BatchRefusal.BODY_TOO_LARGE: (
        "记录过大，服务器无法接收",
        "The event is larger than the server accepts",
    ),
}


def trust_message(code: str) -> tuple[str, str]:
    """The zh-CN and en message of a trust refusal's code (the code itself when unknown)."""
    try:
        return TRUST_MESSAGES[TrustReason(code)]
    except ValueError:
        return code, code


def refusal_message(code: str) -> tuple[str, str]:
    """The zh-CN and en message of the code with which the server refused an event.

    The server also refuses with the codes of its own checks of a field (a registration's
    NAME_INVALID...): those are named as they are, after a general message.
    """
    try:
        return REFUSAL_MESSAGES[BatchRefusal(code)]
    except ValueError:
        return f"服务器拒收此记录（{code}）", f"Refused by the server ({code})"
