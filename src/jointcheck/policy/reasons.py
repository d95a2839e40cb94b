"""Outcomes, reason codes and actions of a policy decision, each with its zh-CN and en text.

Names are stable: checkpoints store them, reports count them and translations key on them
(house rule 2). Reason codes of the credential pipeline (``credentials.reasons.Reason``) that
reach a decision, such as a code that failed to verify, keep their own names and messages.
"""

from __future__ import annotations

from enum import StrEnum

from jointcheck.credentials.reasons import Reason
from jointcheck.credentials.reasons import message as credential_message


class Outcome(StrEnum):
    ADMIT = "ADMIT"
    ADMIT_REGISTERED = "ADMIT_REGISTERED"
    PERSUADE = "PERSUADE"
    DENY = "DENY"


class Action(StrEnum):
    REGISTER = "REGISTER"
    REPORT_TO_STREET = "REPORT_TO_STREET"


class PolicyReason(StrEnum):
    # Admitted.
    VACCINATED = "VACCINATED"
    UNDER_ELIGIBLE_AGE = "UNDER_ELIGIBLE_AGE"
    CONTRAINDICATION_ACCEPTED = "CONTRAINDICATION_ACCEPTED"
    REGISTERED_ENTRY = "REGISTERED_ENTRY"
    # Not vaccinated for entry, by the venue's mode.
    NOT_VACCINATED_RESTRICTED = "NOT_VACCINATED_RESTRICTED"
    NOT_VACCINATED_PERSUADED = "NOT_VACCINATED_PERSUADED"
    # Contraindication certificates that do not count.
    CONTRAINDICATION_LEVEL_TOO_LOW = "CONTRAINDICATION_LEVEL_TOO_LOW"
    CONTRAINDICATION_NOT_VALID = "CONTRAINDICATION_NOT_VALID"
    CONTRAINDICATION_NOT_ACCEPTED_HERE = "CONTRAINDICATION_NOT_ACCEPTED_HERE"
    # Health code (R1, R4).
    HEALTH_CODE_MISSING = "HEALTH_CODE_MISSING"
    HEALTH_CODE_STALE = "HEALTH_CODE_STALE"
    HEALTH_CODE_YELLOW = "HEALTH_CODE_YELLOW"
    HEALTH_CODE_RED = "HEALTH_CODE_RED"
    HEALTH_CODE_NOT_ACCEPTED = "HEALTH_CODE_NOT_ACCEPTED"
    PAPER_CODE_NOT_ACCEPTED = "PAPER_CODE_NOT_ACCEPTED"
    # The evidence itself.
    SUBJECT_MISMATCH = "SUBJECT_MISMATCH"
    CREDENTIAL_NOT_VERIFIED = "CREDENTIAL_NOT_VERIFIED"
    AGE_UNKNOWN = "AGE_UNKNOWN"
    RULE_ERROR = "RULE_ERROR"


OUTCOME_MESSAGES: dict[Outcome, tuple[str, str]] = {
    Outcome.ADMIT: ("准许进入", "Admit"),
    Outcome.ADMIT_REGISTERED: ("登记后准许进入", "Admit after registration"),
    Outcome.PERSUADE: (
        "劝导暂不进入（确需进入须登记或持禁忌证明）",
        "Advise not to enter (to enter: register, or show a contraindication certificate)",
    ),
    Outcome.DENY: ("不得进入", "Do not admit"),
}

ACTION_MESSAGES: dict[Action, tuple[str, str]] = {
    Action.REGISTER: (
        "确需进入的，核验并登记身份信息",
        "If entry is really necessary: verify and record the registration information",
    ),
    Action.REPORT_TO_STREET: (
        "非绿码人员，立即报告所在街道",
        "Not a green code: report to the street (subdistrict) at once",
    ),
}

