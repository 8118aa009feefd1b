"""Fixtures for the production tests: a whole cluster (nginx + replicas + PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from sandbox import SandboxServer
from tests.production.cluster import Cluster

ClusterFactory = Callable[..., AbstractAsyncContextManager[Cluster]]


@pytest.fixture
def start_cluster(postgres_url: str, tmp_path: Path) -> ClusterFactory:
    """`async with start_cluster(3) as cluster:`; everything it started is stopped after."""

    @asynccontextmanager
    async def start(n: int, **extra_env: str) -> AsyncIterator[Cluster]:
        sandbox = SandboxServer()
        await sandbox.start()
        cluster = Cluster(postgres_url, tmp_path, sandbox, extra_env=dict(extra_env))
        try:
            await cluster.start(n)
            yield cluster
        finally:
            await cluster.stop()
            await sandbox.stop()
            assert all(not r.alive() for r in cluster.replicas)

    return start
