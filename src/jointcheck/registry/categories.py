"""Venue categories: the policy pack is their authority (R13).

A place's category is one of the pack's category ids (``policy/packs/fangzi-2021.yaml``:
the R1 joint-check places, the R2 restricted places, and the R3 "other places"). The
composition root passes the ids of the deployment's pack to the place service; the demo
district uses the shipped default pack.
"""

from __future__ import annotations

from functools import cache

from jointcheck.policy import DEFAULT_PACK, load_shipped

RESIDENTIAL_QUARTERS = "residential_quarters"


@cache
def pack_categories(pack_id: str = DEFAULT_PACK) -> frozenset[str]:
    """The category ids of a shipped pack."""
    return frozenset(c.id for c in load_shipped(pack_id).categories)
