"""The browser sandbox: a Telegram-like chat with the bot, in a browser, for any person.

A page (`static/chat.*`) over the sandbox's own user side (send, press, read a chat: the
same calls as `/sandbox/...`, in-process), the photos and documents the bot sent, and the
Mini App opened with `initData` signed as Telegram signs it (HMAC-SHA256 keyed with the
bot's token: the sandbox plays Telegram, which knows the token).  It imports nothing of
the product: the wiring (`sandbox.standalone`) hands it the bot's token, its first
admin and its clock, and mounts it next to the Mini App on the bot's web server
(the page borrows the Mini App's stylesheet and texts from `/app/`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from sandbox.userhttp import Sandbox, UserSide, wrap

MOUNT = "/chat/"
STATIC_DIR = Path(__file__).parent / "static"
PAGES = {"/": ("chat.html", "text/html"), "/chat.js": ("chat.js", "text/javascript"),
         "/chat.css": ("chat.css", "text/css")}
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "connect-src 'self'; frame-ancestors 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
# The user-side calls the page may make; everything else of /sandbox/ (faults, limits,
# reset) stays with tests and benchmarks.
PROXIED = ("send_message", "send_location", "press", "messages", "wait_for_callback_answer",
           "commands")
# Who the page lists before anyone wrote (the admin first); people who wrote join them.
KNOWN = ((2, "Ani", "id"), (3, "Budi", "en"))
Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


def init_data(user: dict[str, Any], bot_token: str, *, now: datetime) -> str:
    """What a Telegram app passes when `user` opens the bot's Mini App at `now`."""
    fields = {
        "query_id": f"SANDBOX{user['id']}{int(now.timestamp())}",
        "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
        "auth_date": str(int(now.timestamp())),
    }
    key = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    check = "\n".join(f"{k}={fields[k]}" for k in sorted(fields))
    digest = hmac.new(key, check.encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def _page(name: str, content_type: str) -> Route:
    body = (STATIC_DIR / name).read_bytes()

    async def page(_request: web.Request) -> web.StreamResponse:
        return web.Response(body=body, content_type=content_type, charset="utf-8",
                            headers=HEADERS)

    return page


class ChatPage:
    """The page's own API (`/chat/api/...`) over one sandbox, for one bot."""

    def __init__(
        self, sandbox: Sandbox, *, token: str, admin_id: int, now: Callable[[], datetime]
    ) -> None:
        self.sandbox = sandbox
        self.token = token
        self.admin_id = admin_id
        self.now = now
        side = UserSide(sandbox)
        self.calls = {name: wrap(getattr(side, name)) for name in PROXIED}

    async def proxy(self, request: web.Request) -> web.StreamResponse:
        call = self.calls.get(request.match_info["name"])
        if call is None or request.content_type != "application/json":
            return web.json_response({"ok": False, "description": "not here"}, status=404)
        return await call(request)

    async def file(self, request: web.Request) -> web.StreamResponse:
        stored = self.sandbox.world.files.get(request.match_info["file_id"])
        if stored is None:
            raise web.HTTPNotFound()
        headers = {"X-Content-Type-Options": "nosniff"}
        name = request.query.get("name", "")
        if name:
            headers["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote(
                name, safe=""
            )
        return web.Response(body=stored.content,
                            content_type=stored.mime_type or "application/octet-stream",
                            headers=headers)

    async def people(self, _request: web.Request) -> web.StreamResponse:
        known: dict[int, dict[str, Any]] = {
            self.admin_id: {"user_id": self.admin_id, "first_name": "Admin",
                            "language_code": "en"},
        }
        for user_id, first_name, language in KNOWN:
            known[user_id] = {"user_id": user_id, "first_name": first_name,
                              "language_code": language}
        for user in self.sandbox.world.users.values():
            known[user.user_id] = user.to_json()
        world = self.sandbox.world
        return web.json_response({"people": sorted(known.values(), key=lambda u: u["user_id"]),
                                  "bot": world.bot_username})

    async def init_data(self, request: web.Request) -> web.StreamResponse:
        try:
            body = json.loads(await request.read())
            user = {"id": int(body["user_id"]), "first_name": str(body.get("first_name") or ""),
                    "language_code": str(body.get("language_code") or "id")}
        except (ValueError, KeyError, TypeError):
            return web.json_response({"ok": False}, status=400)
        return web.json_response({"init_data": init_data(user, self.token, now=self.now())})

    def app(self) -> web.Application:
        chat = web.Application()
        for path, (name, content_type) in PAGES.items():
            chat.router.add_get(path, _page(name, content_type))
        chat.router.add_post("/api/proxy/{name}", self.proxy)
        chat.router.add_get("/api/file/{file_id}", self.file)
        chat.router.add_get("/api/people", self.people)
        chat.router.add_post("/api/initdata", self.init_data)
        return chat
