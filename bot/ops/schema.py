"""Refusing to start on a database whose schema is not the one this code was written for.

During a rolling upgrade an old replica against a migrated database (or a new one
against an unmigrated database) would fail in odd places later; one clear line now,
naming both revisions and the fix, is better.

`prepare_in_child` runs the upgrade (with AUTO_MIGRATE) and the check in a short-lived
child process: Alembic, Mako and Pygments (126 modules, ~12 MiB resident) would otherwise
stay loaded for the bot's whole life after being used once at start.  The database URL goes
to the child on stdin, never on its command line (`ps` shows command lines).
"""

from __future__ import annotations

import json
import subprocess
import sys


def schema_problem(database_url: str) -> str | None:
    """None when the database is at the code's head revision, else one line saying why not."""
    from bot import migrate  # Alembic: only in the process that checks (see the docstring)

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


_READY, _PROBLEM = "schema ready", "schema problem: "


def prepare_in_child(database_url: str, *, upgrade: bool) -> tuple[int, str | None]:
    """(exit code, problem): 0 and None when the schema is ready; 3 and the line saying
    why not; the child's own code (its traceback on stderr) when the upgrade failed."""
    child = subprocess.run(
        [sys.executable, "-m", "bot.ops.schema"],
        input=json.dumps({"database_url": database_url, "upgrade": upgrade}),
        stdout=subprocess.PIPE, text=True, check=False,
    )
    if child.returncode != 0:
        return child.returncode, None
    answer = child.stdout.strip().splitlines()[-1:]  # the child's last line: its answer
    if answer and answer[0].startswith(_PROBLEM):
        return 3, answer[0].removeprefix(_PROBLEM)
    return (0, None) if answer == [_READY] else (1, None)


def _child() -> int:
    from bot import migrate

    request = json.loads(sys.stdin.read())
    if request["upgrade"]:
        migrate.upgrade(request["database_url"])
    problem = schema_problem(request["database_url"])
    print(_READY if problem is None else _PROBLEM + problem)
    return 0


if __name__ == "__main__":
    sys.exit(_child())
