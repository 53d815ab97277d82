"""Alembic migrations of the record store (run in place by store.py; see env.py)."""
