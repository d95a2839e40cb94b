"""Languages of the pages and the API: zh-CN and en, chosen per request.

Every page works in both (house rule 10). The locale is chosen by ``?lang=zh-CN|en``, then
the ``lang`` cookie (set when ``?lang=`` is used), then ``Accept-Language``, then zh-CN.

Messages live in YAML catalogs under ``web/catalog/`` (one file per page group, each entry an
id with its ``zh-CN`` and ``en`` text); every catalog file is loaded, so a page group adds its
own file without touching the others. Dates and times are formatted with Babel in the
deployment's time zone (Asia/Shanghai) at display only (house rule 3); inside they stay UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from typing import Final
from zoneinfo import ZoneInfo

import yaml
from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from jointcheck.errors import ConfigError

ZH: Final = "zh-CN"
EN: Final = "en"
LOCALES: Final = (ZH, EN)
DEFAULT_LOCALE: Final = ZH
LANG_COOKIE: Final = "lang"
_BABEL_LOCALE: Final = {ZH: "zh_Hans_CN", EN: "en_GB"}
_ALIASES: Final = {
    "zh": ZH,
    "zh-cn": ZH,
    "zh_cn": ZH,
    "zh-hans": ZH,
    "zh-hans-cn": ZH,
    "en": EN,
    "en-us": EN,
    "en-gb": EN,
    "en_us": EN,
    "en_gb": EN,
}


def parse_locale(value: str | None) -> str | None:
    """A supported locale for a tag such as ``zh-CN``, ``zh_CN``, ``en-US``; else None."""
    if not value:
        return None
    tag = value.strip().lower()
    if tag in _ALIASES:
        return _ALIASES[tag]
    primary = tag.replace("_", "-").split("-", 1)[0]
    return _ALIASES.get(primary)


def _accept_language(header: str) -> str | None:
    """The best supported locale in an ``Accept-Language`` header (RFC 9110 12.5.4)."""
    choices: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        locale = parse_locale(tag)
        if locale is not None and quality > 0:
            choices.append((-quality, position, locale))
    return min(choices)[2] if choices else None


def negotiate(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The request's locale: ``?lang=``, then the cookie, then Accept-Language, then zh-CN."""
    return (
        parse_locale(query)
        or parse_locale(cookie)
        or (_accept_language(accept_language) if accept_language else None)
        or DEFAULT_LOCALE
    )


Catalog = dict[str, dict[str, str]]


def _check_entry(source: str, key: object, entry: object) -> dict[str, str]:
    if not isinstance(key, str) or not isinstance(entry, dict):
        raise ConfigError(f"{source}: entry {key!r} must map locales to text")
    missing = [loc for loc in LOCALES if not isinstance(entry.get(loc), str)]
    if missing:
        raise ConfigError(f"{source}: message {key!r} lacks {', '.join(missing)}")
    return {loc: entry[loc] for loc in LOCALES}


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    """Every message of every catalog file, checked to have both languages."""
    merged: Catalog = {}
    folder = resources.files("jointcheck.web") / "catalog"
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".yaml"):
            continue
        data = yaml.safe_load(item.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{item.name}: a catalog is a mapping of message ids")
        for key, entry in data.items():
            if key in merged:
                raise ConfigError(f"{item.name}: message {key!r} is defined twice")
            merged[key] = _check_entry(item.name, key, entry)
    return merged


def text(message_id: str, locale: str) -> str:
    """The message in ``locale``; an unknown id is shown as itself, so it is noticed."""
    entry = catalog().get(message_id)
    return entry[locale] if entry else message_id


def both(message_id: str) -> dict[str, str]:
    """The message in every locale, as the API's ``message`` objects carry it."""
    entry = catalog().get(message_id)
    return dict(entry) if entry else dict.fromkeys(LOCALES, message_id)


@dataclass(frozen=True, slots=True)
class Translator:
    """What a page needs to speak one language: messages, dates, numbers."""

    locale: str
    timezone: str = "Asia/Shanghai"

    @property
    def html_lang(self) -> str:
        return "zh-Hans-CN" if self.locale == ZH else "en"

    def __call__(self, message_id: str, **values: object) -> str:
        message = text(message_id, self.locale)
        return message.format(**values) if values else message

    def label(self, prefix: str, value: str) -> str:
        """The message ``prefix.value`` (a code's name), or VALUE itself where the catalog has
        none: a family link stored as free text before relations were a list (R14)."""
        entry = catalog().get(f"{prefix}.{value}")
        return entry[self.locale] if entry else value

    def datetime(self, value: datetime | None, fmt: str = "medium") -> str:
        if value is None:
            return ""
        if value.tzinfo is None:
            raise ValueError("naive datetime: times inside jointcheck are UTC-aware")
        return format_datetime(
            value, fmt, tzinfo=ZoneInfo(self.timezone), locale=_BABEL_LOCALE[self.locale]
        )

    def date(self, value: date | None, fmt: str = "medium") -> str:
        return "" if value is None else format_date(value, fmt, locale=_BABEL_LOCALE[self.locale])

    def number(self, value: float) -> str:
        return format_decimal(value, locale=_BABEL_LOCALE[self.locale])

    def territory(self, code: str) -> str:
        """A country code with its name in this language: ``AT`` -> ``奥地利 (AT)``."""
        name = Locale.parse(_BABEL_LOCALE[self.locale]).territories.get(code.upper())
        return f"{name} ({code})" if name else code

    def coded(self, value_set: str, code: str, shown: str) -> str:
        """A value-set code named in this language when the catalog names it
        (``valueset.<set>.<code>``), else as SHOWN (the value set's own display name)."""
        key = f"valueset.{value_set}.{code}"
        return text(key, self.locale) if key in catalog() else shown

    def value(self, value: object) -> str:
        """Any displayed field: times and dates localised, numbers grouped, None as a dash."""
        if value is None or value == "":
            return "—"
        if isinstance(value, datetime):
            return self.datetime(value)
        if isinstance(value, date):
            return self.date(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return self.number(value)
        return str(value)