MESSAGES: dict[PolicyReason, tuple[str, str]] = {
    PolicyReason.VACCINATED: ("已接种疫苗，符合进入条件", "Vaccinated as required for entry"),
    PolicyReason.UNDER_ELIGIBLE_AGE: (
        "未到疫苗接种适龄，无需查验接种证明",
        "Under the vaccine-eligible age: no vaccination certificate needed",
    ),
    PolicyReason.CONTRAINDICATION_ACCEPTED: (
        "持有效的二级及以上医疗机构接种禁忌证明",
        "Valid contraindication certificate from a level-2-or-higher medical institution",
    ),
    PolicyReason.REGISTERED_ENTRY: (
        "未接种，已核验登记信息后进入",
        "Not vaccinated: entering after registration was verified and recorded",
    ),
    PolicyReason.NOT_VACCINATED_RESTRICTED: (
        "适龄未接种人员，本场所限制进入",
        "Eligible-age person not vaccinated: entry to this place is restricted",
    ),
    PolicyReason.NOT_VACCINATED_PERSUADED: (
        "适龄未接种人员，劝导暂不进入",
        "Eligible-age person not vaccinated: advised not to enter",
    ),
    PolicyReason.CONTRAINDICATION_LEVEL_TOO_LOW: (
        "禁忌证明的出具机构等级不足，不予认可",
        "Contraindication certificate from an institution below the required level: not counted",
    ),
    PolicyReason.CONTRAINDICATION_NOT_VALID: (
        "禁忌证明不在有效期内",
        "Contraindication certificate outside its validity period",
    ),
    PolicyReason.CONTRAINDICATION_NOT_ACCEPTED_HERE: (
        "本场所不接受接种禁忌证明",
        "This place does not accept contraindication certificates",
    ),
    PolicyReason.HEALTH_CODE_MISSING: (
        "未出示有效健康码，健康码与接种证明须同时查验",
        "No valid health code shown: the health code and the vaccination certificate are checked together",
    ),
    PolicyReason.HEALTH_CODE_STALE: (
        "健康码已超过有效时长，请刷新后重新出示",
        "Health code too old: refresh it and show it again",
    ),
    PolicyReason.HEALTH_CODE_YELLOW: ("黄码，不得进入", "Yellow code: no entry"),
    PolicyReason.HEALTH_CODE_RED: ("红码，不得进入", "Red code: no entry"),
    PolicyReason.HEALTH_CODE_NOT_ACCEPTED: (
        "健康码颜色不符合本场所要求",
        "Health code colour not accepted here",
    ),
    PolicyReason.PAPER_CODE_NOT_ACCEPTED: (
        "本场所不接受纸质健康码，请出示手机上的健康码或身份证",
        "Paper health codes are not accepted here: show the code on a phone, or the ID card",
    ),
    PolicyReason.SUBJECT_MISMATCH: (
        "出示的多个凭证不属于同一人",
        "The credentials shown do not belong to the same person",
    ),
    PolicyReason.CREDENTIAL_NOT_VERIFIED: (
        "有凭证未通过验证，未计入判定",
        "A credential did not verify and was not counted",
    ),
    PolicyReason.AGE_UNKNOWN: (
        "无法确定出生日期，按适龄人员查验",
        "Date of birth unknown: checked as a person of eligible age",
    ),
    PolicyReason.RULE_ERROR: (
        "规则计算出错，按不符合处理",
        "A rule could not be evaluated: treated as not met",
    ),
}

# The requirement each decision step cites (MISSION.md), as a fired rule's text.
REQUIREMENTS: dict[str, tuple[str, str]] = {
    "R1": (
        "重点场所入口同时查验健康码和疫苗接种证明",
        "Key places check the health code and the vaccination certificate together at entry",
    ),
    "R2": (
        "养老院、福利院、小学、幼儿园等易感人群聚集场所限制适龄未接种人员进入",
        (
            "Nursing homes, welfare homes, primary schools, kindergartens and other places where "
            "susceptible people gather refuse unvaccinated eligible-age people"
        ),
    ),
    "R3": (
        "其他场所劝导适龄未接种人员不进入；确需进入的核验登记信息或持二级及以上医疗机构禁忌证明",
        (
            "Other places persuade unvaccinated eligible-age people not to enter; to enter they "
            "register or show a contraindication certificate from a level-2-or-higher institution"
        ),
    ),
    "R4": (
        "健康码非绿码不得进入，并报告街道",
        "A health code that is not green does not enter and is reported to the street",
    ),
    "R5": (
        "街道每日收集汇总查验和登记信息",
        "Each street collects and summarises check and registration data daily",
    ),
    "R6": ("在确保个人信息安全的前提下开展", "All of it with personal information kept secure"),
    "R7": (
        "基层干部和网格员跟进未接种人员",
        "Cadres and grid administrators follow up the unvaccinated",
    ),
    "R8": (
        "未落实证码联查的单位被查处曝光",
        "Units that do not run the joint check are investigated and exposed",
    ),
    "R9": (
        "未完成接种的干部不安排参加重要会议活动",
        "Cadres not fully vaccinated are not arranged for important meetings",
    ),
    "R10": ("学校排查师生接种情况", "Schools survey the vaccination of staff and students"),
    "R11": (
        "重点行业从业人员完成接种后上岗",
        "Employees of listed trades take up their post only after completing vaccination",
    ),
    "R12": (
        "未接种引发疫情者自担相关费用",
        "An unvaccinated person who causes an outbreak bears the costs",
    ),
    "R13": (
        "场所类别、适龄年龄、接种要求等按政策包配置",
        "Venue categories, eligible age and vaccination requirements come from the policy pack",
    ),
    "R14": (
        "无智能手机人员凭身份证查验",
        "People without a smartphone are checked by resident ID card",
    ),
}


def _pick(texts: tuple[str, str], locale: str) -> str:
    return texts[0] if locale.lower().startswith("zh") else texts[1]


def message(code: PolicyReason | Reason, locale: str = "zh_CN") -> str:
    """The zh-CN or en message of a policy or credential reason code."""
    if isinstance(code, PolicyReason):
        return _pick(MESSAGES[code], locale)
    return credential_message(code, locale)


def outcome_message(outcome: Outcome, locale: str = "zh_CN") -> str:
    return _pick(OUTCOME_MESSAGES[outcome], locale)


def action_message(action: Action, locale: str = "zh_CN") -> str:
    return _pick(ACTION_MESSAGES[action], locale)
