"""The store: SQLAlchemy tables, repositories and the unit of work; Alembic migrations.

SQL stays here (DESIGN.md): services talk to the protocols in ``registry/ports.py`` and
``security/ports.py``, which this package implements.
"""
