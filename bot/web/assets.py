"""The Mini App's pages: a few static files, gzipped once at start, served with ETags.

No build step and no framework: `index.html`, `app.css`, `app.js` (the shared helpers and
start-up) and one script per page (`PAGE_SCRIPTS`, loaded before it) are the whole page set
(the browser sandbox's chat, `sandbox/static/chat.*`, borrows `app.css`).  Telegram's own
`telegram-web-app.js` is linked only when a public WEBAPP_URL is set (inside Telegram);
the page reads initData and theme colours from the URL fragment Telegram passes either
way, so it runs offline too (the sandbox, the tests).
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
STATIC_DIR = Path(__file__).parent / "static"
TELEGRAM_SCRIPT = '<script src="https://telegram.org/js/telegram-web-app.js"></script>'
TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css",
         ".svg": "image/svg+xml"}
# The pages read initData from the fragment and call the API with it in a header: nothing
# else may run in them, and they may not be framed by other sites' pages (Telegram's
# clients load a Mini App as a top-level web view, the browser sandbox from its own origin).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' https://telegram.org; "
        "style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
        "frame-ancestors 'self' https://web.telegram.org"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    content_type: str
    etag: str


def load_asset(name: str, *, telegram_script: bool = False) -> Asset:
    path = STATIC_DIR / name
    body = path.read_bytes()
    if name.endswith(".html"):
        body = body.replace(b"<!--TELEGRAM-->", TELEGRAM_SCRIPT.encode() if telegram_script
                            else b"")
    return Asset(
        body,
        gzip.compress(body, compresslevel=9, mtime=0),
        TYPES.get(path.suffix, "application/octet-stream"),
        '"' + hashlib.sha256(body).hexdigest()[:20] + '"',
    )


def serve(asset: Asset, *, cache: str = "no-cache") -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        headers = {"ETag": asset.etag, "Cache-Control": cache, "Vary": "Accept-Encoding",
                   **SECURITY_HEADERS}
        if request.headers.get("If-None-Match") == asset.etag:
            return web.Response(status=304, headers=headers)
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return web.Response(body=asset.gzipped, content_type=asset.content_type,
                                charset="utf-8", headers=headers)
        return web.Response(body=asset.body, content_type=asset.content_type, charset="utf-8",
                            headers=headers)

    return handler


def add_static_routes(app: web.Application, *, telegram_script: bool) -> None:
    index = load_asset("index.html", telegram_script=telegram_script)
    app.router.add_get("/", serve(index))
    for name in PAGE_FILES[1:]:
        app.router.add_get(f"/{name}", serve(load_asset(name)))


# One script per page, so a page's code is read (and changed) on its own; deferred
# classic scripts run in document order and share their globals, app.js (start) last.
PAGE_SCRIPTS = ("planner.js", "people.js", "dashboard.js", "composer.js", "my.js")
PAGE_FILES = ("index.html", "app.css", *PAGE_SCRIPTS, "app.js")


def page_weight() -> tuple[int, int]:
    """(raw, gzipped) bytes of the Mini App's page set: the benchmark reports both."""
    assets = [load_asset(n) for n in PAGE_FILES]
    return sum(len(a.body) for a in assets), sum(len(a.gzipped) for a in assets)
