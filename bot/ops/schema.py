"""Refusing to start on a database whose schema is not the one this code was written for.

During a rolling upgrade an old replica against a migrated database (or a new one
against an unmigrated database) would fail in odd places later; one clear line now,
naming both revisions and the fix, is better.
"""

from __future__ import annotations

from bot import migrate


def schema_problem(database_url: str) -> str | None:
    """None when the database is at the code's head revision, else one line saying why not."""
    head = migrate.head_revision()
    try:
        current = migrate.current_revision_sync(database_url)
    except Exception as exc:  # unreachable or unreadable: say so rather than a traceback
        return f"cannot read the schema revision of the database: {type(exc).__name__}: {exc}"
    if current == head:
        return None
    if current is None:
        return (
            f"the database has no schema yet but this code needs revision {head}; "
            "run `python -m bot migrate` first"
        )
    return (
        f"the database schema is at revision {current} but this code needs {head}; "
        "run `python -m bot migrate` with the matching code version first"
    )
