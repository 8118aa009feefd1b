"""`SandboxServer`: the Telegram-compatible Bot API on loopback, plus the user side over HTTP.

PTB reaches it through its normal `base_url`/`base_file_url` settings, so tests and benchmarks
exercise the real request stack.  The server object is also the in-process handle: `world`
for the user side, `limits`/`faults`/`stats` for the knobs and the referee's record.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from aiohttp import web

from sandbox.botapi import BotApi
from sandbox.errors import ApiError
from sandbox.faults import FaultDecider, Faults
from sandbox.knobs import update_knob
from sandbox.limits import Limits, RateReferee
from sandbox.params import Params
from sandbox.stats import Stats
from sandbox.userhttp import add_user_routes
from sandbox.webhook import WebhookPusher, WebhookSettings
from sandbox.world import SandboxWorld

log = logging.getLogger(__name__)

# Telegram issues 35 characters after the colon; fixtures in this repo use a few more, and
# accepting 30-64 still rejects the malformed tokens (no colon, no digits) that matter.
TOKEN_RE = re.compile(r"(\d+):[A-Za-z0-9_-]{30,64}")
_NOT_FOUND = {"ok": False, "error_code": 404, "description": "Not Found"}


class SandboxServer:
    def __init__(
        self,
        limits: Limits | None = None,
        faults: Faults | None = None,
        bot_username: str = "gotong_sandbox_bot",
        *,
        webhook: WebhookSettings | None = None,
    ) -> None:
        self.webhook_settings = webhook or WebhookSettings()
        self.stats = Stats()
        self.world = SandboxWorld(bot_username)
        self._referee = RateReferee(limits or Limits())
        self._fault_decider = FaultDecider(faults or Faults())
        self._pusher = WebhookPusher(self.world, self.webhook_settings)
        self.api = BotApi(self.world, self._referee, self._fault_decider, self.stats, self._pusher)
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._port: int | None = None

    # ---- lifecycle ----------------------------------------------------------------------
    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_bot_call)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        add_user_routes(app, self)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.api.closing.clear()
        self._runner = web.AppRunner(
            self.make_app(), access_log=None, shutdown_timeout=0.5, handle_signals=False
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self._host = host
        self._port = int(sockets[0].getsockname()[1]) if sockets else port

    async def stop(self) -> None:
        self.api.closing.set()  # ends long polls and injected hangs at once
        self.world.updates_signal.fire()
        await self._pusher.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        if self._port is None:
            raise RuntimeError("SandboxServer is not started")
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    # ---- knobs --------------------------------------------------------------------------
    @property
    def limits(self) -> Limits:
        return self._referee.limits

    @limits.setter
    def limits(self, limits: Limits) -> None:
        self._referee.limits = limits

    @property
    def faults(self) -> Faults:
        return self._fault_decider.faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        self._fault_decider.faults = faults
        self._fault_decider.reseed()

    def set_limits(self, **changes: Any) -> None:
        update_knob(self.limits, changes)

    def set_faults(self, **changes: Any) -> None:
        update_knob(self.faults, changes)
        if "seed" in changes:
            self._fault_decider.reseed()

    def set_webhook_settings(self, **changes: Any) -> None:
        update_knob(self.webhook_settings, changes)

    def reset_stats(self) -> None:
        self.stats.calls.clear()
        self.stats.answered_429 = 0
        self.stats.answered_5xx = 0
        self.stats.timeouts = 0
        self.stats.deliveries.clear()
        self.stats.edits.clear()
        self.stats.edits_429 = 0

    def reset(self) -> None:
        """Clear chats, people, files, updates, the referee's windows and the stats."""
        self.world.reset()
        self._referee.reset()
        self.reset_stats()

    def visible_commands(
        self, chat_id: int, user_id: int, language_code: str | None = None
    ) -> list[dict[str, str]]:
        return self.api.commands.visible(chat_id, user_id, language_code)

    @property
    def webhook_info(self) -> WebhookPusher:
        return self._pusher

    # ---- HTTP handlers ------------------------------------------------------------------
    async def _handle_bot_call(self, request: web.Request) -> web.Response:
        match = TOKEN_RE.fullmatch(request.match_info["token"])
        if match is None:
            return web.json_response(_NOT_FOUND, status=404)
        bot_id = int(match.group(1))
        if self.world.bot_id is None:
            self.world.bot_id = bot_id
        method = request.match_info["method"]
        if (page := self._fault_decider.html_error_page(method, request.path)) is not None:
            status = self._fault_decider.faults.html_error_status
            return web.Response(status=status, text=page, content_type="text/html")
        try:
            params = await Params.from_request(request)
            result = await self.api.call(method, bot_id, params)
        except ApiError as error:
            return web.json_response(error.to_json(), status=error.code)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("sandbox failed on %s", method)
            return web.json_response(
                {"ok": False, "error_code": 500, "description": "Internal Server Error"},
                status=500,
            )
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if TOKEN_RE.fullmatch(request.match_info["token"]) is None:
            return web.json_response(_NOT_FOUND, status=404)
        stored = self.world.files.by_path(request.match_info["path"])
        if stored is None:
            return web.json_response(_NOT_FOUND, status=404)
        return web.Response(
            body=stored.content, content_type=stored.mime_type or "application/octet-stream"
        )
