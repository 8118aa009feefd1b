"""Alembic migrations of Gotong's schema (run with `python -m bot migrate`)."""
