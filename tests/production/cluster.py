"""Brings up what docs/PRODUCTION.md describes: nginx, N webhook replicas, one PostgreSQL.

Used by the production tests (small counts) and `benchmarks/replicas_bench.py` (full
counts).  The deployment files are the ones shipped in `deploy/`: the nginx site template
is rendered with the replicas' ports, the migrate and replica commands come from the
systemd units (ExecStart, Environment, KillSignal), with the venv path replaced by this
interpreter.  Every process started here is stopped in `stop()` (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import asyncio
import configparser
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text

from bot.db import create_engine
from sandbox import SandboxServer
from tests.support.databases import create_schema

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
TOKEN = "1000000001:TESTtestTESTtestTESTtestTESTtest12345"
SECRET = "s3cret-webhook_token"
WEBHOOK_PATH = "/tg/webhook"
ADMIN_ID = 1


def die_with_parent() -> None:
    """preexec_fn: the kernel kills the child if the test process dies (no stray replicas)."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def render_nginx_site(ports: list[int], listen: int, webhook_path: str) -> str:
    servers = "\n".join(
        f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in ports
    )
    template = (DEPLOY / "nginx" / "gotong.conf").read_text()
    return (
        template.replace("@@UPSTREAM_SERVERS@@", servers)
        .replace("@@LISTEN@@", f"127.0.0.1:{listen}")
        .replace("@@SERVER_NAME@@", "localhost")
        .replace("@@WEBHOOK_PATH@@", webhook_path)
    )


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / "systemd" / name).read_text())
    return parser


def unit_command(name: str, instance: str = "") -> tuple[list[str], dict[str, str]]:
    """ExecStart and Environment= of a shipped unit, run with this interpreter."""
    service = unit(name)["Service"]
    argv = shlex.split(service["ExecStart"].replace("%i", instance))
    assert argv[0].endswith("/python"), argv
    argv[0] = sys.executable
    env: dict[str, str] = {}
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        if line.startswith("Environment="):
            key, _, value = line.removeprefix("Environment=").replace("%i", instance).partition("=")
            env[key] = value
    return argv, env


