"""Running Gotong in production: several webhook replicas on one PostgreSQL.

The database coordinates the replicas, nothing home-made beside it: a session-level
advisory lock picks the scheduler leader (`leader`), a row per handled update_id turns
at-least-once delivery into handling once (`dedup`), heartbeats say who is alive
(`heartbeat`), and `runtime.Ops` ties them to the application's lifecycle.  `health`
and `metrics` expose it to the proxy and to Prometheus; `backup` and `schema` keep
upgrades and restores safe.
"""

from bot.ops.leader import EVERY_REPLICA_JOBS, is_leader, leader_only
from bot.ops.runtime import Ops, get_ops

__all__ = ["EVERY_REPLICA_JOBS", "Ops", "get_ops", "is_leader", "leader_only"]
