"""Composition root: wires settings, the database and the services for the edges.

Only the edges (``cli``, ``api``, ``web``) import this module.
"""

from __future__ import annotations
