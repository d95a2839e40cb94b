"""A policy pack as loaded: venue categories, parameters, products and named CertLogic rules.

Every threshold of R1-R4 is here rather than in code (R13): the rules of the time changed
often (eligible age lowered from 12 to 3 in late October 2021, boosters, test windows), and
each change is an edit of a pack file. ``loader.load_pack`` builds these values only from a
pack that passed its schema and its cross-checks, so a ``Pack`` is never half-loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any


class Mode(StrEnum):
    RESTRICT = "restrict"  # R2: unvaccinated eligible-age people are refused
    PERSUADE = "persuade"  # R3: they are advised not to enter; registration lets them in


@dataclass(frozen=True, slots=True)
class Text:
    zh: str
    en: str

    def pick(self, locale: str) -> str:
        return self.zh if locale.lower().startswith("zh") else self.en


@dataclass(frozen=True, slots=True)
class VenueCategory:
    id: str
    name: Text
    mode: Mode
    requirements: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Product:
    """A vaccine product by its EU value-set id (``mp``), with what the value set lacks.

    The value sets carry no dose counts, so a record without ``sd`` (a SMART Health Card, an
    ID-card look-up) takes its series length and minimum dose interval from here.
    """

    id: str
    name: Text
    series_doses: int
    min_interval_days: int


@dataclass(frozen=True, slots=True)
class NamedRule:
    id: str
    description: Text
    logic: Any


@dataclass(frozen=True, slots=True)
class Condition:
    """What counts as vaccinated for entry: a rule id, or all_of / any_of of conditions."""

    rule: str | None = None
    all_of: tuple[Condition, ...] = ()
    any_of: tuple[Condition, ...] = ()

    def text(self) -> str:
        """``VR-1``, ``any of (VR-1, RR-1)``, ``all of (any of (VR-1, RR-1), TR-2)``."""
        if self.rule is not None:
            return self.rule
        word = "all of" if self.all_of else "any of"
        return f"{word} ({', '.join(p.text() for p in (*self.all_of, *self.any_of))})"

    def rule_ids(self) -> tuple[str, ...]:
        if self.rule is not None:
            return (self.rule,)
        ids: list[str] = []
        for part in (*self.all_of, *self.any_of):
            ids.extend(i for i in part.rule_ids() if i not in ids)
        return tuple(ids)


@dataclass(frozen=True, slots=True)
class Parameters:
    eligible_age_years: int
    vaccinated_for_entry: Condition
    completed: str
    passing_colours: tuple[str, ...]
    health_code_required: bool
    health_code_max_age_seconds: int
    contraindication_min_level: int
    restricted_accepts_contraindication: bool
    registration_fields: tuple[str, ...]
    first_dose_deadline: date | None  # R9-R11, for follow-up and reports; not used at the gate
    retention_days: int
    bundle_max_age_hours: int
    paper_code_max_age_hours: int = 24  # 0: paper health codes are not accepted (issue 4)


@dataclass(frozen=True, slots=True)
class Pack:
    id: str
    version: str
    valid_from: date
    title: Text
    categories: tuple[VenueCategory, ...]
    parameters: Parameters
    products: tuple[Product, ...]
    rules: tuple[NamedRule, ...]
    value_sets: dict[str, tuple[str, ...]]

    def category(self, category_id: str) -> VenueCategory | None:
        return next((c for c in self.categories if c.id == category_id), None)

    def rule(self, rule_id: str) -> NamedRule | None:
        return next((r for r in self.rules if r.id == rule_id), None)
