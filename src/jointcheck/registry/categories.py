"""Venue categories of R1 (joint check at entry) and R2 (restricted places).

The authority on categories is the policy pack (R13); the composition root passes the pack's
category ids to the place service. This list, in the pack's ids, is what the shipped
``fangzi-2021`` pack names, and what the demo district uses when no pack is given.
"""

from __future__ import annotations

# R1: the joint check at entry.
JOINT_CHECK = (
    "office",
    "medical_institution",
    "pharmacy",
    "traffic_station",
    "public_transport",
    "hotel",
    "mall_supermarket",
    "market",
    "financial_institution",
    "tourist_attraction",
    "amusement_place",
    "indoor_entertainment",
    "residential_quarter",
)
# R2: places where susceptible people gather refuse the unvaccinated.
RESTRICTED = (
    "nursing_home",
    "welfare_home",
    "primary_school",
    "kindergarten",
    "susceptible_gathering",
)
DEFAULT_CATEGORIES = frozenset(JOINT_CHECK + RESTRICTED)
RESIDENTIAL_QUARTER = "residential_quarter"
