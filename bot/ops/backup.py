"""`python -m bot backup FILE` / `restore FILE`: consistent copies of the database.

SQLite: the online backup API copies page by page under SQLite's own locking, so the
copy is consistent even while the bot writes (WAL mode lets it keep writing meanwhile);
a plain `cp` of a live WAL database can miss committed transactions or tear a page.
Restore goes the same way in reverse after checking the file is an intact Gotong
database; stop the bot first (the restored data replaces everything).

PostgreSQL: `pg_dump --format=custom` (a consistent snapshot, replicas keep running) and
`pg_restore --clean --if-exists` (stop the replicas first).  The same two commands work
by hand; see docs/PRODUCTION.md.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

# Copy this many pages per step, so a big backup does not hold the lock for long at once.
PAGES_PER_STEP = 1024


class BackupError(Exception):
    """The backup or restore could not be done; the message says why in one line."""


def sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def backup(database_url: str, target: Path) -> None:
    if database_url.startswith("sqlite"):
        backup_sqlite(sqlite_path(database_url), target)
    else:
        _run_pg_tool(["pg_dump", "--format=custom", "--no-owner", "--file", str(target)],
                     database_url)


def restore(database_url: str, source: Path) -> None:
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    if database_url.startswith("sqlite"):
        restore_sqlite(source, sqlite_path(database_url))
    else:
        _run_pg_tool(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
             str(source)],
            database_url,
            dbname_flag=True,
        )


def backup_sqlite(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"{source}: no such database file")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst, pages=PAGES_PER_STEP)
    finally:
        dst.close()
        src.close()
    # Only a finished copy gets the final name: a crash mid-backup leaves no half file.
    partial.replace(target)


def restore_sqlite(source: Path, target: Path) -> None:
    check_sqlite_backup(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=PAGES_PER_STEP)
    finally:
        dst.close()
        src.close()


def check_sqlite_backup(path: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone()
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: not a SQLite database ({exc})") from None
    if not ok or ok[0] != "ok":
        raise BackupError(f"{path}: the backup is damaged (integrity check: {ok})")
    if "person" not in tables:
        raise BackupError(f"{path}: not a Gotong database (no person table)")


def _run_pg_tool(args: list[str], database_url: str, *, dbname_flag: bool = False) -> None:
    if shutil.which(args[0]) is None:
        raise BackupError(f"{args[0]} is not installed (Debian: apt-get install postgresql-client)")
    # libpq wants a plain postgresql:// URL, not SQLAlchemy's driver-qualified one.
    url = make_url(database_url).set(drivername="postgresql")
    dsn = url.render_as_string(hide_password=False)
    command = [*args, "--dbname", dsn] if dbname_flag else [*args, dsn]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{args[0]} failed: {done.stderr.strip().splitlines()[-1:]}")