@dataclass
class ReplicaProcess:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class Cluster:
    database_url: str
    workdir: Path
    sandbox: SandboxServer
    replicas: list[ReplicaProcess] = field(default_factory=list)
    nginx: subprocess.Popen[bytes] | None = None
    nginx_port: int = 0
    extra_env: dict[str, str] = field(default_factory=dict)
    _http: aiohttp.ClientSession | None = None

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.nginx_port}{WEBHOOK_PATH}"

    def env(self, port: int | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WEBHOOK_"))}
        env.update(
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=self.sandbox.base_url,
            TELEGRAM_FILE_BASE_URL=self.sandbox.base_file_url,
            DATABASE_URL=self.database_url,
            WEBHOOK_URL=self.webhook_url,
            WEBHOOK_SECRET=SECRET,
            WEBHOOK_MAX_CONNECTIONS="24",
            ADMIN_IDS=str(ADMIN_ID),
            DEFAULT_LANGUAGE="en",
            LEADER_CHECK_SECONDS="1",
            SHUTDOWN_TIMEOUT_SECONDS="10",
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
            # Replicas are real processes on the wall clock: quiet hours off, so a
            # broadcast goes out at once whatever the hour CI runs (quiet hours have their
            # own tests on a frozen clock).
            QUIET_HOURS_START="00:00",
            QUIET_HOURS_END="00:00",
        )
        env.update(self.extra_env)
        if port is not None:
            env["PORT"] = str(port)
        return env

    # ---- the guide's steps ------------------------------------------------------------
    async def migrate(self) -> None:
        """The deploy step (gotong-migrate.service) on a fresh database.

        Migrations are generated centrally from the models at the end of a change, so the
        head migration may lag the models being written now: the schema comes from the
        models (create_all) and is stamped at head, then the shipped migrate unit runs
        (a no-op at head, but it proves the unit's command works on this database).
        """
        from alembic import command

        from bot.migrate import alembic_config

        engine = create_engine(self.database_url)
        try:
            await create_schema(engine)  # fresh: a test module shares one database
        finally:
            await engine.dispose()
        await asyncio.to_thread(command.stamp, alembic_config(self.database_url), "head")
        argv, unit_env = unit_command("gotong-migrate.service")
        done = await asyncio.to_thread(
            subprocess.run, argv, env={**self.env(), **unit_env}, cwd=self.workdir,
            capture_output=True, check=False,
        )
        assert done.returncode == 0, done.stderr.decode()[-2000:]

    def start_nginx(self, ports: list[int]) -> None:
        if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
            # Like PostgreSQL: CI must run these tests; a laptop without nginx skips them.
            reason = "nginx is not installed (apt-get install -y nginx)"
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(reason, pytrace=False)
            pytest.skip(reason)
        self.nginx_port = self.nginx_port or free_port()
        conf_dir = self.workdir / "nginx"
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"):
            (conf_dir / sub).mkdir(parents=True, exist_ok=True)
            os.chmod(conf_dir / sub, 0o777)
        (conf_dir / "gotong.conf").write_text(
            render_nginx_site(ports, self.nginx_port, WEBHOOK_PATH)
        )
        d = conf_dir
        (conf_dir / "nginx.conf").write_text(
            f"daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\n"
            f"error_log {d}/logs/error.log warn;\n"
            "events { worker_connections 1024; }\n"
            f"http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n"
            f"  proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n"
            f"  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n"
            f"  include {d}/gotong.conf;\n}}\n"
        )
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.nginx = subprocess.Popen(
            [nginx, "-p", str(conf_dir), "-c", str(conf_dir / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=open(conf_dir / "logs" / "stderr.log", "wb"),  # noqa: SIM115
            preexec_fn=die_with_parent,
        )

    def start_replica(self, port: int | None = None) -> ReplicaProcess:
        port = port or free_port()
        argv, unit_env = unit_command("gotong@.service", str(port))
        log = self.workdir / f"replica-{port}.log"
        env = {**self.env(port), **unit_env}
        env["LISTEN"] = "127.0.0.1"
        process = subprocess.Popen(
            argv, env=env, cwd=self.workdir, stdout=subprocess.DEVNULL,
            stderr=open(log, "wb"),  # noqa: SIM115
            preexec_fn=die_with_parent,
        )
        replica = ReplicaProcess(port, process, log)
        self.replicas.append(replica)
        return replica

    async def start(self, n: int) -> None:
        await self.migrate()
        ports = [free_port() for _ in range(n)]
        self.start_nginx(ports)
        for port in ports:
            self.start_replica(port)
        await asyncio.gather(*(self.wait_healthy(r) for r in self.replicas))
        await self.wait_registered()

    # ---- observing ---------------------------------------------------------------------
    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        return self._http

    async def health(self, replica: ReplicaProcess) -> dict[str, Any] | None:
        try:
            async with self.http.get(
                f"{replica.url}/healthz", timeout=aiohttp.ClientTimeout(total=3)
            ) as response:
                data: dict[str, Any] = await response.json()
                return data
        except (aiohttp.ClientError, TimeoutError):
            return None

    async def wait_healthy(self, replica: ReplicaProcess, within: float = 30.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if not replica.alive():
                raise RuntimeError(f"replica on {replica.port} exited:\n{self.tail(replica)}")
            health = await self.health(replica)
            if health is not None and health.get("ok"):
                return
            await asyncio.sleep(0.1)
        raise TimeoutError(f"replica on {replica.port} not healthy:\n{self.tail(replica)}")

    async def wait_registered(self, within: float = 15.0) -> None:
        deadline = time.monotonic() + within
        while self.sandbox.webhook_info.config is None:
            if time.monotonic() > deadline:
                raise TimeoutError("no replica registered the webhook")
            await asyncio.sleep(0.05)

    async def leaders(self) -> list[ReplicaProcess]:
        found = []
        for replica in self.replicas:
            if replica.alive():
                health = await self.health(replica)
                if health is not None and health.get("role") == "leader":
                    found.append(replica)
        return found

    async def wait_for_leader(self, within: float) -> ReplicaProcess:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            leaders = await self.leaders()
            if len(leaders) == 1:
                return leaders[0]
            await asyncio.sleep(0.1)
        raise TimeoutError(f"no single leader within {within} s")

    async def metrics(self, replica: ReplicaProcess) -> str:
        async with self.http.get(f"{replica.url}/metrics") as response:
            return await response.text()

    async def scalar(self, sql: str) -> Any:
        engine = create_engine(self.database_url)
        try:
            async with engine.connect() as conn:
                return await conn.scalar(text(sql))
        finally:
            await engine.dispose()

    def tail(self, replica: ReplicaProcess, lines: int = 30) -> str:
        try:
            return "\n".join(replica.log.read_text().splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # ---- stopping ----------------------------------------------------------------------
    def kill(self, replica: ReplicaProcess) -> None:
        replica.process.send_signal(signal.SIGKILL)
        replica.process.wait(10)

    async def terminate(self, replica: ReplicaProcess, grace: float = 20.0) -> int:
        """What systemd does on stop: KillSignal (SIGTERM), then SIGKILL after `grace` s."""
        sig = getattr(signal, unit("gotong@.service")["Service"]["KillSignal"])
        if replica.alive():
            replica.process.send_signal(sig)
        try:
            return await asyncio.to_thread(replica.process.wait, grace)
        except subprocess.TimeoutExpired:
            replica.process.kill()
            replica.process.wait(5)
            return -9

    async def stop(self) -> None:
        await asyncio.gather(*(self.terminate(r) for r in self.replicas if r.alive()))
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGTERM)
            try:
                self.nginx.wait(10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait(5)
        if self._http is not None:
            await self._http.close()
            self._http = None
