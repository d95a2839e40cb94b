"""Reason codes of the credential pipeline, each with its zh-CN and en message.

Every code is documented in docs/credentials.md and triggered by a test
(tests/unit/credentials/test_bad_input.py). Names are stable: devices store them, reports
count them, and translations key on them. There is deliberately no catch-all code: an input
that no code describes is a fault to fix, not an outcome.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    OK = "OK"
    # Transport: prefix, text encodings, compression.
    UNKNOWN_PREFIX = "UNKNOWN_PREFIX"
    INPUT_TOO_LONG = "INPUT_TOO_LONG"
    BAD_BASE45 = "BAD_BASE45"
    BAD_NUMERIC = "BAD_NUMERIC"
    SHC_CHUNKS_INCOMPLETE = "SHC_CHUNKS_INCOMPLETE"
    DECOMPRESSION_FAILED = "DECOMPRESSION_FAILED"
    INFLATION_CAP_EXCEEDED = "INFLATION_CAP_EXCEEDED"
    # Structure: CBOR, COSE, CWT, JWS.
    CBOR_MALFORMED = "CBOR_MALFORMED"
    CBOR_TOO_DEEP = "CBOR_TOO_DEEP"
    NOT_COSE_SIGN1 = "NOT_COSE_SIGN1"
    CWT_MALFORMED = "CWT_MALFORMED"
    JWS_MALFORMED = "JWS_MALFORMED"
    # Signature and trust.
    UNKNOWN_KID = "UNKNOWN_KID"
    UNSUPPORTED_ALGORITHM = "UNSUPPORTED_ALGORITHM"
    ALGORITHM_KEY_MISMATCH = "ALGORITHM_KEY_MISMATCH"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    ISSUER_ROLE_MISSING = "ISSUER_ROLE_MISSING"
    KEY_USAGE_MISMATCH = "KEY_USAGE_MISMATCH"
    TRUST_LIST_FORGED = "TRUST_LIST_FORGED"
    TRUST_LIST_OUTDATED = "TRUST_LIST_OUTDATED"
    REVOCATION_LIST_FORGED = "REVOCATION_LIST_FORGED"
    REVOCATION_LIST_OUTDATED = "REVOCATION_LIST_OUTDATED"
    # Time.
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    DSC_VALIDITY = "DSC_VALIDITY"
    # Content.
    SCHEMA_INVALID = "SCHEMA_INVALID"
    REVOKED = "REVOKED"
    SUBJECT_MISMATCH = "SUBJECT_MISMATCH"
    # Warnings (carried beside a valid result, never a refusal on their own).
    DUPLICATE_PRESENTATION = "DUPLICATE_PRESENTATION"


WARNINGS = frozenset({Reason.DUPLICATE_PRESENTATION})

MESSAGES: dict[Reason, tuple[str, str]] = {
    Reason.OK: ("验证通过", "Verified"),
    Reason.UNKNOWN_PREFIX: (
        "无法识别的二维码类型，请出示健康码、疫苗接种证明或禁忌证明",
        "Unrecognised code type: show a health code, vaccination or contraindication certificate",
    ),
    Reason.INPUT_TOO_LONG: (
        "内容超过二维码可容纳的长度，不是有效凭证",
        "Longer than a QR code can hold: not a credential",
    ),
    Reason.BAD_BASE45: (
        "二维码内容损坏（Base45 解码失败），请重新扫描",
        "Damaged code (Base45): scan again",
    ),
    Reason.BAD_NUMERIC: (
        "二维码内容损坏（数字编码错误），请重新扫描",
        "Damaged code (numeric encoding): scan again",
    ),
    Reason.SHC_CHUNKS_INCOMPLETE: (
        "分段二维码不完整，请扫描全部分段",
        "Multi-part code incomplete: scan every part",
    ),
    Reason.DECOMPRESSION_FAILED: (
        "二维码内容损坏（解压失败），请重新扫描",
        "Damaged code (decompression): scan again",
    ),
    Reason.INFLATION_CAP_EXCEEDED: (
        "内容解压后超出上限，已拒绝",
        "Refused: content inflates beyond the allowed size",
    ),
    Reason.CBOR_MALFORMED: ("凭证数据格式错误", "Malformed credential data (CBOR)"),
    Reason.CBOR_TOO_DEEP: (
        "凭证数据嵌套过深，已拒绝",
        "Refused: credential data nested too deeply",
    ),
    Reason.NOT_COSE_SIGN1: ("不是有效的签名凭证（COSE）", "Not a signed credential (COSE_Sign1)"),
    Reason.CWT_MALFORMED: (
        "凭证声明缺失或格式错误",
        "Credential claims missing or malformed (CWT)",
    ),
    Reason.JWS_MALFORMED: ("不是有效的签名凭证（JWS）", "Not a signed credential (JWS)"),
    Reason.UNKNOWN_KID: (
        "签发机构不在信任列表中，请更新信任列表或核实凭证来源",
        "Issuer key not on the trust list: update the trust list or check where the code came from",
    ),
    Reason.UNSUPPORTED_ALGORITHM: ("不支持的签名算法", "Unsupported signature algorithm"),
    Reason.ALGORITHM_KEY_MISMATCH: (
        "签名算法与签发密钥类型不符",
        "Signature algorithm does not match the issuer key",
    ),
    Reason.BAD_SIGNATURE: (
        "签名无效，凭证可能被篡改",
        "Invalid signature: the credential may be forged",
    ),
    Reason.ISSUER_ROLE_MISSING: (
        "签发机构无权签发此类凭证",
        "The issuer is not authorised to sign this kind of credential",
    ),
    Reason.KEY_USAGE_MISMATCH: (
        "签名证书的用途不允许此类凭证",
        "The signing certificate's key usage does not allow this certificate type",
    ),
    Reason.TRUST_LIST_FORGED: ("信任列表签名无效，已拒绝", "Trust list signature invalid: refused"),
    Reason.TRUST_LIST_OUTDATED: (
        "信任列表版本比现有版本旧，已拒绝",
        "Trust list older than the one in use: refused",
    ),
    Reason.REVOCATION_LIST_FORGED: (
        "撤销列表签名无效，已拒绝",
        "Revocation list signature invalid: refused",
    ),
    Reason.REVOCATION_LIST_OUTDATED: (
        "撤销列表版本不比现有版本新，已拒绝",
        "Revocation list not newer than the one in use: refused",
    ),
    Reason.EXPIRED: ("凭证已过期，请刷新后重新出示", "Expired: refresh the code and show it again"),
    Reason.NOT_YET_VALID: ("凭证尚未生效，请核对设备时间", "Not yet valid: check the device clock"),
    Reason.DSC_VALIDITY: (
        "签发时间或有效期超出签名证书有效期",
        "Issued or valid outside the signing certificate's validity",
    ),
    Reason.SCHEMA_INVALID: ("凭证内容不符合规范", "Credential content does not match its schema"),
    Reason.REVOKED: ("凭证已被撤销", "Credential revoked"),
    Reason.SUBJECT_MISMATCH: (
        "出示的多个凭证不属于同一人",
        "The credentials shown do not belong to the same person",
    ),
    Reason.DUPLICATE_PRESENTATION: (
        "同一健康码在有效期内已在本场所出示过，请核对本人",
        "This health code was already shown here within its validity: check the person",
    ),
}


def message(reason: Reason, locale: str = "zh_CN") -> str:
    zh, en = MESSAGES[reason]
    return zh if locale.lower().startswith("zh") else en
