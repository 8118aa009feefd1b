"""Table statistics for SQLite's query planner: ANALYZE shortly after start and every few
hours.

SQLite never gathers statistics on its own; without them its planner guesses every index
equally selective and picks badly on a grown database (the autopilot's wave planning over
100,000 volunteers and 1,000 shifts: 3.1 s without statistics, 2.0-2.3 s with them on a
quiet machine, `benchmarks/autopilot_bench.py`).  `analysis_limit` makes ANALYZE sample
about that many rows per index instead of reading every row, so a refresh costs
milliseconds whatever the database's size and holds the write lock only that long.
PostgreSQL's autovacuum keeps its own statistics: nothing runs there.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

# Rows sampled per index: SQLite's documentation suggests 100-1000 for approximate
# statistics that are good enough for the planner.
ANALYSIS_LIMIT = 1000
# First refresh a minute after start (the start itself stays quick), then every 6 hours.
FIRST_REFRESH_SECONDS = 60
REFRESH_INTERVAL_SECONDS = 6 * 3600


async def refresh_statistics(engine: AsyncEngine) -> bool:
    """Samples every table's indexes into sqlite_stat1; False (nothing done) off SQLite."""
    if engine.dialect.name != "sqlite":
        return False
    async with engine.begin() as connection:
        await connection.exec_driver_sql(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        await connection.exec_driver_sql("ANALYZE")
    return True
