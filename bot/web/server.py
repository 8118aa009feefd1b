"""The bot's web server outside webhook mode: polling with a WEBAPP_URL, and the sandbox.

The same aiohttp app as in webhook mode (`bot.webhook.make_webhook_app`: /healthz,
/metrics and the Mini App under /app/).  Its webhook route gets a random path and secret
nobody knows, so in polling mode it refuses every POST (403/404) and updates keep coming
only by long polling.  The wiring may hand it more pages (the sandbox's browser chat under
/chat/, `sandbox.standalone`): this module knows nothing of them.
"""

from __future__ import annotations

import errno
import logging
import secrets
from collections.abc import Mapping
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

    async def stop(self) -> None:
        await self.runner.cleanup()


def build_web_app(
    application: Any, *, pages: Mapping[str, web.Application] | None = None
) -> web.Application:
    """The webhook app with a route nobody knows, plus `pages` (sub-apps by mount path)."""
    from bot.webhook import make_webhook_app

    app = make_webhook_app(
        application, path=f"/no-webhook-{secrets.token_hex(16)}", secret=secrets.token_hex(32)
    )
    for mount, page in (pages or {}).items():
        app.add_subapp(mount, page)
    return app


async def start_web(
    application: Any,
    host: str,
    port: int,
    *,
    pages: Mapping[str, web.Application] | None = None,
    fallback_to_any_port: bool = False,
) -> RunningWeb:
    """Listens on host:port (or, when that port is taken and allowed, any free one)."""
    runner = web.AppRunner(
        build_web_app(application, pages=pages), access_log=None, handle_signals=False,
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
