"""A paper health code's current colour, asked of the server by an agent that is online
(issue 4).

A paper code carries the colour it had when printed, up to a day before. The server decides
with the health authority's current colour (PAPER_COLOUR_CURRENT); an agent whose last sync
round reached its server asks it for the same before deciding, so a terminal and the server
decide alike. The question is asked before the agent takes the lock its scans share, with the
transport's short timeout: a dead link delays one scan by that much, never the queue, and
the printed colour stands (PAPER_COLOUR_AS_PRINTED).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from jointcheck.checkpoint.scan import Checkpoint
from jointcheck.checkpoint.sync import Unreachable
from jointcheck.credentials.model import CodeColour
from jointcheck.credentials.native import HEALTH_CODE_PREFIX
from jointcheck.errors import InputError


class ColourSource(Protocol):
    def paper_colour(self, subject_hash: str) -> CodeColour | None:
        """The current colour, None when the server knows no such person; raises
        Unreachable when it does not answer in time, InputError when it refuses."""
        ...


@dataclass(frozen=True, slots=True)
class CurrentColours:
    """The colours the server gave, by subject hash; ``failure`` says why it stopped
    answering ("" when it answered every question)."""

    colours: dict[str, CodeColour] = field(default_factory=dict)
    failure: str = ""

    def __call__(self, subject_hash: str) -> CodeColour | None:
        return self.colours.get(subject_hash)


def paper_subjects_shown(
    checkpoint: Checkpoint, people: Sequence[Sequence[str]], at: datetime
) -> list[str]:
    """The subject hashes of the paper health codes PEOPLE show, once each. Only health
    codes are verified here (the scan verifies everything again, with the ledger); a code
    the scan will refuse raises its InputError."""
    subjects: list[str] = []
    for codes in people:
        health = [c for c in codes if c.strip().upper().startswith(HEALTH_CODE_PREFIX)]
        if health:
            subjects += checkpoint.paper_subjects(checkpoint.verified(health, at))
    return list(dict.fromkeys(subjects))


def current_colours(source: ColourSource, subjects: Sequence[str]) -> CurrentColours:
    """Ask SOURCE for each subject's colour; after the first that does not answer, ask no
    more (each would wait for the same timeout)."""
    colours: dict[str, CodeColour] = {}
    for subject in subjects:
        try:
            colour = source.paper_colour(subject)
        except Unreachable as exc:
            return CurrentColours(colours, str(exc) or "unreachable")
        except InputError:
            continue  # refused by the server: this code's printed colour stands
        if colour is not None:
            colours[subject] = colour
    return CurrentColours(colours)
