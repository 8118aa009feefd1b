"""The bot's web server outside webhook mode: polling with a WEBAPP_URL, and the sandbox.

The same aiohttp app as in webhook mode (`bot.webhook.make_webhook_app`: /healthz,
/metrics and the Mini App under /app/).  Its webhook route gets a random path and secret
nobody knows, so in polling mode it refuses every POST (403/404) and updates keep coming
only by long polling.  In the sandbox the browser chat (`bot.web.sandbox_chat`) is added
under /chat/.
"""

from __future__ import annotations

import errno
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)


@dataclass
class RunningWeb:
    runner: web.AppRunner
    url: str  # http://host:port (no trailing slash)

    @property
    def app_url(self) -> str:
        return f"{self.url}/app/"

    @property
    def chat_url(self) -> str:
        return f"{self.url}/chat/"

    async def stop(self) -> None:
        await self.runner.cleanup()


def build_web_app(application: Any, *, sandbox: Any = None) -> web.Application:
    from bot.webhook import make_webhook_app

    app = make_webhook_app(
        application, path=f"/no-webhook-{secrets.token_hex(16)}", secret=secrets.token_hex(32)
    )
    if sandbox is not None:
        from bot.web.sandbox_chat import mount_chat

        mount_chat(app, application, sandbox)
    return app


async def start_web(
    application: Any,
    host: str,
    port: int,
    *,
    sandbox: Any = None,
    fallback_to_any_port: bool = False,
) -> RunningWeb:
    """Listens on host:port (or, when that port is taken and allowed, any free one)."""
    runner = web.AppRunner(
        build_web_app(application, sandbox=sandbox), access_log=None, handle_signals=False,
        shutdown_timeout=1.0,
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
    except OSError as exc:
        if not fallback_to_any_port or exc.errno != errno.EADDRINUSE:
            await runner.cleanup()
            raise
        log.warning("port %s is taken; the web pages use another one", port)
        site = web.TCPSite(runner, host, 0)
        await site.start()
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    bound = int(sockets[0].getsockname()[1]) if sockets else port
    shown = f"[{host}]" if ":" in host else host
    return RunningWeb(runner, f"http://{shown}:{bound}")
